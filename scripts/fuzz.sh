#!/bin/sh
# Run every Go fuzz target for a fixed time each, one after the other.
#
#   scripts/fuzz.sh          10 seconds per target (what CI runs)
#   scripts/fuzz.sh 60       a minute per target
#
# Minimisation of a new interesting input is capped, so a target spends its
# time fuzzing instead of shrinking inputs. A crasher is written to the
# package's testdata/fuzz/FuzzX/ directory; commit it with the fix so the
# plain `go test` run replays it from then on.
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" as -fuzztime runs out, having found nothing
# (go.dev/issue/75804, fixed in Go 1.27). A run that fails that way and
# writes no failing input is run once more; any other failure, or a
# failing input written, fails at once.
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-10}"
case "$seconds" in
''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
export CGO_ENABLED=1

targets="
FuzzParseRoster ./internal/people
FuzzParseFolder ./courses
FuzzParseFile ./policies
FuzzCompare ./policies
FuzzReadAnswers ./handlers
FuzzParseSMTPURL ./internal/config
FuzzCheck ./internal/mdnest
FuzzCell ./internal/csvout
FuzzFill ./internal/org
"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# fuzz NAME PKG runs one target; exit 0 passed, 1 failed, 3 the deadline
# flake (nothing found).
fuzz() {
	if go test -run='^$' -fuzz="^$1\$" -fuzztime="${seconds}s" -fuzzminimizetime=5s "$2" >"$log" 2>&1; then
		cat "$log"
		return 0
	fi
	cat "$log"
	if grep -q 'context deadline exceeded' "$log" && ! grep -q -e 'Failing input written to' -e 'panic:' -e '_test.go:[0-9]' "$log"; then
		return 3
	fi
	return 1
}

status=0
echo "$targets" | while read -r name pkg; do
	[ -n "$name" ] || continue
	echo "== $name ($pkg, ${seconds}s)"
	result=0
	fuzz "$name" "$pkg" || result=$?
	if [ "$result" -eq 3 ]; then
		echo "== $name stopped with the fuzzer's deadline race (go.dev/issue/75804), nothing found; once more"
		result=0
		fuzz "$name" "$pkg" || result=$?
	fi
	if [ "$result" -ne 0 ]; then
		echo "FAIL: $name failed; a failing input, if it found one, is in the testdata/fuzz directory of $pkg" >&2
		exit 1
	fi
done || status=1
exit $status
