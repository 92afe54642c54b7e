#!/usr/bin/env bash
# bench/test.sh: gonative test --target linux/arm64 against the hand-written
# `GOARCH=arm64 go test -exec qemu-aarch64-static` of the same packages, on a Linux
# amd64 machine with qemu-user-static, warm build cache.
#
#   run:    -count=1: the tests really run, under qemu-user, every time
#   cached: go test's own result cache answers (what a second run in a loop costs)
#
# Runs alternate (gonative, bare, bare, gonative, ...), so a change in the machine's
# load hits both alike; each figure is the median of RUNS (default 7) wall times, with
# gonative's overhead over bare in per cent. The load average is printed before and
# after. gonative's time includes what bare does not do: detecting the host, judging
# the target, the test2json stream it reads (go test -json) and its table.
#
#   RUNS=7                          runs per tool and mode
#   PKGS="./internal/arch ./internal/finding"   the packages (this repository's)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-7}
read -r -a pkgs <<<"${PKGS:-./internal/arch ./internal/finding}"
export GOFLAGS='' GOTOOLCHAIN=local
command -v qemu-aarch64-static >/dev/null || { echo "no qemu-aarch64-static (Debian: qemu-user-static)"; exit 1; }
cd "$root"
go build -o "$work/gonative" ./cmd/gonative

gonative_run() { "$work/gonative" test --target linux/arm64 "${pkgs[@]}" -- "$@" >/dev/null; }
bare_run() { GOARCH=arm64 go test -exec qemu-aarch64-static "$@" "${pkgs[@]}" >/dev/null; }

# seconds CMD...: the wall time of one run (a failing run is an error: both must pass).
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

echo "packages: ${pkgs[*]}; $runs runs each; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the build cache (and the result cache) for both.
gonative_run -count=1
bare_run -count=1
for mode in run cached; do
	flags=(-count=1)
	[ "$mode" = cached ] && flags=()
	g=() b=()
	for i in $(seq "$runs"); do
		if ((i % 2)); then
			g+=("$(seconds gonative_run "${flags[@]}")")
			b+=("$(seconds bare_run "${flags[@]}")")
		else
			b+=("$(seconds bare_run "${flags[@]}")")
			g+=("$(seconds gonative_run "${flags[@]}")")
		fi
	done
	gm=$(printf '%s\n' "${g[@]}" | median)
	bm=$(printf '%s\n' "${b[@]}" | median)
	printf '%-7s gonative %6ss  bare %6ss  overhead %+.1f%%  (gonative: %s; bare: %s)\n' "$mode" "$gm" "$bm" \
		"$(echo "($gm - $bm) / $bm * 100" | bc -l)" "$(printf '%.2f ' "${g[@]}")" "$(printf '%.2f ' "${b[@]}")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
