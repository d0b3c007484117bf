#!/usr/bin/env bats
# The local client set-ups of conf/clients.md, read out of the doc and run
# against both handlers behind tcpspawn on loopback, as make run serves
# them: each sends or fetches the doc's message and the test checks it
# byte for byte.  The TLS set-ups are in clients-tls.bats.

load helpers
load deploy
load clients

setup() {
	clients_setup
	start_local
}

teardown() {
	stop_servers
	drop_homes
}

# The doc's ports are make run's.
@test "clients doc: the local ports are the ones make run serves" {
	grep -qx 'SMTP_PORT ?= 2525' "$REPO/Makefile"
	grep -qx 'POP3_PORT ?= 1110' "$REPO/Makefile"
	grep -qx '  SMTP on 127.0.0.1:2525, POP3 on 127.0.0.1:1110, no TLS.' "$CLIENTS_DOC"
}

@test "clients doc: curl sends with AUTH and fetches, local" {
	need curl curl
	curl_round_trip local
	grep -q '^Received: from .* with ESMTPA id ' "$(mailbox bob)"
}

@test "clients doc: msmtp account local sends with AUTH PLAIN" {
	need msmtp msmtp
	snippet message.txt > message.txt
	write_snippet msmtprc ~/.msmtprc
	run_snippet msmtp-local
	[ "$status" -eq 0 ]
	assert_sent message.txt
	grep -q '^Received: from .* with ESMTPA id ' "$(mailbox bob)"
}

@test "clients doc: mpop account local fetches into a Maildir and deletes" {
	need mpop mpop
	preload_bob
	write_snippet mpoprc ~/.mpoprc
	run_snippet mpop-local
	[ "$status" -eq 0 ]
	assert_fetched "$(maildir_message)"
	[ "$(count_messages bob)" -eq 0 ]
}

@test "clients doc: fetchmail (sslproto '') fetches and deletes, local" {
	need fetchmail fetchmail
	preload_bob
	write_snippet fetchmailrc-local ~/.fetchmailrc
	run_snippet fetchmail
	[ "$status" -eq 0 ]
	assert_fetched ~/fetched.txt
	[ "$(count_messages bob)" -eq 0 ]
}

@test "clients doc: getmail6 fetches into a Maildir and deletes, local" {
	need getmail getmail6
	preload_bob
	getmail_snippets getmailrc-local getmail-local
	[ "$status" -eq 0 ]
	assert_fetched "$(maildir_message)" unfold
	[ "$(count_messages bob)" -eq 0 ]
}

@test "clients doc: mutt sends with AUTH, local" {
	need mutt mutt
	mutt_send local
	grep -q '^Received: from .* with ESMTPA id ' "$(mailbox bob)"
}

@test "clients doc: Python smtplib login() and poplib user/pass_(), local" {
	need python3 python3
	python_round_trip local
	grep -q '^Received: from .* with ESMTPA id ' "$(mailbox bob)"
}

@test "clients doc: Thunderbird's local rows offer Normal password on their ports" {
	need socat socat
	thunderbird_rows local | while read -r proto port security method; do
		echo "row: $proto $port $security $method"
		[ "$security" = None ]
		[ "$method" = "Normal password" ]
		port=$(test_port "$port")
		case $proto in
		SMTP) crlf 'EHLO tb' QUIT | socat -t 5 - "TCP:127.0.0.1:$port" |
			      grep -qE '^250[- ]AUTH( [A-Z0-9-]+)* (PLAIN|LOGIN)\b' ;;
		POP3) crlf CAPA QUIT | socat -t 5 - "TCP:127.0.0.1:$port" |
			      grep -qE '^(USER|SASL .*PLAIN)\b' ;;
		*) false ;;
		esac
	done
	[ "$(thunderbird_rows local | wc -l)" -eq 2 ]
}
