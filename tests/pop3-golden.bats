#!/usr/bin/env bats
# Golden transcripts tests/golden/pop3-* through pop3-handler (helpers.bash:
# golden), and what each left in the maildrops.

load helpers

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
	golden pop3-errors
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
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = \
	  $'-ERR [AUTH] too many failed logins, closing\r' ]
}

@test "golden: crypt(3) password field" {
	golden pop3-auth-crypt
}
