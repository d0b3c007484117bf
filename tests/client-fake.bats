#!/usr/bin/env bats
# mail-client against scripted fake servers (a bash responder under tcpspawn):
# what it sends on the wire, the format check, and how it copes with
# servers that refuse, misbehave or are not there.  Stdin is piped here;
# tests/client-pty.bats drives it through a terminal.

load helpers

setup() {
	FAKE="$BATS_TEST_TMPDIR"
	WIRE="$FAKE/wire.log"
	: > "$WIRE"
	write_fake_smtp
	write_fake_pop3
}

teardown() { stop_servers; }

# A strict SMTP server: only the standard spellings (no MAIL_FROM), logs
# every line it gets.  FAKE_SMTP_NO_EHLO=1 makes it an RFC 821 server;
# FAKE_SMTP_DROP=1 hangs up at MAIL FROM.
write_fake_smtp() {
	cat > "$FAKE/smtp.sh" <<'SH'
#!/bin/bash
wire=$1
printf '220 fake.example ESMTP\r\n'
while IFS= read -r line; do
	line=${line%$'\r'}
	echo "C: $line" >> "$wire"
	case "$line" in
	EHLO\ *) if [ -n "$FAKE_SMTP_NO_EHLO" ]; then printf '502 5.5.2 what?\r\n'
		else printf '250-fake.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n'; fi ;;
	HELO\ *) printf '250 fake.example\r\n' ;;
	"MAIL FROM:<"*">") [ -n "$FAKE_SMTP_DROP" ] && exit 0
		printf '250 2.1.0 Sender ok\r\n' ;;
	"RCPT TO:<nobody@"*">") printf '550 5.1.1 No such user\r\n' ;;
	"RCPT TO:<"*">") printf '250 2.1.5 Recipient ok\r\n' ;;
	DATA)	printf '354 Enter mail, end with "." on a line by itself\r\n'
		while IFS= read -r l; do
			l=${l%$'\r'}; echo "D: $l" >> "$wire"; [ "$l" = . ] && break
		done
		printf '250 2.0.0 Message accepted\r\n' ;;
	QUIT)	printf '221 fake.example closing connection\r\n'; exit 0 ;;
	*)	printf '500 5.5.1 Command unrecognized\r\n' ;;
	esac
done
SH
	chmod +x "$FAKE/smtp.sh"
}

# A POP3 server with one mailbox of two messages for alice/pwalice.
# FAKE_POP3_MODE: "" normal, "notop" (TOP unsupported), "drop" (hangs up
# after the list), "garbage" (greets with nonsense).
write_fake_pop3() {
	cat > "$FAKE/pop3.sh" <<'SH'
#!/bin/bash
wire=$1
[ "$FAKE_POP3_MODE" = garbage ] && { printf 'HELLO THERE\r\n'; exit 0; }
printf '+OK fake POP3 ready\r\n'
head1() {
	printf 'Return-Path: <bob@test.example>\r\n'
	printf 'Received: from x (127.0.0.1) by fake.example with ESMTP id 1;\r\n'
	printf '\tThu, 05 Mar 2026 14:07:09 +0000\r\n'
	printf 'From: Bob <bob@test.example>\r\n'
	printf 'Subject: Lunch\r\n\r\n'
}
head2() {
	printf 'From: carol@test.example\r\nDate: Fri, 06 Mar 2026 09:30:00 +0100\r\n'
	printf 'Subject: Evil \033[2J subject\r\n\r\n'
}
user=
while IFS= read -r line; do
	line=${line%$'\r'}
	echo "C: $line" >> "$wire"
	case "$line" in
	"USER "*) user=${line#USER }; printf '+OK\r\n' ;;
	"PASS pwalice") if [ "$user" = alice ]; then printf '+OK logged in\r\n'
		else printf -- '-ERR [AUTH] invalid user name or password\r\n'; fi ;;
	"PASS "*) printf -- '-ERR [AUTH] invalid user name or password\r\n' ;;
	STAT)	[ "$FAKE_POP3_MODE" = drop ] && exit 0
		printf '+OK 2 300\r\n' ;;
	"TOP 1 0") [ "$FAKE_POP3_MODE" = notop ] && { printf -- '-ERR unknown command\r\n'; continue; }
		printf '+OK\r\n'; head1; printf '.\r\n' ;;
	"TOP 2 0") [ "$FAKE_POP3_MODE" = notop ] && { printf -- '-ERR unknown command\r\n'; continue; }
		printf '+OK\r\n'; head2; printf '.\r\n' ;;
	"RETR 1") printf '+OK 200 octets\r\n'; head1
		printf 'See you at noon.\r\n..a dotted line\r\n...\r\n.\r\n' ;;
	"RETR 2") printf '+OK 100 octets\r\n'; head2; printf 'Body two.\r\n.\r\n' ;;
	LIST)	printf '+OK 2 messages\r\n1 200\r\n2 100\r\n.\r\n' ;;
	"DELE 1") printf '+OK message 1 deleted\r\n' ;;
	QUIT)	printf '+OK Thanks for using POP3 server\r\n'; exit 0 ;;
	*)	printf -- '-ERR unknown command\r\n' ;;
	esac
done
SH
	chmod +x "$FAKE/pop3.sh"
}

start_fakes() {
	SMTP_PORT=$(spawn_any_port "$FAKE/smtp.sh" "$WIRE")
	POP3_PORT=$(spawn_any_port "$FAKE/pop3.sh" "$WIRE")
}

send_one() {   # send_one LINE...: log in, choose 1, type the message, exit
	client_session alice pwalice 1 "$@" 3
}

@test "client: a valid message goes out with standard SMTP, dot-stuffed" {
	start_fakes
	send_one 'From: alice@test.example' 'To: bob@test.example, <IbrahimEK@test.example>' \
		'Subject: Hello there' 'First line' '.starts with a dot' '..two dots' '.'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Mail sent successfully"* ]]
	grep -qx 'C: EHLO \[127.0.0.1\]' "$WIRE"
	grep -qx 'C: MAIL FROM:<alice@test.example>' "$WIRE"
	grep -qx 'C: RCPT TO:<bob@test.example>' "$WIRE"
	grep -qx 'C: RCPT TO:<IbrahimEK@test.example>' "$WIRE"
	grep -qx 'D: From: alice@test.example' "$WIRE"
	grep -qx 'D: To: bob@test.example, IbrahimEK@test.example' "$WIRE"
	grep -qx 'D: Subject: Hello there' "$WIRE"
	grep -qE '^D: Date: [A-Z][a-z]{2}, [0-9]{2} ' "$WIRE"
	grep -qx 'D: \.\.starts with a dot' "$WIRE"
	grep -qx 'D: \.\.\.two dots' "$WIRE"
	grep -qx 'C: QUIT' "$WIRE"
	# An empty line separates the header from the body.
	grep -A1 '^D: Message-ID:' "$WIRE" | tail -1 | grep -qx 'D: '
	not grep -q 'MAIL_FROM\|RCPT_TO' "$WIRE"
}

@test "client: falls back to HELO when the server refuses EHLO" {
	export FAKE_SMTP_NO_EHLO=1
	start_fakes
	send_one 'From: alice@test.example' 'To: bob@test.example' 'Subject: old' 'hi' '.'
	[[ "$output" == *"Mail sent successfully"* ]]
	grep -qx 'C: HELO \[127.0.0.1\]' "$WIRE"
	[ "$(grep -c '^C: MAIL FROM' "$WIRE")" -eq 1 ]
}

@test "client: a refused recipient shows the server's reply and sends nothing" {
	start_fakes
	send_one 'From: alice@test.example' 'To: bob@test.example, nobody@test.example' \
		'Subject: s' 'body' '.'
	[ "$status" -eq 0 ]
	[[ "$output" == *"550 5.1.1 No such user"* ]]
	[[ "$output" != *"Mail sent successfully"* ]]
	not grep -q '^C: DATA' "$WIRE"
	grep -qx 'C: QUIT' "$WIRE"
}

@test "client: an SMTP server hanging up mid-session is reported" {
	export FAKE_SMTP_DROP=1
	start_fakes
	send_one 'From: alice@test.example' 'To: bob@test.example' 'Subject: s' 'body' '.'
	[ "$status" -eq 0 ]
	[[ "$output" == *"The SMTP server closed the connection."*"Mail not sent."* ]]
	[[ "$output" == *"Goodbye."* ]]
}

# format_error REASON LINE...: the message is refused before any connection.
format_error() {
	local reason=$1; shift
	start_fakes
	send_one "$@"
	[ "$status" -eq 0 ]
	[[ "$output" == *"This is an incorrect format: $reason"* ]]
	[[ "$output" != *"Mail sent successfully"* ]]
	# Back at the menu afterwards, and the server never heard of it.
	[[ "$output" == *"Goodbye."* ]]
	not grep -q '^C: ' "$WIRE"
}

@test "client format: missing From: line" {
	format_error "line 1 must be 'From: <username>@<domain name>'" \
		'To: bob@test.example' 'Subject: s' 'body' '.'
}

@test "client format: bad sender address" {
	format_error "line 1: 'alice@' is not an address" \
		'From: alice@' 'To: bob@test.example' 'Subject: s' 'body' '.'
}

@test "client format: bad recipient address among several" {
	format_error "line 2: 'bob test.example' is not an address" \
		'From: alice@test.example' 'To: carol@test.example, bob test.example' \
		'Subject: s' 'body' '.'
}

@test "client format: empty recipient" {
	format_error "line 2: recipient 2 is empty" \
		'From: alice@test.example' 'To: carol@test.example,' 'Subject: s' 'body' '.'
}

@test "client format: missing Subject: line" {
	format_error "line 3 must be 'Subject:" \
		'From: alice@test.example' 'To: bob@test.example' 'body' 'more' '.'
}

@test "client format: subject over 150 characters (150 pass)" {
	local s150 s151
	s150=$(printf 'x%.0s' $(seq 150))
	s151="${s150}y"
	format_error "line 3: the subject has 151 characters, at most 150" \
		'From: alice@test.example' 'To: bob@test.example' "Subject: $s151" 'body' '.'
	send_one 'From: alice@test.example' 'To: bob@test.example' "Subject: $s150" 'body' '.'
	[[ "$output" == *"Mail sent successfully"* ]]
}

@test "client format: subject length counts characters, not bytes" {
	start_fakes
	local s
	s=$(printf 'é%.0s' $(seq 150))      # 150 characters, 300 bytes
	send_one 'From: alice@test.example' 'To: bob@test.example' "Subject: $s" 'body' '.'
	[[ "$output" == *"Mail sent successfully"* ]]
}

@test "client format: no body" {
	format_error "the message has no body" \
		'From: alice@test.example' 'To: bob@test.example' 'Subject: s' '.'
}

@test "client format: body line over 998 characters" {
	format_error "line 5 is longer than 998 characters" \
		'From: alice@test.example' 'To: bob@test.example' 'Subject: s' 'ok' \
		"$(printf 'z%.0s' $(seq 1200))" 'after' '.'
}

@test "client format: no final '.' (end of input) exits cleanly" {
	start_fakes
	client_session alice pwalice 1 'From: alice@test.example' 'To: bob@test.example' \
		'Subject: s' 'body without an end'
	[ "$status" -eq 0 ]
	[[ "$output" == *"This is an incorrect format: the message has no final line holding only '.'"* ]]
	[[ "$output" == *"End of input"* ]]
	not grep -q '^C: ' "$WIRE"
}

@test "client: server down is a clear message, then the menu again" {
	SMTP_PORT=$(free_port)
	POP3_PORT=$(free_port)
	client_session alice pwalice 1 'From: alice@test.example' 'To: bob@test.example' \
		'Subject: s' 'body' '.' 2 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cannot connect to the SMTP server at 127.0.0.1 port $SMTP_PORT: Connection refused"* ]]
	[[ "$output" == *"Mail not sent."* ]]
	[[ "$output" == *"Cannot connect to the POP3 server at 127.0.0.1 port $POP3_PORT: Connection refused"* ]]
	[[ "$output" == *"Goodbye."* ]]
}

@test "client: an unknown host name is a clear message" {
	run timeout 20 "$BIN/mail-client" no-such-host.invalid 2525 1110 < <(printf 'alice\npw\n2\n3\n')
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cannot find the POP3 server no-such-host.invalid port 1110"* ]]
}

@test "client: bad command line is a usage error" {
	run "$BIN/mail-client"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: mail-client SERVER"* ]]
	run "$BIN/mail-client" 127.0.0.1 99999
	[ "$status" -eq 2 ]
	run "$BIN/mail-client" 127.0.0.1 25x
	[ "$status" -eq 2 ]
	run "$BIN/mail-client" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"POP3_PORT"* ]]
}

@test "client: invalid menu choices show the menu again" {
	start_fakes
	client_session alice pwalice 7 '' 'one' 3
	[ "$status" -eq 0 ]
	[ "$(grep -c 'Invalid choice' <<< "$output")" -eq 3 ]
	[ "$(grep -c '^2. Mail Management' <<< "$output")" -eq 4 ]
}

@test "client pop3: list from TOP headers, RETR undoes dot-stuffing, control characters defused" {
	start_fakes
	TZ=UTC client_session alice pwalice 2 'RETR 1' 'LIST' 'STAT' 'DELE 1' QUIT 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"+OK fake POP3 ready"* ]]
	# The folded Received: date is used; Date: when there is no Received:.
	# Shown in local time (here UTC): 09:30 +0100 is 08:30.
	grep -qE '^ +1\. bob@test\.example +2026-03-05 14:07  Lunch$' <<< "$output"
	grep -qE '^ +2\. carol@test\.example +2026-03-06 08:30  Evil \?\[2J subject$' <<< "$output"
	[[ "$output" != *$'\033'* ]]
	grep -qx 'See you at noon.' <<< "$output"
	grep -qx '.a dotted line' <<< "$output"
	grep -qx '\.\.' <<< "$output"
	grep -qx -- '--- end of message 1 ---' <<< "$output"
	grep -qE '^ +2  100$' <<< "$output"
	[[ "$output" == *"2 messages, 300 octets"* ]]
	[[ "$output" == *"+OK message 1 deleted"* ]]
	[[ "$output" == *"+OK Thanks for using POP3 server"* ]]
	grep -qx 'C: TOP 1 0' "$WIRE"
	not grep -q '^C: RETR 2' "$WIRE"
}

@test "client pop3: without TOP the headers come from RETR" {
	export FAKE_POP3_MODE=notop
	start_fakes
	client_session alice pwalice 2 QUIT 3
	grep -qE '^ +1\. bob@test\.example .* Lunch$' <<< "$output"
	grep -qx 'C: RETR 1' "$WIRE"
}

@test "client pop3: wrong password, asked again, then logged in" {
	start_fakes
	client_session alice wrong 2 alice pwalice QUIT 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login failed: -ERR [AUTH] invalid user name or password"* ]]
	[[ "$output" == *"Lunch"* ]]
	[ "$(grep -c '^C: PASS' "$WIRE")" -eq 2 ]
}

@test "client pop3: an empty user name at the retry goes back to the menu" {
	start_fakes
	client_session alice wrong 2 '' 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login failed"* ]]
	[[ "$output" == *"Goodbye."* ]]
}

@test "client pop3: a dropped connection is reported, the menu still works" {
	export FAKE_POP3_MODE=drop
	start_fakes
	client_session alice pwalice 2 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"The POP3 server closed the connection."* ]]
	[[ "$output" == *"Goodbye."* ]]
}

@test "client pop3: a reply it does not understand is reported" {
	export FAKE_POP3_MODE=garbage
	start_fakes
	client_session alice pwalice 2 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"Unexpected reply from the POP3 server: HELLO THERE"* ]]
	[[ "$output" == *"Goodbye."* ]]
}

@test "client pop3: bad sub-menu input is explained, nothing sent" {
	start_fakes
	client_session alice pwalice 2 'RETR' 'RETR x' 'DELE 0' 'STAT 1' 'FOO' QUIT 3
	[[ "$output" == *"RETR needs a message number."* ]]
	[[ "$output" == *"STAT takes no argument."* ]]
	[[ "$output" == *"Unknown command 'FOO'."* ]]
	not grep -q '^C: RETR\|^C: DELE\|^C: FOO\|^C: STAT 1' "$WIRE"
}

@test "an over-long last input line without a newline is refused cleanly" {
	# 256 octets: one more than the user name's limit (the ASan pass
	# caught a one-byte overflow here).
	for n in 255 256 300; do
		run bash -c "head -c $n /dev/zero | tr '\\0' a | '$BIN/mail-client' 127.0.0.1 1 1"
		[ "$status" -lt 128 ]
		[[ "$output" != *AddressSanitizer* ]]
	done
}
