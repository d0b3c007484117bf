#!/bin/sh
# A GlusterFS volume as the mail root shared by several mail hosts (see
# README, "Scaling out": what the store needs of a shared file system).
#
# On one of the GlusterFS servers (glusterd running, peers probed):
#     mail-volume.sh create VOLUME BRICK...
#   BRICK as host:/path; one brick, or three for replica 3 (one per server).
# On each mail host (Debian: apt-get install glusterfs-client):
#     mail-volume.sh mount SERVER VOLUME MOUNTPOINT
#   or in /etc/fstab:
#     SERVER:/VOLUME  /srv/mail  glusterfs  defaults,_netdev,log-level=ERROR  0 0
# then run the handlers with MAIL_ROOT=MOUNTPOINT and a MAIL_HOSTNAME of
# each host's own, behind conf/haproxy/haproxy.cfg.
#
# The one setting the store requires: performance.stat-prefetch off.  With
# GlusterFS's default (on) the client answers size and name lookups from
# its own cache, and two hosts lose acknowledged mail (tests/gluster.bats
# shows it).  The FUSE mount options attribute-timeout and entry-timeout
# keep their defaults: the handlers fetch fresh attributes and names
# themselves where it matters, and setting them to 0 costs about two
# thirds of the delivery rate.
#
# GLUSTER: the gluster command to run (default: gluster); GLUSTER_FORCE=1
# adds "force" to the create (a brick on the root file system, as in the
# test suite, which runs this recipe: tests/gluster.bats).
#
# Log levels: a lock-file create that finds the lock taken on the brick
# logs two WARNING lines in the client's log ("remote operation failed
# ... File exists") and one INFO line in the brick's.  With the default
# mount options most such creates are answered by the kernel and never
# logged; with entry-timeout=0 every retry is.  So the client logs at
# ERROR, the bricks at WARNING.
set -eu

usage() {
	echo "usage: $0 create VOLUME BRICK... | mount SERVER VOLUME MOUNTPOINT" >&2
	exit 2
}

case ${1-} in
create)
	[ $# -ge 3 ] || usage
	volume=$2
	shift 2
	replica=
	[ $# -lt 2 ] || replica="replica $#"
	force=
	[ "${GLUSTER_FORCE:-}" != 1 ] || force=force
	# $GLUSTER, $replica and $force split into words on purpose.
	${GLUSTER:-gluster} volume create "$volume" $replica "$@" $force
	${GLUSTER:-gluster} volume set "$volume" performance.stat-prefetch off
	${GLUSTER:-gluster} volume set "$volume" diagnostics.client-log-level ERROR
	${GLUSTER:-gluster} volume set "$volume" diagnostics.brick-log-level WARNING
	${GLUSTER:-gluster} volume start "$volume"
	;;
mount)
	[ $# -eq 4 ] || usage
	mkdir -p "$4"
	mount -t glusterfs -o log-level=ERROR "$2:/$3" "$4"
	;;
*)
	usage
	;;
esac
