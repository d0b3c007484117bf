#!/usr/bin/env bats
# Memory does not grow with message or maildrop size: peak RSS of whole
# sessions over a 50 MB message and over 10,000- and 100,000-message
# maildrops stays under 4 MiB, and the index of 100,000 messages costs a
# session less than 256 KiB over one with no mail.  Skipped under the
# sanitizers, where RSS means nothing.

load helpers

LIMIT_KIB=4096

setup() {
	[ "${SANITIZED:-}" != 1 ] || skip "RSS is meaningless under ASan"
	make_mailroot
}

# N messages of about SIZE body octets each, in the store format.
fill_mailbox() {
	awk -v n="$1" -v size="$2" 'BEGIN {
		line = "a line of body text, long enough to look like mail .."
		for (i = 1; i <= n; i++) {
			printf "Return-Path: <alice@test.example>\n"
			printf "Received: from c (127.0.0.1) by test.example with ESMTP id M.%d; Fri, 27 Nov 2026 09:00:00 +0000\n", i
			printf "From: alice@test.example\nTo: bob@test.example\nSubject: message %d\n\n", i
			for (b = 0; b < size; b += 56)
				print (b % 560 == 0 ? ".." line : line)
			print "."
		}
	}' > "$(mailbox bob)"
}

@test "RETR of a 50 MB message: peak RSS under 4 MiB, every octet sent" {
	{
		printf 'Subject: big\n\n'
		yes 'a line of body text, long enough to look like real mail' |
			head -n 900000
		printf '..dot line\n.\n'
	} > "$(mailbox bob)"
	[ "$(stat -c %s "$(mailbox bob)")" -gt 50000000 ]
	crlf 'USER bob' 'PASS pwbob' 'RETR 1' 'QUIT' > "$BATS_TEST_TMPDIR/in"
	rss=$(peak_rss "$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in")
	echo "peak RSS, RETR of 50 MB: $rss KiB" >&3
	[ "$rss" -lt "$LIMIT_KIB" ]
	# The whole message came out: its size line, its lines, the end.
	"$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null |
		tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^a line of body text' "$BATS_TEST_TMPDIR/out")" -eq 900000 ]
	grep -qx '\.\.dot line' "$BATS_TEST_TMPDIR/out"
	tail -n 2 "$BATS_TEST_TMPDIR/out" | head -n 1 | grep -qx '\.'
}

@test "a session over 10,000 messages: peak RSS under 4 MiB" {
	fill_mailbox 10000 1000
	crlf 'USER bob' 'PASS pwbob' 'STAT' 'LIST' 'UIDL' 'RETR 5000' \
		'TOP 9999 3' 'DELE 1' 'QUIT' > "$BATS_TEST_TMPDIR/in"
	rss=$(peak_rss "$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in")
	echo "peak RSS, 10,000 messages with UPDATE: $rss KiB" >&3
	[ "$rss" -lt "$LIMIT_KIB" ]
	[ "$(count_messages bob)" -eq 9999 ]
}

@test "a session over 100,000 messages: peak RSS under 4 MiB" {
	fill_mailbox 100000 100
	crlf 'USER bob' 'PASS pwbob' 'STAT' 'LIST' 'UIDL' 'RETR 99999' \
		'QUIT' > "$BATS_TEST_TMPDIR/in"
	rss=$(peak_rss "$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in")
	echo "peak RSS, 100,000 messages: $rss KiB" >&3
	[ "$rss" -lt "$LIMIT_KIB" ]
	"$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null | tr -d '\r' |
		grep -qx '+OK 100000 [0-9]*'
}

# The session's own high-water mark (/proc/PID/status VmHWM, taken while it
# waits for QUIT after the given commands): hwm_before_quit USER CMD...
hwm_before_quit() {
	local user=$1 fifo="$BATS_TEST_TMPDIR/in.fifo" out="$BATS_TEST_TMPDIR/out"
	shift
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BIN/pop3-handler" < "$fifo" > "$out" 2>/dev/null &
	local pid=$!
	exec {w}> "$fifo"
	crlf "USER $user" "PASS pw$user" "$@" NOOP >&$w
	# NOOP's +OK is the last reply: everything before it has been done.
	for _ in $(seq 300); do
		[ "$(grep -c '^+OK' "$out")" -ge $(($# + 4)) ] && break
		sleep 0.1
	done
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"
	crlf QUIT >&$w
	exec {w}>&-
	wait "$pid"
}

@test "the index of 100,000 messages costs the session under 256 KiB more than an empty maildrop" {
	fill_mailbox 100000 100
	big=$(hwm_before_quit bob STAT LIST UIDL 'RETR 99999')
	mkdir -p "$ROOT/USERS/alice"
	empty=$(hwm_before_quit alice STAT LIST UIDL)
	echo "VmHWM: 100,000 messages $big KiB, no mail $empty KiB" >&3
	[ -n "$big" ] && [ -n "$empty" ]
	[ $((big - empty)) -lt 256 ]
}
