# Shared by tests/clients-*.bats and tests/tls-starttls.bats: the snippets
# of conf/clients.md, run against the demo users (alice/alice123,
# bob/bob123) on 127.0.0.1, locally behind tcpspawn (as make run serves
# them) or through the TLS recipes of conf/tls started for real.  Load
# after helpers and deploy.

CLIENTS_DOC="$REPO/conf/clients.md"

# A mail root with the demo users of the repository's userinfo.txt (so the
# passwords in the doc are the real ones), every mailbox empty.  Clients
# get a home of their own for their dot files.
clients_setup() {
	make_mailroot
	cp "$REPO/userinfo.txt" "$ROOT/userinfo.txt"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	cd "$HOME"
	TLSDIR="$BATS_FILE_TMPDIR/tls"
}

# snippet NAME: the fenced block of conf/clients.md whose opening fence
# is "```LANGUAGE NAME", with what the test changes put in: the ports
# of make run (2525, 1110), of the STARTTLS recipes (587, 110) and of the
# implicit-TLS recipe (465, 995) become this test's ports where it set
# them, and /etc/ssl/mailsuite the test's certificate directory.  Fails
# when the doc has no such block or has it twice.
snippet() {
	local text
	text=$(awk -v name="$1" '
		inside && /^```[[:space:]]*$/ { inside = 0; next }
		inside { print; next }
		/^```/ {
			n = split(substr($0, 4), w, " ")
			if (n == 2 && w[2] == name) { inside = 1; found++ }
		}
		END { exit found != 1 }' "$CLIENTS_DOC") ||
		{ echo "conf/clients.md: no single block named '$1'" >&2; return 1; }
	local sed_args=(-e "s#/etc/ssl/mailsuite#$TLSDIR#g") pair
	for pair in 2525:${SMTP_PORT:-} 1110:${POP3_PORT:-} 587:${SUBMISSION_PORT:-} \
		110:${STLS_PORT:-} 465:${SMTPS_PORT:-} 995:${POP3S_PORT:-}; do
		[ -z "${pair#*:}" ] || sed_args+=(-e "s/\\b${pair%%:*}\\b/${pair#*:}/g")
	done
	sed "${sed_args[@]}" <<< "$text"
}

# run_snippet NAME: run a shell snippet (bats' run: $status, $output:
# its standard output; its standard error in $BATS_TEST_TMPDIR/stderr).
run_snippet() {
	local cmd
	cmd=$(snippet "$1")
	run timeout 30 bash -c "$cmd" 2> "$BATS_TEST_TMPDIR/stderr"
	echo "$1: $cmd"
	echo "status $status, output:"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/stderr"
}

# write_snippet NAME FILE: write a configuration snippet to FILE, 0600.
write_snippet() {
	mkdir -p "$(dirname "$2")"
	snippet "$1" > "$2"
	chmod 600 "$2"
}

# The self-signed certificate, made once per file by the doc's own command.
make_doc_cert() {
	[ -f "$TLSDIR/fullchain.pem" ] && return 0
	local cmd
	cmd=$(snippet cert)
	bash -c "$cmd" 2>/dev/null
	[ -f "$TLSDIR/fullchain.pem" ] && [ -f "$TLSDIR/privkey.pem" ]
}

# tls_setup: what the TLS tests share: stunnel, openssl, the doc's
# certificate, and MAIL_PLAINTEXT_AUTH=tls in every handler's environment,
# so that a client on loopback gets AUTH only because the recipe says
# -T yes (MAIL_TLS).
tls_setup() {
	need stunnel4 stunnel4
	need openssl openssl
	clients_setup
	make_doc_cert
	export MAIL_PLAINTEXT_AUTH=tls
}

# Local: both handlers behind tcpspawn, as make run starts them.
start_local() {
	SMTP_PORT=$(spawn_any_port "$BIN/smtp-handler")
	POP3_PORT=$(spawn_any_port "$BIN/pop3-handler")
}

# recipe_conf FILE: conf/tls/FILE made runnable here: no user switch,
# this build, this mail root, the test certificate, loopback ports
# ($SUBMISSION_PORT, $STLS_PORT, or $SMTPS_PORT, $POP3S_PORT for the
# implicit-TLS stunnel.conf), a log file.  Prints the new file's path.
recipe_conf() {
	local conf="$BATS_TEST_TMPDIR/$1"
	grep -v '^set[ug]id' "$REPO/conf/tls/$1" | sed \
		-e "s#/etc/ssl/mailsuite#$TLSDIR#g" \
		-e "s#/usr/local/libexec/mailsuite/#$BIN/#g" \
		-e "s#-r /var/spool/mailsuite#-r $ROOT#g" \
		-e "s#mail\\.example\\.org#test.example#g" > "$conf"
	case $1 in
	stunnel.conf)
		set_key "$conf" accept "127.0.0.1:$SMTPS_PORT" smtps
		set_key "$conf" accept "127.0.0.1:$POP3S_PORT" pop3s ;;
	*)
		set_key "$conf" accept "127.0.0.1:$SUBMISSION_PORT" submission
		set_key "$conf" accept "127.0.0.1:$STLS_PORT" pop3 ;;
	esac
	sed -i "1i output = $BATS_TEST_TMPDIR/stunnel.log" "$conf"
	echo "$conf"
}

# The tcpspawn commands that the header of stunnel-starttls-tcpspawn.conf
# tells the administrator to run (the lines starting with MAIL_TLS=, with
# their continuation lines), one a line.
tcpspawn_commands() {
	awk '
		/^;   MAIL_TLS=/ { cmd = ""; on = 1 }
		on { line = $0; sub(/^;[[:space:]]*/, "", line)
		     if (line ~ /\\$/) { sub(/\\$/, "", line); cmd = cmd line; next }
		     print cmd line; on = 0 }' \
		"$REPO/conf/tls/stunnel-starttls-tcpspawn.conf"
}

# start_starttls [exec|connect]: the STARTTLS/STLS recipe on
# $SUBMISSION_PORT and $STLS_PORT; with connect, first the two tcpspawn
# launchers of its header on loopback ports of their own.
start_starttls() {
	SUBMISSION_PORT=$(free_port) STLS_PORT=$(free_port)
	local conf
	if [ "${1:-exec}" = exec ]; then
		conf=$(recipe_conf stunnel-starttls.conf)
	else
		conf=$(recipe_conf stunnel-starttls-tcpspawn.conf)
		local cmd backend port n=0
		while read -r cmd; do
			backend=$(grep -oE '\b10(587|110)\b' <<< "$cmd")
			port=$(free_port)
			cmd=$(sed -e "s/ -u mail//" -e "s/\\b$backend\\b/$port/" \
				-e "s#tcpspawn#$BIN/tcpspawn#" \
				-e "s#/usr/local/libexec/mailsuite/#$BIN/#g" <<< "$cmd")
			start_server "$port" sh -c "exec env $cmd" 3>&-
			sed -i "s/127\\.0\\.0\\.1:$backend\$/127.0.0.1:$port/" "$conf"
			n=$((n + 1))
		done < <(tcpspawn_commands)
		[ "$n" -eq 2 ]
		not grep -qE '127\.0\.0\.1:10(587|110)$' "$conf"
	fi
	start_server "$SUBMISSION_PORT" stunnel4 "$conf" 3>&-
	wait_port "$STLS_PORT"
}

# The implicit-TLS recipe on $SMTPS_PORT and $POP3S_PORT.
start_implicit_tls() {
	SMTPS_PORT=$(free_port) POP3S_PORT=$(free_port)
	start_server "$SMTPS_PORT" stunnel4 "$(recipe_conf stunnel.conf)" 3>&-
	wait_port "$POP3S_PORT"
}

# Message N of USER's mailbox as a client gets it, LF line endings:
# dot-stuffing undone.
client_copy() {
	awk -v want="$2" '
		$0 == "." { n++; next }
		n + 1 == want { sub(/^\./, ""); print }
	' "$(mailbox "$1")"
}

# assert_sent FILE [USER]: USER's (default bob) mailbox holds one
# message: the server's Return-Path:, Delivered-To: and Received: lines,
# then FILE as it was sent, byte for byte (LF line endings on disk).
assert_sent() {
	local user=${2:-bob}
	[ "$(count_messages "$user")" -eq 1 ]
	client_copy "$user" 1 > "$BATS_TEST_TMPDIR/stored"
	sed -n 1p "$BATS_TEST_TMPDIR/stored" | grep -q '^Return-Path: <alice@example\.org>$'
	sed -n 2p "$BATS_TEST_TMPDIR/stored" | grep -q "^Delivered-To: $user@test\\.example\$"
	sed -n 3p "$BATS_TEST_TMPDIR/stored" | grep -q '^Received: from '
	tr -d '\r' < "$1" > "$BATS_TEST_TMPDIR/sent"
	tail -n +4 "$BATS_TEST_TMPDIR/stored" | diff -u "$BATS_TEST_TMPDIR/sent" -
}

# Put message.txt of the doc into bob's mailbox (over a pipe into
# smtp-handler) and keep what a client must get for it in
# $BATS_TEST_TMPDIR/expected.
preload_bob() {
	snippet message.txt > "$BATS_TEST_TMPDIR/preload"
	{
		crlf 'EHLO client.example' 'MAIL FROM:<alice@example.org>' \
			'RCPT TO:<bob@example.org>' DATA
		sed -e 's/^\./../' -e 's/$/\r/' "$BATS_TEST_TMPDIR/preload"
		crlf . QUIT
	} | "$BIN/smtp-handler" > /dev/null 2>>"$BATS_TEST_TMPDIR/log"
	[ "$(count_messages bob)" -eq 1 ]
	client_copy bob 1 > "$BATS_TEST_TMPDIR/expected"
	grep -qx '\.a line starting with a dot.*' "$BATS_TEST_TMPDIR/expected"
}

# assert_fetched FILE: FILE holds the preloaded message as the server
# has it, byte for byte (CR LF or LF line endings), give or take a few
# header fields that the client adds (its own Received: and the like;
# fetchmail puts its Received: below Return-Path: and Delivered-To:):
# nothing of the server's copy is missing or changed, the body is exact.
# With "unfold", header fields are compared unfolded (RFC 5322 2.2.3), for
# a client that folds long ones anew (getmail6).
assert_fetched() {
	local dir=$BATS_TEST_TMPDIR unfold=cat
	[ "${2:-}" != unfold ] ||
		unfold="awk 'NR > 1 && !/^[ \t]/ { print prev; prev = \"\" } { prev = prev \$0 } END { print prev }'"
	tr -d '\r' < "$1" > "$dir/got"
	sed '/^$/q' "$dir/expected" | eval "$unfold" > "$dir/want.head"
	sed '1,/^$/d' "$dir/expected" > "$dir/want.body"
	sed '/^$/q' "$dir/got" | eval "$unfold" > "$dir/got.head"
	sed '1,/^$/d' "$dir/got" > "$dir/got.body"
	diff -u "$dir/want.body" "$dir/got.body"
	diff --unchanged-line-format= --old-line-format='-%L' \
		--new-line-format='+%L' "$dir/want.head" "$dir/got.head" \
		> "$dir/head.diff" || true
	cat "$dir/head.diff"
	# Only added lines, each a header field or its continuation, few.
	not grep -v '^+' "$dir/head.diff"
	not grep -vE '^\+([A-Za-z-]+:|[[:space:]])' "$dir/head.diff"
	[ "$(wc -l < "$dir/head.diff")" -le 8 ]
}

# The one file in ~/Maildir/new.
maildir_message() {
	local files=("$HOME"/Maildir/new/*)
	[ "${#files[@]}" -eq 1 ] && [ -f "${files[0]}" ] || {
		echo "Maildir/new holds: ${files[*]}" >&2
		return 1
	}
	echo "${files[0]}"
}

# test_port PORT: the port this test serves for a port the doc names.
test_port() {
	case $1 in
	2525) echo "$SMTP_PORT" ;; 1110) echo "$POP3_PORT" ;;
	587) echo "$SUBMISSION_PORT" ;; 110) echo "$STLS_PORT" ;;
	465) echo "$SMTPS_PORT" ;; 995) echo "$POP3S_PORT" ;;
	*) echo "no test port for $1" >&2; return 1 ;;
	esac
}

# thunderbird_rows local|tls: the rows of the doc's Thunderbird table, as
# "PROTOCOL PORT SECURITY METHOD" (SECURITY one word: None, SSL/TLS,
# STARTTLS), local rows or the others.
thunderbird_rows() {
	awk -F'|' -v want="$1" '
		/^## Thunderbird/ { on = 1; next }
		/^## / { on = 0 }
		on && /^\| (incoming|outgoing): / {
			for (i = 2; i <= 6; i++) gsub(/^ +| +$/, "", $i)
			local = ($2 ~ /, local$/)
			if ((want == "local") != local) next
			proto = $2; sub(/^[a-z]+: /, "", proto); sub(/,.*/, "", proto)
			print proto, $4, $5, $6
		}' "$CLIENTS_DOC"
}

# getmail_snippets RC COMMAND: write the getmailrc snippet RC to
# ~/.getmail/NAME (NAME: RC without "getmailrc-") and run the snippet
# COMMAND.  getmail refuses to deliver as root, so as root both happen as
# nobody in a home of its own under /tmp (the test's own directory is
# closed to other users), with a copy of the certificate; HOME then
# points there.  drop_homes (teardown) removes it.
getmail_snippets() {
	local name=${1#getmailrc-} cmd
	if [ "$(id -u)" -eq 0 ]; then
		HOME=$(mktemp -d /tmp/mailsuite-getmail.XXXXXX)
		echo "$HOME" >> "$BATS_TEST_TMPDIR/homes"
		chmod 0755 "$HOME"
		if [ -d "$TLSDIR" ]; then
			cp -r "$TLSDIR" "$HOME/tls"
			TLSDIR=$HOME/tls
		fi
		write_snippet "$1" "$HOME/.getmail/$name"
		chown -R nobody:nogroup "$HOME"
		cmd=$(snippet "$2")
		run timeout 30 setpriv --reuid=nobody --regid=nogroup \
			--clear-groups env HOME="$HOME" bash -c "cd && $cmd"
	else
		write_snippet "$1" "$HOME/.getmail/$name"
		cmd=$(snippet "$2")
		run timeout 30 bash -c "$cmd"
	fi
	echo "$2: $cmd"
	echo "status $status, output:"
	echo "$output"
}

drop_homes() {
	[ -f "$BATS_TEST_TMPDIR/homes" ] || return 0
	while read -r dir; do
		case $dir in /tmp/mailsuite-getmail.*) rm -rf "$dir" ;; esac
	done < "$BATS_TEST_TMPDIR/homes"
}

# The round trips that curl's and Python's snippets make (MODE local or
# tls): send message.txt from alice to bob, then fetch it back; it must
# arrive and come back byte for byte.
curl_round_trip() {
	snippet message.txt > message.txt
	run_snippet "curl-send-$1"
	[ "$status" -eq 0 ]
	assert_sent message.txt
	cp "$BATS_TEST_TMPDIR/stored" "$BATS_TEST_TMPDIR/expected"
	run_snippet "curl-fetch-$1"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > fetched.txt
	assert_fetched fetched.txt
}

python_round_trip() {
	snippet message.txt > message.txt
	snippet "python-$1" > client.py
	run timeout 30 python3 client.py
	echo "$output"
	[ "$status" -eq 0 ]
	assert_sent message.txt
	cp "$BATS_TEST_TMPDIR/stored" "$BATS_TEST_TMPDIR/expected"
	assert_fetched fetched.txt
}

# mutt_send MODE: the doc's mutt-send with ~/.muttrc from muttrc-MODE
# sends a body with a dot line to bob; it arrives with mutt's subject and
# the body as it was.
mutt_send() {
	write_snippet "muttrc-$1" ~/.muttrc
	printf 'Hello Bob,\n.from mutt (%s)\n' "$1" > body.txt
	run_snippet mutt-send
	[ "$status" -eq 0 ]
	[ "$(count_messages bob)" -eq 1 ]
	client_copy bob 1 > stored
	grep -qx 'Subject: Hello from mutt' stored
	sed '1,/^$/d' stored | diff -u body.txt -
}
