#!/usr/bin/env bats
# A real MTA as the sender: a private Postfix (its own config, queue and
# ports on 127.0.0.1; the system's Postfix is neither configured nor
# started) relays everything to smtp-handler under tcpspawn.  Postfix
# queues, pipelines, sends BDAT where CHUNKING is offered and retries on
# 4xx.  Postfix's master must run as root (CI does); without postfix or
# root the tests skip.
load helpers

setup() {
	command -v postfix > /dev/null || skip "postfix not installed (Debian: postfix)"
	[ "$(id -u)" = 0 ] || skip "a private Postfix needs root for its master"
	id postfix > /dev/null 2>&1 || skip "no postfix user (mail_owner)"
	make_mailroot
	export MAIL_HOSTNAME=mta-test.example
	# The handler behind a wrapper that keeps, per session, what Postfix
	# sent (<pid>.in) and what the handler answered (<pid>.out).
	TRACE=$BATS_TEST_TMPDIR/trace
	mkdir "$TRACE"
	cat > "$BATS_TEST_TMPDIR/traced-smtp" <<-EOF
		#!/bin/sh
		tee "$TRACE/\$\$.in" | "$BIN/smtp-handler" | tee "$TRACE/\$\$.out"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/traced-smtp"
}

# start_relay: the handler under tcpspawn (with the environment exported
# so far), then Postfix relaying to it.
start_relay() {
	HANDLER_PORT=$(spawn_any_port "$BATS_TEST_TMPDIR/traced-smtp")
	postfix_start
}

teardown() {
	postfix_stop
	stop_servers
	[ -z "${HOLDER:-}" ] || kill "$HOLDER" 2>/dev/null || true
}

# A process that is running (a zombie is not: pid 1 of a container may
# never reap Postfix's daemons).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_for SECONDS CMD ARGS...: run CMD every 0.1 s until it succeeds;
# fail after SECONDS.
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "waited in vain for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# The private instance lives in a directory of its own under /tmp: the
# postfix user must reach its queue, and bats' temporary directories are
# root's alone.
postfix_start() {
	PF=$(mktemp -d /tmp/mta-postfix.XXXXXX)
	chmod 755 "$PF"
	mkdir "$PF/conf" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	PF_PORT=$(free_port)
	cat > "$PF/conf/main.cf" <<-EOF
		compatibility_level = 3.6
		queue_directory = $PF/queue
		data_directory = $PF/data
		maillog_file_prefixes = $PF
		maillog_file = $PF/maillog
		myhostname = postfix.relay.example
		mydomain = relay.example
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mydestination =
		local_recipient_maps =
		alias_maps =
		alias_database =
		biff = no
		mynetworks = 127.0.0.0/8
		smtpd_relay_restrictions = permit_mynetworks, reject
		smtpd_peername_lookup = no
		smtp_dns_support_level = disabled
		relayhost = [127.0.0.1]:$HANDLER_PORT
		queue_run_delay = 1s
		minimal_backoff_time = 1s
		maximal_backoff_time = 2s
		maximal_queue_lifetime = 1m
		bounce_queue_lifetime = 1m
		smtp_connect_timeout = 5s
		smtp_helo_timeout = 10s
		smtp_data_done_timeout = 10s
	EOF
	# No chroot; the smtp client logs its conversation (debug peer: each
	# command ">" and reply "<" in the order they were sent and read).
	cat > "$PF/conf/master.cf" <<-EOF
		127.0.0.1:$PF_PORT inet n - n - - smtpd
		pickup    unix  n - n 60 1 pickup
		cleanup   unix  n - n -  0 cleanup
		qmgr      unix  n - n 300 1 qmgr
		rewrite   unix  - - n -  - trivial-rewrite
		bounce    unix  - - n -  0 bounce
		defer     unix  - - n -  0 bounce
		trace     unix  - - n -  0 bounce
		verify    unix  - - n -  1 verify
		flush     unix  n - n 1000? 0 flush
		proxymap  unix  - - n -  - proxymap
		smtp      unix  - - n -  - smtp -o debug_peer_list=127.0.0.1 -o debug_peer_level=1
		relay     unix  - - n -  - smtp
		showq     unix  n - n -  - showq
		error     unix  - - n -  - error
		retry     unix  - - n -  - error
		discard   unix  - - n -  - discard
		anvil     unix  - - n -  1 anvil
		scache    unix  - - n -  1 scache
		postlog   unix-dgram n - n - 1 postlogd
	EOF
	# Postfix's commands write errors to stderr only on a terminal (else
	# to syslog, which a container may not have).
	script -qec "postfix -c $PF/conf check && postfix -c $PF/conf start" \
		/dev/null > "$PF/start.log" 2>&1 || {
		cat "$PF/start.log" >&2
		return 1
	}
	wait_for 10 test -s "$PF/queue/pid/master.pid"
	PF_MASTER=$(tr -dc 0-9 < "$PF/queue/pid/master.pid")
	wait_port "$PF_PORT"
}

postfix_stop() {
	[ -n "${PF:-}" ] || return 0
	local kids=()
	if [ -n "${PF_MASTER:-}" ]; then
		mapfile -t kids < <(pgrep -P "$PF_MASTER" || true)
		script -qec "postfix -c $PF/conf stop" /dev/null > /dev/null 2>&1 || true
		wait_for 10 not alive "$PF_MASTER" 2>/dev/null || kill -9 "$PF_MASTER" 2>/dev/null || true
		local pid
		for pid in "${kids[@]}"; do
			wait_for 5 not alive "$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
		done
	fi
	# Keep the log for a failing test's output.
	[ ! -f "$PF/maillog" ] || cp "$PF/maillog" "$BATS_TEST_TMPDIR/maillog"
	rm -rf "$PF"
}

# inject FIRST LAST: messages FIRST..LAST into Postfix's smtpd over one
# SMTP session (Python smtplib), message N to the Nth user in turn; each
# message is kept in $BATS_TEST_TMPDIR/sent/N (CR LF, as sent) and carries
# the token msg-N-<run> in its Subject and body.
inject() {
	mkdir -p "$BATS_TEST_TMPDIR/sent"
	python3 - "$PF_PORT" "$1" "$2" "$BATS_TEST_TMPDIR/sent" "$$" <<-'PY'
		import smtplib, sys
		port, first, last, outdir, run = sys.argv[1:]
		users = ["alice", "bob", "IbrahimEK", "SimonDS"]
		with smtplib.SMTP("127.0.0.1", int(port), timeout=20) as s:
		    s.ehlo("injector.example")
		    for n in range(int(first), int(last) + 1):
		        user = users[n % len(users)]
		        token = "msg-%d-%s" % (n, run)
		        lines = [
		            "From: Sender <sender@injector.example>",
		            "To: %s@test.example" % user,
		            "Subject: %s" % token,
		            "Date: Mon, 01 Dec 2025 10:00:00 +0000",
		            "Message-ID: <%s@injector.example>" % token,
		            "",
		            "token %s" % token,
		            ".a line that starts with a dot",
		            "..two dots",
		            ".",
		            "trailing spaces   ",
		            "\ttab\tseparated",
		            "From the start of a line",
		            "",
		        ] + ["line %d of %s: %s" % (i, token, "x" * (i * 7 % 70))
		             for i in range(n % 40)] + ["end %s" % token]
		        msg = "\r\n".join(lines) + "\r\n"
		        with open("%s/%d" % (outdir, n), "w", newline="") as f:
		            f.write(msg)
		        refused = s.sendmail("sender@injector.example",
		                             ["%s@test.example" % user],
		                             msg.encode("ascii"))
		        assert not refused, refused
	PY
}

# The number of messages delivered so far, over all mailboxes.
delivered() {
	local n=0 u
	for u in alice bob IbrahimEK SimonDS; do
		n=$((n + $(count_messages "$u")))
	done
	echo "$n"
}

at_least_delivered() { [ "$(delivered)" -ge "$1" ]; }

deferred_at_least() { [ "$(grep -c 'status=deferred' "$PF/maillog")" -ge "$1" ]; }

queue_empty() { postqueue -c "$PF/conf" -p | grep -q '^Mail queue is empty'; }

# check_delivered FIRST LAST: each sent message is in its user's mailbox
# exactly once and nowhere else, byte for byte as sent once the store's
# format (LF, dot-stuffing, "." after each message) and the trace headers
# in front (Return-Path, Delivered-To, Received) are undone.
check_delivered() {
	python3 - "$ROOT/USERS" "$BATS_TEST_TMPDIR/sent" "$1" "$2" "$$" <<-'PY'
		import os, re, sys
		users_dir, sent_dir, first, last, run = sys.argv[1:]
		users = ["alice", "bob", "IbrahimEK", "SimonDS"]
		found = {}
		for user in users:
		    path = os.path.join(users_dir, user, "my_mailbox.txt")
		    if not os.path.exists(path):
		        continue
		    data = open(path, "rb").read().decode("ascii")
		    assert data.endswith(".\n") or not data, "mailbox of %s" % user
		    msgs = data.split("\n.\n")
		    assert msgs[-1] == "", "mailbox of %s ends oddly" % user
		    for m in msgs[:-1]:
		        lines = m.split("\n")
		        # The trace headers in front, with their continuations.
		        i = 0
		        while i < len(lines) and re.match(
		                r"(Return-Path|Delivered-To|Received):", lines[i]):
		            i += 1
		            while i < len(lines) and lines[i][:1] in (" ", "\t"):
		                i += 1
		        body = [l[1:] if l.startswith(".") else l for l in lines[i:]]
		        text = "\r\n".join(body) + "\r\n"
		        t = re.search(r"^Subject: (msg-(\d+)-\S+)\r$", text, re.M)
		        assert t, "a message without a token in %s:\n%s" % (user, m)
		        found.setdefault(t.group(1), []).append((user, text))
		bad = 0
		for n in range(int(first), int(last) + 1):
		    token = "msg-%d-%s" % (n, run)
		    got = found.pop(token, [])
		    want = open(os.path.join(sent_dir, str(n)), newline="").read()
		    user = users[n % len(users)]
		    if len(got) != 1:
		        print("%s arrived %d times" % (token, len(got))); bad += 1
		    elif got[0][0] != user:
		        print("%s went to %s, not %s" % (token, got[0][0], user)); bad += 1
		    elif got[0][1] != want:
		        print("%s differs:\n--- sent\n%s--- stored\n%s" %
		              (token, want, got[0][1])); bad += 1
		for token in found:
		    print("unexpected message %s" % token); bad += 1
		sys.exit(1 if bad else 0)
	PY
}

# The smtp client's side of the conversation from Postfix's log:
# "PID > command" and "PID < reply" lines, in order.
conversation() {
	sed -nE 's/.*postfix\/smtp\[([0-9]+)\]: ([<>]) [^ ]+: (.*)/\1 \2 \3/p' "$PF/maillog"
}

@test "200 messages through Postfix arrive once each, byte-exact" {
	start_relay
	inject 1 200
	wait_for 40 at_least_delivered 200
	check_delivered 1 200
	# Postfix reported each one sent, and its queue is empty.
	[ "$(grep -c 'postfix/smtp\[.*status=sent' "$PF/maillog")" = 200 ]
	not grep -q 'status=\(deferred\|bounced\)' "$PF/maillog"
	wait_for 10 queue_empty
}

@test "Postfix's conversation: CHUNKING offered, pipelined MAIL, RCPT and DATA (its client has no BDAT)" {
	start_relay
	inject 1 3
	wait_for 20 at_least_delivered 3
	check_delivered 1 3
	# The handler offered PIPELINING and CHUNKING to Postfix.
	cat "$TRACE"/*.out > "$BATS_TEST_TMPDIR/replies"
	grep -q '^250-CHUNKING'$'\r''$' "$BATS_TEST_TMPDIR/replies"
	grep -q '^250-PIPELINING'$'\r''$' "$BATS_TEST_TMPDIR/replies"
	# What reached the handler: EHLO, and each message sent once, with
	# DATA or with BDAT.  Postfix 3.7's SMTP client implements no BDAT
	# (CHUNKING is server-side only in Postfix), so today it is DATA; a
	# Postfix that chunks must still deliver each message once.
	cat "$TRACE"/*.in > "$BATS_TEST_TMPDIR/wire"
	grep -q '^EHLO postfix.relay.example'$'\r''$' "$BATS_TEST_TMPDIR/wire"
	local data bdat
	data=$(grep -c '^DATA'$'\r''$' "$BATS_TEST_TMPDIR/wire" || true)
	bdat=$(grep -c '^BDAT [0-9]* LAST'$'\r''$' "$BATS_TEST_TMPDIR/wire" || true)
	echo "DATA: $data, BDAT ... LAST: $bdat"
	[ $((data + bdat)) = 3 ]
	# Postfix's log of its side: in every session MAIL, RCPT and the data
	# command went out before the reply to MAIL was read (pipelined).
	conversation > "$BATS_TEST_TMPDIR/conv"
	awk '$2 == ">" && $3 == "MAIL" { want[$1] = 4; order[$1] = "" }
	     want[$1] > 0 { order[$1] = order[$1] $2 $3 " "
	                    if (--want[$1] == 0) print order[$1] }' \
		"$BATS_TEST_TMPDIR/conv" |
		sort | uniq -c > "$BATS_TEST_TMPDIR/order"
	cat "$BATS_TEST_TMPDIR/order"
	grep -Eqx ' *3 >MAIL >RCPT >(DATA|BDAT) <250 ' "$BATS_TEST_TMPDIR/order"
}

@test "a locked mailbox: 4xx, Postfix defers, then delivers on retry exactly once" {
	export MAIL_LOCK_WAIT=200
	start_relay
	sleep 60 3>&- &
	HOLDER=$!
	local lock; lock="$(mailbox alice).lock"
	printf '%s %s\n' "$HOLDER" "$MAIL_HOSTNAME" > "$lock"
	inject 4 4    # message 4 goes to alice
	# Deferred (how soon Postfix retries on its own depends on its queue
	# scans; the flush below asks for the retry).
	wait_for 30 deferred_at_least 1
	grep -q 'status=deferred (host 127.0.0.1\[127.0.0.1\] said: 4[0-9][0-9] ' "$PF/maillog"
	grep -q '^4[0-9][0-9] ' "$TRACE"/*.out
	[ "$(count_messages alice)" = 0 ]
	postqueue -c "$PF/conf" -p > "$BATS_TEST_TMPDIR/queue"
	grep -q 'alice@test.example' "$BATS_TEST_TMPDIR/queue"
	# The lock goes; a flush makes Postfix retry at once.
	kill "$HOLDER"
	rm -f "$lock"
	postqueue -c "$PF/conf" -f
	wait_for 20 grep -q 'status=sent' "$PF/maillog"
	check_delivered 4 4
	[ "$(grep -c 'status=sent' "$PF/maillog")" = 1 ]
	wait_for 10 queue_empty
	[ "$(count_messages alice)" = 1 ]
}
