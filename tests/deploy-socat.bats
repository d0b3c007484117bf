#!/usr/bin/env bats
# socat as the launcher, plain and with implicit TLS (conf/tls/socat-tls.sh)
# using a throwaway self-signed certificate; and systemd-socket-activate.

load helpers
load deploy

setup() {
	need socat socat
	need curl curl
	make_mailroot
	make_message
	cd "$ROOT"
}

teardown() {
	stop_servers
}

@test "socat plain: curl delivers over smtp://, an unknown recipient gets 550, curl retrieves over pop3://" {
	SMTP=$(free_port) POP3=$(free_port)
	start_server "$SMTP" socat "TCP-LISTEN:$SMTP,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:$BIN/smtp-handler"
	start_server "$POP3" socat "TCP-LISTEN:$POP3,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:$BIN/pop3-handler"
	send_mail "smtp://127.0.0.1:$SMTP"
	assert_delivered
	run curl -sS "smtp://127.0.0.1:$SMTP" --mail-from alice@test.example \
		--mail-rcpt nobody@test.example -T "$MSG"
	[ "$status" -ne 0 ]
	[[ "$output" == *550* ]]
	run fetch_mail "pop3://127.0.0.1:$POP3"
	[ "$status" -eq 0 ]
	[[ "$output" == *"body $TOKEN"* ]]
}

@test "socat TLS: curl delivers over smtps:// and retrieves over pop3s://" {
	need openssl openssl
	make_cert
	SMTP=$(free_port)
	start_server "$SMTP" "$REPO/conf/tls/socat-tls.sh" "127.0.0.1:$SMTP" "$CERT" "$KEY" \
		"$BIN/smtp-handler"
	# smtps:// cannot succeed unless the server side speaks TLS.
	send_mail "smtps://127.0.0.1:$SMTP" --insecure
	assert_delivered
	# The script told the handler that it is behind TLS (MAIL_TLS=yes).
	grep -q '^Received: from .* with ESMTPS id ' "$(mailbox bob)"

	POP3=$(free_port)
	start_server "$POP3" "$REPO/conf/tls/socat-tls.sh" "127.0.0.1:$POP3" "$CERT" "$KEY" \
		"$BIN/pop3-handler"
	run fetch_mail "pop3s://127.0.0.1:$POP3" --insecure
	[ "$status" -eq 0 ]
	[[ "$output" == *"body $TOKEN"* ]]
}

@test "systemd-socket-activate --inetd: curl delivers and retrieves" {
	need systemd-socket-activate systemd
	SMTP=$(free_port)
	# It passes on only the variables given with -E.
	start_server "$SMTP" systemd-socket-activate -l "127.0.0.1:$SMTP" --inetd \
		-E MAIL_ROOT="$ROOT" -E MAIL_DOMAIN=test.example -E MAIL_TIMEOUT=5 \
		-a "$BIN/smtp-handler"
	send_mail "smtp://127.0.0.1:$SMTP"
	assert_delivered

	POP3=$(free_port)
	start_server "$POP3" systemd-socket-activate -l "127.0.0.1:$POP3" --inetd \
		-E MAIL_ROOT="$ROOT" -E MAIL_DOMAIN=test.example -E MAIL_AUTH_DELAY=0 \
		-a "$BIN/pop3-handler"
	run fetch_mail "pop3://127.0.0.1:$POP3"
	[ "$status" -eq 0 ]
	[[ "$output" == *"body $TOKEN"* ]]
}

@test "conf/systemd units pass systemd-analyze verify" {
	need systemd-analyze systemd
	units="$BATS_TEST_TMPDIR/units"
	mkdir -p "$units"
	cp "$REPO"/conf/systemd/* "$units/"
	# Point ExecStart at this build (verify checks the program exists).
	sed -i "s|^ExecStart=/usr/local/libexec/mailsuite/|ExecStart=$BIN/|" \
		"$units"/*.service
	for name in smtp-handler pop3-handler; do
		[ -x "$BIN/$name" ] || sed -i "s|^ExecStart=.*|ExecStart=/bin/true|" \
			"$units/$name@.service"
	done
	run systemd-analyze verify --man=no "$units"/*
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -q '^Accept=yes' "$units/smtp-handler.socket"
	grep -q '^StandardInput=socket' "$units/smtp-handler@.service"
}

@test "an IPv4 client of a dual-stack inetd socket is logged and traced as IPv4" {
	need systemd-socket-activate systemd
	[ -e /proc/net/if_inet6 ] || skip "no IPv6 on this host"
	SMTP=$(free_port)
	# A bare port listens on [::] for IPv4 clients too: getpeername on
	# fd 0 then gives ::ffff:127.0.0.1.
	start_server "$SMTP" systemd-socket-activate -l "$SMTP" --inetd \
		-E MAIL_ROOT="$ROOT" -E MAIL_DOMAIN=test.example -E MAIL_LOG=stderr \
		-a "$BIN/smtp-handler"
	send_mail "smtp://127.0.0.1:$SMTP"
	assert_delivered        # its Received: line names (127.0.0.1)
	grep -q 'smtp-handler.*session from 127\.0\.0\.1$' "$BATS_TEST_TMPDIR/server.log"
	not grep -q 'ffff' "$(mailbox bob)"
	not grep -q 'smtp-handler.*ffff' "$BATS_TEST_TMPDIR/server.log"
}
