#!/usr/bin/env bats
# make install / make uninstall into a DESTDIR, then run what was installed.

load helpers
load deploy

setup() {
	DEST="$BATS_TEST_TMPDIR/dest"
}

@test "make install puts every file in place, the programs run, uninstall removes them" {
	run make -s -C "$REPO" install DESTDIR="$DEST" PREFIX=/usr
	echo "$output"
	[ "$status" -eq 0 ]

	# What the sources promise, at the documented places.
	expected=(/usr/sbin/tcpspawn /usr/libexec/mailsuite/smtp-handler
		  /usr/libexec/mailsuite/pop3-handler
		  /usr/libexec/mailsuite/crypt-check /usr/bin/mail-client)
	for page in "$REPO"/handlers/*.1 "$REPO"/client/*.1; do
		[ -f "$page" ] && expected+=("/usr/share/man/man1/${page##*/}")
	done
	for page in "$REPO"/handlers/*.8; do
		[ -f "$page" ] && expected+=("/usr/share/man/man8/${page##*/}")
	done
	for f in $(cd "$REPO" && find conf -type f); do
		expected+=("/usr/share/doc/mailsuite/$f")
	done
	for f in "${expected[@]}"; do
		echo "expect $f"
		[ -f "$DEST$f" ]
	done
	# Nothing else was installed.
	[ "$(find "$DEST" -type f | wc -l)" -eq "${#expected[@]}" ]

	# The installed programs run.
	run "$DEST/usr/sbin/tcpspawn" -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: tcpspawn"* ]]
	make_mailroot
	out=$(crlf 'HELO x' 'QUIT' |
		"$DEST/usr/libexec/mailsuite/smtp-handler" 2>/dev/null)
	[[ "$out" == "220 test.example"*"221 "* ]]
	out=$(crlf 'USER bob' 'PASS pwbob' 'STAT' 'QUIT' |
		"$DEST/usr/libexec/mailsuite/pop3-handler" 2>/dev/null)
	[[ "$out" == *"+OK 0 0"* ]]
	# A hashed password: checked by the crypt-check installed beside it.
	out=$(crlf 'USER carol' 'PASS secret' 'STAT' 'QUIT' |
		"$DEST/usr/libexec/mailsuite/pop3-handler" 2>/dev/null)
	[[ "$out" == *"+OK 0 0"* ]]
	# The man pages are readable with man -l.
	if command -v man >/dev/null; then
		for page in "$DEST"/usr/share/man/man*/*; do
			run env MANWIDTH=80 man -l "$page"
			[ "$status" -eq 0 ]
			[[ "$output" == *NAME* ]]
		done
	fi

	run make -s -C "$REPO" uninstall DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ]
	run find "$DEST" -type f
	[ -z "$output" ]
	[ ! -e "$DEST/usr/share/doc/mailsuite" ]
}
