#!/usr/bin/env bats
# Limits and abuse: slow-drip clients, floods of bad commands (and what
# does not count as one), failed logins, a 10,000-command flood in one
# write, and the memory all of that takes.

load helpers

setup() {
	make_mailroot
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
	LOG="$BATS_TEST_TMPDIR/log"
}

teardown() { stop_servers; }

# 10,000 NOOP lines (one command: bats makes shell loops slow).
noops() { yes $'NOOP\r' | head -n 10000; }

# Send $1 at once, then $2 one byte every 0.2 s: far more often than the
# 1 s timeout, so only a deadline per line (not an idle timer) ends it.
drip() {
	printf '%b' "$1"
	local text=$2 i
	for ((i = 0; i < ${#text}; i++)); do
		printf '%s' "${text:i:1}" || return 0
		sleep 0.2
	done
}

# Run handler $1 with MAIL_TIMEOUT=1 on a drip-fed input; replies in $OUT.
drip_into() {
	local program=$1; shift
	OUT="$BATS_TEST_TMPDIR/out"
	drip "$@" | MAIL_TIMEOUT=1 timeout 20 "$BIN/$program" 2>"$LOG" | tr -d '\r' > "$OUT"
}

@test "slow drip: an SMTP command sent a byte at a time is cut off by the line deadline" {
	drip_into smtp-handler 'HELO c\r\n' 'NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP\r\n'
	[ "$(tail -n 1 "$OUT")" = '421 test.example Timeout, closing connection' ]
	not grep -q '^250 OK' "$OUT"
	grep -q 'timeout, closing session' "$LOG"
}

@test "slow drip: a DATA line sent a byte at a time is cut off, nothing stored" {
	drip_into smtp-handler 'HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n' \
		'Subject: slow slow slow slow slow slow slow\r\n\r\nbody\r\n.\r\n'
	# The 421 is the only reply after 354, and the last.
	[ "$(sed -n '/^354 /,$p' "$OUT" | sed 1d)" = '421 test.example Timeout, closing connection' ]
	[ "$(count_messages alice)" = 0 ]
}

@test "slow drip: a POP3 command sent a byte at a time is cut off by the line deadline" {
	drip_into pop3-handler 'USER bob\r\n' 'PASS pwbob pwbob pwbob pwbob pwbob\r\n'
	[ "$(tail -n 1 "$OUT")" = '-ERR autologout: idle for too long' ]
	not grep -q '^+OK maildrop' "$OUT"
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
}

@test "a POP3 client that stops reading is cut off after the timeout, its lock freed" {
	command -v python3 >/dev/null || skip "python3 not installed"
	# 20 MB of mail: far more than the socket buffers hold.
	python3 -c '
import sys
line = b"x" * 70 + b"\n"
sys.stdout.buffer.write(b"Subject: big\n\n" + line * 300000 + b".\n")' \
		> "$(mailbox bob)"
	PORT=$(MAIL_TIMEOUT=1 spawn_any_port "$BIN/pop3-handler")
	python3 - "$PORT" "$ROOT/USERS/bob/pop3.lock" <<'PY'
import os, socket, sys, time
port, lock = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"USER bob\r\nPASS pwbob\r\nRETR 1\r\n")
time.sleep(0.5)
assert os.path.exists(lock), "the session never got the maildrop"
# Never read: the handler's writes stop getting anywhere.
for _ in range(100):
    if not os.path.exists(lock):
        break
    time.sleep(0.1)
else:
    sys.exit("the lock is still held 10 s after the client stopped reading")
PY
	grep -q 'bob: session end (connection dropped): RETR 0 (0 octets)' \
		"$BATS_TEST_TMPDIR/server.log"
}

@test "SMTP: 550 and 452 refusals of well-formed commands do not count as errors; 501s and unknown commands do" {
	{ crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>'
	  for i in $(seq 10); do crlf 'RCPT TO:<nobody@x>' 'RCPT TO:<bob@x>'; done
	  crlf RSET 'MAIL FROM:<a@x>' 'RCPT TO:<nobody@x>' 'RCPT TO:<nobody2@x>' NOOP
	  crlf RSET 'MAIL FROM:' BOGUS 'MAIL FROM:' NOOP; } |
		MAIL_MAX_RCPT=1 MAIL_MAX_ERRORS=3 "$BIN/smtp-handler" 2>/dev/null | tr -d '\r' \
		> "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^452 Too many recipients' "$BATS_TEST_TMPDIR/out")" = 20 ]
	[ "$(grep -c '^550 No such user' "$BATS_TEST_TMPDIR/out")" = 2 ]
	# 22 refusals, and the session still answers NOOP and RSET ...
	[ "$(grep -c '^250 OK$' "$BATS_TEST_TMPDIR/out")" = 3 ]
	# ... until three malformed or unknown commands end it, unanswered after.
	[ "$(grep -c '^501 ' "$BATS_TEST_TMPDIR/out")" = 2 ]
	[ "$(grep -c '^500 ' "$BATS_TEST_TMPDIR/out")" = 1 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '421 test.example Too many errors, closing connection' ]
}

@test "POP3: refusals of well-formed requests do not count as errors; unknown commands do" {
	{ crlf 'USER bob' 'PASS pwbob'
	  for i in $(seq 10); do crlf 'RETR 99' 'DELE 1' 'LIST 7'; done
	  crlf NOOP BOGUS 'STAT x' 'USER bob' NOOP; } |
		MAIL_MAX_ERRORS=3 "$BIN/pop3-handler" 2>/dev/null | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^-ERR no such message' "$BATS_TEST_TMPDIR/out")" = 20 ]
	[ "$(grep -c '^-ERR message already deleted' "$BATS_TEST_TMPDIR/out")" = 9 ]
	grep -qx '+OK' "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 4 "$BATS_TEST_TMPDIR/out" | tr '\n' '|')" = \
	  '-ERR unknown command|-ERR syntax error in arguments|-ERR command not valid in this state|-ERR too many errors, closing|' ]
	[ "$(count_messages bob)" = 3 ]        # no QUIT: nothing deleted
}

@test "POP3: failed PASS is delayed, and the third failure ends the session" {
	{ crlf 'USER bob' 'PASS wrong1' 'USER bob' 'PASS wrong2' 'USER alice' 'PASS pwbob' \
		'USER bob' 'PASS pwbob' NOOP; } > "$BATS_TEST_TMPDIR/in"
	start=${EPOCHREALTIME/./}
	MAIL_AUTH_DELAY=300 "$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in" 2>"$LOG" |
		tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	took=$(( ${EPOCHREALTIME/./} - start ))
	[ "$(grep -c '^-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out")" = 2 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '-ERR [AUTH] too many failed logins, closing' ]
	not grep -q '^+OK maildrop' "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c 'failed login for' "$LOG")" = 3 ]
	# Three pauses of at least 300 ms each (a lower bound, never flaky).
	[ "$took" -ge 900000 ]
}

@test "SMTP: 10,000 NOOPs in one write are all answered, in order" {
	{ crlf 'HELO c'; noops; crlf QUIT; } \
		> "$BATS_TEST_TMPDIR/in"
	"$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -cx '250 OK' "$BATS_TEST_TMPDIR/out")" = 10000 ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" = 10003 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '221 test.example closing connection' ]
}

@test "SMTP over TCP: 10,000 pipelined NOOPs in one send are all answered" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	{ crlf 'EHLO c'; noops; crlf QUIT; } \
		> "$BATS_TEST_TMPDIR/in"
	socat -t 10 - "TCP:127.0.0.1:$PORT" < "$BATS_TEST_TMPDIR/in" | tr -d '\r' \
		> "$BATS_TEST_TMPDIR/out"
	[ "$(grep -cx '250 2.0.0 OK' "$BATS_TEST_TMPDIR/out")" = 10000 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '221 2.0.0 test.example closing connection' ]
	stop_servers
}

@test "POP3: 10,000 NOOPs in one write are all answered, in order" {
	{ crlf 'USER bob' 'PASS pwbob'; noops; crlf QUIT; } \
		> "$BATS_TEST_TMPDIR/in"
	"$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -cx '+OK' "$BATS_TEST_TMPDIR/out")" = 10000 ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" = 10004 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '+OK Thanks for using POP3 server' ]
}

@test "memory: floods and 10 MB lines keep peak RSS under 4 MiB" {
	[ "${SANITIZED:-}" != 1 ] || skip "RSS is meaningless under ASan"
	limit=4096
	long="$BATS_TEST_TMPDIR/long"
	head -c 10000000 /dev/zero | tr '\0' a > "$long"
	{ crlf 'HELO c'; noops; } \
		> "$BATS_TEST_TMPDIR/smtp-flood"
	{ crlf 'HELO c' 'MAIL FROM:<a@x>'; cat "$long"; crlf '' NOOP 'RCPT TO:<alice@x>' DATA
	  cat "$long"; crlf '' . QUIT; } > "$BATS_TEST_TMPDIR/smtp-long"
	{ crlf 'USER bob' 'PASS pwbob'; noops
	  crlf QUIT; } > "$BATS_TEST_TMPDIR/pop3-flood"
	{ crlf 'USER bob'; cat "$long"; crlf '' 'PASS pwbob' STAT QUIT; } > "$BATS_TEST_TMPDIR/pop3-long"
	for run in smtp-flood:smtp-handler smtp-long:smtp-handler \
		   pop3-flood:pop3-handler pop3-long:pop3-handler; do
		rss=$(peak_rss "$BIN/${run#*:}" < "$BATS_TEST_TMPDIR/${run%%:*}" 2>/dev/null)
		echo "# peak RSS, ${run%%:*}: $rss KiB" >&3
		[ "$rss" -lt "$limit" ]
	done
	# The 10 MB line inside DATA was stored whole.
	[ "$(count_messages alice)" = 1 ]
	[ "$(awk 'length($0) == 10000000' "$(mailbox alice)" | wc -l)" = 1 ]
}
