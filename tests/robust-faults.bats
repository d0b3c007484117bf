#!/usr/bin/env bats
# Fault injection: a file-size limit or a full disk during DATA and during
# the POP3 rewrite, a read-only mail root, a missing user directory.  The
# promise: the client hears a 4xx / -ERR and the mailbox is byte-identical
# to what it was.  (kill -9 loops: robust-crash.bats.)

load helpers

setup() {
	make_mailroot
	LOG="$BATS_TEST_TMPDIR/log"
}

teardown() {
	[ -z "${MOUNTED:-}" ] || umount "$MOUNTED" 2>/dev/null || true
}

# One long stored message of about $1 bytes.
filler() {
	printf 'Subject: filler\n\n'
	yes 'filler line of an old message, here to take up room' | head -c "$1"
	printf '\n.\n'
}

# A mailbox of about $2 bytes for user $1: one long message.
fill_mailbox() { filler "$2" > "$(mailbox "$1")"; }

# An SMTP session delivering LINES body lines to alice, then NOOP, QUIT.
smtp_session() {
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA 'Subject: s' ''
	yes $'body line\r' | head -n "$1"
	crlf . NOOP QUIT
}

# Run a handler with its file-size limit at $1 KiB and SIGXFSZ at its
# default action (killing), as a shell would start it: the handler itself
# must turn the signal off.
under_fsize_limit() {
	local kib=$1; shift
	local reset=()
	env --default-signal=XFSZ true 2>/dev/null && reset=(env --default-signal=XFSZ)
	(ulimit -f "$kib"; exec "${reset[@]}" "$@")
}

# Mount a tmpfs of SIZE as the mail root (root only); skips otherwise.
tmpfs_mailroot() {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	local dir="$BATS_TEST_TMPDIR/tmpfs"
	mkdir -p "$dir"
	mount -t tmpfs -o "size=$1,mode=0755" tmpfs "$dir" 2>/dev/null ||
		skip "cannot mount a tmpfs here (container without CAP_SYS_ADMIN?)"
	MOUNTED=$dir
	cp -a "$ROOT/." "$dir/"
	ROOT=$dir
	export MAIL_ROOT=$dir
}

@test "ulimit -f: a message too big to spool gets 452, the session goes on, mailbox untouched" {
	fill_mailbox alice 1000
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	smtp_session 30000 > "$BATS_TEST_TMPDIR/in"     # 330 KB > 100 KiB
	under_fsize_limit 100 "$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" \
		> "$BATS_TEST_TMPDIR/out" 2>"$LOG"
	tr -d '\r' < "$BATS_TEST_TMPDIR/out" > "$BATS_TEST_TMPDIR/replies"
	grep -qx '452 Insufficient system storage' "$BATS_TEST_TMPDIR/replies"
	[ "$(tail -n 2 "$BATS_TEST_TMPDIR/replies" | cut -c1-3 | tr '\n' ' ')" = "250 221 " ]
	cmp "$BATS_TEST_TMPDIR/before" "$(mailbox alice)"
	grep -q 'cannot spool message: File too large' "$LOG"
}

@test "ulimit -f: a mailbox that cannot grow gets 451, is cut back byte-identical, lock released" {
	fill_mailbox alice 200000                       # already past 100 KiB
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	smtp_session 100 > "$BATS_TEST_TMPDIR/in"
	under_fsize_limit 100 "$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" \
		> "$BATS_TEST_TMPDIR/out" 2>"$LOG"
	tr -d '\r' < "$BATS_TEST_TMPDIR/out" > "$BATS_TEST_TMPDIR/replies"
	grep -q '^451 ' "$BATS_TEST_TMPDIR/replies"
	not grep -q '^250 OK Message accepted' "$BATS_TEST_TMPDIR/replies"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/replies" | cut -c1-4)" = "221 " ]
	cmp "$BATS_TEST_TMPDIR/before" "$(mailbox alice)"
	[ ! -e "$(mailbox alice).lock" ]
	grep -q 'cannot append to the mailbox of alice: File too large' "$LOG"
	# Without the limit the same delivery goes through.
	"$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null | grep -q '^250 OK Message accepted'
	[ "$(count_messages alice)" = 2 ]
}

@test "ulimit -f: the POP3 rewrite fails, QUIT answers -ERR, mailbox byte-identical, no leftovers" {
	{ cat "$REPO/tests/golden/pop3-mailbox.txt"; filler 200000; } \
		> "$(mailbox bob)"                      # 4 messages, ~200 KB
	cp "$(mailbox bob)" "$BATS_TEST_TMPDIR/before"
	crlf 'USER bob' 'PASS pwbob' 'DELE 1' 'QUIT' > "$BATS_TEST_TMPDIR/in"
	under_fsize_limit 100 "$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in" \
		> "$BATS_TEST_TMPDIR/out" 2>"$LOG"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out" | tr -d '\r')" = \
	  "-ERR [SYS/TEMP] cannot update the maildrop, no message was removed" ]
	cmp "$BATS_TEST_TMPDIR/before" "$(mailbox bob)"
	[ ! -e "$(mailbox bob).new" ]
	[ ! -e "$(mailbox bob).lock" ]
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
	grep -q 'cannot rewrite the mailbox of bob: File too large' "$LOG"
	# Without the limit the same session removes the message.
	"$BIN/pop3-handler" < "$BATS_TEST_TMPDIR/in" 2>/dev/null | grep -q '^+OK Thanks'
	[ "$(count_messages bob)" = 3 ]
}

@test "full disk (tmpfs): DATA gets 452 when the spool fills it, 451 when the mailbox does" {
	tmpfs_mailroot 512k
	fill_mailbox alice 300000                       # leaves about 200 KB free
	cp "$(mailbox alice)" "$BATS_TEST_TMPDIR/before"
	smtp_session 30000 | "$BIN/smtp-handler" 2>"$LOG" | tr -d '\r' \
		> "$BATS_TEST_TMPDIR/spool-full"        # 330 KB spool: does not fit
	smtp_session 15000 | "$BIN/smtp-handler" 2>>"$LOG" | tr -d '\r' \
		> "$BATS_TEST_TMPDIR/mailbox-full"      # 165 KB spool fits, twice does not
	grep -qx '452 Insufficient system storage' "$BATS_TEST_TMPDIR/spool-full"
	grep -q '^451 ' "$BATS_TEST_TMPDIR/mailbox-full"
	not grep -q '^250 OK Message accepted' "$BATS_TEST_TMPDIR/spool-full" \
		"$BATS_TEST_TMPDIR/mailbox-full"
	cmp "$BATS_TEST_TMPDIR/before" "$(mailbox alice)"
	[ ! -e "$(mailbox alice).lock" ]
	grep -q 'cannot spool message: No space left on device' "$LOG"
	grep -q 'cannot append to the mailbox of alice: No space left on device' "$LOG"
}

@test "full disk (tmpfs): the POP3 rewrite does not fit, QUIT answers -ERR, mailbox byte-identical" {
	tmpfs_mailroot 512k
	# A small message, then 300 KB: the rewrite needs 300 KB more.
	{ printf 'Subject: small one\n\nsmall\n.\n'; filler 300000; } > "$BATS_TEST_TMPDIR/bob"
	cp "$BATS_TEST_TMPDIR/bob" "$(mailbox bob)"
	crlf 'USER bob' 'PASS pwbob' 'DELE 1' 'QUIT' | "$BIN/pop3-handler" 2>"$LOG" |
		tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	grep -qx '+OK message deleted' "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = \
	  "-ERR [SYS/TEMP] cannot update the maildrop, no message was removed" ]
	cmp "$BATS_TEST_TMPDIR/bob" "$(mailbox bob)"
	[ ! -e "$(mailbox bob).new" ]
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
	grep -q 'cannot rewrite the mailbox of bob: No space left on device' "$LOG"
}

@test "full disk (tmpfs): not even a lock file fits: 451 / -ERR, and the reason is logged" {
	tmpfs_mailroot 256k
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
	cp "$(mailbox bob)" "$BATS_TEST_TMPDIR/before"
	head -c 1M /dev/zero > "$ROOT/ballast" 2>/dev/null || true     # fill it up
	deliver bob@x | tr -d '\r' > "$BATS_TEST_TMPDIR/smtp"
	grep -q '^45[12] ' "$BATS_TEST_TMPDIR/smtp"
	not grep -q '^250 OK Message accepted' "$BATS_TEST_TMPDIR/smtp"
	crlf 'USER bob' 'PASS pwbob' 'QUIT' | "$BIN/pop3-handler" 2>>"$LOG" |
		tr -d '\r' > "$BATS_TEST_TMPDIR/pop3"
	grep -qx -- '-ERR \[SYS/TEMP\] cannot open the maildrop, try again later' \
		"$BATS_TEST_TMPDIR/pop3"
	grep -q 'lock USERS/bob/pop3.lock: No space left on device' "$LOG"
	cmp "$BATS_TEST_TMPDIR/before" "$(mailbox bob)"
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
}

@test "read-only mail root: DATA gets 451, POP3 login gets -ERR, both logged, nothing changes" {
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
	cp "$(mailbox bob)" "$BATS_TEST_TMPDIR/before"
	if [ "$(id -u)" -eq 0 ]; then
		# Root ignores permission bits: make the file system read-only.
		mount --bind "$ROOT" "$ROOT" 2>/dev/null ||
			skip "cannot bind-mount here (container without CAP_SYS_ADMIN?)"
		MOUNTED=$ROOT
		mount -o remount,bind,ro "$ROOT" || skip "cannot remount read-only"
		reason='Read-only file system'
	else
		chmod -R a-w "$ROOT"
		reason='Permission denied'
	fi
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<bob@x>' DATA QUIT | "$BIN/smtp-handler" \
		2>"$LOG" | tr -d '\r' > "$BATS_TEST_TMPDIR/smtp"
	crlf 'USER bob' 'PASS pwbob' 'STAT' 'QUIT' | "$BIN/pop3-handler" 2>>"$LOG" |
		tr -d '\r' > "$BATS_TEST_TMPDIR/pop3"
	[ -n "${MOUNTED:-}" ] || chmod -R u+w "$ROOT"
	grep -qx '451 Local error in processing, try again later' "$BATS_TEST_TMPDIR/smtp"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/smtp")" = '221 test.example closing connection' ]
	grep -qx -- '-ERR \[SYS/TEMP\] cannot open the maildrop, try again later' \
		"$BATS_TEST_TMPDIR/pop3"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/pop3")" = '+OK Thanks for using POP3 server' ]
	grep -q "cannot create spool file: $reason" "$LOG"
	grep -q "cannot create lock USERS/bob/pop3.lock: $reason" "$LOG"
	cmp "$BATS_TEST_TMPDIR/before" "$(mailbox bob)"
}

@test "POP3: a user without a mailbox directory gets -ERR, logged, and nothing is created" {
	rm -r "$ROOT/USERS/bob"
	crlf 'USER bob' 'PASS pwbob' 'STAT' 'QUIT' | "$BIN/pop3-handler" 2>"$LOG" |
		tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	[ "$(sed -n 3p "$BATS_TEST_TMPDIR/out")" = \
	  '-ERR [SYS/TEMP] cannot open the maildrop, try again later' ]
	[ "$(sed -n 4p "$BATS_TEST_TMPDIR/out")" = '-ERR command not valid in this state' ]
	grep -q 'USERS/bob/pop3.lock: No such file or directory' "$LOG"
	[ ! -e "$ROOT/USERS/bob" ]
}

@test "a mail root that is missing: SMTP 421, POP3 -ERR, both logged" {
	run bash -c "printf 'QUIT\r\n' | MAIL_ROOT='$ROOT/gone' '$BIN/smtp-handler' 2>'$LOG'"
	[ "${lines[0]}" = $'421 test.example Service not available, closing connection\r' ]
	run bash -c "printf 'QUIT\r\n' | MAIL_ROOT='$ROOT/gone' '$BIN/pop3-handler' 2>>'$LOG'"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = $'-ERR [SYS/TEMP] service not available, try again later\r' ]
	[ "$(grep -c "cannot enter mail root $ROOT/gone" "$LOG")" = 2 ]
}
