#!/usr/bin/env bats
# -u / MAIL_USER: the account to run as is looked up in /etc/passwd.  The
# handlers are linked statically, where an NSS lookup of an unknown name
# used to crash (glibc loads the next NSS module into a static binary).

load helpers

setup() { make_mailroot; }

@test "an unknown -u user is a clean startup error, not a crash" {
	for prog in smtp-handler pop3-handler; do
		run "$BIN/$prog" -u no-such-user-here < /dev/null
		[ "$status" -eq 1 ]
		[[ "$output" == *"no such user to run as: no-such-user-here (not in /etc/passwd)"* ]]
	done
}

@test "-u switches to an account from /etc/passwd" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	grep -q '^nobody:' /etc/passwd || skip "no nobody account"
	run bash -c "printf 'QUIT\r\n' | '$BIN/smtp-handler' -u nobody"
	[ "$status" -eq 0 ]
	[[ "$output" == *"221 "* ]]
}
