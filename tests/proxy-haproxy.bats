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
