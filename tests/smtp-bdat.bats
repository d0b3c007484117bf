#!/usr/bin/env bats
# CHUNKING (RFC 3030): BDAT chunks into the same store as DATA.
load helpers

setup() { make_mailroot; }
teardown() { stop_servers; kill_sessions; }

# bdat TEXT [LAST]: the BDAT line for TEXT (printf-escaped) and TEXT itself.
bdat() {
	local text
	printf -v text '%b' "$1"
	printf 'BDAT %d%s\r\n%s' "${#text}" "${2:+ LAST}" "$text"
}

start() {
	crlf 'EHLO client.example' 'MAIL FROM:<bob@client.example>' \
		'RCPT TO:<alice@test.example>'
}

# The codes of the last line of each reply in $BATS_TEST_TMPDIR/out.
codes() { grep -v '^...-' "$BATS_TEST_TMPDIR/out" | cut -c1-3 | tr '\n' ' '; }

smtp() { "$BIN/smtp-handler" 2>>"$BATS_TEST_TMPDIR/log"; }

# Golden transcripts (helpers.bash: golden).
@test "golden: one chunk LAST" { golden smtp-bdat-one-chunk; }
@test "golden: lines and CR LF split across chunks, bare LF and CR, no final line ending" {
	golden smtp-bdat-chunks
}
@test "golden: BDAT 0 LAST alone is an empty message, after chunks it ends them" {
	golden smtp-bdat-zero-last
	[ "$(count_messages alice)" = 2 ]
}
@test "golden: lone . and .. lines are stored dot-stuffed" { golden smtp-bdat-dots; }
@test "golden: misplaced and malformed BDAT; chunks read and dropped, session in step" {
	golden smtp-bdat-errors
	[ "$(count_messages alice)" = 1 ]
	not grep -q dropped "$(mailbox alice)"
	# The octets of refused chunks never ran as commands.
	not grep -q '^221' "$BATS_TEST_TMPDIR/out"
	# A size that cannot be read ends the session after its 501.
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out" | cut -c1-4)" = '501 ' ]
}

@test "EHLO announces CHUNKING, not BINARYMIME" {
	run bash -c "printf 'EHLO x\r\nQUIT\r\n' | '$BIN/smtp-handler' 2>/dev/null | tr -d '\r'"
	grep -qx '250-CHUNKING' <<< "$output"
	not grep -q BINARYMIME <<< "$output"
}

@test "BDAT stores the same bytes as DATA for the same message" {
	local msg='From: bob@client.example\r\nSubject: same\r\n\r\n.dot\r\n..two\r\nbare\rCR\r\nend\r\n'
	{ start; crlf DATA; printf '%b' "$msg" | sed 's/^\./../'; crlf . QUIT; } | smtp > /dev/null
	{ start; bdat "$msg" LAST; crlf QUIT; } | smtp > /dev/null
	[ "$(count_messages alice)" = 2 ]
	# The two stored messages differ only in their Received: id and date.
	mask < "$(mailbox alice)" > "$BATS_TEST_TMPDIR/box"
	local half; half=$(($(wc -l < "$BATS_TEST_TMPDIR/box") / 2))
	diff <(head -n "$half" "$BATS_TEST_TMPDIR/box") <(tail -n "$half" "$BATS_TEST_TMPDIR/box")
}

@test "a message sent in chunks comes back byte-exact over POP3 RETR" {
	local msg='From: bob@client.example\r\nTo: alice@test.example\r\nSubject: round trip\r\n\r\n.\r\n..\r\n.x\r\nplain\r\n'
	{ start; bdat "${msg:0:40}"; bdat "${msg:40:17}"; bdat "${msg:57}"
	  bdat '' LAST; crlf QUIT; } | smtp > "$BATS_TEST_TMPDIR/out"
	grep -q '^250 2.0.0 OK Message accepted' "$BATS_TEST_TMPDIR/out"
	crlf 'USER alice' 'PASS pwalice' 'RETR 1' QUIT |
		"$BIN/pop3-handler" 2>/dev/null > "$BATS_TEST_TMPDIR/pop"
	# The message as RETR gives it: after the +OK line, up to the "." line,
	# without the trace lines the server prepends, unstuffed.
	sed -n '/^+OK [0-9]* octets/,/^\.\r$/p' "$BATS_TEST_TMPDIR/pop" | sed '1d;$d' |
		sed '/^Return-Path:/d;/^Delivered-To:/d;/^Received:/d' |
		sed 's/^\.//' > "$BATS_TEST_TMPDIR/got"
	printf '%b' "$msg" > "$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "over the size limit: the chunk is read, 552, later chunks dropped, session in step" {
	{ start; bdat 'Subject: big\r\n\r\n'; bdat "$(printf 'x%.0s' {1..300})\r\n"
	  bdat 'more\r\n' LAST; crlf 'MAIL FROM:<bob@client.example>' \
		'RCPT TO:<alice@test.example>'; bdat 'Subject: small\r\n\r\nok\r\n' LAST
	  crlf QUIT; } | MAIL_MAX_SIZE=200 smtp | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	[ "$(codes)" = "220 250 250 250 250 552 503 250 250 250 221 " ]
	grep -q '^552 5.3.4' "$BATS_TEST_TMPDIR/out"
	[ "$(count_messages alice)" = 1 ]
	grep -q '^Subject: small$' "$(mailbox alice)"
}

@test "a size far over the limit: the octets sent are read and dropped until the input ends" {
	{ start; crlf 'BDAT 99999999999999999999999999 LAST' 'QUIT'; } | smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out" | cut -c1-3)" = 250 ]   # RCPT's
	[ "$(count_messages alice)" = 0 ]
}

@test "RSET mid-chunks stores nothing; DATA after BDAT is 503" {
	{ start; bdat 'Subject: a\r\n'; crlf DATA; bdat 'body\r\n'; crlf RSET QUIT; } |
		smtp | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	grep -q '^503 5.5.1 BDAT transaction in progress' "$BATS_TEST_TMPDIR/out"
	[ "$(codes)" = "220 250 250 250 250 503 250 250 221 " ]
	[ "$(count_messages alice)" = 0 ]
}

@test "the connection lost mid-chunk: nothing stored, no reply to the chunk" {
	{ start; printf 'BDAT 100 LAST\r\nSubject: cut\r\n\r\nshort'; } | smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out" | cut -c1-3)" = 250 ]
	[ "$(grep -vc "^250-" "$BATS_TEST_TMPDIR/out")" = 4 ]    # greeting, EHLO, MAIL, RCPT
	[ "$(count_messages alice)" = 0 ]
	grep -q 'connection lost during BDAT' "$BATS_TEST_TMPDIR/log"
}

@test "a timeout mid-chunk: 421, nothing stored" {
	MAIL_TIMEOUT=1 session_open s smtp-handler
	session_send s 'EHLO client.example' 'MAIL FROM:<bob@client.example>' \
		'RCPT TO:<alice@test.example>' 'BDAT 50 LAST' 'Subject: slow'
	session_wait s '^421 4.4.2'
	session_exit s
	[ "$(count_messages alice)" = 0 ]
}

@test "pipelined over TCP: EHLO to QUIT with chunks in one write, every reply in order" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	{ start; bdat 'Subject: pipelined\r\n\r\n'; bdat 'one write\r\n' LAST
	  crlf QUIT; } > "$BATS_TEST_TMPDIR/in"
	python3 - "$PORT" "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.recv(1000)                      # the greeting, before the client speaks
s.sendall(open(sys.argv[2], "rb").read())
data = b""
while True:
    got = s.recv(65536)
    if not got:
        break
    data += got
sys.stdout.write(data.decode().replace("\r", ""))
PY
	[ "$(codes)" = "250 250 250 250 250 221 " ]
	grep -q '^250 2.0.0 22 octets received$' "$BATS_TEST_TMPDIR/out"
	wait_file "$(mailbox alice)"
	[ "$(count_messages alice)" = 1 ]
	grep -q '^one write$' "$(mailbox alice)"
}

@test "memory stays bounded whatever the chunk size" {
	[ "${SANITIZED:-}" != 1 ] || skip "RSS is meaningless under ASan"
	local size=$((32 * 1024 * 1024))
	{ start; printf 'BDAT %d LAST\r\n' "$size"
	  head -c "$size" /dev/zero | tr '\0' a | fold -w 998 | sed 's/$/\r/' |
		head -c "$size"
	  crlf QUIT; } > "$BATS_TEST_TMPDIR/in"
	local rss
	rss=$(MAIL_MAX_SIZE=67108864 peak_rss "$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null)
	[ "$(count_messages alice)" = 1 ]
	echo "# peak RSS: $rss KiB" >&3
	[ "$rss" -lt 4096 ]
}
