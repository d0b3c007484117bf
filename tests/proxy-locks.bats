#!/usr/bin/env bats
# Locks across hosts sharing one mail root: a lock file holds
# "<pid> <hostname>" (MAIL_HOSTNAME); a pid means something only on its own
# host, so another host's lock is broken only once older than
# MAIL_LOCK_STALE.

load helpers

setup() {
	make_mailroot
	export MAIL_LOCK_WAIT=300 MAIL_LOCK_STALE=60
	DEAD_PID=$(sh -c 'echo $$')      # a process that has exited
}

teardown() { kill_sessions; }

pop3_login() {
	crlf 'USER alice' 'PASS pwalice' QUIT |
		"$BIN/pop3-handler" 2>>"$BATS_TEST_TMPDIR/log"
}

write_lock() {   # write_lock FILE "PID HOST" [AGE_SECONDS]
	printf '%s\n' "$2" > "$1"
	touch -d "@$(( $(date +%s) - ${3:-0} ))" "$1"
}

@test "a handler's lock file names MAIL_HOSTNAME" {
	local lock="$ROOT/USERS/alice/pop3.lock"
	MAIL_HOSTNAME=mail-a.internal session_open a pop3-handler
	session_send a 'USER alice' 'PASS pwalice'
	session_wait a '^\+OK maildrop has'
	[ "$(cat "$lock")" = "$(session_pid a) mail-a.internal" ]
	session_send a QUIT
	session_exit a
	[ "$EXIT" -eq 0 ]
	[ ! -e "$lock" ]
}

@test "another host's fresh write lock is respected though its pid is dead here" {
	local lock; lock="$(mailbox alice).lock"
	write_lock "$lock" "$DEAD_PID mail-b.internal"
	MAIL_HOSTNAME=mail-a.internal run deliver alice
	echo "$output" | grep -q '^451 '
	[ "$(count_messages alice)" -eq 0 ]
	[ "$(cat "$lock")" = "$DEAD_PID mail-b.internal" ]
}

@test "another host's write lock older than MAIL_LOCK_STALE is broken" {
	local lock; lock="$(mailbox alice).lock"
	write_lock "$lock" "$DEAD_PID mail-b.internal" 120
	MAIL_HOSTNAME=mail-a.internal run deliver alice
	echo "$output" | grep -q '^250 OK Message accepted for delivery'
	[ "$(count_messages alice)" -eq 1 ]
	[ ! -e "$lock" ]
	grep -q "removing stale lock USERS/alice/my_mailbox.txt.lock" "$BATS_TEST_TMPDIR/log"
}

@test "a dead pid's lock is broken at once only by a handler of the same MAIL_HOSTNAME" {
	local lock; lock="$(mailbox alice).lock"
	write_lock "$lock" "$DEAD_PID mail-a.internal"
	MAIL_HOSTNAME=mail-b.internal run deliver alice
	echo "$output" | grep -q '^451 '
	[ "$(count_messages alice)" -eq 0 ]
	MAIL_HOSTNAME=mail-a.internal run deliver alice
	echo "$output" | grep -q '^250 OK Message accepted for delivery'
	[ "$(count_messages alice)" -eq 1 ]
}

@test "another host's maildrop lock gives [IN-USE] until its age limit, then is broken" {
	local lock="$ROOT/USERS/alice/pop3.lock"
	write_lock "$lock" "$DEAD_PID mail-b.internal" 30
	run pop3_login
	[ "${lines[2]}" = $'-ERR [IN-USE] maildrop already locked\r' ]
	[ -e "$lock" ]
	touch -d "@$(( $(date +%s) - 61 ))" "$lock"
	run pop3_login
	[ "${lines[2]:0:3}" = '+OK' ]
	[ ! -e "$lock" ]
}
