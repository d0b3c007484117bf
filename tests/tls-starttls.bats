#!/usr/bin/env bats
# The STARTTLS (587) and STLS (110) recipes of conf/tls, started for real
# on loopback in both variants: stunnel exec-ing the handlers
# (stunnel-starttls.conf) and stunnel connecting to tcpspawn
# (stunnel-starttls-tcpspawn.conf, its launchers started as its header
# says).  Driven by the doc's swaks and openssl s_client snippets
# (conf/clients.md); the other clients are in clients-tls.bats.
#
# AUTH is offered only because the recipes say -T yes / MAIL_TLS=yes (a
# client on loopback would get it anyway under the default; see
# tls_setup).

load helpers
load deploy
load clients

setup() {
	tls_setup
	snippet message.txt > message.txt
}

teardown() { stop_servers; }

# The base64 of the SASL PLAIN response for USER and PASSWORD.
plain() { printf '\0%s\0%s' "$1" "$2" | base64 -w0; }

# lf LINE...: lines as typed on a keyboard (the doc's s_client -crlf
# makes each Enter CR LF).
lf() { printf '%s\n' "$@"; }

# s_client NAME: run the doc's openssl snippet NAME, the lines of
# $BATS_TEST_TMPDIR/typed as the keyboard; the replies in
# $BATS_TEST_TMPDIR/replies, CRs removed.
s_client() {
	local cmd
	cmd=$(snippet "$1")
	echo "$1: $cmd"
	timeout 20 bash -c "$cmd" < "$BATS_TEST_TMPDIR/typed" 2>/dev/null |
		tr -d '\r' > "$BATS_TEST_TMPDIR/replies" || true
	cat "$BATS_TEST_TMPDIR/replies"
}

# swaks_from_2 VARIANT SNIPPET: start the recipe VARIANT and run the doc's
# swaks SNIPPET from 127.0.0.2, a loopback address of its own; the
# message must arrive as sent, with AUTH behind TLS (ESMTPSA).
swaks_from_2() {
	need swaks swaks
	start_starttls "$1"
	local cmd
	cmd="$(snippet "$2") --local-interface 127.0.0.2"
	run timeout 20 bash -c "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	# swaks ends the data with an empty line of its own.
	{ cat message.txt; echo; } > swaks-sent.txt
	assert_sent swaks-sent.txt
	grep -q ' by test\.example with ESMTPSA id ' "$(mailbox bob)"
}

@test "starttls exec: swaks -tls -a PLAIN; the handler logs the client's own address" {
	swaks_from_2 exec swaks-plain
	grep -q '^Received: from .* (127\.0\.0\.2) by ' "$(mailbox bob)"
	grep -q 'session from 127\.0\.0\.2$' "$BATS_TEST_TMPDIR/server.log"
	grep -q 'auth=alice' "$BATS_TEST_TMPDIR/server.log"
}

@test "starttls connect: swaks -tls -a LOGIN through tcpspawn; the handler sees 127.0.0.1 only" {
	swaks_from_2 connect swaks-login
	grep -q '^Received: from .* (127\.0\.0\.1) by ' "$(mailbox bob)"
	not grep -q '127\.0\.0\.2' "$(mailbox bob)"
	not grep -q 'session from 127\.0\.0\.2' "$BATS_TEST_TMPDIR/server.log"
	# stunnel's own log is where the client's address is left.
	grep -q 'accepted connection from 127\.0\.0\.2:' "$BATS_TEST_TMPDIR/stunnel.log"
}

@test "starttls: openssl s_client -starttls smtp: MAIL before AUTH is 530, AUTH PLAIN then delivers" {
	start_starttls exec
	{
		lf 'EHLO me' 'MAIL FROM:<alice@example.org>' \
			"AUTH PLAIN $(plain alice alice123)" \
			'MAIL FROM:<alice@example.org>' 'RCPT TO:<bob@example.org>' DATA
		sed -e 's/^\./../' message.txt
		lf . QUIT
	} > "$BATS_TEST_TMPDIR/typed"
	s_client openssl-smtp
	# After TLS the handler's EHLO: AUTH offered, no STARTTLS twice.
	grep -qE '^250[- ]AUTH PLAIN LOGIN$' "$BATS_TEST_TMPDIR/replies"
	grep -q '^530 5\.7\.0 ' "$BATS_TEST_TMPDIR/replies"
	grep -q '^235 ' "$BATS_TEST_TMPDIR/replies"
	grep -q '^221 ' "$BATS_TEST_TMPDIR/replies"
	assert_sent message.txt
	grep -q ' with ESMTPSA id ' "$(mailbox bob)"
}

@test "starttls: openssl s_client -starttls pop3: SASL PLAIN in CAPA, AUTH PLAIN, RETR byte-exact" {
	start_starttls exec
	preload_bob
	lf CAPA "AUTH PLAIN $(plain bob bob123)" 'RETR 1' QUIT \
		> "$BATS_TEST_TMPDIR/typed"
	s_client openssl-pop3
	grep -qx 'SASL PLAIN LOGIN' "$BATS_TEST_TMPDIR/replies"
	not grep -qx 'STLS' "$BATS_TEST_TMPDIR/replies"
	# RETR's lines, from its +OK to the lone dot, unstuffed.
	awk '/^\+OK [0-9]+ octets/ { on = 1; next }
	     on && $0 == "." { exit }
	     on { sub(/^\./, ""); print }' "$BATS_TEST_TMPDIR/replies" > fetched.txt
	assert_fetched fetched.txt
	grep -q 'bob logged in' "$BATS_TEST_TMPDIR/server.log"
}

@test "starttls: a client that does not start TLS never reaches a handler" {
	need socat socat
	start_starttls exec
	{ sleep 0.5; crlf 'EHLO me' "AUTH PLAIN $(plain alice alice123)" \
		'MAIL FROM:<alice@example.org>'; sleep 1; } |
		timeout 10 socat -t 3 - "TCP:127.0.0.1:$SUBMISSION_PORT" |
		tr -d '\r' > smtp.out || true
	cat smtp.out
	# stunnel's own EHLO answer (STARTTLS alone), then nothing.
	grep -qx '250 STARTTLS' smtp.out
	not grep -E '^(235|250[- ]AUTH|250 2|530|535)' smtp.out

	crlf CAPA 'USER bob' 'PASS bob123' 'STAT' |
		timeout 10 socat -t 3 - "TCP:127.0.0.1:$STLS_PORT" |
		tr -d '\r' > pop3.out || true
	cat pop3.out
	grep -qx 'STLS' pop3.out
	not grep -E '^(\+OK send PASS|\+OK maildrop|\+OK [0-9])' pop3.out
	not grep -q 'logged in' "$BATS_TEST_TMPDIR/server.log"
	[ "$(count_messages bob)" -eq 0 ]
}

@test "starttls: the early-talker limit: a client talking before the greeting gets none" {
	need socat socat
	start_starttls exec
	crlf 'EHLO early' | timeout 10 socat -t 3 - \
		"TCP:127.0.0.1:$SUBMISSION_PORT" > early.out || true
	cat early.out
	[ ! -s early.out ]
	# The same client, waiting for the greeting, gets one.
	{ sleep 0.5; crlf 'EHLO patient'; sleep 0.5; } |
		timeout 10 socat -t 3 - "TCP:127.0.0.1:$SUBMISSION_PORT" > patient.out || true
	grep -q '^220 ' patient.out
}
