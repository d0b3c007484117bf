#!/usr/bin/env bats
# stunnel (Debian stunnel4) in front of the handlers, configured from
# conf/tls/stunnel.conf with a throwaway self-signed certificate.

load helpers
load deploy

setup() {
	need stunnel4 stunnel4
	need openssl openssl
	need curl curl
	make_mailroot
	make_message
	make_cert
}

teardown() {
	stop_servers
}

# Generate stunnel.conf from the template: this build, this mail root,
# loopback ports $SMTP and $POP3, the test certificate, no user switch.
make_stunnel_conf() {
	CONF="$BATS_TEST_TMPDIR/stunnel.conf"
	grep -v '^set[ug]id' "$REPO/conf/tls/stunnel.conf" > "$CONF"
	set_key "$CONF" cert "$CERT"
	set_key "$CONF" key "$KEY"
	set_key "$CONF" accept "127.0.0.1:$SMTP" smtps
	set_key "$CONF" exec "$BIN/smtp-handler" smtps
	set_key "$CONF" execArgs "smtp-handler -r $ROOT -d test.example" smtps
	set_key "$CONF" accept "127.0.0.1:$POP3" pop3s
	set_key "$CONF" exec "$BIN/pop3-handler" pop3s
	set_key "$CONF" execArgs "pop3-handler -r $ROOT -d test.example -D 0" pop3s
	# A global option: it must come before the first [section].
	sed -i "1i output = $BATS_TEST_TMPDIR/stunnel.log" "$CONF"
}

@test "stunnel: curl delivers over smtps:// and retrieves over pop3s://" {
	SMTP=$(free_port) POP3=$(free_port)
	make_stunnel_conf
	start_server "$SMTP" stunnel4 "$CONF"
	# smtps:// cannot succeed unless the server side speaks TLS.
	send_mail "smtps://127.0.0.1:$SMTP" --insecure
	assert_delivered

	run fetch_mail "pop3s://127.0.0.1:$POP3" --insecure
	[ "$status" -eq 0 ]
	[[ "$output" == *"body $TOKEN"* ]]
}
