#!/usr/bin/env bats
# A mail root shared by two hosts on GlusterFS: one private glusterd (its
# own directory, volumes, logs; tests/gluster.bash), each volume mounted
# twice through the FUSE client as hosts A and B, each host with its own
# MAIL_HOSTNAME.  Volume "safe" is made by conf/glusterfs/mail-volume.sh:
# the one setting the README asks for (performance.stat-prefetch off),
# its log levels, and the client's default mount options
# (attribute-timeout and entry-timeout 1 s): the store's own defence
# (attributes fetched with AT_STATX_FORCE_SYNC, the mailbox's name looked
# up afresh through an O_EXCL open, a replaced file opened again) makes
# the mount options that disable the kernel's caches unnecessary.  Volume
# "defaults" shows what GlusterFS's defaults do to the same canaries.

load helpers
load gluster

setup_file() {
	local why; why=$(gluster_missing)
	[ -z "$why" ] || return 0
	export GDIR="$BATS_FILE_TMPDIR/gluster"
	gluster_up "$GDIR"
	gluster_recipe_volume "$GDIR" mailsafe
	gluster_volume "$GDIR" maildefaults
	for vol in safe defaults; do
		gluster_mount "$GDIR" "mail$vol" "$GDIR/$vol-a"
		gluster_mount "$GDIR" "mail$vol" "$GDIR/$vol-b"
	done
}

teardown_file() {
	[ -z "${GDIR:-}" ] || gluster_down "$GDIR"
}

setup() {
	local why; why=$(gluster_missing)
	[ -z "$why" ] || skip "$why"
}

teardown() { stop_servers; }

# shared_root VOLUME [SUFFIX]: a fresh mail root on VOLUME (users box0 and
# box1, password pw), as HOST_A and HOST_B see it, and as the brick holds
# it.
shared_root() {
	local name; name=root-$BATS_TEST_NUMBER${2:-}
	HOST_A=$GDIR/$1-a/$name HOST_B=$GDIR/$1-b/$name BRICK=$GDIR/bricks/mail$1/$name
	mkdir -p "$HOST_A/USERS/box0" "$HOST_A/USERS/box1"
	printf 'box0 pw\nbox1 pw\n' > "$HOST_A/userinfo.txt"
	export MAIL_DOMAIN=test.example MAIL_LOG=stderr MAIL_AUTH_DELAY=0 \
		MAIL_TIMEOUT=30 MAIL_LOCK_WAIT=30000
}

# on HOST PROGRAM: run a handler of host a or b on its view of the root.
on() {
	local root=$HOST_A; [ "$1" = a ] || root=$HOST_B
	MAIL_HOSTNAME=mail-$1 MAIL_ROOT=$root "$BIN/$2" 2>>"$BATS_TEST_TMPDIR/log-$1"
}

deliver_on() {   # deliver_on HOST SUBJECT
	crlf 'HELO client.example' 'MAIL FROM:<s@client.example>' \
		'RCPT TO:<box0@test.example>' DATA "Subject: $2" '' body . QUIT |
		on "$1" smtp-handler
}

# POP3 on a host: retrieve message 1, delete it, QUIT.
take_first_on() {
	crlf 'USER box0' 'PASS pw' STAT 'RETR 1' 'DELE 1' QUIT |
		on "$1" pop3-handler | tr -d '\r'
}

# Append canary: host A delivers, then host B, ROUNDS times; every
# message must be in the mailbox once (B appending at a size it had
# cached before A's append overwrites A's message).  Prints the count.
append_canary() {
	local i
	for i in $(seq "$1"); do
		deliver_on a "a-$i" > /dev/null
		deliver_on b "b-$i" > /dev/null
	done
	grep -c '^Subject: [ab]-[0-9]*$' "$BRICK/USERS/box0/my_mailbox.txt" || true
}

# Rewrite canary: host B delivers one message, then POP3 on host A (odd
# rounds) or B (even rounds) must find exactly that message, retrieve and
# delete it (the update renames a new mailbox over the old one; a host
# that still opens the old file loses or resurrects mail).  Prints the
# rounds that went right.
rewrite_canary() {
	local i good=0 out
	for i in $(seq "$1"); do
		deliver_on b "r-$i" > /dev/null
		out=$(take_first_on "$([ $((i % 2)) = 1 ] && echo a || echo b)")
		if grep -q '^+OK 1 ' <<< "$out" && grep -q "^Subject: r-$i\$" <<< "$out"; then
			good=$((good + 1))
		fi
	done
	echo "$good"
}

@test "GlusterFS: the size another host sees right after taking the lock (the store asks with AT_STATX_FORCE_SYNC)" {
	shared_root safe
	local f=$HOST_A/USERS/box0/canary stale=0 cached=0 i size=0
	: > "$f"
	for i in $(seq 50); do
		(set -C; : > "$HOST_A/USERS/box0/lock")   # O_EXCL, on A
		printf '%0100d' 0 >> "$f"; sync "$f"; size=$((size + 100))
		rm "$HOST_A/USERS/box0/lock"
		(set -C; : > "$HOST_B/USERS/box0/lock")   # then on B
		[ "$(stat --cached=never -c %s "$HOST_B/USERS/box0/canary")" = $size ] ||
			stale=$((stale + 1))
		[ "$(stat --cached=always -c %s "$HOST_B/USERS/box0/canary")" = $size ] ||
			cached=$((cached + 1))
		rm "$HOST_B/USERS/box0/lock"
	done
	echo "stale sizes: $stale of 50 fetched afresh, $cached of 50 from the cache"
	[ "$stale" -eq 0 ]
}

@test "GlusterFS: two hosts appending in turn lose nothing (100 rounds)" {
	shared_root safe
	run append_canary 100
	[ "$output" = 200 ]
	not grep -E 'cannot|not delivering' "$BATS_TEST_TMPDIR"/log-*
}

@test "GlusterFS: POP3 updates on either host, deliveries on B: every message retrieved once (40 rounds)" {
	shared_root safe
	run rewrite_canary 40
	[ "$output" = 40 ]
	[ "$(grep -c '^\.$' "$BRICK/USERS/box0/my_mailbox.txt")" -eq 0 ]
}

@test "GlusterFS: 1000 deliveries alternating hosts, POP3 deletes on A, logins on both: none lost, duplicated or resurrected" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	shared_root safe
	local smtp_a smtp_b pop3_a pop3_b
	smtp_a=$(MAIL_HOSTNAME=mail-a MAIL_ROOT=$HOST_A spawn_any_port "$BIN/smtp-handler")
	smtp_b=$(MAIL_HOSTNAME=mail-b MAIL_ROOT=$HOST_B spawn_any_port "$BIN/smtp-handler")
	pop3_a=$(MAIL_HOSTNAME=mail-a MAIL_ROOT=$HOST_A spawn_any_port "$BIN/pop3-handler")
	pop3_b=$(MAIL_HOSTNAME=mail-b MAIL_ROOT=$HOST_B spawn_any_port "$BIN/pop3-handler")
	run python3 "$BATS_TEST_DIRNAME/gluster-load.py" --smtp "$smtp_a,$smtp_b" \
		--pop3 "$pop3_a,$pop3_b" --users box0,box1 --deliveries 1000 \
		--clients 8 --delete --in-use 20 "$BRICK/USERS"
	echo "$output"
	local counts=${lines[-1]}
	[[ $counts == "acked=1000 lost=0 duplicated=0 resurrected=0 stray=0 unparsable=0 "* ]]
	[[ $counts == *" in_use_ok=20 in_use_bad=0 "* ]]
	# The deleter did delete, across the load.
	[[ $counts =~ deleted=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]
	# At the recipe's client log level no lock found taken on the brick
	# ("File exists") reaches the client's log.
	not grep -q 'File exists' "$GDIR"/logs/mount-safe-*.log
}

@test "GlusterFS with its defaults (stat-prefetch on): the canaries lose mail, so the volume setting is needed" {
	shared_root defaults
	run append_canary 30
	echo "append canary: $output of 60"
	[ "$output" -lt 60 ]
	shared_root defaults -rewrite
	run rewrite_canary 30
	echo "rewrite canary: $output of 30 rounds right"
	[ "$output" -lt 30 ]
}
