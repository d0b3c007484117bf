#!/usr/bin/env bats
# HAProxy (conf/haproxy/haproxy.cfg) on 127.0.0.1 in front of two hosts,
# tcpspawn instances with their own MAIL_HOSTNAME sharing one mail root:
# its health checks.  Mail through HAProxy end to end is in
# proxy-netns.bats, where each host has an address of its own.

load helpers
load proxy-helpers

setup() {
	need_haproxy
	make_mailroot
}

teardown() { stop_servers; }

@test "health checks speak SMTP and POP3 (as LOCAL): a host answering the wrong protocol is taken out and mail goes to the other" {
	# Host b's ports run the other protocol's handler: a plain TCP check
	# would pass them, SMTP and POP3 checks must not.
	SMTP_HOST1=$(start_host smtp-a smtp-handler 127.0.0.1 127.0.0.1)
	SMTP_HOST2=$(start_host smtp-b pop3-handler 127.0.0.1 127.0.0.1)
	POP3_HOST1=$(start_host pop3-a pop3-handler 127.0.0.1 127.0.0.1)
	POP3_HOST2=$(start_host pop3-b smtp-handler 127.0.0.1 127.0.0.1)
	export SMTP_HOST1 SMTP_HOST2 POP3_HOST1 POP3_HOST2
	CHECK_INTER=200ms start_haproxy
	for _ in $(seq 100); do
		grep -q 'smtp_hosts/host2 is DOWN' "$BATS_TEST_TMPDIR/haproxy.log" &&
			grep -q 'pop3_hosts/host2 is DOWN' "$BATS_TEST_TMPDIR/haproxy.log" &&
			break
		sleep 0.1
	done
	grep -q 'smtp_hosts/host2 is DOWN' "$BATS_TEST_TMPDIR/haproxy.log"
	grep -q 'pop3_hosts/host2 is DOWN' "$BATS_TEST_TMPDIR/haproxy.log"
	not grep -q 'host1 is DOWN' "$BATS_TEST_TMPDIR/haproxy.log"
	grep -q 'proxy 127.0.0.1 names no client (LOCAL' "$BATS_TEST_TMPDIR/smtp-a.log"
	grep -q 'proxy 127.0.0.1 names no client (LOCAL' "$BATS_TEST_TMPDIR/pop3-a.log"

	python3 "$CLIENTS" send 127.0.0.1 "$SMTP_PORT" 127.0.0.2 2 5 a
	[ "$(count_messages alice)" -eq 10 ]
	[ "$(grep -c 'delivered id=' "$BATS_TEST_TMPDIR/smtp-a.log")" -eq 10 ]
	run python3 "$CLIENTS" fetch 127.0.0.1 "$POP3_PORT" 127.0.0.3 100
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 10 ]
	[ "$(count_messages alice)" -eq 0 ]
}

@test "HAProxy ending TLS with send-proxy-v2-ssl: a handler allowing AUTH behind TLS only (-A tls) takes it, and Received: says ESMTPSA" {
	load deploy
	make_cert
	cat "$CERT" "$KEY" > "$BATS_TEST_TMPDIR/haproxy.pem"
	HOST=$(MAIL_PLAINTEXT_AUTH=tls start_host smtp-tls smtp-handler 127.0.0.1 127.0.0.1)
	PORT=$(free_port)
	cat > "$BATS_TEST_TMPDIR/tls.cfg" <<CFG
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend smtps
	bind 127.0.0.1:$PORT ssl crt $BATS_TEST_TMPDIR/haproxy.pem
	default_backend hosts
backend hosts
	server host1 $HOST send-proxy-v2-ssl
CFG
	haproxy -db -f "$BATS_TEST_TMPDIR/tls.cfg" > /dev/null 2>>"$BATS_TEST_TMPDIR/haproxy.log" 3>&- &
	echo $! >> "$BATS_TEST_TMPDIR/server.pids"
	wait_port "$PORT"
	printf 'Subject: via haproxy\r\n\r\nsealed\r\n' > "$BATS_TEST_TMPDIR/msg"
	curl -sS --insecure "smtps://127.0.0.1:$PORT" -u bob:pwbob --mail-from bob@test.example \
		--mail-rcpt alice@test.example -T "$BATS_TEST_TMPDIR/msg"
	grep -q '^sealed$' "$(mailbox alice)"
	grep -q '^Received: from .* (127.0.0.1) by test.example with ESMTPSA id ' "$(mailbox alice)"
	grep -q 'relays client 127.0.0.1 (TLS)' "$BATS_TEST_TMPDIR/smtp-tls.log"
	# The same handler straight, without TLS, offers no AUTH.
	crlf 'EHLO c' QUIT | TCPREMOTEIP=127.0.0.1 MAIL_PLAINTEXT_AUTH=tls "$BIN/smtp-handler" 2>/dev/null |
		not grep -q AUTH
}
