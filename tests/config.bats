#!/usr/bin/env bats
# Settings of both handlers: a malformed one is a startup error, flags
# override the environment, and -u / MAIL_USER names an account in
# /etc/passwd.  The handlers are linked statically, where glibc's NSS
# lookup of an unknown name can crash (it loads the next NSS module into
# a static binary).

load helpers

setup() { make_mailroot; }

@test "a malformed setting or argument is a startup error naming it, in both handlers" {
	run bash -c "MAIL_MAX_SIZE=lots '$BIN/smtp-handler' < /dev/null"
	[ "$status" = 2 ]
	[[ "$output" == *MAIL_MAX_SIZE* ]]
	run "$BIN/smtp-handler" -x 1
	[ "$status" = 2 ]
	[[ "$output" == *"unknown argument"* ]]
	run "$BIN/smtp-handler" -s 0
	[ "$status" = 2 ]
	MAIL_TIMEOUT=abc run "$BIN/pop3-handler"
	[ "$status" -ne 0 ]
	[[ "$output" == *MAIL_TIMEOUT* ]]
}

@test "flags override the environment" {
	run bash -c "printf 'QUIT\r\n' | MAIL_DOMAIN=env.example '$BIN/smtp-handler' -d flag.example 2>/dev/null"
	[ "${lines[0]}" = $'220 flag.example Service ready\r' ]
}

@test "an unknown -u user is a clean startup error before any greeting, not a crash" {
	for prog in smtp-handler pop3-handler; do
		run bash -c "printf 'QUIT\r\n' | '$BIN/$prog' -u no-such-user-here 2>&1"
		[ "$status" -eq 1 ]
		[[ "$output" == *"no such user to run as: no-such-user-here (not in /etc/passwd)"* ]]
		[[ "$output" != *"220 "* && "$output" != *"+OK"* ]]
	done
}

@test "-u switches to an account from /etc/passwd" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	grep -q '^nobody:' /etc/passwd || skip "no nobody account"
	run bash -c "printf 'QUIT\r\n' | '$BIN/smtp-handler' -u nobody"
	[ "$status" -eq 0 ]
	[[ "$output" == *"221 "* ]]
}
