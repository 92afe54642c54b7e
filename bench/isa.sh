#!/usr/bin/env bash
# bench/isa.sh — speed of internal/isa's machine-code scan.
#
#   bench/isa.sh [FILE]     default: $(go env GOROOT)/pkg/tool/<host>/compile
#
# 1. The scanners alone, single-threaded (testing.B in internal/isa): bytes of code
#    per second of wall time (MB/s) and of CPU time (MB/s-cpu, which is what counts on
#    a shared, loaded machine). Targets (issue 13): x86-64 >= 600 MB/s, arm64 >= 1.5 GB/s;
#    then x86-64 >= 1.2 GB/s on the Go compiler, >= 800 MB/s on C libraries (libc.so.6 and
#    libcrypto.so.3: BenchmarkScanX86Serial, against one stream on the same machine).
# 2. The whole process on FILE: `gonative inspect --isa --json --no-cache FILE` (start-up,
#    reading the file, the scan) against `objdump -d FILE`, best of 3, with its peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-"$(go env GOROOT)/pkg/tool/$(go env GOHOSTOS)_$(go env GOHOSTARCH)/compile"}
command -v objdump >/dev/null || { echo "isa.sh: objdump not found (Debian package: binutils)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== scanners (go test -bench, 10 scans of a Go compiler each)"
go test -run '^$' -bench 'BenchmarkScan(X86|ARM64)$' -benchtime 10x -count 3 ./internal/isa | grep '^Benchmark'
go test -run '^$' -bench 'BenchmarkScanX86Serial' -benchtime 10x -count 3 ./internal/isa | grep '^Benchmark'

CGO_ENABLED=0 go build -o "$tmp/gonative" ./cmd/gonative # as the README installs it
best() {
	local b="" t0 t1 t
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	printf '%.3f' "$b"
}
"$tmp/gonative" inspect --isa --json --no-cache "$target" > "$tmp/report.json"
code_bytes=$(grep -o '"code_bytes":[0-9]*' "$tmp/report.json" | head -1 | tr -dc '0-9')
t_isa=$(best "$tmp/gonative" inspect --isa --json --no-cache "$target")
t_obj=$(best objdump -d "$target")
rss_kb=unknown
if [ -x /usr/bin/time ]; then
	rss_kb=$(/usr/bin/time -f %M "$tmp/gonative" inspect --isa --json --no-cache "$target" 2>&1 >/dev/null | tail -1)
fi
echo "== whole process on $target"
awk -v bytes="$code_bytes" -v size="$(stat -c %s "$target")" -v isa="$t_isa" -v obj="$t_obj" -v rss="$rss_kb" 'BEGIN {
	printf "file                         %.1f MB, %.1f MB of code\n", size / 1e6, bytes / 1e6
	printf "gonative inspect --isa       %.3f s = %.0f MB/s of code, peak RSS %s KB\n", isa, bytes / isa / 1e6, rss
	printf "objdump -d                   %.3f s\n", obj
	printf "ratio                        %.3f x objdump\n", isa / obj
}'
