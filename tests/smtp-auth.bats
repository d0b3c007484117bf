#!/usr/bin/env bats
# SMTP AUTH (RFC 4954, PLAIN and LOGIN): real clients on a loopback
# listener, where a password may travel in the clear; who is offered the
# mechanisms; submission; hostile exchanges; and no password in any log.

load helpers

setup() {
	make_mailroot
	LOG="$BATS_TEST_TMPDIR/log"
	export MAIL_LOG=stderr
}
teardown() { stop_servers; }

smtp() { "$BIN/smtp-handler" "$@" 2>>"$LOG" | tr -d '\r'; }
b64() { printf "$1" | base64 -w0; }

# The reply codes of a transcript, in order.
codes() { grep -oE '^[0-9]{3} ' | tr -d '\n'; }

received() { grep -m1 '^Received: ' "$(mailbox "$1")"; }

@test "Python smtplib login() on a loopback listener: ESMTPA in Received:, the user in the log" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	python3 - "$PORT" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.ehlo("client.example")
    assert s.has_extn("auth"), s.esmtp_features
    assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
    s.login("carol", "secret")          # a crypt hash in userinfo.txt
    s.sendmail("carol@test.example", ["alice@test.example"],
               "Subject: smtplib\r\n\r\nauthenticated\r\n")
PY
	received alice | grep -q ' with ESMTPA id '
	grep -q '^authenticated$' "$(mailbox alice)"
	grep -q 'carol authenticated from 127.0.0.1 (AUTH PLAIN)' "$BATS_TEST_TMPDIR/server.log"
	grep -q 'delivered id=.* from=<carol@test.example> auth=carol to=alice' "$BATS_TEST_TMPDIR/server.log"
}

@test "swaks -a LOGIN and curl -u on a loopback listener deliver" {
	command -v swaks || skip "swaks not installed (Debian: swaks)"
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	swaks --server 127.0.0.1 --port "$PORT" --from bob@test.example \
		--to alice@test.example -a LOGIN -au bob -ap pwbob \
		--header 'Subject: swaks' --body 'via swaks' > "$BATS_TEST_TMPDIR/swaks"
	grep -q '^<-  334 VXNlcm5hbWU6' "$BATS_TEST_TMPDIR/swaks"
	grep -q '^<-  235 2.7.0' "$BATS_TEST_TMPDIR/swaks"
	printf 'Subject: curl\r\n\r\nvia curl\r\n' > "$BATS_TEST_TMPDIR/msg"
	curl -sS "smtp://127.0.0.1:$PORT" -u alice:pwalice --mail-from alice@test.example \
		--mail-rcpt bob@test.example -T "$BATS_TEST_TMPDIR/msg"
	grep -q '^via swaks' "$(mailbox alice)"
	grep -q '^via curl' "$(mailbox bob)"
	received alice | grep -q ' with ESMTPA id '
	received bob | grep -q ' with ESMTPA id '
	# A wrong password: curl fails, nothing is delivered.
	not curl -sS "smtp://127.0.0.1:$PORT" -u alice:wrong --mail-from alice@test.example \
		--mail-rcpt bob@test.example -T "$BATS_TEST_TMPDIR/msg" 2>"$BATS_TEST_TMPDIR/err"
	grep -q 'Login denied' "$BATS_TEST_TMPDIR/err"
	[ "$(count_messages bob)" = 1 ]
}

@test "PLAIN and LOGIN with and without an initial response; the challenges are RFC 4954's" {
	plain=$(b64 '\0bob\0pwbob')
	crlf 'EHLO c' "AUTH PLAIN $plain" QUIT | smtp > "$BATS_TEST_TMPDIR/a"
	[ "$(codes < "$BATS_TEST_TMPDIR/a")" = "220 250 235 221 " ]
	crlf 'EHLO c' 'AUTH PLAIN' "$plain" QUIT | smtp > "$BATS_TEST_TMPDIR/b"
	grep -qx '334 ' "$BATS_TEST_TMPDIR/b"
	grep -qx '235 2.7.0 Authentication successful' "$BATS_TEST_TMPDIR/b"
	crlf 'EHLO c' "AUTH LOGIN $(b64 bob)" "$(b64 pwbob)" QUIT | smtp > "$BATS_TEST_TMPDIR/c"
	[ "$(grep -c '^334 ' "$BATS_TEST_TMPDIR/c")" = 1 ]
	grep -qx '334 UGFzc3dvcmQ6' "$BATS_TEST_TMPDIR/c"
	grep -q '^235 ' "$BATS_TEST_TMPDIR/c"
	# An authzid naming the same user is fine; another user is not.
	crlf 'EHLO c' "AUTH PLAIN $(b64 'bob\0bob\0pwbob')" QUIT | smtp | grep -q '^235 '
	crlf 'EHLO c' "AUTH PLAIN $(b64 'alice\0bob\0pwbob')" QUIT | smtp | grep -q '^535 5.7.8 '
	# The mechanism's name in any case; the empty initial response "=".
	crlf 'EHLO c' 'auth plain =' QUIT | smtp | grep -q '^501 5.5.2 '
	crlf 'EHLO c' 'auth login' "$(b64 bob)" "$(b64 pwbob)" QUIT | smtp | grep -q '^235 '
}

@test "hostile AUTH: bad base64, a 10 KB response, *, unknown mechanisms, wrong places; the session goes on" {
	long=$(head -c 7680 /dev/zero | base64 -w0)
	crlf 'AUTH PLAIN' 'EHLO c' 'AUTH PLAIN !!!!' 'AUTH PLAIN' "$long" \
		'AUTH LOGIN' '*' 'AUTH CRAM-MD5' 'AUTH' 'AUTH PLAIN a b' \
		'AUTH LOGIN' "$(b64 'bo\0b')" 'MAIL FROM:<a@x>' "AUTH PLAIN $(b64 '\0bob\0pwbob')" \
		RSET "AUTH PLAIN $(b64 '\0bob\0pwbob')" "AUTH PLAIN $(b64 '\0bob\0pwbob')" \
		'MAIL FROM:<a@x> AUTH=<>' 'RCPT TO:<alice@x>' NOOP QUIT |
		smtp > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	[ "$(codes < "$BATS_TEST_TMPDIR/out")" = \
	  "220 503 250 501 334 500 334 501 504 501 501 334 501 250 503 250 235 503 250 250 250 221 " ]
	grep -qx '503 Send HELO or EHLO first' "$BATS_TEST_TMPDIR/out"
	grep -qx '500 5.5.6 Authentication exchange line is too long (1024 octets at most)' "$BATS_TEST_TMPDIR/out"
	grep -qx '501 5.7.0 Authentication cancelled' "$BATS_TEST_TMPDIR/out"
	grep -qx '504 5.5.4 Unrecognized authentication type' "$BATS_TEST_TMPDIR/out"
	grep -qx '503 5.5.1 AUTH not allowed during a mail transaction' "$BATS_TEST_TMPDIR/out"
	grep -qx '503 5.5.1 Already authenticated' "$BATS_TEST_TMPDIR/out"
	# After HELO there is no AUTH (it is an ESMTP extension).
	crlf 'HELO c' "AUTH PLAIN $(b64 '\0bob\0pwbob')" QUIT | smtp | grep -qx '503 Send EHLO first'
	# A users file that cannot be read is a temporary failure, not 535.
	mv "$ROOT/userinfo.txt" "$ROOT/userinfo.away"
	crlf 'EHLO c' "AUTH PLAIN $(b64 '\0bob\0pwbob')" QUIT | smtp |
		grep -qx '454 4.7.0 Temporary authentication failure'
}

@test "three wrong passwords end the session with 421, each after the failed-login delay" {
	start=$(date +%s%N)
	crlf 'EHLO c' "AUTH PLAIN $(b64 '\0bob\0nope1')" \
		'AUTH LOGIN' "$(b64 bob)" "$(b64 nope2)" \
		"AUTH PLAIN $(b64 '\0nosuchuser\0nope3')" NOOP |
		MAIL_AUTH_DELAY=200 smtp > "$BATS_TEST_TMPDIR/out"
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$(codes < "$BATS_TEST_TMPDIR/out")" = "220 250 535 334 334 535 421 " ]
	grep -qx '421 4.7.0 test.example Too many failed authentications, closing connection' \
		"$BATS_TEST_TMPDIR/out"
	[ "$elapsed_ms" -ge 600 ]
	[ "$(grep -c 'failed login for' "$LOG")" = 3 ]
	grep -q 'failed login for an unknown user from stdin (AUTH PLAIN)' "$LOG"
}

@test "where the password would travel in the clear, nothing is offered: 538; MAIL_TLS, -A always and a PROXY v2 SSL TLV offer it" {
	plain=$(b64 '\0bob\0pwbob')
	# A client on another host, no TLS (the launcher's TCPREMOTEIP).
	crlf 'EHLO c' "AUTH PLAIN $plain" 'AUTH LOGIN' QUIT |
		TCPREMOTEIP=192.0.2.7 smtp > "$BATS_TEST_TMPDIR/out"
	not grep -q AUTH "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^538 5.7.11 Encryption required' "$BATS_TEST_TMPDIR/out")" = 2 ]
	# -A tls refuses even loopback.
	crlf 'EHLO c' "AUTH PLAIN $plain" QUIT | smtp -A tls | grep -q '^538 '
	# Behind TLS, or told to allow it anyway.
	for opts in "-T yes" "-A always"; do
		crlf 'EHLO c' "AUTH PLAIN $plain" QUIT |
			TCPREMOTEIP=192.0.2.7 smtp $opts > "$BATS_TEST_TMPDIR/out"
		grep -qx '250-AUTH PLAIN LOGIN' "$BATS_TEST_TMPDIR/out"
		grep -q '^235 ' "$BATS_TEST_TMPDIR/out"
	done
	# A trusted proxy's v2 header for a client on another host: its SSL
	# TLV (a NOOP TLV before it) says whether the client used TLS.
	v2='\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x17\xc0\x00\x02\x07\x7f\x00\x00\x01\x12\x34\x00\x19\x04\x00\x00'
	for client in 0 1; do
		{ printf "$v2"'\x20\x00\x05\x0'"$client"'\x00\x00\x00\x00'
		  crlf 'EHLO c' "AUTH PLAIN $plain" 'MAIL FROM:<b@x>' 'RCPT TO:<alice@x>' \
			DATA 'Subject: s' '' 'tls' . QUIT; } |
			TCPREMOTEIP=127.0.0.1 MAIL_PROXY_FROM=127.0.0.1 smtp > "$BATS_TEST_TMPDIR/out$client"
	done
	[ "$(codes < "$BATS_TEST_TMPDIR/out0")" = "220 250 538 250 250 354 250 221 " ]
	[ "$(codes < "$BATS_TEST_TMPDIR/out1")" = "220 250 235 250 250 354 250 221 " ]
	grep -qx '250-AUTH PLAIN LOGIN' "$BATS_TEST_TMPDIR/out1"
	grep '^Received: ' "$(mailbox alice)" > "$BATS_TEST_TMPDIR/received"
	[ "$(grep -c 'from c (192.0.2.7) by test.example with ESMTPS id ' "$BATS_TEST_TMPDIR/received")" = 0 ]
	grep -q 'from c (192.0.2.7) by test.example with ESMTP id ' "$BATS_TEST_TMPDIR/received"
	grep -q 'from c (192.0.2.7) by test.example with ESMTPSA id ' "$BATS_TEST_TMPDIR/received"
	grep -q 'relays client 192.0.2.7 (TLS)' "$LOG"
}

@test "a submission listener wants AUTH before MAIL (530); MAIL_TLS alone says ESMTPS" {
	crlf 'EHLO c' 'MAIL FROM:<a@x>' 'MAIL_FROM: a@x' "AUTH PLAIN $(b64 '\0bob\0pwbob')" \
		'MAIL FROM:<a@x>' QUIT | smtp -S yes > "$BATS_TEST_TMPDIR/out"
	[ "$(codes < "$BATS_TEST_TMPDIR/out")" = "220 250 530 530 235 250 221 " ]
	grep -qx '530 5.7.0 Authentication required' "$BATS_TEST_TMPDIR/out"
	crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA 'x' . QUIT | smtp -T yes > /dev/null
	received alice | grep -q ' with ESMTPS id '
}

@test "no password or SASL response in any log line or recording" {
	mkdir "$BATS_TEST_TMPDIR/rec"
	plain=$(b64 '\0alice\0Secret-Plain-1')
	login_user=$(b64 Secret-User-2) login_pw=$(b64 Secret-Login-3)
	crlf 'EHLO c' "AUTH PLAIN $plain" 'AUTH LOGIN' "$login_user" "$login_pw" \
		'AUTH PLAIN' "$(b64 '\0bob\0pwbob')" 'MAIL FROM:<a@x>' QUIT |
		MAIL_RECORD="$BATS_TEST_TMPDIR/rec" smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(codes < "$BATS_TEST_TMPDIR/out")" = "220 250 535 334 334 535 334 235 250 221 " ]
	in=$(ls "$BATS_TEST_TMPDIR"/rec/*.in)
	diff - <(tr -d '\r' < "$in") <<'IN'
EHLO c
AUTH PLAIN ********
AUTH LOGIN
********
********
AUTH PLAIN
********
MAIL FROM:<a@x>
QUIT
IN
	for word in Secret-Plain-1 Secret-User-2 Secret-Login-3 pwbob "$plain" "$login_user" \
		    "$login_pw" "$(b64 '\0bob\0pwbob')"; do
		not grep -qF -- "$word" "$LOG" "$in"
	done
}

@test "recordings star the password whatever the form: LOGIN's initial response, odd spaces, refusals, an over-long line, after a PROXY v2 header or a BDAT chunk" {
	pw=$(b64 Hidden-Pw-9) plain=$(b64 '\0bob\0Hidden-Pw-9')
	v2='\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x07\x7f\x00\x00\x01\x12\x34\x00\x19'
	transcripts=(
		"$(crlf 'EHLO c' "AUTH LOGIN $(b64 bob)" "$pw" QUIT)"
		"$(crlf 'EHLO c' 'AUTH PLAIN ' "$plain" 'AUTH  LOGIN  ' "$(b64 bob)" "$pw" QUIT)"
		"$(crlf "AUTH PLAIN $plain" 'AUTH LOGIN' 'EHLO c' 'AUTH  PLAIN   '"$plain" QUIT)"
		"$(crlf 'EHLO c' 'AUTH LOGIN' '!!!!' 'AUTH PLAIN' "$plain" QUIT)"
		"$(crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>'; printf 'BDAT 3\r\nabc'; crlf RSET "AUTH PLAIN $plain" QUIT)"
		"$(crlf 'EHLO c' "AUTH$(printf '%600s') PLAIN $plain" QUIT)"
	)
	for t in "${transcripts[@]}"; do
		rm -rf "$BATS_TEST_TMPDIR/rec"; mkdir "$BATS_TEST_TMPDIR/rec"
		printf '%s\n' "$t" | MAIL_RECORD="$BATS_TEST_TMPDIR/rec" smtp > "$BATS_TEST_TMPDIR/out"
		grep -q '^221 ' "$BATS_TEST_TMPDIR/out"
		in=$(ls "$BATS_TEST_TMPDIR"/rec/*.in)
		cat "$in"
		grep -q '\*\*\*\*\*\*\*\*' "$in"
		for word in Hidden-Pw-9 "$pw" "$plain"; do not grep -qF -- "$word" "$in"; done
		grep -qx $'QUIT\r' "$in"
	done
	# Behind a PROXY v2 header: the header is recorded as it came, the
	# AUTH line after it starred.
	rm -rf "$BATS_TEST_TMPDIR/rec"; mkdir "$BATS_TEST_TMPDIR/rec"
	{ printf "$v2"; crlf "AUTH PLAIN $plain" QUIT; } |
		TCPREMOTEIP=127.0.0.1 MAIL_PROXY_FROM=127.0.0.1 MAIL_PLAINTEXT_AUTH=always MAIL_RECORD="$BATS_TEST_TMPDIR/rec" \
		"$BIN/pop3-handler" 2>>"$LOG" > "$BATS_TEST_TMPDIR/out"
	grep -q '^-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out"
	in=$(ls "$BATS_TEST_TMPDIR"/rec/*.in)
	grep -qa $'\x19AUTH PLAIN \\*\\*\\*\\*\\*\\*\\*\\*\r$' "$in"
	for word in Hidden-Pw-9 "$plain"; do not grep -qaF -- "$word" "$in"; done
}
