#!/usr/bin/env bats
# Recorded sessions (MAIL_RECORD): real clients talk to the handlers under
# tcpspawn, each session is recorded, and the recording replays through
# the golden runner with the same replies (tests/golden-add turns it into
# a transcript); passwords stay out of the files, which are 0600; a
# directory that cannot be recorded into leaves the session as it was.
load helpers

setup() {
	REC="$BATS_TEST_TMPDIR/rec"
	mkdir -p "$REC" "$BATS_TEST_TMPDIR/golden"
}
teardown() { stop_servers; }

# The one recording in $REC of PROTOCOL, once its QUIT reply (221, or
# POP3's +OK Thanks) is in: the client may have it before the file does.
recording() {
	local f
	for _ in $(seq 100); do
		f=$(ls "$REC"/*-"$1"-*.out 2>/dev/null | head -n 1)
		[ -n "$f" ] && grep -qE $'^(221 |\\+OK Thanks).*\r$' "$f" &&
			{ echo "${f%.out}"; return; }
		sleep 0.05
	done
	echo "no finished $1 recording in $REC" >&2
	return 1
}

# replay NAME: the recording as golden transcript NAME, through the runner.
replay() {
	local rec
	rec=$(recording "${1%%-*}")
	[ "$(ls "$REC" | wc -l)" -eq 2 ]
	[ "$(stat -c %a "$rec.in")" = 600 ] && [ "$(stat -c %a "$rec.out")" = 600 ]
	GOLDEN_DIR="$BATS_TEST_TMPDIR/golden" "$REPO/tests/golden-add" "$rec" "$1"
	GOLDEN_DIR="$BATS_TEST_TMPDIR/golden" golden "$1"
}

# recorded_server NAME: the handler NAME begins with, recording into $REC
# under tcpspawn over golden NAME's mail root; its port in $PORT.
recorded_server() {
	golden_mailroot "$1"
	export MAIL_RECORD=$REC
	PORT=$(spawn_any_port "$BIN/${1%%-*}-handler")
}

@test "a curl SMTP session recorded replays with the same replies" {
	recorded_server smtp-curl
	printf 'Subject: via curl\r\n\r\nrecorded\r\n.dot line\r\n' > "$BATS_TEST_TMPDIR/msg"
	curl -sS "smtp://127.0.0.1:$PORT" --mail-from a@example.org \
		--mail-rcpt alice@test.example -T "$BATS_TEST_TMPDIR/msg"
	replay smtp-curl
	grep -q '^recorded$' "$(mailbox alice)"
	grep -q "^250 2.0.0 OK Message accepted" "$BATS_TEST_TMPDIR/golden/smtp-curl.out"
	grep -q $'^\.\.dot line\r$' "$BATS_TEST_TMPDIR/golden/smtp-curl.in"
}

@test "a swaks SMTP session recorded replays with the same replies" {
	command -v swaks || skip "swaks not installed (Debian: swaks)"
	recorded_server smtp-swaks
	swaks --server 127.0.0.1 --port "$PORT" --pipeline --from a@example.org \
		--to alice@test.example,nobody@test.example --body 'swaks body' > /dev/null
	replay smtp-swaks
	grep -q '^swaks body$' "$(mailbox alice)"
}

@test "a Python smtplib session recorded replays with the same replies" {
	recorded_server smtp-smtplib
	python3 - "$PORT" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.ehlo("py.example")
    s.noop()
    s.sendmail("a@example.org", ["alice@test.example", "bob@test.example"],
               "Subject: smtplib\r\n\r\nfrom python\r\n")
PY
	replay smtp-smtplib
	grep -q '^from python$' "$(mailbox bob)"
}

@test "a poplib session recorded replays; the password is not in the files" {
	recorded_server pop3-poplib
	python3 - "$PORT" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
p.user("alice")
p.pass_("pwalice")
p.stat()
p.list()
p.retr(1)
p.quit()
PY
	rec=$(recording pop3)
	not grep -r pwalice "$REC"
	grep -q $'^PASS \\*\\*\\*\\*\\*\\*\\*\\*\r$' "$rec.in"
	replay pop3-poplib
	grep -q $'^PASS pwalice\r$' "$BATS_TEST_TMPDIR/golden/pop3-poplib.in"
	grep -q '^+OK' "$BATS_TEST_TMPDIR/golden/pop3-poplib.out"
}

@test "a password split over reads and in lower case is masked too" {
	golden_mailroot pop3-split
	{
		printf 'USER alice\r\npa'; sleep 0.2; printf 'ss pwal'; sleep 0.2
		printf 'ice\r\nQUIT\r\n'
	} | MAIL_RECORD=$REC "$BIN/pop3-handler" > "$BATS_TEST_TMPDIR/raw"
	[ "$(grep -c '^+OK' "$BATS_TEST_TMPDIR/raw")" = 4 ]
	not grep -r pwal "$REC"
	grep -q $'^pass \\*\\*\\*\\*\\*\\*\\*\\*\r$' "$REC"/*.in
}

@test "each file stops at 1 MiB, logged once; the session goes on" {
	make_mailroot
	{
		crlf 'HELO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA
		for _ in $(seq 20000); do crlf 'a line of the body, sixty-odd octets long....................'; done
		crlf . QUIT
	} > "$BATS_TEST_TMPDIR/in"
	MAIL_RECORD=$REC "$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" \
		> "$BATS_TEST_TMPDIR/raw" 2> "$BATS_TEST_TMPDIR/log"
	grep -q '^221 ' "$BATS_TEST_TMPDIR/raw"
	[ "$(count_messages alice)" = 1 ]
	[ "$(stat -c %s "$REC"/*.in)" = 1048576 ]
	cmp "$BATS_TEST_TMPDIR/raw" "$REC"/*.out
	[ "$(grep -c 'recording' "$BATS_TEST_TMPDIR/log")" = 1 ]
}

@test "a missing or unwritable record directory leaves the session unharmed, logged once" {
	crlf 'EHLO c' 'MAIL FROM:<a@x>' 'RCPT TO:<alice@x>' DATA 'Subject: s' '' \
		body . QUIT > "$BATS_TEST_TMPDIR/in"
	make_mailroot
	"$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" | mask > "$BATS_TEST_TMPDIR/plain"
	: > "$BATS_TEST_TMPDIR/file"
	dirs=("$BATS_TEST_TMPDIR/missing" "$BATS_TEST_TMPDIR/file" /proc)
	# Root writes into any mode; /proc takes no new file from anyone.
	if [ "$(id -u)" -ne 0 ]; then chmod 0500 "$REC"; dirs+=("$REC"); fi
	for dir in "${dirs[@]}"; do
		make_mailroot
		status=0
		MAIL_RECORD=$dir "$BIN/smtp-handler" < "$BATS_TEST_TMPDIR/in" \
			2> "$BATS_TEST_TMPDIR/log" > "$BATS_TEST_TMPDIR/raw" || status=$?
		[ "$status" = 0 ]
		mask < "$BATS_TEST_TMPDIR/raw" > "$BATS_TEST_TMPDIR/recorded"
		diff -u "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/recorded"
		cat "$BATS_TEST_TMPDIR/log"
		[ "$(grep -ci 'record' "$BATS_TEST_TMPDIR/log")" = 1 ]
		[ "$(count_messages alice)" = 1 ]
	done
	[ -z "$(ls "$REC")" ]
}
