#!/usr/bin/env bash
# Run the bats suite against the programs in directory $1 (default: .).
set -eu
cd "$(dirname "$0")/.."
missing=()
command -v bats >/dev/null || missing+=(bats)
command -v socat >/dev/null || missing+=(socat)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
	echo "tests need: ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
	exit 2
fi
BIN=$(cd "${1:-.}" && pwd)
export BIN
echo "== bats suite against $BIN${SANITIZED:+ (sanitizers)}"
bats tests/*.bats
