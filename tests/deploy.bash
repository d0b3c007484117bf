# Shared by tests/deploy-*.bats: real launchers from conf/ on 127.0.0.1,
# driven by curl.  Load after helpers.

# need COMMAND PACKAGE: skip, naming the Debian package, when not installed.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 not installed (Debian package: $2)"
}

# A message with a body line unique to this test.
make_message() {
	TOKEN="deploy-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	MSG="$BATS_TEST_TMPDIR/msg.txt"
	crlf "From: alice@test.example" "To: bob@test.example" \
		"Subject: deploy test" "" "body $TOKEN" > "$MSG"
}

# send_mail URL [CURL-OPTIONS...]: deliver $MSG from alice to bob.
send_mail() {
	local url=$1; shift
	curl --silent --show-error --max-time 10 "$@" "$url" \
		--mail-from alice@test.example --mail-rcpt bob@test.example \
		--upload-file "$MSG"
}

# fetch_mail URL [CURL-OPTIONS...]: print bob's first message via POP3.
fetch_mail() {
	local url=$1; shift
	curl --silent --show-error --max-time 10 "$@" --user bob:pwbob "$url/1"
}

# Bob's mailbox holds exactly the one message with $TOKEN, received from
# the loopback address (the peer seen through the launcher).
assert_delivered() {
	[ "$(count_messages bob)" -eq 1 ]
	grep -q "^body $TOKEN\$" "$(mailbox bob)"
	grep -q '^Received: from .*(127\.0\.0\.1)' "$(mailbox bob)"
}

# A throwaway self-signed certificate, made once per file.
make_cert() {
	CERT="$BATS_FILE_TMPDIR/cert.pem" KEY="$BATS_FILE_TMPDIR/key.pem"
	[ -f "$CERT" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 1 -subj /CN=localhost -keyout "$KEY" \
		-out "$CERT" 2>/dev/null
}

# set_key FILE KEY VALUE [SECTION]: rewrite "KEY = ..." in an xinetd or
# stunnel config (only inside [SECTION] if given), failing when the
# template has no such line, so that drift in conf/ is noticed.
set_key() {
	awk -v key="$2" -v val="$3" -v sect="${4:-}" '
		/^\[/ { current = $0 }
		(sect == "" || current == "[" sect "]") &&
		$0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
			sub(/=.*/, "= " val); found = 1
		}
		{ print }
		END { exit !found }' "$1" > "$1.new" ||
		{ echo "$1 has no '$2 =' line${4:+ in [$4]}" >&2; return 1; }
	mv "$1.new" "$1"
}
