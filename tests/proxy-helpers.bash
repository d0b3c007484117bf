# HAProxy, run from conf/haproxy/haproxy.cfg as shipped, in front of two
# mail "hosts" (tcpspawn instances, each with its own MAIL_HOSTNAME) that
# share one mail root.  Clients connect from 127.0.0.2 and 127.0.0.3, so
# their address can be told from the proxy's.

need_haproxy() {
	command -v haproxy >/dev/null ||
		skip "haproxy is not installed (Debian: apt-get install haproxy)"
	command -v python3 >/dev/null || skip "python3 is not installed"
}

# start_host NAME PROGRAM ADDRESS TRUSTED [COMMAND PREFIX...]: run PROGRAM
# under tcpspawn on ADDRESS (port chosen by the kernel) as host NAME,
# trusting the proxy at TRUSTED; log in $BATS_TEST_TMPDIR/NAME.log; prints
# ADDRESS:PORT.  The prefix runs tcpspawn elsewhere (ip netns exec NS).
start_host() {
	local name=$1 program=$2 address=$3 trusted=$4; shift 4
	local portfile="$BATS_TEST_TMPDIR/$name.port"
	MAIL_HOSTNAME=$name MAIL_PROXY_FROM=$trusted \
		"$@" "$BIN/tcpspawn" -b "$address" -p "$portfile" 0 "$BIN/$program" \
		> /dev/null 2>>"$BATS_TEST_TMPDIR/$name.log" 3>&- &
	echo $! >> "$BATS_TEST_TMPDIR/server.pids"
	for _ in $(seq 200); do
		[ -s "$portfile" ] && { echo "$address:$(cat "$portfile")"; return 0; }
		sleep 0.05
	done
	echo "host $name did not start" >&2
	return 1
}

# start_haproxy: HAProxy with SMTP_HOST1/2 and POP3_HOST1/2 (exported by
# the caller) behind 127.0.0.1:$SMTP_PORT and 127.0.0.1:$POP3_PORT.
start_haproxy() {
	SMTP_PORT=$(free_port)
	POP3_PORT=$(free_port)
	while [ "$POP3_PORT" = "$SMTP_PORT" ]; do POP3_PORT=$(free_port); done
	SMTP_LISTEN=127.0.0.1:$SMTP_PORT POP3_LISTEN=127.0.0.1:$POP3_PORT \
		LB_LOG=stderr CHECK_INTER=${CHECK_INTER:-2s} \
		haproxy -db -f "$REPO/conf/haproxy/haproxy.cfg" \
		> /dev/null 2>>"$BATS_TEST_TMPDIR/haproxy.log" 3>&- &
	echo $! >> "$BATS_TEST_TMPDIR/server.pids"
	wait_port "$SMTP_PORT" && wait_port "$POP3_PORT"
}

# Two hosts for each protocol; PROXY_ADDRESS1/2: the address HAProxy
# reaches host 1/2 from, which is the one each host trusts.
start_two_hosts() {
	local prefix1=() prefix2=()
	[ -z "${NETNS1:-}" ] || prefix1=(ip netns exec "$NETNS1")
	[ -z "${NETNS2:-}" ] || prefix2=(ip netns exec "$NETNS2")
	SMTP_HOST1=$(start_host smtp-a smtp-handler "$HOST1_ADDRESS" "$PROXY_ADDRESS1" "${prefix1[@]}")
	SMTP_HOST2=$(start_host smtp-b smtp-handler "$HOST2_ADDRESS" "$PROXY_ADDRESS2" "${prefix2[@]}")
	POP3_HOST1=$(start_host pop3-a pop3-handler "$HOST1_ADDRESS" "$PROXY_ADDRESS1" "${prefix1[@]}")
	POP3_HOST2=$(start_host pop3-b pop3-handler "$HOST2_ADDRESS" "$PROXY_ADDRESS2" "${prefix2[@]}")
	export SMTP_HOST1 SMTP_HOST2 POP3_HOST1 POP3_HOST2
}

CLIENTS="$REPO/tests/proxy-clients.py"

# deliver_and_fetch CLIENTS MESSAGES: 2 x CLIENTS parallel SMTP clients
# (from 127.0.0.2 and 127.0.0.3) send MESSAGES messages each to alice
# through HAProxy; every message must arrive once, on either host, with the
# client's address in Received:.  Then two POP3 sessions through HAProxy
# retrieve and delete half of them each.
deliver_and_fetch() {
	local clients=$1 messages=$2 total=$((2 * $1 * $2))
	local box; box=$(mailbox alice)
	python3 "$CLIENTS" send 127.0.0.1 "$SMTP_PORT" 127.0.0.2 "$clients" "$messages" a &
	local sender_a=$!
	python3 "$CLIENTS" send 127.0.0.1 "$SMTP_PORT" 127.0.0.3 "$clients" "$messages" b
	wait "$sender_a"

	# Exactly $total messages, each once.
	for tag in a b; do
		for ((c = 0; c < clients; c++)); do
			for ((n = 0; n < messages; n++)); do echo "$tag-$c-$n"; done
		done
	done | sort > "$BATS_TEST_TMPDIR/sent"
	[ "$(count_messages alice)" -eq "$total" ]
	sed -n 's/^Subject: //p' "$box" | sort > "$BATS_TEST_TMPDIR/stored"
	diff "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/stored"

	# Received: names the client, never the proxy.
	[ "$(grep -c '^Received: from client.example (127.0.0.2) by ' "$box")" -eq $((total / 2)) ]
	[ "$(grep -c '^Received: from client.example (127.0.0.3) by ' "$box")" -eq $((total / 2)) ]
	[ "$(grep -c '^Received: ' "$box")" -eq "$total" ]

	# Both hosts took part, and between them delivered everything.
	local on_a on_b
	on_a=$(grep -c 'delivered id=' "$BATS_TEST_TMPDIR/smtp-a.log" || true)
	on_b=$(grep -c 'delivered id=' "$BATS_TEST_TMPDIR/smtp-b.log" || true)
	echo "host a delivered $on_a, host b $on_b"
	[ "$on_a" -gt 0 ]
	[ "$on_b" -gt 0 ]
	[ $((on_a + on_b)) -eq "$total" ]

	# POP3 through HAProxy: two sessions (one per host, round robin)
	# retrieve and delete everything.
	python3 "$CLIENTS" fetch 127.0.0.1 "$POP3_PORT" 127.0.0.2 $((total / 2)) \
		> "$BATS_TEST_TMPDIR/fetched"
	[ "$(count_messages alice)" -eq $((total / 2)) ]
	python3 "$CLIENTS" fetch 127.0.0.1 "$POP3_PORT" 127.0.0.2 "$total" \
		>> "$BATS_TEST_TMPDIR/fetched"
	[ "$(count_messages alice)" -eq 0 ]
	sort "$BATS_TEST_TMPDIR/fetched" | diff "$BATS_TEST_TMPDIR/sent" -
	grep -q 'alice logged in from 127.0.0.2' "$BATS_TEST_TMPDIR/pop3-a.log"
	grep -q 'alice logged in from 127.0.0.2' "$BATS_TEST_TMPDIR/pop3-b.log"
}
