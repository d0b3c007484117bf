#!/usr/bin/env bats
# smtp-handler under hostile input: over-long lines, path tricks, floods of
# recipients, over-size messages, silent and stalled clients.
load helpers

setup() { make_mailroot; }

smtp() { "$BIN/smtp-handler" "$@" 2>>"$BATS_TEST_TMPDIR/log"; }

@test "hostile: a 100 KB command line gets 500 and the session goes on" {
	{ printf 'HELO c\r\nMAIL FROM:<'; head -c 102400 /dev/zero | tr '\0' a; printf '>\r\nNOOP\r\nQUIT\r\n'; } \
		| smtp > "$BATS_TEST_TMPDIR/out"
	grep -q '^500 Line too long' "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 2 "$BATS_TEST_TMPDIR/out" | cut -c1-3 | tr '\n' ' ')" = "250 221 " ]
}

@test "hostile: path tricks in recipients are refused and create nothing" {
	before=$(find "$BATS_TEST_TMPDIR" | sort)
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<../../etc/passwd@x>' 'RCPT TO:<alice/../bob@x>' \
		'RCPT TO:<../alice@x>' 'RCPT TO:<"alice"@x>' 'RCPT TO:<alice%bob@x>' QUIT \
		| smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^550 No such user' "$BATS_TEST_TMPDIR/out")" = 5 ]
	after=$(find "$BATS_TEST_TMPDIR" | grep -v -e '/out$' -e '/log$' | sort)
	[ "$before" = "$after" ]
}

@test "hostile: 1000 recipients get 452 past the limit of 100, one copy delivered" {
	{ crlf 'HELO c' 'MAIL FROM:<a@x>'; for i in $(seq 1000); do crlf 'RCPT TO:<alice@x>'; done
	  crlf DATA 'Subject: many' '' body . QUIT; } | smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^250 alice@x... Recipient ok' "$BATS_TEST_TMPDIR/out")" = 100 ]
	[ "$(grep -c '^452 Too many recipients' "$BATS_TEST_TMPDIR/out")" = 900 ]
	grep -q '^250 OK Message accepted' "$BATS_TEST_TMPDIR/out"
	[ "$(count_messages alice)" = 1 ]
}

@test "hostile: a message over the size limit gets 552 and the mailbox is untouched" {
	deliver alice@x small > /dev/null
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	{ crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA 'Subject: big' ''
	  for i in $(seq 100); do crlf "line $i of a message that is far too big for the limit"; done
	  crlf . NOOP QUIT; } | MAIL_MAX_SIZE=2000 smtp > "$BATS_TEST_TMPDIR/out"
	grep -q '^250-SIZE 2000' "$BATS_TEST_TMPDIR/out"
	grep -q '^552 5.3.4 ' "$BATS_TEST_TMPDIR/out"
	grep -q $'^250 2.0.0 OK\r$' "$BATS_TEST_TMPDIR/out"
	cmp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
}

@test "hostile: a client that sends nothing is cut off by the timeout" {
	# Process substitution: the test does not wait for the silent writer.
	run timeout 20 bash -c "MAIL_TIMEOUT=1 '$BIN/smtp-handler' 2>/dev/null < <(sleep 30)" 2>/dev/null 3>&-
	[ "$status" = 0 ]
	[[ "${lines[0]}" == "220 "* ]]
	[[ "${lines[1]}" == "421 test.example Timeout"* ]]
}

@test "hostile: a client that stops in the middle of DATA is cut off, nothing stored" {
	run timeout 20 bash -c "MAIL_TIMEOUT=1 '$BIN/smtp-handler' 2>/dev/null < <(
		printf 'HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\npartial\r\n'; sleep 30)" 2>/dev/null 3>&-
	# The 421 is the last word: the session ends by itself at once.
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 6 ]
	[[ "${lines[4]}" == "354 "* ]]
	[[ "${lines[5]}" == "421 test.example Timeout"* ]]
	[ "$(count_messages alice)" = 0 ]
}

@test "hostile: a connection dropped in the middle of DATA gets no reply after 354, nothing stored" {
	run bash -c "printf 'HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\npartial\r\n' |
		'$BIN/smtp-handler' 2>/dev/null"
	[ "$status" = 0 ]
	[[ "${lines[-1]}" == "354 "* ]]
	[ "$(count_messages alice)" = 0 ]
}

@test "hostile: a HELO name with control characters is refused, never stored" {
	run bash -c "printf 'HELO a\\rb\\r\\nEHLO x\\x01y\\r\\nQUIT\\r\\n' | '$BIN/smtp-handler' 2>/dev/null"
	[ "$(printf '%s\n' "$output" | grep -c '^501 ')" = 2 ]
}
