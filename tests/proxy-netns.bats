#!/usr/bin/env bats
# The HAProxy recipe with the two hosts in network namespaces of their own,
# joined to this one by veth pairs: separate hosts on separate addresses
# (only as root, where `ip netns` works).

load helpers
load proxy-helpers

setup() {
	need_haproxy
	[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
	command -v ip >/dev/null || skip "ip is not installed (Debian: iproute2)"
	local id=$(( $$ % 100000 )) net=$(( 200 + $$ % 50 ))
	NETNS1=mailpx$id-1 NETNS2=mailpx$id-2
	ip netns add "$NETNS1" 2>/dev/null || skip "ip netns does not work here"
	ip netns add "$NETNS2"
	join_netns "$NETNS1" "mpx${id}h1" "mpx${id}n1" "10.$net.1"
	join_netns "$NETNS2" "mpx${id}h2" "mpx${id}n2" "10.$net.2"
	PROXY_ADDRESS1=10.$net.1.1 HOST1_ADDRESS=10.$net.1.2
	PROXY_ADDRESS2=10.$net.2.1 HOST2_ADDRESS=10.$net.2.2
	make_mailroot
}

teardown() {
	stop_servers
	# Deleting a namespace deletes its end of the veth pair, and the pair.
	[ -z "${NETNS1:-}" ] || ip netns del "$NETNS1" 2>/dev/null || true
	[ -z "${NETNS2:-}" ] || ip netns del "$NETNS2" 2>/dev/null || true
}

# join_netns NS OUTSIDE INSIDE NET: a veth pair, NET.1 here, NET.2 in NS.
join_netns() {
	ip link add "$2" type veth peer name "$3"
	ip link set "$3" netns "$1"
	ip addr add "$4.1/24" dev "$2"
	ip link set "$2" up
	ip netns exec "$1" ip addr add "$4.2/24" dev "$3"
	ip netns exec "$1" ip link set "$3" up
	ip netns exec "$1" ip link set lo up
}

@test "two hosts in their own network namespaces behind HAProxy: 2 x 10 clients deliver 400 messages, each once, Received: names the client, POP3 retrieves and deletes" {
	start_two_hosts
	start_haproxy
	deliver_and_fetch 10 20
	# Each host saw the proxy from its own side of its veth pair.
	grep -q "proxy $PROXY_ADDRESS1 relays client 127.0.0.[23]$" "$BATS_TEST_TMPDIR/smtp-a.log"
	grep -q "proxy $PROXY_ADDRESS2 relays client 127.0.0.[23]$" "$BATS_TEST_TMPDIR/smtp-b.log"
}

@test "a host in its namespace refuses a PROXY header from an address that is not its proxy" {
	start_two_hosts
	# Host 2 trusts only the proxy's end of its veth pair; a client inside
	# host 2's namespace connects from the other end.
	run ip netns exec "$NETNS2" socat -t 2 - "TCP:$SMTP_HOST2" \
		< <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nQUIT\r\n')
	not grep -q '^220 ' <<< "$output"
	grep -q "refused $HOST2_ADDRESS: not a trusted proxy" "$BATS_TEST_TMPDIR/smtp-b.log"
}
