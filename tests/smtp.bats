#!/usr/bin/env bats
# smtp-handler: the store, real clients, launchers, concurrency, crashes
# and hostile input.
load helpers

setup() { make_mailroot; }
teardown() { stop_servers; }

smtp() { "$BIN/smtp-handler" "$@" 2>>"$BATS_TEST_TMPDIR/log"; }

@test "store: the assignment's message has its four fields and the separator; a second delivery appends" {
	smtp < "$BATS_TEST_DIRNAME/golden/smtp-assignment.in" > /dev/null
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

@test "curl through socat fork EXEC: delivers, and an unknown recipient is refused" {
	port=$(free_port)
	start_server "$port" socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:$BIN/smtp-handler"
	printf 'Subject: via socat\r\n\r\nsocat body\r\n' > "$BATS_TEST_TMPDIR/msg"
	curl -sS "smtp://127.0.0.1:$port" --mail-from a@x --mail-rcpt alice@x \
		-T "$BATS_TEST_TMPDIR/msg"
	grep -q '^socat body$' "$(mailbox alice)"
	run curl -sS "smtp://127.0.0.1:$port" --mail-from a@x --mail-rcpt nobody@x \
		-T "$BATS_TEST_TMPDIR/msg"
	[ "$status" -ne 0 ]
	[[ "$output" == *550* ]]
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

@test "crash: kill -9 in the middle of DATA keeps the earlier messages, next delivery works" {
	deliver alice@x first > /dev/null
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" 2>/dev/null &
	pid=$!
	exec 7> "$BATS_TEST_TMPDIR/in"
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA 'Subject: cut' '' 'half of a' >&7
	for _ in $(seq 100); do grep -q '^354' "$BATS_TEST_TMPDIR/out" && break; sleep 0.05; done
	grep -q '^354' "$BATS_TEST_TMPDIR/out"
	kill -9 "$pid"
	exec 7>&-
	wait "$pid" || true
	cmp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	deliver alice@x after > /dev/null
	[ "$(count_messages alice)" = 2 ]
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

@test "hostile: a 100 KB command line gets 500 and the session goes on" {
	{ printf 'HELO c\r\nMAIL FROM:<'; head -c 102400 /dev/zero | tr '\0' a; printf '>\r\nNOOP\r\nQUIT\r\n'; } \
		| smtp > "$BATS_TEST_TMPDIR/out"
	grep -q '^500 Line too long' "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 2 "$BATS_TEST_TMPDIR/out" | cut -c1-3 | tr '\n' ' ')" = "250 221 " ]
}

@test "hostile: path tricks in recipients are refused and create nothing" {
	before=$(find "$BATS_TEST_TMPDIR" | sort)
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<../../etc/passwd@x>' 'RCPT TO:<alice/../bob@x>' \
		'RCPT TO:<../alice@x>' 'RCPT TO:<"alice"@x>' 'RCPT TO:<alice%bob@x>' QUIT \
		| smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^550 No such user' "$BATS_TEST_TMPDIR/out")" = 5 ]
	after=$(find "$BATS_TEST_TMPDIR" | grep -v -e '/out$' -e '/log$' | sort)
	[ "$before" = "$after" ]
}

@test "hostile: 1000 recipients get 452 past the limit of 100, one copy delivered" {
	{ crlf 'HELO c' 'MAIL FROM:<a@x>'; for i in $(seq 1000); do crlf 'RCPT TO:<alice@x>'; done
	  crlf DATA 'Subject: many' '' body . QUIT; } | smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^250 alice@x... Recipient ok' "$BATS_TEST_TMPDIR/out")" = 100 ]
	[ "$(grep -c '^452 Too many recipients' "$BATS_TEST_TMPDIR/out")" = 900 ]
	grep -q '^250 OK Message accepted' "$BATS_TEST_TMPDIR/out"
	[ "$(count_messages alice)" = 1 ]
}

@test "hostile: a message over the size limit gets 552 and the mailbox is untouched" {
	deliver alice@x small > /dev/null
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	{ crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA 'Subject: big' ''
	  for i in $(seq 100); do crlf "line $i of a message that is far too big for the limit"; done
	  crlf . NOOP QUIT; } | MAIL_MAX_SIZE=2000 smtp > "$BATS_TEST_TMPDIR/out"
	grep -q '^250-SIZE 2000' "$BATS_TEST_TMPDIR/out"
	grep -q '^552 5.3.4 ' "$BATS_TEST_TMPDIR/out"
	grep -q $'^250 2.0.0 OK\r$' "$BATS_TEST_TMPDIR/out"
	cmp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
}

@test "hostile: a client that sends nothing is cut off by the timeout" {
	# Process substitution: the test does not wait for the silent writer.
	run timeout 20 bash -c "MAIL_TIMEOUT=1 '$BIN/smtp-handler' 2>/dev/null < <(sleep 30)" 2>/dev/null 3>&-
	[ "$status" = 0 ]
	[[ "${lines[0]}" == "220 "* ]]
	[[ "${lines[1]}" == "421 test.example Timeout"* ]]
}

@test "hostile: a client that stops in the middle of DATA is cut off, nothing stored" {
	run timeout 20 bash -c "MAIL_TIMEOUT=1 '$BIN/smtp-handler' 2>/dev/null < <(
		printf 'HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\npartial\r\n'; sleep 30)" 2>/dev/null 3>&-
	[[ "$output" == *"421 test.example Timeout"* ]]
	[ "$(count_messages alice)" = 0 ]
}

@test "hostile: too many bad commands end the session with 421" {
	{ crlf 'HELO c'; for i in $(seq 30); do crlf BOGUS; done; crlf NOOP; } \
		| MAIL_MAX_ERRORS=5 smtp > "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^500 ' "$BATS_TEST_TMPDIR/out")" = 5 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out" | cut -c1-4)" = "421 " ]
	not grep -q $'^250 OK\r$' "$BATS_TEST_TMPDIR/out"
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

@test "config: a malformed setting is a startup error naming it" {
	run bash -c "MAIL_MAX_SIZE=lots '$BIN/smtp-handler' < /dev/null"
	[ "$status" = 2 ]
	[[ "$output" == *MAIL_MAX_SIZE* ]]
	run "$BIN/smtp-handler" -x 1
	[ "$status" = 2 ]
	[[ "$output" == *"unknown argument"* ]]
	run "$BIN/smtp-handler" -s 0
	[ "$status" = 2 ]
}

@test "config: flags override the environment" {
	run bash -c "printf 'QUIT\r\n' | MAIL_DOMAIN=env.example '$BIN/smtp-handler' -d flag.example 2>/dev/null"
	[ "${lines[0]}" = $'220 flag.example Service ready\r' ]
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

@test "hostile: a HELO name with control characters is refused, never stored" {
	run bash -c "printf 'HELO a\\rb\\r\\nEHLO x\\x01y\\r\\nQUIT\\r\\n' | '$BIN/smtp-handler' 2>/dev/null"
	[ "$(printf '%s\n' "$output" | grep -c '^501 ')" = 2 ]
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
