# Interactive pop3-handler sessions for the POP3 bats files: the handler
# reads a fifo we keep open, so a test can type commands one at a time,
# wait for replies, drop the connection or kill the process.

# session_open NAME: start a handler; its pid in SESSION_PID_<NAME>.
session_open() {
	local name=$1 dir="$BATS_TEST_TMPDIR/session-$1"
	mkdir -p "$dir"
	mkfifo "$dir/in"
	# The handler must not inherit other sessions' fifo ends (nor bats'
	# fd 3), or closing ours would not reach it as end of input.
	(
		for f in $SESSION_FDS 3; do eval "exec $f>&-"; done
		exec "$BIN/pop3-handler" < "$dir/in" > "$dir/out" 2> "$dir/log"
	) &
	echo $! > "$dir/pid"
	local fd
	exec {fd}> "$dir/in"
	echo "$fd" > "$dir/fd"
	SESSION_FDS="$SESSION_FDS $fd"
	session_wait "$name" '^\+OK POP3 server ready'
}

session_pid() { cat "$BATS_TEST_TMPDIR/session-$1/pid"; }
session_out() { tr -d '\r' < "$BATS_TEST_TMPDIR/session-$1/out"; }

# session_send NAME LINE...: send each line with CRLF.
session_send() {
	local name=$1 fd; shift
	fd=$(cat "$BATS_TEST_TMPDIR/session-$name/fd")
	printf '%s\r\n' "$@" >&"$fd"
}

# session_wait NAME REGEX: wait (at most 10 s) until a reply line matches.
session_wait() {
	for _ in $(seq 200); do
		session_out "$1" | grep -qE -- "$2" && return 0
		sleep 0.05
	done
	echo "no reply matching '$2'; got:" >&2
	session_out "$1" >&2
	return 1
}

# session_close NAME: drop the connection (no QUIT) and wait for the exit.
session_close() {
	local fd
	fd=$(cat "$BATS_TEST_TMPDIR/session-$1/fd")
	exec {fd}>&-
	session_exit "$1"
}

# session_exit NAME: wait for the handler to end; its status in $EXIT.
session_exit() {
	local pid; pid=$(session_pid "$1")
	EXIT=0
	wait "$pid" || EXIT=$?
}

# session_login NAME USER PASSWORD
session_login() {
	session_send "$1" "USER $2" "PASS $3"
	session_wait "$1" '^\+OK maildrop has'
}

# Wait (at most 10 s) until a file exists.
wait_file() {
	for _ in $(seq 200); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "$1 never appeared" >&2
	return 1
}

# A message in the store format, as smtp-handler would append it:
# store_message SUBJECT ID
store_message() {
	printf 'Return-Path: <alice@test.example>\n'
	printf 'Received: from client (127.0.0.1) by test.example with ESMTP id %s; Fri, 27 Nov 2026 09:00:00 +0000\n' "$2"
	printf 'From: alice@test.example\nTo: bob@test.example\nSubject: %s\n\nbody of %s\n..stuffed\n.\n' "$1" "$1"
}

# Kill every session this test started and left running (teardown).
kill_sessions() {
	for d in "$BATS_TEST_TMPDIR"/session-*; do
		[ -f "$d/pid" ] && kill -9 "$(cat "$d/pid")" 2>/dev/null || true
	done
}
