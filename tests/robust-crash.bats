#!/usr/bin/env bats
# kill -9 at many points of an SMTP delivery and of a POP3 UPDATE.
#
# SMTP: each run is killed once it has written N bytes (read from
# /proc/PID/io), N stepping from 0 to past the whole delivery, so the
# kills land everywhere: before DATA, while spooling, in the middle of the
# append, between fsync and reply, not at all.  POP3: each run is killed
# after a delay stepping from 0 to 1.2 times an uninterrupted run.  After
# every kill the mailbox must parse (complete messages, plus at most a
# torn tail that the next delivery cuts) and hold every acknowledged
# message exactly once.  Where the kills landed is printed.

load helpers

KILLS=50

setup() {
	make_mailroot
	LOG="$BATS_TEST_TMPDIR/log"
	OUT="$BATS_TEST_TMPDIR/out"
	IN="$BATS_TEST_TMPDIR/in"
	# Sub-millisecond naps without forking sleep: read with a timeout
	# from a fifo nobody writes to.
	mkfifo "$BATS_TEST_TMPDIR/nap"
	exec {NAP_FD}<> "$BATS_TEST_TMPDIR/nap"
}

teardown() {
	exec {NAP_FD}>&-
}

nap_us() {
	local t
	printf -v t '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
	read -r -t "$t" -u "$NAP_FD" || true
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# Start "$@" < $IN > $OUT in the background; its pid in PID.  $OUT is
# emptied first: a run killed before its redirection must not show the
# replies of the run before.
start_run() {
	: > "$OUT"
	"$@" < "$IN" > "$OUT" 2>>"$LOG" &
	PID=$!
}

# Kill -9 PID once it has written $1 bytes (or never, if it ends first).
# The polling runs in a plain bash: under bats' DEBUG trap it would be
# too slow to catch the writes.
kill_after_bytes() {
	bash -c '
		pid=$1 bytes=$2
		while { read -r _ _ state _ < "/proc/$pid/stat"; } 2>/dev/null && [ "$state" != Z ]; do
			{ while read -r key value; do
				[ "$key" = wchar: ] && break
			done < "/proc/$pid/io"; } 2>/dev/null || exit 0
			if [ "${value:-0}" -ge "$bytes" ]; then
				kill -9 "$pid" 2>/dev/null
				exit 0
			fi
		done' kill_after_bytes "$PID" "$1" || true
}

BODY_LINES=5000

# The SMTP session delivering message number $1 to alice.
smtp_input() {
	crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA "Subject: kill $1" ''
	cat "$BATS_TEST_TMPDIR/body"
	crlf "END $1" . QUIT
}

# Check alice's mailbox as the indexer sees it: prints "MSG n" for each
# complete message, "TAIL" if a torn tail follows the last one, and fails
# on a complete message that is not whole (wrong start, end or length).
parse_alice() {
	awk -v want="$BODY_LINES" '
		$0 == "." {
			if (first !~ /^Return-Path: / || last != "END " id || body != want) {
				print "broken message ending at line " NR > "/dev/stderr"
				bad = 1
			}
			print "MSG " id
			n = body = 0; first = id = ""
			next
		}
		{ if (n++ == 0) first = $0 }
		/^Subject: kill / { id = substr($0, 15) }
		/^body line / { body++ }
		{ last = $0 }
		END { if (n) print "TAIL"; exit bad }' "$(mailbox alice)"
}

@test "kill -9 at $KILLS points of a delivery: the mailbox always parses, acknowledged mail is there exactly once" {
	[ -r /proc/self/io ] || skip "no /proc/PID/io to time the kills by"
	yes $'body line of the message, one of many so that it takes a while\r' |
		head -n "$BODY_LINES" > "$BATS_TEST_TMPDIR/body"
	smtp_input 0 > "$IN"
	start_run "$BIN/smtp-handler"
	wait "$PID"
	grep -q '^250 2.0.0 OK Message accepted' "$OUT"
	acked=(0) torn=0 before_data=0 unacked=0
	# Spooled once, appended once: about twice the stored size is written.
	span=$(( $(stat -c %s "$(mailbox alice)") * 22 / 10 ))
	for k in $(seq "$KILLS"); do
		cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
		had_tail=0
		grep -qsx TAIL "$BATS_TEST_TMPDIR/parsed" && had_tail=1
		smtp_input "$k" > "$IN"
		start_run "$BIN/smtp-handler"
		kill_after_bytes $((span * (k - 1) / KILLS))
		wait "$PID" || true
		parse_alice > "$BATS_TEST_TMPDIR/parsed"
		# A run that left neither its message nor a torn tail left the
		# mailbox byte for byte as it was (unless it cut the tail of the
		# run before).
		if [ "$had_tail" = 0 ] && ! grep -qx -e "MSG $k" -e TAIL "$BATS_TEST_TMPDIR/parsed"; then
			cmp "$BATS_TEST_TMPDIR/before" "$(mailbox alice)"
		fi
		if grep -q '^250 2.0.0 OK Message accepted' "$OUT"; then
			acked+=("$k")
		elif ! grep -q '^354 ' "$OUT"; then
			before_data=$((before_data + 1))
		elif grep -qx "MSG $k" "$BATS_TEST_TMPDIR/parsed"; then
			unacked=$((unacked + 1))        # stored, killed before the 250
		fi
		grep -qx TAIL "$BATS_TEST_TMPDIR/parsed" && torn=$((torn + 1))
		# No message twice; every acknowledged one present.
		[ -z "$(grep '^MSG' "$BATS_TEST_TMPDIR/parsed" | sort | uniq -d)" ]
		for a in "${acked[@]}"; do grep -qx "MSG $a" "$BATS_TEST_TMPDIR/parsed"; done
	done
	# A clean delivery cuts any torn tail; the POP3 indexer agrees.
	smtp_input final > "$IN"
	start_run "$BIN/smtp-handler"
	wait "$PID"
	grep -q '^250 2.0.0 OK Message accepted' "$OUT"
	parse_alice > "$BATS_TEST_TMPDIR/parsed"
	not grep -qx TAIL "$BATS_TEST_TMPDIR/parsed"
	[ ! -e "$(mailbox alice).lock" ]
	messages=$(grep -c '^MSG' "$BATS_TEST_TMPDIR/parsed")
	crlf 'USER alice' 'PASS pwalice' STAT QUIT | "$BIN/pop3-handler" 2>/dev/null |
		tr -d '\r' | grep -qx "+OK $messages [0-9]*"
	echo "# SMTP: $KILLS kills: $before_data before DATA, $torn left a torn tail," \
		"$unacked stored but not acknowledged, $((${#acked[@]} - 1)) acknowledged; $messages messages in the end" >&3
}

# bob's mailbox: N messages of about 1 KB, each "Subject: message K".
fill_bob() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "Return-Path: <a@x>\nSubject: message %d\n\n", i
			for (b = 0; b < 16; b++)
				print (b == 7 ? ".." : "") "line " b " of message " i ", some text to fill it up"
			print "."
		}
	}' > "$(mailbox bob)"
}

# The mailbox in $1 without its message number $2 (1-based).
without_message() {
	awk -v k="$2" 'n + 1 != k { print } $0 == "." { n++ }' "$1"
}

@test "kill -9 at $KILLS points of a POP3 UPDATE: the mailbox is always the old one or the new one" {
	fill_bob 1000
	# A short pause halfway through the rewrite (test hook) widens the
	# window in which the new file is half written.
	export POP3_TEST_UPDATE_DELAY_MS=3
	count=1000 old=0 new=0 acked=0 half=0
	delete_one() { # delete_one DELAY: DELE one message, QUIT, kill after DELAY
		local k=$(( (RANDOM_K * 7919) % count + 1 ))
		RANDOM_K=$((RANDOM_K + 1))
		cp "$(mailbox bob)" "$BATS_TEST_TMPDIR/before"
		without_message "$BATS_TEST_TMPDIR/before" "$k" > "$BATS_TEST_TMPDIR/after"
		crlf 'USER bob' 'PASS pwbob' "DELE $k" QUIT > "$IN"
		local start=$(now_us)
		start_run "$TEST_HOOKS_BIN/pop3-handler"
		if [ -n "$1" ]; then
			nap_us "$1"
			kill -9 "$PID" 2>/dev/null || true
		fi
		wait "$PID" || true
		TOOK=$(( $(now_us) - start ))
		[ "$(mailbox bob).new" -nt "$BATS_TEST_TMPDIR/before" ] && half=$((half + 1))
		if cmp -s "$(mailbox bob)" "$BATS_TEST_TMPDIR/after"; then
			count=$((count - 1)) new=$((new + 1))
		else
			# Not the new mailbox: then the old one, and not acknowledged.
			cmp "$(mailbox bob)" "$BATS_TEST_TMPDIR/before"
			not deletion_acknowledged
			old=$((old + 1))
		fi
		if deletion_acknowledged; then acked=$((acked + 1)); fi
	}
	# DELE and QUIT both answered +OK (a login refused as [IN-USE], by
	# the empty lock of a process killed in between, ends with +OK too).
	deletion_acknowledged() {
		grep -q '^+OK message deleted' "$OUT" && grep -q '^+OK Thanks' "$OUT"
	}
	RANDOM_K=1 span=0
	for i in 1 2 3; do
		delete_one ''
		[ "$TOOK" -le "$span" ] || span=$TOOK
	done
	[ "$acked" = 3 ]
	[ "$count" = 997 ]
	old=0 new=0 acked=0 half=0
	for k in $(seq "$KILLS"); do
		delete_one $((span * 12 * (k - 1) / (10 * KILLS)))
	done
	# A clean session finishes the job: no leftovers, the count is right.
	# (A kill between creating a lock and writing its pid leaves an empty
	# lock, which counts as live for 2 s: then a login is [IN-USE].)
	for _ in 1 2 3 4; do
		delete_one ''
		grep -q '^-ERR \[IN-USE\]' "$OUT" || break
		nap_us 1000000
	done
	deletion_acknowledged
	[ "$(count_messages bob)" = "$count" ]
	[ ! -e "$(mailbox bob).new" ]
	[ ! -e "$(mailbox bob).lock" ]
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
	echo "# POP3: $KILLS kills over 0..$((span * 12 / 10)) us: $((new - 1)) updates done ($((acked - 1)) acknowledged)," \
		"$old left the old mailbox, $half of those mid-rewrite" >&3
}

@test "an empty lock (its creator killed before writing its pid) is live for 2 s, then broken" {
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
	: > "$ROOT/USERS/bob/pop3.lock"
	crlf 'USER bob' 'PASS pwbob' QUIT | "$BIN/pop3-handler" 2>/dev/null | tr -d '\r' > "$OUT"
	grep -qx -- '-ERR \[IN-USE\] maildrop already locked' "$OUT"
	touch -d '-3 seconds' "$ROOT/USERS/bob/pop3.lock"
	crlf 'USER bob' 'PASS pwbob' QUIT | "$BIN/pop3-handler" 2>"$LOG" | tr -d '\r' > "$OUT"
	grep -qx '+OK maildrop has 3 messages (618 octets)' "$OUT"
	grep -q 'removing stale lock USERS/bob/pop3.lock' "$LOG"
	: > "$(mailbox alice).lock"
	touch -d '-3 seconds' "$(mailbox alice).lock"
	MAIL_LOCK_WAIT=0 deliver alice@x | grep -q '^250 OK Message accepted'
	[ "$(count_messages alice)" = 1 ]
	[ ! -e "$(mailbox alice).lock" ]
}
