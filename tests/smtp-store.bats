#!/usr/bin/env bats
# smtp-handler and the mailbox store: what a delivery writes, the files it
# refuses to write through, torn tails and lock files.
load helpers

setup() { make_mailroot; }

@test "store: the assignment's message has its four fields and the separator; a second delivery appends" {
	"$BIN/smtp-handler" < "$BATS_TEST_DIRNAME/golden/smtp-assignment.in" > /dev/null
	box=$(mailbox alice)
	grep -q '^From: labxyz@kuleuven.be$' "$box"
	grep -q '^To: alice@kuleuven.be$' "$box"
	grep -q '^Subject: Test$' "$box"
	grep -q '^Received: from kuleuven.be (stdin) by test.example with SMTP id ' "$box"
	grep -q '^Return-Path: <labxyz@kuleuven.be>$' "$box"
	[ "$(tail -n 1 "$box")" = . ]
	[ "$(count_messages alice)" = 1 ]
	deliver alice@x 'second body' > /dev/null
	[ "$(count_messages alice)" = 2 ]
	[ "$(sed -n '1p' "$box")" = 'Return-Path: <labxyz@kuleuven.be>' ]
	grep -q '^second body$' "$box"
}

@test "store: mailbox is created 0600 and every delivery has its own id" {
	deliver bob@x one > /dev/null
	deliver bob@x two > /dev/null
	[ "$(stat -c %a "$(mailbox bob)")" = 600 ]
	[ "$(grep -o ' id [^;]*' "$(mailbox bob)" | sort -u | wc -l)" = 2 ]
}

@test "crash: a torn tail left in the mailbox is cut before the next append" {
	deliver alice@x first > /dev/null
	printf 'Return-Path: <x@y>\nSubject: torn\n\npartial line with no end' >> "$(mailbox alice)"
	deliver alice@x second > /dev/null
	[ "$(count_messages alice)" = 2 ]
	not grep -q torn "$(mailbox alice)"
	grep -q 'torn tail' "$BATS_TEST_TMPDIR/log"
}

@test "locks: a stale lock of a dead process does not block delivery" {
	sleep 60 & dead=$!; kill $dead; wait $dead || true
	echo "$dead $(hostname)" > "$(mailbox alice).lock"
	run deliver alice@x 'after stale lock'
	[[ "$output" == *"250 OK Message accepted"* ]]
	[ "$(count_messages alice)" = 1 ]
	[ ! -e "$(mailbox alice).lock" ]
}

@test "locks: a live lock makes delivery fail with 451 after the wait, mailbox untouched" {
	echo "$$ $(hostname)" > "$(mailbox alice).lock"
	MAIL_LOCK_WAIT=100 run deliver alice@x 'blocked'
	[[ "$output" == *"451 Mailbox busy"* ]]
	[ ! -e "$(mailbox alice)" ] || [ "$(count_messages alice)" = 0 ]
	[ -e "$(mailbox alice).lock" ]
}

@test "store: a user without a mailbox directory gets 450 at RCPT, logged, others still get the message" {
	rm -r "$ROOT/USERS/bob"
	run deliver bob@x,alice@x
	[[ "$output" == *"450 Mailbox unavailable"* ]]
	[[ "$output" == *"250 OK Message accepted"* ]]
	[ "$(count_messages alice)" = 1 ]
	[ ! -e "$ROOT/USERS/bob" ]
	grep -q 'no mailbox directory' "$BATS_TEST_TMPDIR/log"
}

@test "store: a symlink planted at the mailbox path is not followed" {
	echo 'precious' > "$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$(mailbox alice)"
	run deliver alice@x 'through the link'
	[[ "$output" == *"451 "* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
}

@test "store: a mailbox that does not end with a complete message is left alone, not cut" {
	printf 'From: x\r\nSubject: old\r\n\r\nimportant old mail\r\n.\r\n' > "$(mailbox alice)"
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	run deliver alice@x 'new mail'
	[[ "$output" == *"451 Local error"* ]]
	cmp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	grep -q 'does not end with a complete message' "$BATS_TEST_TMPDIR/log"
}

@test "store: a mailbox with another hard link is not written" {
	echo 'precious' > "$BATS_TEST_TMPDIR/target"
	ln "$BATS_TEST_TMPDIR/target" "$(mailbox alice)"
	run deliver alice@x 'through the hard link'
	[[ "$output" == *"451 "* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
}

@test "locks: a lock of a live process on this host is kept however old it is" {
	echo "$$ $(hostname)" > "$(mailbox alice).lock"
	touch -d "@$(( $(date +%s) - 30 ))" "$(mailbox alice).lock"   # older than the stale age below
	MAIL_LOCK_WAIT=100 MAIL_LOCK_STALE=1 run deliver alice@x 'blocked'
	[[ "$output" == *"451 Mailbox busy"* ]]
	[ -e "$(mailbox alice).lock" ]
}

@test "locks: a lock of this host made before its last boot is stale whatever its pid" {
	boot=$(( $(date +%s) - $(cut -d. -f1 /proc/uptime) ))
	echo "$$ $(hostname)" > "$(mailbox alice).lock"
	touch -d "@$(( boot - 60 ))" "$(mailbox alice).lock"
	run deliver alice@x 'after a reboot'
	[[ "$output" == *"250 OK Message accepted"* ]]
	[ ! -e "$(mailbox alice).lock" ]
}

# The fsyncs a delivery to USER makes, as "mailbox" and "directory" lines.
fsyncs() {
	strace -y -e trace=fsync -o "$BATS_TEST_TMPDIR/strace" "$BIN/smtp-handler" \
		< <(crlf 'HELO c' 'MAIL FROM:<a@x>' "RCPT TO:<$1@x>" DATA body . QUIT) > /dev/null
	sed -n "s|^fsync([0-9]*<$ROOT/USERS/$1/my_mailbox.txt>.*|mailbox|p; s|^fsync([0-9]*<$ROOT/USERS/$1>.*|directory|p" \
		"$BATS_TEST_TMPDIR/strace" | tr '\n' ' '
}

@test "store: the mailbox's name is fsynced into its directory with its first message, also when an earlier delivery left the file empty or torn; later appends fsync the file alone" {
	command -v strace || skip "strace not installed (Debian: strace)"
	[ "$(fsyncs alice)" = "mailbox directory " ]
	[ "$(fsyncs alice)" = "mailbox " ]
	# A file made by a delivery that failed before its directory fsync.
	: > "$(mailbox bob)"
	[ "$(fsyncs bob)" = "mailbox directory " ]
	printf 'Return-Path: <a@x>\nDelivered-To: carol@test.example\nRecei' > "$(mailbox carol)"
	[ "$(fsyncs carol)" = "mailbox directory " ]
	[ "$(count_messages carol)" = 1 ]
}
