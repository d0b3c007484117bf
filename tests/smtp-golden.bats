#!/usr/bin/env bats
# Golden transcripts piped through smtp-handler (tests/golden/smtp-*).
load helpers

@test "golden: the assignment's conversation (HELO, MAIL_FROM:, RCPT_TO:, DATA)" {
	check_golden smtp-handler smtp-assignment
	run grep -c '^[0-9]' "$BATS_TEST_TMPDIR/out"
	[ "$output" = 7 ]
	[ "$(cut -c1-3 "$BATS_TEST_TMPDIR/out" | tr '\n' ' ')" = "220 250 250 250 354 250 221 " ]
}
@test "golden: EHLO session with SIZE and two recipients" { check_golden smtp-handler smtp-ehlo; }
@test "golden: every error path without EHLO" { check_golden smtp-handler smtp-errors; }
@test "golden: error replies carry enhanced status codes after EHLO" { check_golden smtp-handler smtp-errors-ehlo; }
@test "golden: over-long command line and NUL byte, session goes on" { check_golden smtp-handler smtp-long-line-and-nul; }
@test "golden: dot-stuffed lines stay stuffed in the store" { check_golden smtp-handler smtp-dot-stuffing; }
@test "golden: a message without header section gets a separating blank line" { check_golden smtp-handler smtp-no-headers; }
@test "golden: an empty message" { check_golden smtp-handler smtp-empty-message; }
@test "golden: smuggling \\n.\\n is one message" { check_golden smtp-handler smtp-smuggle-lf-dot-lf; }
@test "golden: smuggling \\n.\\r\\n is one message" { check_golden smtp-handler smtp-smuggle-lf-dot-crlf; }
@test "golden: smuggling \\r\\n.\\n is one message" { check_golden smtp-handler smtp-smuggle-crlf-dot-lf; }
@test "golden: smuggling \\r.\\r is one message" { check_golden smtp-handler smtp-smuggle-cr-dot-cr; }
@test "golden: smuggling \\r.\\r\\n is one message" { check_golden smtp-handler smtp-smuggle-cr-dot-crlf; }

@test "smuggling variants never store two messages" {
	for f in "$BATS_TEST_DIRNAME"/golden/smtp-smuggle-*.in; do
		make_mailroot
		rm -f "$(mailbox alice)"
		"$BIN/smtp-handler" < "$f" > /dev/null 2>&1
		[ "$(count_messages alice)" = 1 ] || { echo "two messages from $f"; return 1; }
		grep -q 'MAIL FROM:<evil@x>' "$(mailbox alice)"  # swallowed as text, never run
	done
}
@test "golden: a first line starting with a space is body, not a folded header" { check_golden smtp-handler smtp-indented-first-line; }
