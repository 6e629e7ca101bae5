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
"

status=0
echo "$targets" | while read -r name pkg; do
	[ -n "$name" ] || continue
	echo "== $name ($pkg, ${seconds}s)"
	if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="${seconds}s" -fuzzminimizetime=5s "$pkg"; then
		echo "FAIL: $name found a failing input; see the testdata/fuzz directory of $pkg" >&2
		exit 1
	fi
done || status=1
exit $status
