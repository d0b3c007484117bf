#!/usr/bin/env bash
# Run one libFuzzer harness: run.sh HARNESS SECONDS (from `make fuzz`).
# New inputs go to build/fuzz-corpus/HARNESS (the checked-in corpus
# tests/fuzz/corpus/HARNESS is only read); crashes to build/fuzz-crashes/.
# The handlers' log lines would drown the fuzzer's own: fd 2 is closed for
# the target (-close_fd_mask=2; sanitizer reports still come through).
set -eu
cd "$(dirname "$0")/../.."
harness=$1 seconds=$2
fuzzer=build/libfuzzer/fuzz/$harness-fuzzer
work=build/fuzz-corpus/$harness
mkdir -p "$work" build/fuzz-crashes
dict=()
[ -f "tests/fuzz/$harness.dict" ] && dict=(-dict="tests/fuzz/$harness.dict")
echo "== fuzzing $harness for $seconds s"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-close_fd_mask=2 -print_final_stats=1 \
	-artifact_prefix="build/fuzz-crashes/$harness-" "${dict[@]}" \
	${FUZZ_FLAGS:-} "$work" "tests/fuzz/corpus/$harness"
