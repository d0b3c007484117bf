#!/usr/bin/env bats
# mail-client end to end: the real smtp-handler and pop3-handler under
# tcpspawn on 127.0.0.1, the client driven through piped stdin and through
# a pseudo-terminal, results checked in the mailbox files.

load helpers

setup() {
	make_mailroot
	SMTP_PORT=$(spawn_any_port "$BIN/smtp-handler")
	POP3_PORT=$(spawn_any_port "$BIN/pop3-handler")
}

teardown() { stop_servers; }

# send_as USER PASSWORD FROM TO SUBJECT BODY-LINE...: one message, then Exit.
send_as() {
	local user=$1 pw=$2 from=$3 to=$4 subject=$5
	shift 5
	client_session "$user" "$pw" 1 "From: $from" "To: $to" "Subject: $subject" "$@" . 3
}

@test "client e2e: a valid message lands in the recipient's mailbox" {
	send_as alice pwalice alice@test.example bob@test.example 'Hello Bob' \
		'Hi Bob,' '.a line starting with a dot' 'bye'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Mail sent successfully"* ]]
	[ "$(count_messages bob)" -eq 1 ]
	grep -qx 'From: alice@test.example' "$(mailbox bob)"
	grep -qx 'To: bob@test.example' "$(mailbox bob)"
	grep -qx 'Subject: Hello Bob' "$(mailbox bob)"
	grep -qx '\.\.a line starting with a dot' "$(mailbox bob)"   # stored stuffed
	grep -q '^Received: from \[127.0.0.1\]' "$(mailbox bob)"
}

@test "client e2e: several recipients, one message each" {
	send_as alice pwalice alice@test.example 'bob@test.example, SimonDS@test.example' \
		'To both' 'body'
	[[ "$output" == *"Mail sent successfully"* ]]
	[ "$(count_messages bob)" -eq 1 ]
	[ "$(count_messages SimonDS)" -eq 1 ]
}

@test "client e2e: each malformed message is refused and nothing is delivered" {
	local long
	long=$(printf 's%.0s' $(seq 151))
	client_session alice pwalice \
		1 'To: bob@test.example' 'Subject: no from' 'body' . \
		1 'From: alice@test.example' 'To: bob@' 'Subject: bad address' 'body' . \
		1 'From: alice@test.example' 'To: bob@test.example' "Subject: $long" 'body' . \
		1 'From: alice@test.example' 'To: bob@test.example' 'Subject: no end' 'body'
	[ "$status" -eq 0 ]
	[ "$(grep -c '^This is an incorrect format' <<< "$output")" -eq 4 ]
	[[ "$output" == *"line 1 must be 'From: <username>@<domain name>'"* ]]
	[[ "$output" == *"line 2: 'bob@' is not an address"* ]]
	[[ "$output" == *"the subject has 151 characters, at most 150"* ]]
	[[ "$output" == *"no final line holding only '.'"* ]]
	[ "$(count_messages bob)" -eq 0 ]
}

@test "client e2e: an unknown user gets the server's 550, nothing is delivered" {
	send_as alice pwalice alice@test.example 'bob@test.example, nosuchuser@test.example' \
		'Lost' 'body'
	[ "$status" -eq 0 ]
	[[ "$output" == *"refused the recipient nosuchuser@test.example: 550"*"No such user"* ]]
	[[ "$output" != *"Mail sent successfully"* ]]
	[ "$(count_messages bob)" -eq 0 ]
}

@test "client e2e: the list shows sender, date and subject; RETR shows the message" {
	send_as alice pwalice alice@test.example bob@test.example 'First subject' 'one'
	send_as IbrahimEK pwIbrahimEK IbrahimEK@test.example bob@test.example 'Second subject' \
		'two' '.dotted' '..double'
	client_session bob pwbob 2 'RETR 2' QUIT 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"+OK POP3 server ready"* ]]
	local date='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}'
	grep -qE "^ +1\. alice@test\.example +$date +First subject$" <<< "$output"
	grep -qE "^ +2\. IbrahimEK@test\.example +$date +Second subject$" <<< "$output"
	grep -qx 'two' <<< "$output"
	grep -qx '\.dotted' <<< "$output"          # dot-stuffing undone
	grep -qx '\.\.double' <<< "$output"
	grep -qx -- '--- end of message 2 ---' <<< "$output"
	[[ "$output" == *"+OK Thanks for using POP3 server"* ]]
	[ "$(count_messages bob)" -eq 2 ]          # RETR deletes nothing
}

@test "client e2e: STAT and LIST" {
	send_as alice pwalice alice@test.example bob@test.example 'one' 'body'
	client_session bob pwbob 2 STAT LIST 'LIST 1' QUIT 3
	grep -qE '(^|> )1 message, [0-9]+ octets$' <<< "$output"
	grep -qE '^ +1  [0-9]+$' <<< "$output"
	grep -qE '> \+OK 1 [0-9]+$' <<< "$output"
}

@test "client e2e: DELE then QUIT removes the message; RSET undoes DELE" {
	send_as alice pwalice alice@test.example bob@test.example 'keep me' 'a'
	send_as alice pwalice alice@test.example bob@test.example 'delete me' 'b'
	client_session bob pwbob 2 'DELE 1' RSET QUIT 3
	[[ "$output" == *"+OK"* ]]
	[ "$(count_messages bob)" -eq 2 ]
	client_session bob pwbob 2 'DELE 2' QUIT 3
	[ "$status" -eq 0 ]
	[ "$(count_messages bob)" -eq 1 ]
	grep -qx 'Subject: keep me' "$(mailbox bob)"
	not grep -q 'delete me' "$(mailbox bob)"
}

@test "client e2e: wrong password, then the right one" {
	send_as alice pwalice alice@test.example bob@test.example 'for bob' 'x'
	client_session bob wrongpw 2 bob pwbob QUIT 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login failed: -ERR"* ]]
	grep -qE '^ +1\. alice@test\.example .*for bob$' <<< "$output"
}

@test "client e2e: a crypt-hashed password works" {
	client_session carol secret 2 QUIT 3
	[[ "$output" == *"No messages."* ]]
	[[ "$output" != *"Login failed"* ]]
}

@test "client e2e: end of input at every prompt exits with status 0" {
	local prefix
	for prefix in '' 'bob' 'bob|pwbob' 'bob|pwbob|1' 'bob|pwbob|1|From: bob@test.example' \
		'bob|nope|2' 'bob|nope|2|bob' 'bob|pwbob|2' 'bob|pwbob|2|STAT'; do
		IFS='|' read -ra typed <<< "$prefix"
		client_session "${typed[@]}"
		[ "$status" -eq 0 ] || { echo "after '$prefix': status $status"; false; }
		[[ "$output" == *"End of input, goodbye."* ]] ||
			{ echo "after '$prefix': $output"; false; }
	done
	# Leaving a POP3 session at end of input deletes nothing.
	send_as alice pwalice alice@test.example bob@test.example 's' 'b'
	client_session bob pwbob 2 'DELE 1'
	[ "$(count_messages bob)" -eq 1 ]
}

@test "client e2e: a whole session on a terminal" {
	pty_start "$BIN/mail-client" 127.0.0.1 "$SMTP_PORT" "$POP3_PORT"
	pty_expect "Username: "
	pty_type bob
	pty_expect "Password: "
	pty_type pwbob
	pty_expect "Choose an option: "
	pty_type 1
	pty_expect "  ."
	pty_type 'From: bob@test.example' 'To: bob@test.example' 'Subject: Note to self' \
		'remember the milk' .
	pty_expect "Mail sent successfully"
	pty_type 2
	pty_expect "pop3> "
	pty_type 'RETR 1'
	pty_expect "end of message 1"
	pty_type 'DELE 1' QUIT
	pty_expect "Thanks for using POP3 server"
	pty_type 3
	pty_expect "Goodbye."
	pty_finish
	tr -d '\r' < "$PTY_OUT" > "$BATS_TEST_TMPDIR/screen"
	grep -qE '^ +1\. bob@test\.example .*Note to self$' "$BATS_TEST_TMPDIR/screen"
	grep -qx 'remember the milk' "$BATS_TEST_TMPDIR/screen"
	not grep -q pwbob "$BATS_TEST_TMPDIR/screen"
	[ "$(count_messages bob)" -eq 0 ]
}
