#!/usr/bin/env bats
# The PROXY protocol header (v1 text, v2 binary) read by both handlers
# before the greeting when MAIL_PROXY_FROM names the trusted proxies; the
# proxy's address comes from the launcher (TCPREMOTEIP) as under tcpspawn.

load helpers

setup() { make_mailroot; }
teardown() { stop_servers; }

LOG() { echo "$BATS_TEST_TMPDIR/log"; }

# proxied PROGRAM [PEER]: run a handler as if the proxy at PEER (default
# 127.0.0.1) had connected, trusting 127.0.0.1 and 10.0.0.0/8; stdin is
# the connection, replies in $output, log in $(LOG).
proxied() {
	status=0
	output=$(TCPREMOTEIP="${2:-127.0.0.1}" \
		MAIL_PROXY_FROM="127.0.0.1, 10.0.0.0/8" "$BIN/$1" 2>"$(LOG)") ||
		status=$?
	mapfile -t lines <<< "$output"
}

V2_SIG='\r\n\r\n\x00\r\nQUIT\n'
# v2, PROXY over TCP/IPv4: 192.0.2.9 port 4660 -> 127.0.0.1 port 25.
V2_TCP4="$V2_SIG"'\x21\x11\x00\x0c\xc0\x00\x02\x09\x7f\x00\x00\x01\x12\x34\x00\x19'

# A refusal: no byte sent to the client, a nonzero status, a log line.
refused() {
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	grep -q "refused .*$1" "$(LOG)"
}

@test "v1 TCP4: the client's address is logged and put in Received:, and the commands sent with the header are all answered" {
	{
		printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n'
		crlf 'EHLO client.example' 'MAIL FROM:<a@client.example>' \
			'RCPT TO:<alice@test.example>' DATA 'Subject: hi' '' 'body' . QUIT
	} > "$BATS_TEST_TMPDIR/in"
	proxied smtp-handler < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'220 test.example Service ready\r' ]
	echo "$output" | grep -q '^250 2.0.0 OK Message accepted for delivery'
	echo "$output" | grep -q '^221 '
	grep -q '^Received: from client.example (192.0.2.7) by test.example' \
		"$(mailbox alice)"
	grep -q 'proxy 127.0.0.1 relays client 192.0.2.7' "$(LOG)"
	grep -q 'session from 192.0.2.7' "$(LOG)"
}

@test "v1 TCP6 into pop3-handler: the IPv6 client is the session's peer" {
	proxied pop3-handler < <({ printf 'PROXY TCP6 2001:db8::7 ::1 40000 110\r\n'; crlf QUIT; })
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'+OK POP3 server ready\r' ]
	grep -q 'session from 2001:db8::7$' "$(LOG)"
}

@test "v1 UNKNOWN: accepted, the proxy stays the peer" {
	proxied pop3-handler < <({ printf 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'; crlf QUIT; })
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = $'+OK Thanks for using POP3 server\r' ]
	grep -q 'session from 127.0.0.1$' "$(LOG)"
}

@test "v2 TCP4 with TLVs longer than the line reader's buffer: skipped, the POP3 commands after them answered" {
	# Length 0x2328 = 9000: 12 octets of addresses, a 3-octet TLV header
	# (PP2_TYPE_NOOP, 8985 octets of value).
	{
		printf "$V2_SIG"'\x21\x11\x23\x28\xc0\x00\x02\x09\x7f\x00\x00\x01\x12\x34\x00\x6e'
		printf '\x04\x23\x19'
		head -c 8985 /dev/zero
		crlf 'USER alice' 'PASS pwalice' STAT QUIT
	} > "$BATS_TEST_TMPDIR/in"
	proxied pop3-handler < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'+OK POP3 server ready\r' ]
	[ "${lines[3]}" = $'+OK 0 0\r' ]
	[ "${lines[4]}" = $'+OK Thanks for using POP3 server\r' ]
	grep -q 'proxy 127.0.0.1 relays client 192.0.2.9' "$(LOG)"
}

@test "v2 TCP6, and an IPv4-mapped client shown as IPv4" {
	proxied smtp-handler < <(
		printf "$V2_SIG"'\x21\x21\x00\x24'
		printf '\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09'
		printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'
		printf '\x12\x34\x00\x19'
		crlf 'HELO x' QUIT
	)
	[ "$status" -eq 0 ]
	grep -q 'session from 2001:db8::9$' "$(LOG)"

	proxied pop3-handler < <(
		printf "$V2_SIG"'\x21\x21\x00\x24'
		printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xc6\x33\x64\x05'
		printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'
		printf '\x12\x34\x00\x19'
		crlf QUIT
	)
	[ "$status" -eq 0 ]
	grep -q 'session from 198.51.100.5$' "$(LOG)"
}

@test "v2 LOCAL (HAProxy's health checks): accepted, the proxy stays the peer" {
	proxied smtp-handler < <({ printf "$V2_SIG"'\x20\x00\x00\x00'; crlf 'EHLO check' QUIT; })
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^250 HELP'
	grep -q 'proxy 127.0.0.1 names no client' "$(LOG)"
	grep -q 'session from 127.0.0.1$' "$(LOG)"
}

@test "a PROXY header from an untrusted address is refused: no greeting, a log line, no mail" {
	{
		printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n'
		crlf 'HELO x' 'MAIL FROM:<a@b>' 'RCPT TO:<alice>' DATA hi . QUIT
	} > "$BATS_TEST_TMPDIR/in"
	proxied smtp-handler 192.0.2.50 < "$BATS_TEST_TMPDIR/in"
	refused 'not a trusted proxy'
	grep -q 'refused 192.0.2.50' "$(LOG)"
	[ "$(count_messages alice)" -eq 0 ]

	proxied pop3-handler 11.0.0.1 < <(printf "$V2_TCP4")
	refused 'not a trusted proxy'
}

@test "a trusted proxy is matched by address/prefix, IPv4-mapped peers included" {
	proxied pop3-handler 10.1.2.3 < <({ printf "$V2_TCP4"; crlf QUIT; })
	[ "$status" -eq 0 ]
	proxied pop3-handler ::ffff:10.9.9.9 < <({ printf "$V2_TCP4"; crlf QUIT; })
	[ "$status" -eq 0 ]
	grep -q 'proxy ::ffff:10.9.9.9 relays client 192.0.2.9' "$(LOG)"
}

@test "malformed v1 headers are refused" {
	local bad=(
		'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\n'
		'PROXY TCP5 192.0.2.7 127.0.0.1 40000 25\r\n'
		'PROXY TCP4 2001:db8::1 127.0.0.1 40000 25\r\n'
		'PROXY TCP4 192.0.2.07 127.0.0.1 40000 25\r\n'
		'PROXY TCP4 192.0.2.7 127.0.0.1 040000 25\r\n'
		'PROXY TCP4 192.0.2.7 127.0.0.1 65536 25\r\n'
		'PROXY TCP4 192.0.2.7  127.0.0.1 40000 25\r\n'
		'PROXY TCP4 192.0.2.7 127.0.0.1 40000\r\n'
		'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25 x\r\n'
		'PROXY TCP4 192.0.2.7 127.0.0.1 40000 2\x005\r\n'
		"PROXY UNKNOWN $(printf '%0100d' 0)\r\n"
		'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25'
	)
	for header in "${bad[@]}"; do
		proxied smtp-handler < <({ printf "$header"; crlf QUIT; })
		echo "header: $header"
		refused 'malformed PROXY v1 header'
	done
}

@test "truncated and malformed v2 headers are refused" {
	proxied pop3-handler < <(printf "$V2_SIG"'\x21\x11\x00')
	refused 'truncated PROXY v2 header'
	proxied pop3-handler < <(printf "$V2_SIG"'\x21\x11\x00\x0c\xc0\x00\x02\x09\x7f')
	refused 'truncated PROXY v2 header'
	proxied pop3-handler < <(printf "$V2_SIG"'\x21\x11\x00\x20\xc0\x00\x02\x09\x7f\x00\x00\x01\x12\x34\x00\x19QUIT\r\n')
	refused 'truncated PROXY v2 header'
	local bad=(
		'\x11\x11\x00\x0c'      # version 1
		'\x22\x11\x00\x0c'      # command 2
		'\x21\x41\x00\x0c'      # family 4
		'\x21\x13\x00\x0c'      # transport 3
		'\x21\x11\x00\x08'      # too short for two IPv4 addresses
	)
	for fixed in "${bad[@]}"; do
		proxied smtp-handler < <({ printf "$V2_SIG$fixed"; printf '\xc0\x00\x02\x09\x7f\x00\x00\x01\x12\x34\x00\x19'; crlf QUIT; })
		echo "fixed part: $fixed"
		refused 'malformed PROXY v2'
	done
	proxied smtp-handler < <({ printf '\r\n\r\n\x00\r\nQUIZ\n\x21\x11\x00\x0c'; crlf QUIT; })
	refused 'malformed PROXY v2 header'
}

@test "a trusted proxy that sends no header is refused, at once or at the timeout" {
	proxied smtp-handler < <(crlf 'EHLO x' QUIT)
	refused 'no PROXY header'
	proxied pop3-handler < /dev/null
	refused 'no PROXY header'
	# Silent: the header never comes (MAIL_TIMEOUT=1).
	mkfifo "$BATS_TEST_TMPDIR/quiet"
	sleep 3 > "$BATS_TEST_TMPDIR/quiet" 3>&- &
	local writer=$!
	MAIL_TIMEOUT=1 proxied smtp-handler < "$BATS_TEST_TMPDIR/quiet"
	kill "$writer"
	refused 'timeout before the PROXY header'
}

@test "without MAIL_PROXY_FROM a PROXY line is just a bad command" {
	{ printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n'; crlf QUIT; } |
		TCPREMOTEIP=127.0.0.1 "$BIN/smtp-handler" > "$BATS_TEST_TMPDIR/out" 2>"$(LOG)"
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/out")" = $'500 Syntax error, command unrecognized\r' ]
	{ printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 110\r\n'; crlf QUIT; } |
		TCPREMOTEIP=127.0.0.1 "$BIN/pop3-handler" > "$BATS_TEST_TMPDIR/out" 2>"$(LOG)"
	sed -n 2p "$BATS_TEST_TMPDIR/out" | grep -q '^-ERR'
	grep -q 'session from 127.0.0.1$' "$(LOG)"
}

@test "a malformed MAIL_PROXY_FROM entry is reported and nothing is served" {
	for list in '127.0.0.1/33' 'localhost' '127.0.0.1, 10.0.0.0/x'; do
		{ printf "$V2_TCP4"; crlf QUIT; } |
			MAIL_PROXY_FROM="$list" TCPREMOTEIP=127.0.0.1 \
			"$BIN/pop3-handler" > "$BATS_TEST_TMPDIR/out" 2>"$(LOG)" || true
		[ ! -s "$BATS_TEST_TMPDIR/out" ]
		grep -q "MAIL_PROXY_FROM: '.*' is not an address or address/prefix" "$(LOG)"
	done
}

@test "over TCP under tcpspawn: trust follows the real peer address" {
	PORT=$(MAIL_PROXY_FROM=127.0.0.1 spawn_any_port "$BIN/smtp-handler")
	run socat -t 2 - "TCP:127.0.0.1:$PORT" \
		< <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nQUIT\r\n')
	echo "$output" | grep -q '^220 '
	echo "$output" | grep -q '^221 '
	run socat -t 2 - "TCP:127.0.0.1:$PORT,bind=127.0.0.2" \
		< <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nQUIT\r\n')
	not grep -q '^220 ' <<< "$output"
	grep -q 'refused 127.0.0.2: not a trusted proxy' "$BATS_TEST_TMPDIR/server.log"
	grep -q 'session from 192.0.2.7' "$BATS_TEST_TMPDIR/server.log"
}
