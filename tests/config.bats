#!/usr/bin/env bats
# Settings of both handlers: the defaults the README and the man pages
# state are the ones the programs use (their usage text quotes
# common/mail_limits.h); a bad setting is exit status 2 that never reaches
# a client on fd 2; flags override the environment; and -u / MAIL_USER
# names an account in /etc/passwd (the handlers are linked statically,
# where glibc's NSS lookup of an unknown name can crash: it loads the next
# NSS module into a static binary).

load helpers

setup() { make_mailroot; }

@test "flags override the environment" {
	run bash -c "printf 'QUIT\r\n' | MAIL_DOMAIN=env.example '$BIN/smtp-handler' -d flag.example 2>/dev/null"
	[ "${lines[0]}" = $'220 flag.example Service ready\r' ]
}

@test "an unknown -u user is a clean startup error before any greeting, not a crash" {
	for prog in smtp-handler pop3-handler; do
		run bash -c "printf 'QUIT\r\n' | '$BIN/$prog' -u no-such-user-here 2>&1"
		[ "$status" -eq 1 ]
		[[ "$output" == *"no such user to run as: no-such-user-here (not in /etc/passwd)"* ]]
		[[ "$output" != *"220 "* && "$output" != *"+OK"* ]]
	done
}

@test "-u switches to an account from /etc/passwd" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	grep -q '^nobody:' /etc/passwd || skip "no nobody account"
	run bash -c "printf 'QUIT\r\n' | '$BIN/smtp-handler' -u nobody"
	[ "$status" -eq 0 ]
	[[ "$output" == *"221 "* ]]
}

# "VARIABLE NUMBER" for each numeric default in PROGRAM's usage text.
usage_defaults() {
	MAIL_LOG=stderr "$BIN/$1" -x < /dev/null > /dev/null \
		2> "$BATS_TEST_TMPDIR/usage-$1" || true
	grep -q "^usage: $1" "$BATS_TEST_TMPDIR/usage-$1"
	sed -nE 's/^  -. VALUE  (MAIL_[A-Z_]+) .*\(default: ([0-9]+)\)$/\1 \2/p' \
		"$BATS_TEST_TMPDIR/usage-$1"
}

# The numbers in the default column of the README's settings table row.
readme_defaults() {
	awk -F'|' -v var="\`$1\`" '$2 ~ "^ *" var " *$" { print $4 }' \
		"$REPO/README.md" | grep -owE '[0-9]+' | sort -n | tr '\n' ' '
}

# The first number after "default" in the man page entry naming VARIABLE,
# or nothing when the page does not document it.
man_default() {
	awk -v var="$2" '
		/^\.(TP|PP|SH)/ { if (found) exit; inside = 0 }
		/^\.(BR|BI) / && index($0, var) { inside = 1; next }
		inside { text = text " " $0; found = 1 }
		END { print text }' "$1" |
		grep -oE 'default:? [0-9]+' | head -n 1 | grep -oE '[0-9]+' || true
}

@test "README and man pages state the defaults the programs use" {
	usage_defaults smtp-handler > "$BATS_TEST_TMPDIR/smtp"
	usage_defaults pop3-handler > "$BATS_TEST_TMPDIR/pop3"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/smtp")" -ge 7 ]
	local var n
	while read -r var n; do
		both=$( { echo "$n"; grep "^$var " "$BATS_TEST_TMPDIR/pop3" |
			cut -d' ' -f2; } | sort -nu | tr '\n' ' ')
		echo "$var: program $both, README $(readme_defaults "$var")"
		[ "$(readme_defaults "$var")" = "$both" ]
	done < "$BATS_TEST_TMPDIR/smtp"
	for prog in smtp-handler pop3-handler; do
		page="$REPO/handlers/$prog.8"
		stated=0
		while read -r var n; do
			m=$(man_default "$page" "$var")
			[ -n "$m" ] || continue
			echo "$prog.8 $var: program $n, man page $m"
			[ "$m" = "$n" ]
			stated=$((stated + 1))
		done < "$BATS_TEST_TMPDIR/${prog%%-*}"
		[ "$stated" -ge 5 ]
	done
}

@test "a bad setting is exit status 2 from both handlers, naming the setting" {
	for prog in smtp-handler pop3-handler; do
		run bash -c "MAIL_TIMEOUT=soon '$BIN/$prog' < /dev/null"
		[ "$status" -eq 2 ]
		[[ "$output" == *MAIL_TIMEOUT* ]]
		run "$BIN/$prog" -e -1
		[ "$status" -eq 2 ]
		[[ "$output" == *MAIL_MAX_ERRORS* ]]
		run "$BIN/$prog" -x 1
		[ "$status" -eq 2 ]
		[[ "$output" == *"unknown argument '-x'"* ]]
		run "$BIN/$prog" -s 0
		[ "$status" -eq 2 ]
		[[ "$output" == *MAIL_MAX_SIZE* ]]
		run bash -c "MAIL_PLAINTEXT_AUTH=loopback '$BIN/$prog' < /dev/null"
		[ "$status" -eq 2 ]
		[[ "$output" == *"MAIL_PLAINTEXT_AUTH (-A) must be one of tls-or-loopback, tls, always, not 'loopback'"* ]]
		run "$BIN/$prog" -T true
		[ "$status" -eq 2 ]
		[[ "$output" == *"MAIL_TLS (-T) must be one of no, yes"* ]]
	done
}

@test "under inetd (fd 2 is the client's socket) a bad setting is not sent to the client" {
	unset MAIL_LOG
	for prog in smtp-handler pop3-handler; do
		# fd 0, 1 and 2 one file, as inetd passes one socket three times.
		: > "$BATS_TEST_TMPDIR/wire"
		status=0
		"$BIN/$prog" -x 1 <> "$BATS_TEST_TMPDIR/wire" >&0 2>&0 || status=$?
		[ "$status" -eq 2 ]
		[ ! -s "$BATS_TEST_TMPDIR/wire" ]
		# The same over a real socket: socat's end of the socketpair
		# is the client's.
		out=$(socat -t 2 - SYSTEM:"MAIL_TIMEOUT=soon exec '$BIN/$prog' -x 1 2>&1" < /dev/null || true)
		[ -z "$out" ]
	done
	# The same handler with fd 2 apart from the client does show it.
	run bash -c "'$BIN/smtp-handler' -x 1 < /dev/null 2>&1 > /dev/null"
	[[ "$output" == *"usage: smtp-handler"* ]]
}
