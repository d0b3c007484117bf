#!/usr/bin/env bats
# POP3 AUTH (RFC 5034, PLAIN and LOGIN) beside USER/PASS: real clients on
# a loopback listener, CAPA's SASL line only where a password may travel in
# the clear, hostile exchanges, the shared failure limit, and recordings
# without the password.

load helpers
load pop3-helpers

setup() {
	make_mailroot
	bob_gets_golden_mailbox
	LOG="$BATS_TEST_TMPDIR/log"
}
teardown() { stop_servers; }

pop3() { "$BIN/pop3-handler" "$@" 2>>"$LOG" | tr -d '\r'; }
b64() { printf "$1" | base64 -w0; }

@test "poplib's AUTH PLAIN and curl's SASL LOGIN and PLAIN log in and retrieve" {
	PORT=$(spawn_any_port "$BIN/pop3-handler")
	python3 - "$PORT" "$(mailbox bob)" <<'PY'
import base64, poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
capa = p.capa()
assert capa["SASL"] == ["PLAIN", "LOGIN"], capa
token = base64.b64encode(b"\0bob\0pwbob").decode()
assert p._shortcmd("AUTH PLAIN " + token).startswith(b"+OK maildrop has 3")
lines = p.retr(1)[1]
stored = open(sys.argv[2], "rb").read().split(b"\n.\n")[0]
assert b"\n".join(lines).replace(b"\n..", b"\n.") in stored
p.quit()
PY
	for mech in LOGIN PLAIN; do
		# carol's password is a crypt hash; her drop is empty.
		curl -sS --login-options "AUTH=$mech" -u carol:secret \
			"pop3://127.0.0.1:$PORT/" > /dev/null
		curl -sS --login-options "AUTH=$mech" -u bob:pwbob \
			"pop3://127.0.0.1:$PORT/" | tr -d '\r' > "$BATS_TEST_TMPDIR/list"
		[ "$(wc -l < "$BATS_TEST_TMPDIR/list")" = 3 ]
	done
	grep -q 'carol logged in from 127.0.0.1: 0 messages, 0 octets (AUTH LOGIN)' "$BATS_TEST_TMPDIR/server.log"
	grep -q 'bob logged in from 127.0.0.1: 3 messages, .* (AUTH PLAIN)' "$BATS_TEST_TMPDIR/server.log"
	not curl -sS --login-options AUTH=PLAIN -u bob:wrong "pop3://127.0.0.1:$PORT/" 2>/dev/null
}

@test "hostile AUTH: bad base64, a 10 KB response, *, unknown mechanism, NUL in LOGIN; the session goes on" {
	long=$(head -c 7680 /dev/zero | base64 -w0)
	crlf 'AUTH PLAIN !!!!' 'AUTH PLAIN' "$long" 'AUTH LOGIN' '*' 'AUTH KERBEROS_V4' \
		'AUTH LOGIN' "$(b64 'b\0ob')" 'AUTH PLAIN a b' AUTH \
		"AUTH PLAIN $(b64 '\0bob\0pwbob')" STAT "AUTH PLAIN $(b64 '\0bob\0pwbob')" QUIT |
		pop3 > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	diff - "$BATS_TEST_TMPDIR/out" <<'OUT'
+OK POP3 server ready
-ERR malformed SASL response
+ 
-ERR SASL response too long (1024 octets at most)
+ VXNlcm5hbWU6
-ERR authentication cancelled
-ERR [AUTH] unknown SASL mechanism
+ VXNlcm5hbWU6
-ERR malformed SASL response
-ERR syntax error in arguments
+OK SASL mechanisms follow
PLAIN
LOGIN
.
+OK maildrop has 3 messages (618 octets)
+OK 3 618
-ERR command not valid in this state
+OK Thanks for using POP3 server
OUT
}

@test "PASS and AUTH failures count together: the third ends the session; the log names no password" {
	crlf 'USER bob' 'PASS Wrong-Pass-1' "AUTH PLAIN $(b64 '\0bob\0Wrong-Plain-2')" \
		'AUTH LOGIN' "$(b64 Wrong-Name-3)" "$(b64 pw)" STAT |
		pop3 > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out")" = 2 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '-ERR [AUTH] too many failed logins, closing' ]
	grep -q 'failed login for bob from stdin (PASS)' "$LOG"
	grep -q 'failed login for bob from stdin (AUTH PLAIN)' "$LOG"
	grep -q 'failed login for an unknown user from stdin (AUTH LOGIN)' "$LOG"
	for word in Wrong-Pass-1 Wrong-Plain-2 Wrong-Name-3; do
		not grep -qF -- "$word" "$LOG"
	done
}

@test "a client on another host without TLS gets no SASL in CAPA and -ERR for AUTH; USER/PASS still work; MAIL_TLS offers it" {
	crlf CAPA AUTH "AUTH PLAIN $(b64 '\0bob\0pwbob')" 'USER bob' 'PASS pwbob' STAT QUIT |
		TCPREMOTEIP=198.51.100.4 pop3 > "$BATS_TEST_TMPDIR/out"
	not grep -q '^SASL' "$BATS_TEST_TMPDIR/out"
	grep -qx -- '-ERR \[AUTH\] plaintext authentication needs a TLS connection here' "$BATS_TEST_TMPDIR/out"
	grep -qx '+OK 3 618' "$BATS_TEST_TMPDIR/out"
	# The bare AUTH lists nothing there.
	[ "$(sed -n '/^+OK SASL mechanisms follow$/,/^\.$/p' "$BATS_TEST_TMPDIR/out" | wc -l)" = 2 ]
	crlf CAPA "AUTH PLAIN $(b64 '\0bob\0pwbob')" QUIT |
		TCPREMOTEIP=198.51.100.4 pop3 -T yes > "$BATS_TEST_TMPDIR/out"
	grep -qx 'SASL PLAIN LOGIN' "$BATS_TEST_TMPDIR/out"
	grep -q '^+OK maildrop has 3 messages' "$BATS_TEST_TMPDIR/out"
	# Once logged in, CAPA no longer offers SASL (RFC 2449: it may differ).
	crlf 'USER bob' 'PASS pwbob' CAPA QUIT | pop3 | not grep -q '^SASL'
}

@test "a recorded POP3 AUTH keeps its password out of the recording" {
	mkdir "$BATS_TEST_TMPDIR/rec"
	crlf "AUTH PLAIN $(b64 '\0bob\0Pw-In-Plain')" 'AUTH LOGIN' "$(b64 bob)" "$(b64 pwbob)" STAT QUIT |
		MAIL_RECORD="$BATS_TEST_TMPDIR/rec" pop3 > "$BATS_TEST_TMPDIR/out"
	grep -qx '+OK 3 618' "$BATS_TEST_TMPDIR/out"
	in=$(ls "$BATS_TEST_TMPDIR"/rec/*.in)
	diff - <(tr -d '\r' < "$in") <<'IN'
AUTH PLAIN ********
AUTH LOGIN
********
********
STAT
QUIT
IN
}

@test "an unknown user's login runs the hash check a hashed user's does, so its time tells nothing" {
	printf '#!/bin/sh\necho run >> %s\nexec %s\n' "$BATS_TEST_TMPDIR/runs" \
		"$(dirname "$BIN/pop3-handler")/crypt-check" > "$BATS_TEST_TMPDIR/counting-check"
	chmod +x "$BATS_TEST_TMPDIR/counting-check"
	export MAIL_CRYPT_CHECK="$BATS_TEST_TMPDIR/counting-check"
	runs() { cat "$BATS_TEST_TMPDIR/runs" 2>/dev/null | wc -l; }
	crlf 'USER carol' 'PASS wrong' QUIT | pop3 > /dev/null
	[ "$(runs)" = 1 ]
	crlf 'USER nosuchuser' 'PASS wrong' "AUTH PLAIN $(b64 '\0nobody\0x')" QUIT | pop3 > /dev/null
	[ "$(runs)" = 3 ]
	# A known plaintext user is a plaintext compare, and so is everyone
	# once the file holds no hash.
	crlf 'USER bob' 'PASS wrong' QUIT | pop3 > /dev/null
	[ "$(runs)" = 3 ]
	sed -i '/^carol/d' "$ROOT/userinfo.txt"
	crlf 'USER nosuchuser' 'PASS wrong' QUIT | pop3 > /dev/null
	[ "$(runs)" = 3 ]
}
