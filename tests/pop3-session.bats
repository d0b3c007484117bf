#!/usr/bin/env bats
# Sessions typed one command at a time: deletion semantics, the maildrop
# lock, signals, timeouts and a crash in the middle of UPDATE.

load helpers
load pop3-helpers

setup() {
	make_mailroot
	bob_gets_golden_mailbox
	LOCK="$ROOT/USERS/bob/pop3.lock"
}

teardown() {
	kill_sessions
}

@test "DELE then QUIT removes the message, keeps the others byte for byte" {
	session_open a
	session_login a bob pwbob
	session_send a 'DELE 1' 'QUIT'
	session_wait a '^\+OK Thanks for using POP3 server'
	session_exit a
	[ "$EXIT" -eq 0 ]
	# The new mailbox is the old one without its first message.
	awk 'done { print } $0 == "." { done = 1 }' "$BATS_TEST_TMPDIR/original" \
		> "$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$(mailbox bob)"
	[ ! -e "$LOCK" ]
	[ ! -e "$(mailbox bob).lock" ]
	[ ! -e "$(mailbox bob).new" ]
}

@test "DELE then a dropped connection removes nothing and frees the lock" {
	session_open a
	session_login a bob pwbob
	session_send a 'DELE 1' 'DELE 2'
	session_wait a '^\+OK message deleted'
	[ -e "$LOCK" ]
	session_close a
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
	[ ! -e "$LOCK" ]
}

@test "DELE, RSET, QUIT removes nothing and leaves the file untouched" {
	before=$(stat -c '%i %Y' "$(mailbox bob)")
	session_open a
	session_login a bob pwbob
	session_send a 'DELE 1' 'RSET' 'QUIT'
	session_wait a '^\+OK Thanks'
	session_exit a
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
	[ "$(stat -c '%i %Y' "$(mailbox bob)")" = "$before" ]
}

@test "mail delivered during a session is not shown and survives its QUIT" {
	session_open a
	session_login a bob pwbob
	# Delivery while the maildrop is locked: the write lock is free.
	[ ! -e "$(mailbox bob).lock" ]
	store_message 'Arrived meanwhile' NEW.1 >> "$(mailbox bob)"
	session_send a 'STAT' 'LIST 4' 'DELE 1' 'QUIT'
	session_wait a '^\+OK Thanks'
	session_exit a
	session_out a | grep -qx '+OK 3 618'
	session_out a | grep -qx -- '-ERR no such message'
	[ "$(count_messages bob)" -eq 3 ]
	grep -q '^Subject: Arrived meanwhile' "$(mailbox bob)"
	run grep -q '^Subject: First' "$(mailbox bob)"
	[ "$status" -eq 1 ]
	tail -n 3 "$(mailbox bob)" | head -n 1 | grep -qx 'body of Arrived meanwhile'
}

@test "a torn tail (no closing . line) is not a message and is dropped by UPDATE" {
	printf 'Subject: half written\n\nno end' >> "$(mailbox bob)"
	session_open a
	session_login a bob pwbob
	session_out a | grep -qx '+OK maildrop has 3 messages (618 octets)'
	session_send a 'DELE 3' 'QUIT'
	session_wait a '^\+OK Thanks'
	session_exit a
	[ "$(count_messages bob)" -eq 2 ]
	run grep -q 'half written' "$(mailbox bob)"
	[ "$status" -eq 1 ]
}

@test "a second session for the same user gets -ERR [IN-USE]" {
	session_open a
	session_login a bob pwbob
	session_open b
	session_send b 'USER bob' 'PASS pwbob'
	session_wait b '^-ERR \[IN-USE\] maildrop already locked'
	# The refused session goes on and may quit; the first keeps its lock.
	session_send b 'QUIT'
	session_wait b '^\+OK Thanks'
	session_exit b
	[ -e "$LOCK" ]
	# Another user is not affected.
	session_open c
	session_login c alice pwalice
	session_send a 'QUIT'
	session_send c 'QUIT'
	session_wait a '^\+OK Thanks'
	session_exit a
	[ ! -e "$LOCK" ]
}

@test "kill -9 of a session holding pop3.lock does not lock the user out" {
	session_open a
	session_login a bob pwbob
	session_send a 'DELE 1'
	session_wait a '^\+OK message deleted'
	kill -9 "$(session_pid a)"
	session_exit a
	[ -e "$LOCK" ]          # left behind by the dead process
	session_open b
	session_login b bob pwbob
	session_send b 'STAT' 'QUIT'
	session_wait b '^\+OK Thanks'
	session_out b | grep -qx '+OK 3 618'
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
}

@test "SIGTERM and SIGHUP end the session without UPDATE, locks released" {
	for sig in TERM HUP; do
		session_open "$sig"
		session_login "$sig" bob pwbob
		session_send "$sig" 'DELE 1'
		session_wait "$sig" '^\+OK message deleted'
		kill -"$sig" "$(session_pid "$sig")"
		session_exit "$sig"
		[ "$EXIT" -ne 0 ]
		[ ! -e "$LOCK" ]
		cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
	done
}

@test "an idle session times out without UPDATE and frees the lock" {
	MAIL_TIMEOUT=1 session_open a
	session_login a bob pwbob
	session_send a 'DELE 1'
	session_wait a '^-ERR autologout'
	session_exit a
	[ ! -e "$LOCK" ]
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
}

@test "kill -9 during UPDATE leaves the old mailbox; the next QUIT completes it" {
	# Many messages, so the rewrite has a middle to be killed in.
	for i in $(seq 200); do store_message "Bulk $i" "BULK.$i"; done >> "$(mailbox bob)"
	cp "$(mailbox bob)" "$BATS_TEST_TMPDIR/original"
	POP3_TEST_UPDATE_DELAY_MS=10000 session_open a "$TEST_HOOKS_BIN/pop3-handler"
	session_login a bob pwbob
	session_send a 'DELE 2' 'DELE 150' 'QUIT'
	wait_file "$(mailbox bob).new"
	kill -9 "$(session_pid a)"
	session_exit a
	[ -z "$(session_out a | grep Thanks)" ]
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
	# Both locks are left by a dead process: stale, so the next session
	# logs in, and its UPDATE breaks the write lock and replaces .new.
	session_open b
	session_login b bob pwbob
	session_send b 'DELE 2' 'DELE 150' 'QUIT'
	session_wait b '^\+OK Thanks'
	session_exit b
	[ "$(count_messages bob)" -eq 201 ]
	run grep -q '^Subject: Dots' "$(mailbox bob)"
	[ "$status" -eq 1 ]
	run grep -qx 'Subject: Bulk 147' "$(mailbox bob)"
	[ "$status" -eq 1 ]
	grep -qx 'Subject: Bulk 146' "$(mailbox bob)"
	grep -qx 'Subject: Bulk 148' "$(mailbox bob)"
	[ ! -e "$(mailbox bob).new" ]
	[ ! -e "$(mailbox bob).lock" ]
}

@test "UIDL: unique, the same in the next session, unchanged by deleting others" {
	for i in 1 2 3; do store_message "More $i" "MORE.$i"; done >> "$(mailbox bob)"
	session_open a
	session_login a bob pwbob
	session_send a 'UIDL'
	session_wait a '^6 '
	session_out a | grep -E '^[0-9]+ [0-9a-f]{16}$' > "$BATS_TEST_TMPDIR/uidl1"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/uidl1")" -eq 6 ]
	[ "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/uidl1" | sort -u | wc -l)" -eq 6 ]
	session_send a 'DELE 2' 'UIDL 3' 'QUIT'
	session_wait a '^\+OK Thanks'
	session_exit a
	# Within the session: UIDL n still gives message 3 its id.
	session_out a | grep -qx "+OK 3 $(sed -n 3p "$BATS_TEST_TMPDIR/uidl1" | cut -d' ' -f2)"
	session_open b
	session_login b bob pwbob
	session_send b 'UIDL' 'QUIT'
	session_wait b '^\+OK Thanks'
	session_out b | grep -E '^[0-9]+ [0-9a-f]{16}$' | cut -d' ' -f2 \
		> "$BATS_TEST_TMPDIR/uidl2"
	# Next session: the same ids, in order, minus the deleted one.
	sed 2d "$BATS_TEST_TMPDIR/uidl1" | cut -d' ' -f2 > "$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/uidl2"
}

@test "UIDL: hand-written messages sharing their first KiB still differ" {
	head=$(printf 'Subject: same\n\n%01100d\n' 0)
	{ printf '%s\nend one\n.\n' "$head"; printf '%s\nend two\n.\n' "$head"
	  printf '%s\nend one\n.\n' "$head" | sed 's/end one/end One/'; } > "$(mailbox bob)"
	session_open a
	session_login a bob pwbob
	session_send a 'UIDL' 'QUIT'
	session_wait a '^\+OK Thanks'
	ids=$(session_out a | grep -E '^[0-9]+ [0-9a-f]{16}$' | cut -d' ' -f2)
	[ "$(echo "$ids" | wc -l)" -eq 3 ]
	[ "$(echo "$ids" | sort -u | wc -l)" -eq 3 ]
}

# The log holds one line for what a session did, not one per message.

@test "a session logs what it retrieved and deleted once, when it ends with QUIT" {
	session_open a
	session_login a bob pwbob
	session_send a 'RETR 1' 'RETR 2' 'TOP 3 0' 'DELE 2' 'QUIT'
	session_wait a '^\+OK Thanks for using POP3 server'
	session_exit a
	# The octets are the two RETRs' own "+OK n octets" figures.
	local octets
	octets=$(session_out a | awk '/^\+OK [0-9]+ octets$/ { n += $2 } END { print n }')
	session_log a | grep -qx "pop3-handler\[[0-9]*\]: bob: session end (QUIT): RETR 2 ($octets octets), TOP 1, marked deleted 1"
	[ "$(session_log a | grep -c 'session end')" -eq 1 ]
	# No line of its own for any one message.
	[ "$(session_log a | grep -c 'RETR\|TOP')" -eq 1 ]
}

@test "a dropped session logs what it retrieved too, and that it was dropped" {
	session_open a
	session_login a bob pwbob
	session_send a 'RETR 3' 'DELE 1'
	session_wait a '^\+OK message deleted'
	session_close a
	session_log a | grep -q 'bob: session end (connection dropped): RETR 1 ([1-9][0-9]* octets), TOP 0, marked deleted 1$'
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
}
