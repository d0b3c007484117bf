# For the POP3 bats files, beside the sessions of helpers.bash.

# session_login NAME USER PASSWORD
session_login() {
	session_send "$1" "USER $2" "PASS $3"
	session_wait "$1" '^\+OK maildrop has'
}

# A message in the store format, as smtp-handler would append it:
# store_message SUBJECT ID
store_message() {
	printf 'Return-Path: <alice@test.example>\n'
	printf 'Received: from client (127.0.0.1) by test.example with ESMTP id %s; Fri, 27 Nov 2026 09:00:00 +0000\n' "$2"
	printf 'From: alice@test.example\nTo: bob@test.example\nSubject: %s\n\nbody of %s\n..stuffed\n.\n' "$1" "$1"
}

# bob's mailbox: the golden three-message store, with a copy in
# $BATS_TEST_TMPDIR/original to compare against afterwards.
bob_gets_golden_mailbox() {
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
	cp "$(mailbox bob)" "$BATS_TEST_TMPDIR/original"
}
