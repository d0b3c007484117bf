#!/usr/bin/env bats
# Golden transcripts tests/golden/smtp-* through smtp-handler (helpers.bash:
# golden).
load helpers

@test "golden: the assignment's conversation (HELO, MAIL_FROM:, RCPT_TO:, DATA)" {
	golden smtp-assignment
	run grep -c '^[0-9]' "$BATS_TEST_TMPDIR/out"
	[ "$output" = 7 ]
	[ "$(cut -c1-3 "$BATS_TEST_TMPDIR/out" | tr '\n' ' ')" = "220 250 250 250 354 250 221 " ]
}
@test "golden: EHLO session with SIZE and two recipients" { golden smtp-ehlo; }
@test "golden: every error path without EHLO" { golden smtp-errors; }
@test "golden: error replies carry enhanced status codes after EHLO" { golden smtp-errors-ehlo; }
@test "golden: over-long command line and NUL byte, session goes on" { golden smtp-long-line-and-nul; }
@test "golden: dot-stuffed lines stay stuffed in the store" { golden smtp-dot-stuffing; }
@test "golden: a message without header section gets a separating blank line" { golden smtp-no-headers; }
@test "golden: an empty message" { golden smtp-empty-message; }
@test "golden: smuggling \\n.\\n is one message" { golden smtp-smuggle-lf-dot-lf; }
@test "golden: smuggling \\n.\\r\\n is one message" { golden smtp-smuggle-lf-dot-crlf; }
@test "golden: smuggling \\r\\n.\\n is one message" { golden smtp-smuggle-crlf-dot-lf; }
@test "golden: smuggling \\r.\\r is one message" { golden smtp-smuggle-cr-dot-cr; }
@test "golden: smuggling \\r.\\r\\n is one message" { golden smtp-smuggle-cr-dot-crlf; }

@test "smuggling variants never store two messages" {
	for f in "$BATS_TEST_DIRNAME"/golden/smtp-smuggle-*.in; do
		make_mailroot
		rm -f "$(mailbox alice)"
		"$BIN/smtp-handler" < "$f" > /dev/null 2>&1
		[ "$(count_messages alice)" = 1 ] || { echo "two messages from $f"; return 1; }
		grep -q 'MAIL FROM:<evil@x>' "$(mailbox alice)"  # swallowed as text, never run
	done
}
@test "golden: a first line starting with a space is body, not a folded header" { golden smtp-indented-first-line; }
