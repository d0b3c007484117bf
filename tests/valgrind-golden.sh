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
# Reports go to fd 3: the commands' own stdout and stderr are redirected.
exec 3>&1

# memcheck NAME COMMAND...: run COMMAND under memcheck (stdin, stdout and
# stderr as given by the caller), record a failure if memcheck complained.
memcheck() {
	local name=$1; shift
	: > "$tmp/vg.log"
	"${vg[@]}" "$@"
	local status=$?
	runs=$((runs + 1))
	if [ "$status" -eq 99 ] || [ -s "$tmp/vg.log" ]; then
		{ echo "FAIL $name: memcheck reported:"; cat "$tmp/vg.log"; } >&3
		failures=$((failures + 1))
		return 1
	fi
}

# Each golden transcript through its handler under memcheck, by the same
# runner as the bats suite (helpers.bash: golden).
for f in tests/golden/*.in; do
	name=$(basename "$f" .in)
	golden "$name" memcheck "$name" > "$tmp/diff" 2>&1 || {
		echo "FAIL $name: reply differs from the golden one:"; cat "$tmp/diff"
		failures=$((failures + 1))
	}
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
