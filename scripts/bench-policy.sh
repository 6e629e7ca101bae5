#!/usr/bin/env bash
# Measures the public policy page against its limits, on 127.0.0.1:
#   steward  GET /policies/privacy   (the demo's policies, served from the page cache)
#   same     GET /page               (a bare Fiber handler sending the same bytes from memory)
#   same-conn GET /page              (the same, served with Steward's connection
#                                     settings: timeouts and buffers)
#   plain    GET /plaintext          (a bare Fiber handler sending "Hello, World!")
# and prints requests per second, the ratios and p99 latency.
# The three run in turn, ROUNDS times, and the medians are reported: on a
# shared machine the load drifts, and interleaving spreads the drift over
# all three instead of favouring whichever ran at a quiet moment.
# Environment: DURATION (10s), ROUNDS (3), CONNECTIONS (64), THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
STEWARD_PORT=${STEWARD_PORT:-18080}
BENCH_PORT=${BENCH_PORT:-18081}
CONN_PORT=${CONN_PORT:-18082}

command -v wrk >/dev/null || { echo "bench-policy: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building..."
go build -o "$work/steward" ./cmd/steward
go build -o "$work/benchserver" ./internal/benchserver

export STEWARD_DATABASE_URL="$work/bench.db"
export STEWARD_ADDR="127.0.0.1:$STEWARD_PORT"
export STEWARD_BASE_URL="http://127.0.0.1:$STEWARD_PORT"
"$work/steward" migrate >/dev/null
# The demo's policies, published as the demo does: drafted, approved by a
# second admin, then published.
"$work/steward" demo >/dev/null

# Steward logs one line per request; the log goes nowhere here but is
# still written, as in production.
"$work/steward" serve >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	curl -fs "http://127.0.0.1:$STEWARD_PORT/healthz" >/dev/null && break
	sleep 0.2
done
curl -fs "http://127.0.0.1:$STEWARD_PORT/policies/privacy" >/dev/null

"$work/benchserver" -addr "127.0.0.1:$BENCH_PORT" -from "http://127.0.0.1:$STEWARD_PORT/policies/privacy" &
pids+=($!)
"$work/benchserver" -addr "127.0.0.1:$CONN_PORT" -steward-connections -from "http://127.0.0.1:$STEWARD_PORT/policies/privacy" &
pids+=($!)
for port in "$BENCH_PORT" "$CONN_PORT"; do
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/plaintext" >/dev/null && break
		sleep 0.2
	done
	if ! cmp -s <(curl -fs "http://127.0.0.1:$STEWARD_PORT/policies/privacy") <(curl -fs "http://127.0.0.1:$port/page"); then
		echo "bench-policy: the servers do not send the same bytes" >&2
		exit 1
	fi
done

# run NAME URL prints "NAME req/s p99_ms".
run() {
	local out rps p99
	wrk -t2 -c16 -d2s "$2" >/dev/null # warm up
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
	if grep -q "Non-2xx" <<<"$out"; then
		echo "bench-policy: $1 answered errors:" >&2
		echo "$out" >&2
		exit 1
	fi
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
	echo "$1 $rps $p99"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION on 127.0.0.1, $ROUNDS rounds ($(nproc) CPUs, shared with wrk)"
results=$(
	for round in $(seq "$ROUNDS"); do
		run steward "http://127.0.0.1:$STEWARD_PORT/policies/privacy"
		run same-bytes "http://127.0.0.1:$BENCH_PORT/page"
		run same-conn "http://127.0.0.1:$CONN_PORT/page"
		run plaintext "http://127.0.0.1:$BENCH_PORT/plaintext"
	done
)
if [ "$(wc -l <<<"$results")" -ne $((ROUNDS * 4)) ]; then
	echo "bench-policy: a run failed" >&2
	exit 1
fi
echo "$results" | awk '{ printf "  round %d  %-11s %9.0f req/s  p99 %7.2f ms\n", int((NR - 1) / 4) + 1, $1, $2, $3 }'
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
summary=""
for target in steward same-bytes same-conn plaintext; do
	rps=$(awk -v t="$target" '$1 == t { print $2 }' <<<"$results" | median)
	p99=$(awk -v t="$target" '$1 == t { print $3 }' <<<"$results" | median)
	summary+="$target $rps $p99"$'\n'
done
awk -v size="$(curl -fs "http://127.0.0.1:$STEWARD_PORT/policies/privacy" | wc -c)" '
	NF == 3 { name[++n] = $1; rps[n] = $2; p99[n] = $3 }
	END {
		printf "\npage size %d bytes; medians of the rounds\n", size
		printf "%-12s %12s %10s\n", "target", "req/s", "p99 ms"
		for (i = 1; i <= n; i++) printf "%-12s %12.0f %10.2f\n", name[i], rps[i], p99[i]
		printf "\nsteward / same-bytes handler: %.2f (goal >= 0.90)\n", rps[1] / rps[2]
		printf "steward / same bytes, Steward'"'"'s connection settings: %.2f\n", rps[1] / rps[3]
		printf "steward / plain-text handler: %.2f\n", rps[1] / rps[4]
		printf "steward p99: %.2f ms (goal < 10 ms)\n", p99[1]
	}' <<<"$summary"
