#!/usr/bin/env bats
# Hostile and malformed input: over-long lines, NUL bytes, bare LF,
# floods of bad commands.  Every refusal is -ERR and the session goes on.

load helpers

setup() {
	make_mailroot
	cp "$REPO/tests/golden/pop3-mailbox.txt" "$(mailbox bob)"
}

pop3() { "$BIN/pop3-handler" 2>/dev/null | tr -d '\r'; }

@test "a 256-octet command line is refused, a 255-octet one is read" {
	ok=$(printf 'NOOP %0248d' 0)           # 253 octets + CRLF = 255
	long=$(printf 'NOOP %0249d' 0)         # 254 octets + CRLF = 256
	run pop3 < <(printf 'USER bob\r\nPASS pwbob\r\n%s\r\n%s\r\nNOOP\r\nQUIT\r\n' "$ok" "$long")
	[ "${lines[3]}" = "-ERR syntax error in arguments" ]
	[ "${lines[4]}" = "-ERR line too long (255 octets at most)" ]
	[ "${lines[5]}" = "+OK" ]
	[ "${lines[6]}" = "+OK Thanks for using POP3 server" ]
}

@test "a 1 MB line gets one -ERR and the session continues" {
	run pop3 < <(printf 'USER bob\r\n'; head -c 1000000 /dev/zero | tr '\0' 'A'
		     printf '\r\nPASS pwbob\r\nSTAT\r\nQUIT\r\n')
	[ "${lines[2]}" = "-ERR line too long (255 octets at most)" ]
	# USER is still remembered
	[ "${lines[3]}" = "+OK maildrop has 3 messages (618 octets)" ]
	[ "${lines[4]}" = "+OK 3 618" ]
	[ "${#lines[@]}" -eq 6 ]
}

@test "a command with a NUL byte is refused" {
	run pop3 < <(printf 'USER bob\r\nPASS pw\0bob\r\nNOOP\0\r\nPASS pwbob\r\nQUIT\r\n')
	[ "${lines[2]}" = "-ERR NUL byte in command" ]
	[ "${lines[3]}" = "-ERR NUL byte in command" ]
	[ "${lines[4]}" = "+OK maildrop has 3 messages (618 octets)" ]
}

@test "bare LF command lines are accepted" {
	run pop3 < <(printf 'USER bob\nPASS pwbob\nSTAT\nQUIT\n')
	[ "${lines[3]}" = "+OK 3 618" ]
	[ "${lines[4]}" = "+OK Thanks for using POP3 server" ]
}

@test "hostile message numbers: 0, -1, huge, signs, TOP with negative lines" {
	run pop3 < <(crlf 'USER bob' 'PASS pwbob' 'RETR 0' 'RETR -1' \
		'RETR 99999999999999999999' 'RETR 18446744073709551617' \
		'TOP 1 -5' 'DELE 0x1' 'LIST  1' 'QUIT')
	[ "${lines[3]}" = "-ERR no such message" ]
	[ "${lines[4]}" = "-ERR syntax error in arguments" ]
	[ "${lines[5]}" = "-ERR no such message" ]
	[ "${lines[6]}" = "-ERR no such message" ]
	[ "${lines[7]}" = "-ERR syntax error in arguments" ]
	[ "${lines[8]}" = "-ERR syntax error in arguments" ]
	[ "${lines[9]}" = "+OK 1 250" ]
	[ "$(count_messages bob)" -eq 3 ]
}

@test "user names that are not names are refused like unknown users" {
	for name in ../alice a/b .alice "$(printf 'a%.0s' $(seq 65))" 'bob bob'; do
		run pop3 < <(crlf "USER $name" 'PASS pwbob' 'QUIT')
		[ "${lines[2]}" = "-ERR [AUTH] invalid user name or password" ] ||
			[ "${lines[1]}" = "-ERR syntax error in arguments" ]
	done
	# A 64-octet name is a possible name: refused only as unknown.
	run pop3 < <(crlf "USER $(printf 'a%.0s' $(seq 64))" 'PASS x' 'QUIT')
	[ "${lines[2]}" = "-ERR [AUTH] invalid user name or password" ]
}

@test "too many bad commands end the session" {
	run pop3 < <(for i in $(seq 30); do printf 'BOGUS\r\n'; done; crlf QUIT)
	# MAIL_MAX_ERRORS (default 20) errors, then the closing -ERR.
	[ "${lines[20]}" = "-ERR unknown command" ]
	[ "${lines[21]}" = "-ERR too many errors, closing" ]
	[ "${#lines[@]}" -eq 22 ]
}

@test "pipelined commands get their replies in order" {
	run pop3 < <(crlf 'USER bob' 'PASS pwbob' 'LIST 1' 'LIST 2' 'LIST 3' \
		'UIDL 1' 'DELE 3' 'STAT' 'QUIT')
	[ "${lines[3]}" = "+OK 1 250" ]
	[ "${lines[4]}" = "+OK 2 315" ]
	[ "${lines[5]}" = "+OK 3 53" ]
	[[ "${lines[6]}" =~ ^\+OK\ 1\ [0-9a-f]{16}$ ]]
	[ "${lines[7]}" = "+OK message deleted" ]
	[ "${lines[8]}" = "+OK 2 565" ]
	[ "$(count_messages bob)" -eq 2 ]
}

@test "a mailbox that is a symlink or a directory is not opened" {
	rm "$(mailbox bob)"
	ln -s "$ROOT/userinfo.txt" "$(mailbox bob)"
	run pop3 < <(crlf 'USER bob' 'PASS pwbob' 'QUIT')
	[[ "${lines[2]}" == "-ERR [SYS/TEMP]"* ]]
	[ ! -e "$ROOT/USERS/bob/pop3.lock" ]
}
