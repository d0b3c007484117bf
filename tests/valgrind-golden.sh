#!/usr/bin/env bash
# make check-valgrind: every golden transcript through its handler under
# valgrind memcheck, then the fuzz corpus through the replay drivers.
# Any memcheck error, or any definite or indirect leak, fails the run;
# each golden reply must still match its .out (the run was a real one).
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null ||
	{ echo "check-valgrind needs valgrind (Debian: apt-get install valgrind)" >&2; exit 2; }
BIN=$(cd "${1:-.}" && pwd)
FUZZ_BIN=${FUZZ_BIN:-$PWD/build/fuzz}
BATS_TEST_DIRNAME=$PWD/tests
BATS_TEST_TMPDIR=$(mktemp -d)
trap 'rm -rf "$BATS_TEST_TMPDIR"' EXIT
# shellcheck source=helpers.bash
. tests/helpers.bash
tmp=$BATS_TEST_TMPDIR
vg=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --log-file="$tmp/vg.log")
runs=0 failures=0

# memcheck NAME COMMAND...: run COMMAND under memcheck (stdin, stdout and
# stderr as given by the caller), record a failure if memcheck complained.
memcheck() {
	local name=$1; shift
	: > "$tmp/vg.log"
	"${vg[@]}" "$@"
	local status=$?
	runs=$((runs + 1))
	if [ "$status" -eq 99 ] || [ -s "$tmp/vg.log" ]; then
		echo "FAIL $name: memcheck reported:"; cat "$tmp/vg.log"
		failures=$((failures + 1))
		return 1
	fi
}

differs() {
	echo "FAIL $1: reply differs from the golden one:"; cat "$tmp/diff"
	failures=$((failures + 1))
}

for f in tests/golden/smtp-*.in; do
	name=$(basename "$f" .in)
	make_mailroot
	memcheck "$name" "$BIN/smtp-handler" < "$f" > "$tmp/raw" 2>"$tmp/log" ||
		continue
	mask < "$tmp/raw" > "$tmp/out"
	diff -u "tests/golden/$name.out" "$tmp/out" > "$tmp/diff" || differs "$name"
done

for f in tests/golden/pop3-*.in; do
	name=$(basename "$f" .in)
	make_mailroot
	cp USERS/alice/my_mailbox.txt "$(mailbox alice)"
	cp tests/golden/pop3-mailbox.txt "$(mailbox bob)"
	sed 's/$/\r/' "$f" > "$tmp/in"
	MAIL_MAX_ERRORS=100 memcheck "$name" "$BIN/pop3-handler" \
		< "$tmp/in" > "$tmp/raw" 2>"$tmp/log" || continue
	sed 's/\r$//' "$tmp/raw" | mask > "$tmp/out"
	diff -u "tests/golden/$name.out" "$tmp/out" > "$tmp/diff" || differs "$name"
done

for h in smtp pop3 mailbox_index users; do
	driver="$FUZZ_BIN/$h-replay"
	[ -x "$driver" ] || { echo "FAIL: no $driver (make fuzz-replay)"; failures=$((failures + 1)); continue; }
	FUZZ_TMPDIR=$tmp memcheck "fuzz corpus $h" "$driver" \
		"tests/fuzz/corpus/$h" > /dev/null 2>"$tmp/log" ||
		continue
	grep -q 'no failure' "$tmp/log" ||
		{ echo "FAIL fuzz corpus $h:"; tail -n 20 "$tmp/log"; failures=$((failures + 1)); }
done

echo "valgrind memcheck: $runs runs, $failures failed"
[ "$failures" -eq 0 ]
