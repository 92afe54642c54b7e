#!/usr/bin/env bash
# bench/test.sh: gonative test --target linux/arm64 against the hand-written
# `GOARCH=arm64 go test -exec qemu-aarch64-static` of the same packages, on a Linux
# amd64 machine with qemu-user-static, warm build cache.
#
#   run:    -count=1: the tests really run, under qemu-user, every time
#   cached: no -count: go test's result cache may answer. It does for gonative, which
#           runs the tests through the binfmt_misc handler; go test caches no result
#           of a run with -exec, so bare runs them again.
#   fixed:  gonative test --target windows/arm64, refused here: gonative's own cost
#           (start, host detection, the plan) without any go test
#
# Wall times on a shared machine are noisy; each run's CPU time (user + system, of
# the command and its children, GNU time) is printed beside them.
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

# seconds CMD...: the wall time of one run (a failing run is an error: both must
# pass); its CPU time is appended to $work/cpu.
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
# cpu CMD...: the CPU seconds (user + system, children included) of one run.
cpu() {
	/usr/bin/time -f '%U %S' -o "$work/time" "$@" >/dev/null
	awk '{printf "%.2f\n", $1 + $2}' "$work/time"
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
	gc=() bc=()
	for i in $(seq 3); do
		gc+=("$(cpu "$work/gonative" test --target linux/arm64 "${pkgs[@]}" -- "${flags[@]}")")
		bc+=("$(GOARCH=arm64 cpu go test -exec qemu-aarch64-static "${flags[@]}" "${pkgs[@]}")")
	done
	printf '%-7s CPU gonative %ss  bare %ss (median of 3)\n' "$mode" "$(printf '%s\n' "${gc[@]}" | median)" "$(printf '%s\n' "${bc[@]}" | median)"
done
f=()
for i in $(seq "$runs"); do
	f+=("$(seconds sh -c '"$0" test --target windows/arm64 >/dev/null; [ $? = 3 ]' "$work/gonative")")
done
printf 'fixed   gonative %6ss  (refused windows/arm64: start, host detection, plan; %s)\n' "$(printf '%s\n' "${f[@]}" | median)" "$(printf '%.2f ' "${f[@]}")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
