#!/usr/bin/env bats
# Addresses and headers: Bcc recipients stay private, header names as RFC
# 5322 spells them, postmaster, aliases (role addresses, lists, the
# catch-all, load errors, Delivered-To: and its loop guard) and SMTPUTF8.

load helpers

setup() {
	make_mailroot
	LOG="$BATS_TEST_TMPDIR/log"
}

teardown() { stop_servers; }

# smtp LINE...: one session through smtp-handler; replies (no CR) on stdout.
smtp() { crlf "$@" | "$BIN/smtp-handler" 2>>"$LOG" | tr -d '\r'; }

# Does no copy of the message in USER's mailbox name OTHER (another
# recipient of the same message)?
names_nobody_else() {
	local box; box=$(mailbox "$1"); shift
	for other in "$@"; do
		if grep -qi -- "$other" "$box"; then
			echo "$box names $other:"; cat "$box"
			return 1
		fi
	done
}

@test "Bcc by hand: a message with no To: to two recipients; neither copy names the other" {
	smtp 'EHLO c' 'MAIL FROM:<s@example.org>' 'RCPT TO:<alice@test.example>' \
		'RCPT TO:<bob@test.example>' DATA 'Subject: secret' '' 'hi' . QUIT > /dev/null
	for u in alice bob; do
		[ "$(count_messages $u)" = 1 ]
		grep -qx 'To: undisclosed-recipients:;' "$(mailbox $u)"
		grep -qx "Delivered-To: $u@test.example" "$(mailbox $u)"
		grep -qx 'Return-Path: <s@example.org>' "$(mailbox $u)"
	done
	names_nobody_else alice bob
	names_nobody_else bob alice
}

@test "Bcc with msmtp -t and with Python's send_message(): the Bcc: line is gone, no copy names another" {
	PORT=$(spawn_any_port "$BIN/smtp-handler")
	printf 'From: s@example.org\nBcc: alice@test.example, bob@test.example\nSubject: via msmtp\n\nbody\n' |
		msmtp --host=127.0.0.1 --port="$PORT" --from=s@example.org -t
	python3 - "$PORT" <<'PY'
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "s@example.org"
m["Bcc"] = "carol@test.example, IbrahimEK@test.example"
m["Subject"] = "via python"
m.set_content("body")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.send_message(m)
PY
	for u in alice bob carol IbrahimEK; do
		[ "$(count_messages $u)" = 1 ]
		grep -qx 'To: undisclosed-recipients:;' "$(mailbox $u)"
		not grep -qi '^Bcc:' "$(mailbox $u)"
	done
	names_nobody_else alice bob
	names_nobody_else bob alice
	names_nobody_else carol ibrahimek
	names_nobody_else IbrahimEK carol
}

@test "header names as RFC 5322 spells them: 'To : x' and 'SUBJECT:' are the message's own, none is added" {
	smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<alice@x>' DATA \
		'From : s@x' 'To : friends@x' 'SUBJECT:hi' '' 'body' . QUIT > /dev/null
	[ "$(grep -ci '^To *:' "$(mailbox alice)")" = 1 ]
	[ "$(grep -ci '^Subject *:' "$(mailbox alice)")" = 1 ]
	[ "$(grep -ci '^From *:' "$(mailbox alice)")" = 1 ]
}

@test "postmaster, bare and at any domain, is accepted; without an alias it goes to the first user" {
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<postmaster>' DATA 'Subject: 1' '' a . \
		'MAIL FROM:<s@x>' 'RCPT TO:<PostMaster@elsewhere.example>' DATA 'Subject: 2' '' b . QUIT
	[ "$(grep -c '^250 postmaster\.\.\. Recipient ok\|^250 PostMaster@elsewhere.example\.\.\. Recipient ok' <<< "$output")" = 2 ]
	[ "$(count_messages alice)" = 2 ]       # alice is first in userinfo.txt
	grep -qx 'Delivered-To: alice@test.example' "$(mailbox alice)"
}

@test "aliases: a role, a list, a nested list, the catch-all; each mailbox once, Return-Path the sender" {
	cat > "$ROOT/aliases.txt" <<'EOF'
# role addresses and lists
postmaster: bob
abuse : postmaster
team: alice, bob
staff: team, carol
*: SimonDS
EOF
	run smtp 'EHLO c' 'MAIL FROM:<s@example.org>' 'RCPT TO:<Team@x>' 'RCPT TO:<staff@y>' \
		'RCPT TO:<abuse>' DATA 'Subject: all hands' '' hi . \
		'MAIL FROM:<s@example.org>' 'RCPT TO:<whoever@anywhere>' DATA 'Subject: stray' '' x . QUIT
	[ "$(grep -c '^250 2.1.5 ' <<< "$output")" = 4 ]
	for u in alice bob carol; do
		[ "$(count_messages $u)" = 1 ]
		grep -qx "Delivered-To: $u@test.example" "$(mailbox $u)"
		grep -qx 'Return-Path: <s@example.org>' "$(mailbox $u)"
	done
	[ "$(count_messages SimonDS)" = 1 ]
	grep -qx 'Subject: stray' "$(mailbox SimonDS)"
	[ "$(count_messages IbrahimEK)" = 0 ]
}

@test "aliases: a bad file is an error at load time, with line numbers; users still get mail, aliases 451" {
	cat > "$ROOT/aliases.txt" <<'EOF'
loop1: loop2
loop2: loop1
ghost: nobody-here
no colon here
alice: bob
EOF
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<loop1@x>' 'RCPT TO:<bob@x>' QUIT
	[[ "${lines[3]}" == "451 "* ]]
	[[ "${lines[4]}" == "250 bob@x... Recipient ok" ]]
	grep -q 'aliases.txt:1: alias loop through: loop1' "$LOG"
	grep -q 'aliases.txt:3: no such user or alias: nobody-here' "$LOG"
	grep -q 'aliases.txt:4: malformed line' "$LOG"
	grep -q 'aliases.txt:5: alias has the name of a user: alice' "$LOG"
	# The loop alone, once the rest is mended, is found too.
	printf 'loop1: loop2\nloop2: loop3\nloop3: loop1\nok: alice\n' > "$ROOT/aliases.txt"
	: > "$LOG"
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<ok@x>' QUIT
	[[ "${lines[3]}" == "451 "* ]]
	grep -q 'aliases.txt:[123]: alias loop through' "$LOG"
}

@test "Delivered-To: naming the mailbox already is a loop: 554 5.4.6, nothing stored; another mailbox's is no loop" {
	run smtp 'EHLO c' 'MAIL FROM:<s@x>' 'RCPT TO:<alice@x>' DATA \
		'Delivered-To: alice@test.example' 'Subject: again' '' body . QUIT
	grep -qx '554 5.4.6 Mail loop detected' <<< "$output"
	[ "$(count_messages alice)" = 0 ]
	grep -q 'names the mailbox of alice (a mail loop)' "$LOG"
	run smtp 'EHLO c' 'MAIL FROM:<s@x>' 'RCPT TO:<alice@x>' DATA \
		'Delivered-To: bob@test.example' 'Delivered-To: alice@elsewhere.example' \
		'Subject: forwarded' '' 'Delivered-To: alice@test.example' . QUIT
	grep -q '^250 2.0.0 OK Message accepted' <<< "$output"
	[ "$(count_messages alice)" = 1 ]
}

@test "postmaster: never the catch-all's, one mailbox whatever its case, accepted even while aliases.txt is broken" {
	printf '*: SimonDS\n' > "$ROOT/aliases.txt"
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<POSTMASTER>' DATA x . QUIT
	[ "$(count_messages alice)" = 1 ]       # the first user, not SimonDS
	[ "$(count_messages SimonDS)" = 0 ]
	printf 'postmaster pwpm\n' >> "$ROOT/userinfo.txt"
	mkdir "$ROOT/USERS/postmaster"
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<POSTMASTER>' 'RCPT TO:<Postmaster@x>' \
		'RCPT TO:<postmaster>' DATA x . QUIT
	[ "$(count_messages postmaster)" = 1 ]
	printf 'broken line\n' > "$ROOT/aliases.txt"
	sed -i '/^postmaster /d' "$ROOT/userinfo.txt"
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<postmaster@x>' 'RCPT TO:<team@x>' DATA x . QUIT
	[[ "${lines[3]}" == "250 postmaster@x... Recipient ok" ]]
	[[ "${lines[4]}" == "451 "* ]]
	[ "$(count_messages alice)" = 2 ]
}

@test "aliases: a diamond is no loop; a self-loop, an empty target and an alias hiding a user in another case are errors" {
	printf 'a: b, c\nb: d\nc: d\nd: carol\n' > "$ROOT/aliases.txt"
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<a@x>' DATA x . QUIT
	[[ "${lines[3]}" == "250 a@x... Recipient ok" ]]
	[ "$(count_messages carol)" = 1 ]
	printf 'self: self\nlist: alice,,bob\nBob: alice\n' > "$ROOT/aliases.txt"
	run smtp 'HELO c' 'MAIL FROM:<s@x>' 'RCPT TO:<list@x>' 'RCPT TO:<BOB@x>' QUIT
	[[ "${lines[3]}" == "451 "* && "${lines[4]}" == "451 "* ]]
	grep -q 'aliases.txt:1: alias loop through: self' "$LOG"
	grep -q 'aliases.txt:2: empty target' "$LOG"
	grep -q 'aliases.txt:3: alias has the name of a user: Bob' "$LOG"
}

@test "SMTPUTF8 after HELO is an unknown parameter (555): the extension was not offered" {
	run smtp 'HELO c' 'MAIL FROM:<jörg@x> SMTPUTF8' QUIT
	[[ "${lines[2]}" == "555 Parameter not recognized: SMTPUTF8" ]]
}

@test "SMTPUTF8: announced; an 8-bit address needs it (553 5.6.7); with it a UTF-8 alias gets the mail, Received: says UTF8SMTP" {
	printf 'jörg: alice\n' > "$ROOT/aliases.txt"
	run smtp 'EHLO c' 'MAIL FROM:<jörg@example.org>' 'MAIL FROM:<s@x>' \
		'RCPT TO:<jörg@test.example>' RSET \
		'MAIL FROM:<jörg@example.org> SMTPUTF8' 'RCPT TO:<jörg@test.example>' \
		$'RCPT TO:<j\xffrg@test.example>' DATA 'Subject: grüße' '' 'Grüße' . QUIT
	grep -qx '250-SMTPUTF8' <<< "$output"
	[ "$(grep -c '^553 5.6.7 ' <<< "$output")" = 2 ]
	grep -q '^501 5.1.3 ' <<< "$output"        # not UTF-8: bad syntax
	grep -qx '250 2.1.5 jörg@test.example... Recipient ok' <<< "$output"
	[ "$(count_messages alice)" = 1 ]
	grep -q '^Received: from c (stdin) by test.example with UTF8SMTP id ' "$(mailbox alice)"
	grep -qx 'Return-Path: <jörg@example.org>' "$(mailbox alice)"
}

@test "SMTPUTF8 with Python's send_message() to a UTF-8 alias; the UTF-8 Subject comes back over POP3 byte for byte" {
	printf 'jörg: bob\n' > "$ROOT/aliases.txt"
	SMTP=$(spawn_any_port "$BIN/smtp-handler")
	POP3=$(spawn_any_port "$BIN/pop3-handler")
	python3 - "$SMTP" "$POP3" <<'PY'
import poplib, smtplib, sys
from email.message import EmailMessage
from email import policy
m = EmailMessage(policy=policy.SMTPUTF8)
m["From"] = "zoë@example.org"
m["To"] = "jörg@test.example"
m["Subject"] = "Grüße aus Köln"
m.set_content("Schöne Grüße\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.ehlo()
    assert s.has_extn("smtputf8")
    s.send_message(m)          # asks for SMTPUTF8 by itself
p = poplib.POP3("127.0.0.1", int(sys.argv[2]))
assert "UTF8" in p.capa()
p.utf8()
p.user("bob"); p.pass_("pwbob")
lines = p.retr(1)[1]
assert "Subject: Grüße aus Köln".encode() in lines, lines
assert b"Delivered-To: bob@test.example" in lines, lines
p.quit()
PY
}
