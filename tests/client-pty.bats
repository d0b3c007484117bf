#!/usr/bin/env bats
# mail-client on a terminal: the password is not echoed, the rest is, and
# the terminal is left as it was found.

load helpers

@test "client pty: the password is not echoed, the username is" {
	pty_start "$BIN/mail-client" 127.0.0.1 "$(free_port)" "$(free_port)"
	pty_expect "Username: "
	pty_type alice
	pty_expect "Password: "
	pty_type TopSecret42
	pty_expect "Choose an option: "
	pty_type 3
	pty_expect "Goodbye."
	pty_finish
	grep -q 'alice' "$PTY_OUT"
	not grep -q 'TopSecret42' "$PTY_OUT"
}

@test "client pty: echo comes back after the password" {
	pty_start "$BIN/mail-client" 127.0.0.1 "$(free_port)" "$(free_port)"
	pty_expect "Username: "
	pty_type alice
	pty_expect "Password: "
	pty_type hidden-pw
	pty_expect "Choose an option: "
	pty_type 'visible-choice'
	pty_expect "Invalid choice"
	pty_type 3
	pty_finish
	grep -q 'visible-choice' "$PTY_OUT"
	not grep -q 'hidden-pw' "$PTY_OUT"
}

@test "client pty: Ctrl-D at the password prompt exits cleanly, echo restored" {
	# Ctrl-D, typed on the terminal, is end of input for the program; the
	# shell command after it shows that the terminal echoes again.
	pty_start bash -c "\"\$0\" 127.0.0.1 1 1; stty -a | grep -o -- '-\\?echo ' | head -1" \
		"$BIN/mail-client"
	pty_expect "Username: "
	pty_type alice
	pty_expect "Password: "
	printf '\004' >&"$PTY_FD"
	pty_expect "End of input, goodbye."
	pty_expect "echo "
	pty_finish
	grep -q '^echo ' <(tr -d '\r' < "$PTY_OUT")
}

@test "client pty: Ctrl-D at the menu exits with status 0" {
	pty_start "$BIN/mail-client" 127.0.0.1 1 1
	pty_expect "Username: "
	pty_type alice pw
	pty_expect "Choose an option: "
	printf '\004' >&"$PTY_FD"
	pty_expect "End of input, goodbye."
	pty_finish
}
