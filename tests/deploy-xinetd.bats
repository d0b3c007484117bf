#!/usr/bin/env bats
# xinetd in the foreground with services generated from conf/xinetd.d/.
# Under xinetd fds 0, 1 and 2 are all the client socket.

load helpers
load deploy

setup() {
	need xinetd xinetd
	need curl curl
	make_mailroot
	# xinetd passes only its env = line: MAIL_LOG is left at auto, as in
	# production, so the handlers must find out for themselves that fd 2
	# is the client.
	unset MAIL_LOG
	make_message
	CONF="$BATS_TEST_TMPDIR/xinetd.conf"
	printf 'defaults\n{\n\tlog_type = FILE %s\n}\n' \
		"$BATS_TEST_TMPDIR/xinetd.log" > "$CONF"
}

teardown() {
	stop_servers
}

# add_service NAME PORT [EXTRA-ENV]: append conf/xinetd.d/NAME to $CONF,
# pointed at this build, this mail root and a loopback port.
add_service() {
	local svc="$BATS_TEST_TMPDIR/$1.$2"
	cp "$REPO/conf/xinetd.d/$1" "$svc"
	set_key "$svc" port "$2"
	set_key "$svc" server "$BIN/$1"
	set_key "$svc" user "$(id -un)"
	set_key "$svc" group "$(id -gn)"
	set_key "$svc" env "MAIL_ROOT=$ROOT MAIL_DOMAIN=test.example MAIL_TIMEOUT=5 MAIL_AUTH_DELAY=0${3:+ $3}"
	# A second service of the same name needs its own id.
	sed -i -e "s|^service $1\$|service $1-$2|" \
		-e "s|^\([[:space:]]*\)type .*|&\n\1id = $1-$2\n\1bind = 127.0.0.1|" "$svc"
	cat "$svc" >> "$CONF"
}

start_xinetd() {
	start_server "$1" xinetd -dontfork -pidfile "$BATS_TEST_TMPDIR/xinetd.pid" -f "$CONF"
}

# A raw session: send CRLF lines, print everything the server says.
session() {
	local port=$1; shift
	exec {c}<>"/dev/tcp/127.0.0.1/$port"
	crlf "$@" >&"$c"
	timeout 10 cat <&"$c"
	exec {c}>&-
}

@test "xinetd: curl delivers through the SMTP service" {
	PORT=$(free_port)
	add_service smtp-handler "$PORT"
	start_xinetd "$PORT"
	send_mail "smtp://127.0.0.1:$PORT"
	assert_delivered
}

@test "xinetd: curl retrieves through the POP3 service" {
	SMTP=$(free_port) POP3=$(free_port)
	add_service smtp-handler "$SMTP"
	add_service pop3-handler "$POP3"
	start_xinetd "$SMTP"
	wait_port "$POP3"
	send_mail "smtp://127.0.0.1:$SMTP"
	run fetch_mail "pop3://127.0.0.1:$POP3"
	[ "$status" -eq 0 ]
	[[ "$output" == *"body $TOKEN"* ]]
}

@test "xinetd: no log line leaks into the SMTP protocol stream" {
	PORT=$(free_port) LEAKY=$(free_port)
	add_service smtp-handler "$PORT"
	# Control: the same service forced to log to stderr (the socket here)
	# must show the leak, or the check below proves nothing.
	add_service smtp-handler "$LEAKY" MAIL_LOG=stderr
	start_xinetd "$PORT"
	wait_port "$LEAKY"
	smtp_commands=('EHLO client.example' 'BOGUS' 'MAIL FROM:<alice@test.example>'
		'RCPT TO:<nosuch@test.example>' 'RCPT TO:<bob@test.example>'
		'DATA' 'Subject: x' '' 'hello' '.' 'QUIT')

	run session "$LEAKY" "${smtp_commands[@]}"
	[[ "$output" == *"smtp-handler["* ]]

	run session "$PORT" "${smtp_commands[@]}"
	echo "$output"
	[[ "$output" == 220* ]]
	[[ "$output" == *"221 "* ]]
	# Every line is a reply: three digits, then space or hyphen.
	not grep -Ev $'^[0-9]{3}[ -].*\r$' <<< "$output"
	# One message from each session.
	[ "$(count_messages bob)" -eq 2 ]
}

@test "xinetd: no log line leaks into the POP3 protocol stream" {
	PORT=$(free_port)
	add_service pop3-handler "$PORT"
	start_xinetd "$PORT"
	run session "$PORT" 'USER bob' 'PASS wrong' 'USER bob' 'PASS pwbob' \
		'STAT' 'NOOP' 'BOGUS' 'QUIT'
	echo "$output"
	[[ "$output" == "+OK"* ]]
	[ "$(grep -c . <<< "$output")" -eq 9 ]
	not grep -Ev $'^(\\+OK|-ERR)( .*)?\r$' <<< "$output"
}
