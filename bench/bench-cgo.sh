#!/usr/bin/env bash
# bench cgo with default settings on the sample program, twice: how long it takes and
# whether the numbers reproduce within their confidence intervals.
#
#   bench/bench-cgo.sh [WORKLOAD ARGS...]   default: ./server --run=-once
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
go build -o "$out/gonative" ./cmd/gonative
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(./server --run=-once)
cat /proc/loadavg 2>/dev/null | sed 's/^/load before: /' || true
for run in 1 2; do
	start=$(date +%s.%N)
	(cd internal/bench/testdata/sample && "$out/gonative" bench cgo "${args[@]}" --json >"$out/run$run.json")
	end=$(date +%s.%N)
	awk -v r="$run" -v s="$start" -v e="$end" 'BEGIN { printf "run %d: %.1f s\n", r, e - s }'
done
go run ./bench/cgorepro "$out/run1.json" "$out/run2.json"
