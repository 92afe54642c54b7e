#!/usr/bin/env bash
# bench/isa.sh — speed of internal/isa's machine-code scan against `objdump -d`.
#
# Scans $(go env GOROOT)/pkg/tool/<host>/compile (or the file given as $1) with the
# package's TestScanFile entry point (a compiled test binary, so the time includes
# process start-up and reading the file), times `objdump -d` of the same file with
# hyperfine, and prints the ratio (target <= 0.1), the scan's throughput in MB/s of
# code and its peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-"$(go env GOROOT)/pkg/tool/$(go env GOHOSTOS)_$(go env GOHOSTARCH)/compile"}
runs=${RUNS:-5}
for tool in hyperfine objdump; do
	command -v "$tool" >/dev/null || { echo "isa.sh: $tool not found (Debian package: ${tool/objdump/binutils})" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/isa.test" ./internal/isa
scan="$tmp/isa.test -test.run ^TestScanFile\$"
export ISA_SCAN="$target" ISA_GO=1

$scan >"$tmp/report.json"
code_bytes=$(grep -o '"code_bytes": *[0-9]*' "$tmp/report.json" | tr -dc '0-9')

hyperfine --warmup 1 --runs "$runs" --export-csv "$tmp/times.csv" \
	-n isa "$scan" -n objdump "objdump -d $target"

# GNU time gives the peak RSS; without it read VmHWM of the process from /proc.
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
	rss_kb=$( { /usr/bin/time -v $scan >/dev/null; } 2>&1 | awk -F': *' '/Maximum resident set size/ {print $2}')
else
	$scan >/dev/null & pid=$!
	rss_kb=0
	while kill -0 "$pid" 2>/dev/null; do
		v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$v" ] && rss_kb=$v
		sleep 0.01
	done
	wait "$pid" || true
fi

awk -F, -v bytes="$code_bytes" -v size="$(stat -c %s "$target")" -v rss="$rss_kb" '
	$1 == "isa" { isa = $2 }
	$1 == "objdump" { obj = $2 }
	END {
		printf "file        %.1f MB, %.1f MB of code\n", size / 1e6, bytes / 1e6
		printf "isa scan    %.3f s (whole process) = %.0f MB/s of code, peak RSS %.1f MB\n", isa, bytes / isa / 1e6, rss / 1024
		printf "objdump -d  %.3f s\n", obj
		printf "ratio       %.3f x objdump (target <= 0.1)\n", isa / obj
	}' "$tmp/times.csv"
