#!/usr/bin/env bats
# Hashed passwords: pop3-handler hands `$` fields to crypt-check (beside it,
# or MAIL_CRYPT_CHECK) on a pipe and reads the verdict from its exit status.

load helpers

setup() {
	make_mailroot
	LOG="$BATS_TEST_TMPDIR/log"
	HASH='$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1'
}

pop3() { "$BIN/pop3-handler" 2>>"$LOG" | tr -d '\r'; }

@test "crypt-check: 0 on a match, 1 on a mismatch, 2 on malformed input" {
	run bash -c 'printf "%s\0%s\0" "$1" secret | "$2"' _ "$HASH" "$BIN/crypt-check"
	[ "$status" -eq 0 ]
	run bash -c 'printf "%s\0%s\0" "$1" Secret | "$2"' _ "$HASH" "$BIN/crypt-check"
	[ "$status" -eq 1 ]
	run bash -c 'printf "%s\0secret" "$1" | "$2"' _ "$HASH" "$BIN/crypt-check"
	[ "$status" -eq 2 ]
	run bash -c 'printf "%s\0secret\0extra\0" "$1" | "$2"' _ "$HASH" "$BIN/crypt-check"
	[ "$status" -eq 2 ]
	run bash -c 'printf "plain\0plain\0" | "$1"' _ "$BIN/crypt-check"
	[ "$status" -eq 2 ]
	run bash -c 'head -c 2000 /dev/zero | "$1"' _ "$BIN/crypt-check"
	[ "$status" -eq 2 ]
}

@test "the hash and the password reach the helper on its stdin only, never argv or environment" {
	cat > "$BATS_TEST_TMPDIR/spy" <<SPY
#!/bin/sh
{ echo "argv: \$*"; env; } > "$BATS_TEST_TMPDIR/spy.env"
cat > "$BATS_TEST_TMPDIR/spy.in"
fds=\$(readlink /proc/\$\$/fd/1 /proc/\$\$/fd/2)
echo "\$fds" > "$BATS_TEST_TMPDIR/spy.fds"
exit 0
SPY
	chmod +x "$BATS_TEST_TMPDIR/spy"
	crlf 'USER carol' 'PASS My Secret' STAT QUIT |
		MAIL_CRYPT_CHECK="$BATS_TEST_TMPDIR/spy" pop3 > "$BATS_TEST_TMPDIR/out"
	grep -qx '+OK 0 0' "$BATS_TEST_TMPDIR/out"
	printf '%s\0My Secret\0' "$HASH" | cmp - "$BATS_TEST_TMPDIR/spy.in"
	not grep -q 'Secret\|saltsalt' "$BATS_TEST_TMPDIR/spy.env"
	# Neither the client's connection nor the log is the helper's.
	[ "$(grep -cx /dev/null "$BATS_TEST_TMPDIR/spy.fds")" -eq 2 ]
	# Plaintext fields never run it.
	rm "$BATS_TEST_TMPDIR/spy.in"
	crlf 'USER bob' 'PASS pwbob' QUIT | MAIL_CRYPT_CHECK="$BATS_TEST_TMPDIR/spy" pop3 |
		grep -q '^+OK maildrop'
	[ ! -e "$BATS_TEST_TMPDIR/spy.in" ]
}

@test "a helper that fails or is missing: the login fails with the usual delay, the log says why" {
	crlf 'USER carol' 'PASS secret' QUIT |
		MAIL_CRYPT_CHECK=/nonexistent/crypt-check pop3 > "$BATS_TEST_TMPDIR/out"
	grep -qx -- '-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out"
	grep -q 'cannot run /nonexistent/crypt-check: No such file' "$LOG"
	grep -q 'failed login for carol' "$LOG"
	printf '#!/bin/sh\nexit 7\n' > "$BATS_TEST_TMPDIR/broken"
	chmod +x "$BATS_TEST_TMPDIR/broken"
	start=$(date +%s%N)
	crlf 'USER carol' 'PASS secret' QUIT |
		MAIL_AUTH_DELAY=300 MAIL_CRYPT_CHECK="$BATS_TEST_TMPDIR/broken" pop3 > "$BATS_TEST_TMPDIR/out"
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 300 ]
	grep -qx -- '-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out"
	grep -q 'broken failed (status 1792)' "$LOG"
	not grep -q 'secret' "$LOG"
}

@test "the default helper is the crypt-check beside the handler, whatever the mail root" {
	cp "$BIN/pop3-handler" "$BATS_TEST_TMPDIR/"
	crlf 'USER carol' 'PASS secret' QUIT |
		"$BATS_TEST_TMPDIR/pop3-handler" 2>>"$LOG" | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	grep -qx -- '-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out"
	grep -q "cannot run $BATS_TEST_TMPDIR/crypt-check" "$LOG"
	cp "$BIN/crypt-check" "$BATS_TEST_TMPDIR/"
	(cd / && crlf 'USER carol' 'PASS secret' QUIT |
		"$BATS_TEST_TMPDIR/pop3-handler" 2>>"$LOG" | tr -d '\r') |
		grep -q '^+OK maildrop has 0 messages'
}
