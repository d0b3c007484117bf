# A private GlusterFS for the tests and the bench: its own glusterd (working
# directory, run directory, socket, logs and pid file all under one
# directory), a one-brick volume on this host's name, mounted through the
# FUSE client as many times as a caller wants "hosts".  Sourced by
# tests/gluster.bats and tests/bench/run.sh; needs root, /dev/fuse and the
# Debian packages glusterfs-server and glusterfs-client.
#
#   gluster_missing             why GlusterFS cannot run here ("" if it can)
#   gluster_up DIR              glusterd in DIR
#   gluster_volume DIR VOLUME [NAME VALUE]...
#                               VOLUME (brick DIR/bricks/VOLUME) made and
#                               started with the given volume options set
#   gluster_recipe_volume DIR VOLUME
#                               VOLUME made by conf/glusterfs/mail-volume.sh
#   gluster_mount DIR VOLUME MOUNTPOINT [MOUNT-OPTIONS]
#   gluster_down DIR            unmount, stop the bricks and glusterd
#
# glusterd always listens on port 24007 (its bricks fetch their volfile
# there), so only one instance can run at a time: gluster_up waits for
# the others (an flock on $GLUSTER_LOCK) for up to GLUSTER_WAIT seconds.

GLUSTER_LOCK=${GLUSTER_LOCK:-/run/lock/mailsuite-glusterd.lock}
GLUSTER_WAIT=${GLUSTER_WAIT:-300}

gluster_missing() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "GlusterFS needs root (glusterd, FUSE mounts)"
	elif [ ! -c /dev/fuse ]; then
		echo "GlusterFS's client needs /dev/fuse, which is missing"
	elif ! command -v glusterd >/dev/null || ! command -v mount.glusterfs >/dev/null; then
		echo "GlusterFS is not installed (Debian: apt-get install glusterfs-server glusterfs-client)"
	elif ! getent hosts "$(hostname)" >/dev/null; then
		echo "this host's name $(hostname) does not resolve (a brick needs it)"
	fi
}

gluster_cli() {
	local dir=$1; shift
	gluster --mode=script --glusterd-sock="$dir/glusterd.socket" \
		--log-file="$dir/logs/cli.log" "$@"
}

gluster_up() {
	local dir=$1
	# A brick that served a volume keeps its volume id: start from scratch.
	rm -rf "$dir/work" "$dir/run" "$dir/bricks"
	mkdir -p "$dir/work" "$dir/run" "$dir/logs" "$dir/bricks"
	exec {GLUSTER_LOCK_FD}> "$GLUSTER_LOCK"
	if ! flock -w "$GLUSTER_WAIT" "$GLUSTER_LOCK_FD"; then
		echo "another private glusterd held $GLUSTER_LOCK for ${GLUSTER_WAIT}s" >&2
		return 1
	fi
	if (exec 3<>/dev/tcp/127.0.0.1/24007) 2>/dev/null; then
		echo "port 24007 is taken (a system glusterd? systemctl stop glusterd)" >&2
		return 1
	fi
	cat > "$dir/glusterd.vol" <<-VOL
	volume management
	    type mgmt/glusterd
	    option working-directory $dir/work
	    option run-directory $dir/run
	    option cluster-test-mode $dir/logs
	    option glusterd-sockfile $dir/glusterd.socket
	    option transport-type socket
	    option ping-timeout 0
	    option event-threads 1
	end-volume
	VOL
	# Its own session, so a test's end of input or signals do not reach
	# it, and not a job of the caller's shell (whose wait would wait for it).
	(exec {GLUSTER_LOCK_FD}>&-
	 setsid glusterd -N -f "$dir/glusterd.vol" -l "$dir/logs/glusterd.log" \
		-p "$dir/glusterd.pid" < /dev/null > /dev/null 2>&1 3>&- &)
	local i
	for i in $(seq 200); do
		[ -S "$dir/glusterd.socket" ] && gluster_cli "$dir" volume list \
			> /dev/null 2>&1 && break
		sleep 0.05
	done
	gluster_cli "$dir" volume list > /dev/null 2>&1
}

gluster_volume() {
	local dir=$1 volume=$2; shift 2
	gluster_cli "$dir" volume create "$volume" \
		"$(hostname):$dir/bricks/$volume" force > /dev/null || return 1
	while [ $# -ge 2 ]; do
		gluster_cli "$dir" volume set "$volume" "$1" "$2" > /dev/null || return 1
		shift 2
	done
	gluster_cli "$dir" volume start "$volume" > /dev/null
}

gluster_recipe_volume() {
	local dir=$1 volume=$2 repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	GLUSTER="gluster --mode=script --glusterd-sock=$dir/glusterd.socket --log-file=$dir/logs/cli.log" \
	GLUSTER_FORCE=1 sh "$repo/conf/glusterfs/mail-volume.sh" create "$volume" \
		"$(hostname):$dir/bricks/$volume" > /dev/null
}

gluster_mount() {
	local dir=$1 volume=$2 mnt=$3 opts=${4:-}
	mkdir -p "$mnt"
	echo "$mnt" >> "$dir/mounts"
	(exec {GLUSTER_LOCK_FD}>&-
	 mount -t glusterfs -o "log-file=$dir/logs/mount-$(basename "$mnt").log${opts:+,$opts}" \
		"$(hostname):/$volume" "$mnt" 3>&-)
}

gluster_down() {
	local dir=$1 mnt pid i
	if [ -f "$dir/mounts" ]; then
		while read -r mnt; do
			umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
		done < "$dir/mounts"
		rm -f "$dir/mounts"
	fi
	# The brick processes (and any other daemon glusterd started) write
	# their pid files under the private run directory.
	for pid in $(cat "$dir"/run/vols/*/*.pid "$dir/glusterd.pid" 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
	done
	for i in $(seq 100); do
		local alive=0
		for pid in $(cat "$dir"/run/vols/*/*.pid "$dir/glusterd.pid" 2>/dev/null); do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.05
	done
	rm -f "$dir"/run/vols/*/*.pid "$dir/glusterd.pid"
	[ -z "${GLUSTER_LOCK_FD:-}" ] || exec {GLUSTER_LOCK_FD}>&-
	GLUSTER_LOCK_FD=
}
