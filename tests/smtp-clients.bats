#!/usr/bin/env bats
# smtp-handler with real clients (swaks, curl) over a pipe and behind
# tcpspawn, pipelining, and many clients delivering into one mailbox.
load helpers

setup() { make_mailroot; }
teardown() { stop_servers; }

@test "swaks drives the handler over a pipe, plain and pipelined" {
	command -v swaks || skip "swaks not installed (Debian: swaks)"
	run swaks --pipe "$BIN/smtp-handler" --from a@example.org --to alice@test.example \
		--header 'Subject: via swaks' --body 'swaks body'
	[ "$status" = 0 ]
	run swaks --pipe "$BIN/smtp-handler" --pipeline --from a@example.org \
		--to bob@test.example --header 'Subject: pipelined' --body 'pipelined body'
	[ "$status" = 0 ]
	grep -q '^Subject: via swaks' "$(mailbox alice)"
	grep -q '^swaks body' "$(mailbox alice)"
	grep -q '^pipelined body' "$(mailbox bob)"
}

@test "curl through tcpspawn delivers one message to two mailboxes" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	printf 'Subject: via curl\r\n\r\nhello both\r\n' > "$BATS_TEST_TMPDIR/msg"
	curl -sS "smtp://127.0.0.1:$PORT" --mail-from a@example.org \
		--mail-rcpt alice@test.example --mail-rcpt bob@test.example \
		-T "$BATS_TEST_TMPDIR/msg"
	[ "$(count_messages alice)" = 1 ]
	[ "$(count_messages bob)" = 1 ]
	grep -q '^hello both$' "$(mailbox alice)"
	grep -q '^Received: from .* (127.0.0.1) by test.example with ESMTP' "$(mailbox bob)"
}

@test "pipelined commands sent in one write are all answered, in order" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' 'RCPT TO:<nobody@x>' \
		'RCPT TO:<bob@x>' DATA 'Subject: p' '' 'pipelined' . NOOP QUIT \
		> "$BATS_TEST_TMPDIR/in"
	socat -t 5 - "TCP:127.0.0.1:$PORT" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out"
	codes=$(grep -v '^250-' "$BATS_TEST_TMPDIR/out" | cut -c1-3 | tr '\n' ' ')
	[ "$codes" = "220 250 250 250 550 250 354 250 250 221 " ]
	[ "$(count_messages alice)" = 1 ]
	[ "$(count_messages bob)" = 1 ]
}

@test "concurrency: 10 clients x 20 messages into one mailbox, each exactly once" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	clients=()
	for c in $(seq 10); do
		(
			for m in $(seq 20); do
				printf 'Subject: c%s m%s\r\n\r\nbody-%s-%s\r\n' $c $m $c $m \
					> "$BATS_TEST_TMPDIR/msg.$c"
				curl -sS "smtp://127.0.0.1:$PORT" --mail-from a@x \
					--mail-rcpt alice@x -T "$BATS_TEST_TMPDIR/msg.$c" || exit 1
			done
		) &
		clients+=($!)
	done
	for pid in "${clients[@]}"; do wait "$pid"; done
	box=$(mailbox alice)
	[ "$(count_messages alice)" = 200 ]
	[ "$(grep -c '^body-' "$box")" = 200 ]
	[ "$(grep '^body-' "$box" | sort -u | wc -l)" = 200 ]
	# The file parses: every message starts with Return-Path right after a separator.
	[ "$(grep -c '^Return-Path: ' "$box")" = 200 ]
	[ "$(awk 'prev == "." && !/^Return-Path: / { bad++ } { prev = $0 } END { print bad + 0 }' "$box")" = 0 ]
	[ ! -e "$box.lock" ]
}
