#!/usr/bin/env bats
# Round trips with real POP3 clients (curl's pop3://, python3's poplib)
# against pop3-handler behind socat on a loopback port.

load helpers

setup() {
	make_mailroot
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
	PORT=$(free_port)
	start_server "$PORT" socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:$BIN/pop3-handler"
}

teardown() { stop_servers; }

# Message N of USER's mailbox as a POP3 client ends up with it: CRLF line
# endings, dot-stuffing undone.
client_view() {
	awk -v want="$2" '
		$0 == "." { n++; next }
		n + 1 == want { sub(/^\./, ""); printf "%s\r\n", $0 }
	' "$(mailbox "$1")"
}

@test "curl pop3:// LIST gives every message's size as the client receives it" {
	run curl -sS -u bob:pwbob "pop3://127.0.0.1:$PORT/"
	[ "$status" -eq 0 ]
	for n in 1 2 3; do
		size=$(client_view bob "$n" | wc -c)
		echo "$output" | grep -qx "$n $size"$'\r'
	done
	[ "$(echo "$output" | wc -l)" -eq 3 ]
}

@test "curl pop3:// RETR by number is byte-exact, lines . .. .x included" {
	for n in 1 2 3; do
		curl -sS -u bob:pwbob "pop3://127.0.0.1:$PORT/$n" \
			> "$BATS_TEST_TMPDIR/got"
		client_view bob "$n" > "$BATS_TEST_TMPDIR/want"
		cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	done
	# The dot lines really came back unstuffed.
	curl -sS -u bob:pwbob "pop3://127.0.0.1:$PORT/2" | tr -d '\r' \
		> "$BATS_TEST_TMPDIR/dots"
	grep -qx '\.' "$BATS_TEST_TMPDIR/dots"
	grep -qx '\.\.' "$BATS_TEST_TMPDIR/dots"
	grep -qx '\.x' "$BATS_TEST_TMPDIR/dots"
}

@test "curl pop3:// -X DELE removes the message at QUIT" {
	curl -sS -u bob:pwbob -X DELE -I "pop3://127.0.0.1:$PORT/2"
	[ "$(count_messages bob)" -eq 2 ]
	run grep -q '^Subject: Dots' "$(mailbox bob)"
	[ "$status" -eq 1 ]
	grep -q '^Subject: First' "$(mailbox bob)"
}

@test "curl pop3:// with a wrong password fails and deletes nothing" {
	run curl -sS -u bob:nope -X DELE -I "pop3://127.0.0.1:$PORT/1"
	[ "$status" -ne 0 ]
	[ "$(count_messages bob)" -eq 3 ]
}

@test "poplib: STAT, LIST, RETR octets and bodies match the store, UIDL stable" {
	command -v python3 >/dev/null || skip "python3 not installed"
	for n in 1 2 3; do client_view bob "$n" > "$BATS_TEST_TMPDIR/want$n"; done
	python3 - "$PORT" "$BATS_TEST_TMPDIR" <<'PY'
import poplib, sys
port, tmp = int(sys.argv[1]), sys.argv[2]
def session():
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    assert p.getwelcome() == b"+OK POP3 server ready", p.getwelcome()
    p.user("bob"); p.pass_("pwbob")
    return p
p = session()
count, total = p.stat()
assert count == 3, count
sizes = {int(l.split()[0]): int(l.split()[1]) for l in p.list()[1]}
assert sum(sizes.values()) == total
for n in (1, 2, 3):
    want = open(f"{tmp}/want{n}", "rb").read()
    resp, lines, octets = p.retr(n)
    assert octets == sizes[n] == len(want), (n, octets, sizes[n], len(want))
    assert b"".join(l + b"\r\n" for l in lines) == want, n
uidl1 = p.uidl()[1]
assert len(set(l.split()[1] for l in uidl1)) == 3, uidl1
caps = p.capa()
for c in ("TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING", "IMPLEMENTATION"):
    assert c in caps, (c, caps)
p.quit()
p = session()
assert p.uidl()[1] == uidl1
p.quit()
PY
}

@test "pipelined RETR of messages from 100 octets to 150 KiB is byte-exact" {
	# Sizes around the writer's 64 KiB and the read window's 32 KiB, long
	# and dot-led lines: every message crosses buffer edges differently.
	python3 - "$(mailbox carol)" "$BATS_TEST_TMPDIR/want" <<'PY'
import random, sys
random.seed(7)
store, want = open(sys.argv[1], "wb"), open(sys.argv[2], "wb")
for n in range(40):
    size = random.choice([100, 2000, 31000, 33000, 65000, 70000, 150000])
    lines, total = [b"Subject: %d" % n, b""], 0
    while total < size:
        kind = random.randrange(5)
        line = (b"." if kind == 0 else b"") + \
               b"x" * (random.randrange(3000) if kind == 1 else random.randrange(80))
        lines.append(line)
        total += len(line) + 1
    body = b"".join(l + b"\r\n" for l in lines)
    store.write(b"".join((b"." + l if l.startswith(b".") else l) + b"\n"
                         for l in lines) + b".\n")
    want.write(b"+OK %d octets\r\n" % len(body) +
               body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
PY
	# The expected reply stuffs dots again, as RETR sends them (and the
	# first line is never dot-led).
	{ printf 'USER carol\r\nPASS secret\r\n'
	  for n in $(seq 40); do printf 'RETR %d\r\n' "$n"; done
	  printf 'QUIT\r\n'; } | "$BIN/pop3-handler" 2>/dev/null |
		sed '1,3d;$d' > "$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}
