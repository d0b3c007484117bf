# Shared by the bats files: a throwaway mail root, piping transcripts into
# the handlers, starting launchers on free loopback ports.

: "${BIN:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# The pop3-handler whose update can be told to pause half-way
# (POP3_TEST_UPDATE_DELAY_MS), built for the tests alone (make test-hooks).
: "${TEST_HOOKS_BIN:=$REPO/build/test-hooks}"

# A mail root with users alice, bob, IbrahimEK, SimonDS (password: pw +
# name) and carol (crypt hash of "secret"), every mailbox empty; made anew
# on every call (valgrind-golden.sh runs every transcript in one directory).
make_mailroot() {
	ROOT="$BATS_TEST_TMPDIR/root"
	rm -rf "$ROOT"
	mkdir -p "$ROOT/USERS"
	cat > "$ROOT/userinfo.txt" <<'USERS'
# test users
alice      pwalice
bob        pwbob
IbrahimEK  pwIbrahimEK
SimonDS    pwSimonDS
carol      $6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1
USERS
	for u in alice bob IbrahimEK SimonDS carol; do mkdir -p "$ROOT/USERS/$u"; done
	export MAIL_ROOT="$ROOT" MAIL_DOMAIN=test.example MAIL_TIMEOUT=5 \
		MAIL_AUTH_DELAY=0 MAIL_LOG=stderr
}

mailbox() { echo "$ROOT/USERS/$1/my_mailbox.txt"; }

# Count messages (separator lines) in a user's mailbox.
count_messages() {
	local f; f=$(mailbox "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -c '^\.$' "$f" || true
}

# Turn "\n"-separated text into CRLF lines: crlf 'HELO x' 'QUIT'
crlf() { printf '%s\r\n' "$@"; }

# deliver RCPT[,RCPT...] [BODY-LINE...]: one SMTP session piped into
# smtp-handler that sends a message (Subject: test, then the body lines,
# default "body") to the given RCPT TO addresses; the replies on stdout,
# the log appended to $BATS_TEST_TMPDIR/log.
deliver() {
	local rcpts=() r
	IFS=, read -ra rcpts <<< "$1"; shift
	[ $# -gt 0 ] || set -- body
	{
		crlf 'HELO client.example' 'MAIL FROM:<sender@client.example>'
		for r in "${rcpts[@]}"; do crlf "RCPT TO:<$r>"; done
		crlf DATA 'Subject: test' '' "$@" . QUIT
	} | "$BIN/smtp-handler" 2>>"$BATS_TEST_TMPDIR/log"
}

# Replace what changes from run to run (dates, ids, pids) by fixed tokens.
mask() {
	sed -E \
		-e 's/[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}/<DATE>/g' \
		-e 's/id [0-9A-F]+\.[0-9A-F]+\.[0-9A-F]+\.[0-9A-F]+/id <ID>/g' \
		-e 's/<[0-9A-F]+\.[0-9A-F]+\.[0-9A-F]+\.[0-9A-F]+@/<<ID>@/g'
}

# golden_mailroot NAME: the fresh mail root a golden transcript NAME runs
# over (see golden).
golden_mailroot() {
	make_mailroot
	case $1 in
	pop3-*)
		cp "$REPO/USERS/alice/my_mailbox.txt" "$(mailbox alice)"
		cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
		;;
	esac
}

# golden NAME [PREFIX...]: run the transcript tests/golden/NAME.* through
# the handler its name begins with (smtp- or pop3-), with PREFIX in front
# of the handler if given (valgrind-golden.sh passes its memcheck).
#   NAME.in    what the client sends, byte for byte as on the wire (CRLF)
#   NAME.out   what the server answers, as on the wire, dates and ids masked
#   NAME.mbox  (optional) alice's mailbox afterwards, masked
# The mail root is fresh; for POP3, alice holds the demo mailbox and bob
# tests/golden/pop3-mailbox.txt.  MAIL_MAX_ERRORS=100 lets a transcript
# walk through every error path (the budget has its own tests).  Every
# reply line must end in CR LF.  The replies are left in
# $BATS_TEST_TMPDIR/out.  GOLDEN_UPDATE=1 rewrites .out and an existing
# .mbox instead of comparing (review the diff before committing them).
# GOLDEN_DIR: where the transcripts are, if not tests/golden.
golden() {
	local name=$1 dir=${GOLDEN_DIR:-$BATS_TEST_DIRNAME/golden}
	local tmp=$BATS_TEST_TMPDIR; shift
	golden_mailroot "$name"
	MAIL_MAX_ERRORS=100 "$@" "$BIN/${name%%-*}-handler" < "$dir/$name.in" \
		> "$tmp/raw" 2> "$tmp/log"
	if grep -qv $'\r$' "$tmp/raw"; then
		echo "$name: reply lines without CR LF:" >&2
		grep -nv $'\r$' "$tmp/raw" >&2
		return 1
	fi
	mask < "$tmp/raw" > "$tmp/out"
	local box; box=$(mailbox alice)
	[ -f "$box" ] || : > "$box"
	mask < "$box" > "$tmp/mbox"
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$tmp/out" "$dir/$name.out"
		[ ! -f "$dir/$name.mbox" ] || cp "$tmp/mbox" "$dir/$name.mbox"
		return 0
	fi
	# Explicit returns: valgrind-golden.sh runs this without set -e.
	diff -u "$dir/$name.out" "$tmp/out" || return 1
	[ ! -f "$dir/$name.mbox" ] || diff -u "$dir/$name.mbox" "$tmp/mbox"
}

# "not CMD ARGS..." fails when CMD succeeds.  Use it instead of "! CMD":
# bats runs tests under set -e, which ignores a failing "! CMD" line.
not() { if "$@"; then return 1; fi; }

# Pick a loopback port nothing listens on and no other test of this run
# was given: test files run in parallel, and two of them could otherwise
# pick the same port before either binds it.
free_port() {
	local port
	for _ in $(seq 50); do
		# Below the ephemeral range (32768 and up), where the local end of
		# any outgoing connection could take the port before we bind it.
		port=$((10000 + RANDOM % 22000))
		mkdir "${BATS_RUN_TMPDIR:?}/port-$port" 2>/dev/null || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	return 1
}

# Wait until something accepts on 127.0.0.1:$1.
wait_port() {
	for _ in $(seq 300); do   # up to 15 s: a loaded machine starts slowly
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

# Start a background server and remember its pid for teardown:
#   start_server PORT command args...
start_server() {
	local port=$1; shift
	"$@" 2>>"$BATS_TEST_TMPDIR/server.log" &
	echo $! >> "$BATS_TEST_TMPDIR/server.pids"
	wait_port "$port"
}

stop_servers() {
	[ -f "$BATS_TEST_TMPDIR/server.pids" ] || return 0
	while read -r pid; do kill "$pid" 2>/dev/null || true; done \
		< "$BATS_TEST_TMPDIR/server.pids"
	rm -f "$BATS_TEST_TMPDIR/server.pids"
}

# Peak resident set size in KiB of a command: peak_rss CMD ARGS... < input
peak_rss() {
	/usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" "$@" > /dev/null
	cat "$BATS_TEST_TMPDIR/rss"
}

# Run a program on a pseudo-terminal (util-linux script), to type into it
# like a user:  pty_start CMD ARGS...; pty_expect TEXT; pty_type LINE;
# pty_finish (closes the keyboard: end of input; returns the exit status).
# The terminal's output collects in $PTY_OUT (CR LF line endings).
pty_start() {
	PTY_IN="$BATS_TEST_TMPDIR/pty.in"
	PTY_OUT="$BATS_TEST_TMPDIR/pty.out"
	rm -f "$PTY_IN"
	mkfifo "$PTY_IN"
	: > "$PTY_OUT"
	local cmd
	cmd=$(printf '%q ' "$@")
	script -qfec "$cmd" /dev/null < "$PTY_IN" > "$PTY_OUT" 2>&1 3>&- &
	PTY_PID=$!
	exec {PTY_FD}> "$PTY_IN"
}

# Type one line (or several) into the terminal.
pty_type() { printf '%s\n' "$@" >&"$PTY_FD"; }

# Wait (up to 10 s) until TEXT has appeared N times (default 1) on the screen.
pty_expect() {
	local text=$1 times=${2:-1}
	for _ in $(seq 200); do
		[ "$(grep -oF -- "$text" "$PTY_OUT" | wc -l)" -ge "$times" ] && return 0
		sleep 0.05
	done
	echo "waited in vain for '$text' (x$times); the screen holds:"
	tr -d '\r' < "$PTY_OUT"
	return 1
}

pty_finish() {
	exec {PTY_FD}>&-
	local status=0
	wait "$PTY_PID" || status=$?
	return "$status"
}

# Start PROGRAM under tcpspawn on a port the kernel picks (so test runs in
# parallel never race for a port) and print that port; stop_servers stops
# it:  PORT=$(spawn_any_port "$BIN/smtp-handler")
spawn_any_port() {
	local portfile
	portfile=$(mktemp "$BATS_TEST_TMPDIR/port.XXXXXX")
	"$BIN/tcpspawn" -b 127.0.0.1 -p "$portfile" 0 "$@" \
		> /dev/null 2>>"$BATS_TEST_TMPDIR/server.log" 3>&- &
	echo $! >> "$BATS_TEST_TMPDIR/server.pids"
	for _ in $(seq 200); do
		if [ -s "$portfile" ]; then
			cat "$portfile"
			return 0
		fi
		sleep 0.05
	done
	echo "tcpspawn did not start $*" >&2
	return 1
}

# client_session LINE...: run mail-client against 127.0.0.1 $SMTP_PORT
# and $POP3_PORT with the lines as the user's typing, piped in (bats' run:
# $status, $output).
client_session() {
	printf '%s\n' "$@" > "$BATS_TEST_TMPDIR/typed"
	run timeout 20 "$BIN/mail-client" 127.0.0.1 "$SMTP_PORT" "$POP3_PORT" \
		< "$BATS_TEST_TMPDIR/typed"
}

# Interactive handler sessions: the handler reads a fifo the test keeps
# open, so a test can send commands one at a time, wait for replies, drop
# the connection or kill the process.  Call kill_sessions in teardown.

# session_open NAME [PROGRAM [ARG...]]: start $BIN/PROGRAM, or PROGRAM where it is a path (default
# pop3-handler) and wait for its greeting; its pid in session_pid NAME.
session_open() {
	local name=$1 program=${2:-pop3-handler} dir="$BATS_TEST_TMPDIR/session-$1"
	shift; [ $# -eq 0 ] || shift
	mkdir -p "$dir"
	mkfifo "$dir/in"
	# The handler must not inherit other sessions' fifo ends (nor bats'
	# fd 3), or closing ours would not reach it as end of input.
	(
		for f in $SESSION_FDS 3; do eval "exec $f>&-"; done
		[[ $program == */* ]] || program=$BIN/$program
		exec "$program" "$@" < "$dir/in" > "$dir/out" 2> "$dir/log"
	) &
	echo $! > "$dir/pid"
	local fd
	exec {fd}> "$dir/in"
	echo "$fd" > "$dir/fd"
	SESSION_FDS="$SESSION_FDS $fd"
	session_wait "$name" '^(220|\+OK) '
}

session_pid() { cat "$BATS_TEST_TMPDIR/session-$1/pid"; }
session_out() { tr -d '\r' < "$BATS_TEST_TMPDIR/session-$1/out"; }
session_log() { cat "$BATS_TEST_TMPDIR/session-$1/log"; }

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

# Kill every session this test started and left running (teardown).
kill_sessions() {
	for d in "$BATS_TEST_TMPDIR"/session-*; do
		[ -f "$d/pid" ] && kill -9 "$(cat "$d/pid")" 2>/dev/null || true
	done
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
