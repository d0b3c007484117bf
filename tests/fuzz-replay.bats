#!/usr/bin/env bats
# The checked-in fuzz corpus (tests/fuzz/corpus/HARNESS/: the golden
# transcripts plus what fuzzing found) replayed through each harness's
# plain driver, with every check of the harness (tests/fuzz/README).
# `make check` builds the drivers (make fuzz-replay) and says where in
# FUZZ_BIN: build/fuzz for the plain pass, build/san/fuzz under ASan+UBSan.
load helpers

setup() {
	FUZZ_BIN=${FUZZ_BIN:-$REPO/build/fuzz}
}

# Replay the corpus of harness $1; every input must pass.
replay() {
	local corpus="$REPO/tests/fuzz/corpus/$1" driver="$FUZZ_BIN/$1-replay"
	[ -x "$driver" ] || skip "no $driver: run make fuzz-replay"
	local n; n=$(find "$corpus" -type f | wc -l)
	[ "$n" -gt 0 ]
	FUZZ_TMPDIR="$BATS_TEST_TMPDIR" run "$driver" "$corpus"
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	[[ "$output" == *": $n inputs replayed, no failure"* ]]
}

@test "fuzz corpus: SMTP sessions" {
	replay smtp
	# The golden transcripts really delivered mail.
	[[ "$output" == *"delivered id="* ]]
}

@test "fuzz corpus: POP3 sessions over fuzzed mailboxes" {
	replay pop3
	# The mailbox part of an input reached the maildrop.
	[[ "$output" == *"bob logged in from stdin: 3 messages"* ]]
}

@test "fuzz corpus: mailbox indexer against the format's plain reading" {
	replay mailbox_index
}

@test "fuzz corpus: users-file parser against the format's plain reading" {
	replay users
}

@test "fuzz replay driver: an input it cannot read fails the run" {
	local driver="$FUZZ_BIN/smtp-replay"
	[ -x "$driver" ] || skip "no $driver: run make fuzz-replay"
	# No such file: the driver must not report success.
	run "$driver" "$BATS_TEST_TMPDIR/missing"
	[ "$status" -ne 0 ]
	[[ "$output" != *"no failure"* ]]
}
