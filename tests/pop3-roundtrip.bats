#!/usr/bin/env bats
# Mail delivered by smtp-handler (curl smtp://, python3's smtplib) comes
# back byte-exact through pop3-handler (curl pop3://, poplib), both behind
# tcpspawn on loopback ports.

load helpers
load pop3-helpers

setup() {
	make_mailroot
	SMTP=$(free_port)
	start_server "$SMTP" "$BIN/tcpspawn" -b 127.0.0.1 "$SMTP" "$BIN/smtp-handler"
	POP3=$(free_port)
	start_server "$POP3" "$BIN/tcpspawn" -b 127.0.0.1 "$POP3" "$BIN/pop3-handler"
	# A message whose body has the lines that dot-stuffing is about.
	printf '%s\r\n' 'From: alice@test.example' 'To: bob@test.example' \
		'Subject: dots' '' 'first line' '.' '..' '.x' '...' '' 'last' \
		> "$BATS_TEST_TMPDIR/message"
}

teardown() {
	stop_servers
	kill_sessions
}

send_with_curl() {
	curl -sS "smtp://127.0.0.1:$SMTP" --mail-from alice@test.example \
		--mail-rcpt bob@test.example -T "$BATS_TEST_TMPDIR/message"
}

@test "curl smtp:// then curl pop3://: LIST size and RETR bytes as sent" {
	send_with_curl
	send_with_curl
	[ "$(count_messages bob)" -eq 2 ]
	curl -sS -u bob:pwbob "pop3://127.0.0.1:$POP3/2" > "$BATS_TEST_TMPDIR/got"
	# The server added Return-Path:, Delivered-To: and Received:; the
	# rest is as sent.
	sed -n 1p "$BATS_TEST_TMPDIR/got" | grep -qx $'Return-Path: <alice@test.example>\r'
	sed -n 2p "$BATS_TEST_TMPDIR/got" | grep -qx $'Delivered-To: bob@test.example\r'
	sed -n 3p "$BATS_TEST_TMPDIR/got" | grep -q '^Received: from '
	tail -n +4 "$BATS_TEST_TMPDIR/got" | cmp "$BATS_TEST_TMPDIR/message" -
	size=$(wc -c < "$BATS_TEST_TMPDIR/got")
	curl -sS -u bob:pwbob "pop3://127.0.0.1:$POP3/" | grep -qx "2 $size"$'\r'
	curl -sS -u bob:pwbob -X DELE -I "pop3://127.0.0.1:$POP3/1"
	[ "$(count_messages bob)" -eq 1 ]
}

@test "smtplib then poplib: octets equal LIST sizes, bodies byte-exact" {
	command -v python3 >/dev/null || skip "python3 not installed"
	python3 - "$SMTP" "$POP3" "$BATS_TEST_TMPDIR/message" <<'PY'
import poplib, smtplib, sys
smtp, pop3, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
message = open(path, "rb").read()
with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as s:
    for _ in range(3):
        s.sendmail("alice@test.example", ["bob@test.example"], message)
p = poplib.POP3("127.0.0.1", pop3, timeout=10)
p.user("bob"); p.pass_("pwbob")
count, total = p.stat()
assert count == 3, count
sizes = {int(l.split()[0]): int(l.split()[1]) for l in p.list()[1]}
for n in (1, 2, 3):
    resp, lines, octets = p.retr(n)
    got = b"".join(l + b"\r\n" for l in lines)
    assert octets == sizes[n] == len(got), (octets, sizes[n], len(got))
    assert got.endswith(message), got
ids = [l.split()[1] for l in p.uidl()[1]]
assert len(set(ids)) == 3, ids
p.dele(2)
p.quit()
p = poplib.POP3("127.0.0.1", pop3, timeout=10)
p.user("bob"); p.pass_("pwbob")
assert [l.split()[1] for l in p.uidl()[1]] == [ids[0], ids[2]]
p.quit()
PY
	[ "$(count_messages bob)" -eq 2 ]
}

@test "SMTP delivery is not blocked by an open POP3 session, and survives its QUIT" {
	send_with_curl
	session_open a
	session_login a bob pwbob
	session_send a 'DELE 1'
	session_wait a '^\+OK message deleted'
	# Delivered while bob's maildrop is locked: accepted at once.
	send_with_curl
	[ "$(count_messages bob)" -eq 2 ]
	session_send a 'STAT' 'QUIT'
	session_wait a '^\+OK Thanks'
	session_out a | grep -qx '+OK 0 0'
	session_exit a
	[ "$(count_messages bob)" -eq 1 ]
	curl -sS -u bob:pwbob "pop3://127.0.0.1:$POP3/1" | tail -n +4 |
		cmp "$BATS_TEST_TMPDIR/message" -
}
