#!/usr/bin/env bats
# HAProxy (conf/haproxy/haproxy.cfg) on 127.0.0.1 in front of two hosts,
# tcpspawn instances with their own MAIL_HOSTNAME sharing one mail root;
# it sends PROXY v2 headers and checks the hosts with SMTP and POP3.

load helpers
load proxy-helpers

setup() {
	need_haproxy
	make_mailroot
	HOST1_ADDRESS=127.0.0.1 HOST2_ADDRESS=127.0.0.1
	PROXY_ADDRESS1=127.0.0.1 PROXY_ADDRESS2=127.0.0.1
}

teardown() { stop_servers; }

@test "2 x 10 parallel clients deliver 400 messages through HAProxy over two hosts: each arrives once, Received: names the client; POP3 through HAProxy retrieves and deletes them" {
	start_two_hosts
	start_haproxy
	deliver_and_fetch 10 20
}

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

@test "a host trusts only its proxy: a client going around HAProxy is refused" {
	start_two_hosts
	run socat -t 2 - "TCP:$SMTP_HOST1,bind=127.0.0.2" < <(crlf 'EHLO x' QUIT)
	not grep -q '^220 ' <<< "$output"
	grep -q 'refused 127.0.0.2: not a trusted proxy' "$BATS_TEST_TMPDIR/smtp-a.log"
}
