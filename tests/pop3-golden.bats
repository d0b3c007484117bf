#!/usr/bin/env bats
# Golden transcripts: tests/golden/pop3-*.in (one command per line, sent
# with CRLF) piped into pop3-handler; the reply, with CRLF checked and then
# stripped and dates masked, must equal tests/golden/pop3-*.out.
# GOLDEN_UPDATE=1 rewrites the .out files (review the diff before committing).

load helpers

setup() {
	make_mailroot
	cp "$REPO/USERS/alice/my_mailbox.txt" "$(mailbox alice)"
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
}

golden() {
	local name=$1 dir="$REPO/tests/golden"
	sed 's/$/\r/' "$dir/$name.in" | "$BIN/pop3-handler" \
		> "$BATS_TEST_TMPDIR/raw" 2> "$BATS_TEST_TMPDIR/log"
	# Every line the server sends ends with CR LF.
	if grep -qv $'\r$' "$BATS_TEST_TMPDIR/raw"; then
		echo "line without CR LF in the reply:" >&2
		grep -nv $'\r$' "$BATS_TEST_TMPDIR/raw" >&2
		return 1
	fi
	sed 's/\r$//' "$BATS_TEST_TMPDIR/raw" | mask > "$BATS_TEST_TMPDIR/got"
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$BATS_TEST_TMPDIR/got" "$dir/$name.out"
	fi
	diff -u "$dir/$name.out" "$BATS_TEST_TMPDIR/got"
}

@test "golden: full session over the demo store" {
	golden pop3-session
	# DELE, RSET, DELE, QUIT: the message is gone.
	[ "$(count_messages alice)" -eq 0 ]
}

@test "golden: lowercase verbs, dot-stuffed lines, TOP with body lines" {
	golden pop3-dots
	cmp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
}

@test "golden: every error path in TRANSACTION, session goes on" {
	MAIL_MAX_ERRORS=100 golden pop3-errors
	# QUIT after DELE 2: message 2 removed, 1 and 3 kept.
	[ "$(count_messages bob)" -eq 2 ]
	run grep -q '^Subject: Dots' "$(mailbox bob)"
	[ "$status" -eq 1 ]
}

@test "golden: commands before login, PASS before USER, bad user names" {
	golden pop3-auth
}

@test "golden: three failed logins end the session" {
	golden pop3-auth-fail
	# The STAT after the third failure was never answered.
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/got")" = \
	  "-ERR [AUTH] too many failed logins, closing" ]
}

@test "golden: crypt(3) password field" {
	golden pop3-auth-crypt
}
