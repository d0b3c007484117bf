#!/usr/bin/env bats
# Security: file modes and O_NOFOLLOW on the lock files, nobody reads
# another user's mail, no password in the logs, the root warning and -u.

load helpers
load pop3-helpers

setup() {
	make_mailroot
	bob_gets_golden_mailbox
	LOG="$BATS_TEST_TMPDIR/log"
}

teardown() {
	kill_sessions
}

pop3() { "$BIN/pop3-handler" 2>>"$LOG" | tr -d '\r'; }

@test "pop3.lock, the write lock and the new mailbox are created 0600" {
	umask 022
	chmod 600 "$(mailbox bob)"     # the rewrite keeps the mailbox's mode
	POP3_TEST_UPDATE_DELAY_MS=1000 session_open a "$TEST_HOOKS_BIN/pop3-handler"
	session_login a bob pwbob
	[ "$(stat -c %a "$ROOT/USERS/bob/pop3.lock")" = 600 ]
	session_send a 'DELE 1' QUIT
	wait_file "$(mailbox bob).new"
	[ "$(stat -c %a "$(mailbox bob).lock")" = 600 ]
	[ "$(stat -c %a "$(mailbox bob).new")" = 600 ]
	session_wait a '^\+OK Thanks'
	[ "$(stat -c %a "$(mailbox bob)")" = 600 ]
}

@test "a symlink planted at the SMTP write lock is refused, not followed" {
	ln -s "$BATS_TEST_TMPDIR/created-by-lock" "$(mailbox alice).lock"
	echo precious > "$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$(mailbox bob).lock"
	MAIL_LOCK_WAIT=50 deliver alice@x,bob@x | tr -d '\r' > "$BATS_TEST_TMPDIR/out"
	grep -qx '451 Mailbox busy, try again later' "$BATS_TEST_TMPDIR/out"
	[ ! -e "$BATS_TEST_TMPDIR/created-by-lock" ]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	[ -L "$(mailbox alice).lock" ]
	[ -L "$(mailbox bob).lock" ]
	[ ! -e "$(mailbox alice)" ]
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
}

@test "a symlink planted at pop3.lock or at the write lock is refused by POP3, not followed" {
	echo precious > "$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$ROOT/USERS/bob/pop3.lock"
	crlf 'USER bob' 'PASS pwbob' QUIT | pop3 > "$BATS_TEST_TMPDIR/out"
	grep -qx -- '-ERR \[IN-USE\] maildrop already locked' "$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	rm "$ROOT/USERS/bob/pop3.lock"
	# At the write lock: login cannot take the snapshot, nothing changes.
	ln -s "$BATS_TEST_TMPDIR/target" "$(mailbox bob).lock"
	crlf 'USER bob' 'PASS pwbob' 'DELE 1' QUIT | MAIL_LOCK_WAIT=50 pop3 > "$BATS_TEST_TMPDIR/out"
	grep -qx -- '-ERR \[SYS/TEMP\] cannot open the maildrop, try again later' "$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
}

@test "a symlink planted at the new mailbox path is removed, not written through" {
	echo precious > "$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$(mailbox bob).new"
	crlf 'USER bob' 'PASS pwbob' 'DELE 1' QUIT | pop3 > "$BATS_TEST_TMPDIR/out"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = '+OK Thanks for using POP3 server' ]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	[ ! -L "$(mailbox bob)" ]
	[ -f "$(mailbox bob)" ]
	[ "$(count_messages bob)" = 2 ]
}

@test "nobody reads or deletes another user's mail: wrong pairs and name tricks fail" {
	for pair in 'alice pwbob' 'bob pwalice' 'bob pwbob ' 'BOB pwbob' 'Bob pwbob' \
		    '../bob pwbob' 'alice/../bob pwbob' './bob pwbob' 'bob/ pwbob' \
		    'bob@test.example pwbob' 'bob%00 pwbob' \
		    'carol $6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1'; do
		user=${pair%% *} password=${pair#* }
		crlf "USER $user" "PASS $password" STAT 'DELE 1' QUIT | pop3 > "$BATS_TEST_TMPDIR/out"
		not grep -q '^+OK maildrop' "$BATS_TEST_TMPDIR/out"
		not grep -q '^+OK message deleted' "$BATS_TEST_TMPDIR/out"
	done
	# The last USER given counts: USER bob, USER alice, then bob's password.
	crlf 'USER bob' 'USER alice' 'PASS pwbob' STAT QUIT | pop3 > "$BATS_TEST_TMPDIR/out"
	grep -qx -- '-ERR \[AUTH\] invalid user name or password' "$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/original" "$(mailbox bob)"
	# While the right pair works.
	crlf 'USER bob' 'PASS pwbob' STAT QUIT | pop3 | grep -qx '+OK 3 618'
	crlf 'USER carol' 'PASS secret' STAT QUIT | pop3 | grep -qx '+OK 0 0'
}

@test "passwords never reach the log: wrong, right, hashed and SMTP AUTH attempts" {
	secret_b64=$(printf '\0alice\0SMTPsecret99' | base64)
	crlf 'EHLO c' "AUTH PLAIN $secret_b64" 'AUTH LOGIN' "$(printf 'SMTPsecret99' | base64)" QUIT |
		"$BIN/smtp-handler" >/dev/null 2>>"$LOG"
	crlf 'USER bob' 'PASS WrongSecret42' 'USER bob' 'PASS pwbob' STAT QUIT | pop3 >/dev/null
	crlf 'USER carol' 'PASS CarolWrong77' 'USER carol' 'PASS secret' QUIT | pop3 >/dev/null
	crlf 'USER pwalice' 'PASS pwalice' QUIT | pop3 >/dev/null
	grep -q 'failed login for bob' "$LOG"
	grep -q 'bob logged in' "$LOG"
	grep -q 'carol logged in' "$LOG"
	for word in WrongSecret42 pwbob CarolWrong77 secret SMTPsecret99 "$secret_b64" '$6$saltsalt'; do
		not grep -qF -- "$word" "$LOG"
	done
}

@test "as root without -u: a warning is logged and both handlers still work" {
	[ "$(id -u)" -eq 0 ] || skip "not running as root"
	deliver alice@x | grep -q '^250 OK Message accepted'
	grep -q 'smtp-handler.*running as root; consider -u USER' "$LOG"
	crlf 'USER alice' 'PASS pwalice' 'DELE 1' QUIT | pop3 | grep -qx '+OK Thanks for using POP3 server'
	grep -q 'pop3-handler.*running as root; consider -u USER' "$LOG"
	[ "$(count_messages alice)" = 0 ]
}

@test "-u nobody: privileges are dropped before the store is touched" {
	[ "$(id -u)" -eq 0 ] || skip "switching users needs root"
	id nobody > /dev/null 2>&1 || skip "no user nobody"
	chmod 755 "$BATS_TEST_TMPDIR"
	# A mail root owned by root: nobody may not write there.
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA QUIT |
		"$BIN/smtp-handler" -u nobody 2>"$LOG" | grep -q '^451 '
	[ ! -e "$(mailbox alice)" ]
	# Owned by nobody: delivery and UPDATE work, files belong to nobody.
	chown -R nobody "$ROOT"
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA x . QUIT |
		"$BIN/smtp-handler" -u nobody 2>>"$LOG" | grep -q '^250 OK Message accepted'
	[ "$(stat -c %U "$(mailbox alice)")" = nobody ]
	crlf 'USER bob' 'PASS pwbob' 'DELE 1' QUIT | MAIL_USER=nobody pop3 |
		grep -qx '+OK Thanks for using POP3 server'
	[ "$(stat -c %U "$(mailbox bob)")" = nobody ]
	[ "$(count_messages bob)" = 2 ]
	not grep -q 'running as root' "$LOG"
}

@test "-u naming the user already running is accepted (unprivileged start)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to start as nobody"
	command -v setpriv > /dev/null || skip "no setpriv (util-linux)"
	id nobody > /dev/null 2>&1 || skip "no user nobody"
	# nobody must reach the mail root from the start.
	for d in "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/.." "$BATS_RUN_TMPDIR"; do
		chmod o+x "$d"
	done
	chown -R nobody "$ROOT"
	crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA x . QUIT |
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$BIN/smtp-handler" -u nobody 2>"$LOG" | grep -q '^250 OK Message accepted'
	# But switching to another user unprivileged fails cleanly with 421.
	crlf QUIT | setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$BIN/smtp-handler" -u root 2>>"$LOG" | grep -q '^421 '
	grep -q 'cannot switch to user root' "$LOG"
}
