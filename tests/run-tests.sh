#!/usr/bin/env bash
# Run the bats suite against the programs in directory $1 (default: .),
# ending with a plain "N passed, N failed, N skipped" line.  Where GNU
# parallel is installed, test files run in parallel (bats --jobs;
# BATS_JOBS, default 4): most tests wait on timeouts, sleeps and sockets
# rather than on the CPU.  The tests of one file run in order, as they
# share per-file state (BATS_FILE_TMPDIR).
set -u
cd "$(dirname "$0")/.."
missing=()
for cmd in bats socat curl; do
	command -v "$cmd" >/dev/null || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "tests need: ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
	exit 2
fi
BIN=$(cd "${1:-.}" && pwd)
export BIN
echo "== bats suite against $BIN${SANITIZED:+ (sanitizers)}"
jobs=()
if command -v parallel >/dev/null; then
	jobs=(--jobs "${BATS_JOBS:-4}" --no-parallelize-within-files)
else
	echo "GNU parallel is not installed (Debian: parallel): test files run one by one"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bats "${jobs[@]}" tests/*.bats | tee "$log"
status=${PIPESTATUS[0]}
skipped=$(grep -c '^ok .* # skip' "$log")
passed=$(( $(grep -c '^ok ' "$log") - skipped ))
failed=$(grep -c '^not ok ' "$log")
echo "bats: $passed passed, $failed failed, $skipped skipped"
exit "$status"
