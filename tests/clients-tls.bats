#!/usr/bin/env bats
# The TLS client set-ups of conf/clients.md, read out of the doc and run
# through the recipes of conf/tls started for real on loopback with the
# doc's own throwaway certificate: STARTTLS on "587" (submission) and STLS
# on "110" (stunnel-starttls.conf, stunnel exec-ing the handlers), and for
# getmail6 implicit TLS on "995" (stunnel.conf).  Each client sends or
# fetches the doc's message, checked byte for byte.  The recipes' own
# behaviour (both variants, the client's address, what never reaches a
# handler) is in tls-starttls.bats.  AUTH is offered only because the
# recipes say -T yes (see tls_setup).

load helpers
load deploy
load clients

setup() { tls_setup; }

teardown() {
	stop_servers
	drop_homes
}

# Bob's message came in over TLS with AUTH (ESMTPSA) as alice.
assert_submitted() {
	grep -q '^Received: from .* with ESMTPSA id ' "$(mailbox bob)"
	grep -q 'auth=alice' "$BATS_TEST_TMPDIR/server.log"
}

@test "clients tls: curl --ssl-reqd sends with AUTH over STARTTLS and fetches over STLS" {
	need curl curl
	start_starttls
	curl_round_trip tls
	assert_submitted
}

@test "clients tls: msmtp account tls (tls_starttls on, auth on) sends" {
	need msmtp msmtp
	start_starttls
	snippet message.txt > message.txt
	write_snippet msmtprc ~/.msmtprc
	run_snippet msmtp-tls
	[ "$status" -eq 0 ]
	assert_sent message.txt
	assert_submitted
}

@test "clients tls: mpop's default log-in (TLS, then a password) fetches over STLS" {
	need mpop mpop
	start_starttls
	preload_bob
	write_snippet mpoprc ~/.mpoprc
	run_snippet mpop-tls
	[ "$status" -eq 0 ]
	assert_fetched "$(maildir_message)"
	[ "$(count_messages bob)" -eq 0 ]
	# With SASL PLAIN in CAPA, mpop's default choice.
	grep -q 'bob logged in .*(AUTH PLAIN)$' "$BATS_TEST_TMPDIR/server.log"
}

@test "clients tls: fetchmail's defaults send STLS and fetch" {
	need fetchmail fetchmail
	start_starttls
	preload_bob
	write_snippet fetchmailrc-tls ~/.fetchmailrc
	run_snippet fetchmail
	[ "$status" -eq 0 ]
	assert_fetched ~/fetched.txt
	[ "$(count_messages bob)" -eq 0 ]
}

@test "clients tls: getmail6 fetches over implicit TLS (stunnel.conf)" {
	need getmail getmail6
	start_implicit_tls
	preload_bob
	getmail_snippets getmailrc-tls getmail-tls
	[ "$status" -eq 0 ]
	assert_fetched "$(maildir_message)" unfold
	[ "$(count_messages bob)" -eq 0 ]
}

@test "clients tls: mutt sends over STARTTLS with AUTH" {
	need mutt mutt
	start_starttls
	mutt_send tls
	assert_submitted
}

@test "clients tls: Python starttls()+login() sends, stls()+user/pass_() fetches" {
	need python3 python3
	start_starttls
	python_round_trip tls
	assert_submitted
}

@test "clients tls: Thunderbird's rows are the implicit-TLS recipe's ports, offering Normal password" {
	start_implicit_tls
	[ "$(thunderbird_rows tls | wc -l)" -eq 2 ]
	thunderbird_rows tls | while read -r proto port security method; do
		echo "row: $proto $port $security $method"
		[ "$security" = SSL/TLS ]
		[ "$method" = "Normal password" ]
		# The doc's port is the recipe's, and the recipe is implicit TLS.
		case $proto in
		SMTP) grep -qx "accept = $port" "$REPO/conf/tls/stunnel.conf"
		      crlf 'EHLO tb' QUIT | openssl s_client -quiet \
			      -CAfile "$TLSDIR/fullchain.pem" \
			      -connect "127.0.0.1:$(test_port "$port")" 2>/dev/null |
			      grep -qE '^250[- ]AUTH( [A-Z0-9-]+)* (PLAIN|LOGIN)\b' ;;
		POP3) grep -qx "accept = $port" "$REPO/conf/tls/stunnel.conf"
		      crlf CAPA QUIT | openssl s_client -quiet \
			      -CAfile "$TLSDIR/fullchain.pem" \
			      -connect "127.0.0.1:$(test_port "$port")" 2>/dev/null |
			      grep -qE '^SASL( [A-Z0-9-]+)* PLAIN\b' ;;
		*) false ;;
		esac
	done
}
