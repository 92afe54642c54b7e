#!/usr/bin/env bash
# bench/image.sh: gonative image build against ko and against bare go build, and
# gonative inspect of an image against crane export, everything through a registry on
# loopback (crane registry serve), no daemon, no internet.
#
# 1. build: the same pure-Go net/http program for linux/amd64 and linux/arm64 on the
#    same base (a two-platform static base pushed first), pushed to the local registry,
#    CGO_ENABLED=0 and -trimpath for all three:
#      gonative  gonative image build --cgo=off ... --push
#      ko        ko build --bare (KO_DEFAULTBASEIMAGE the same base)
#      go build  the two `go build -trimpath` run at once into a new directory,
#                nothing pushed: the limit
#    warm: one shared GOCACHE warmed up first (and gonative's cache: its layers, its
#    binaries, which go build then finds up to date and does not link again, and go
#    tool dist list's answer), RUNS runs, the order of the tools rotating (ko links
#    both binaries every run; bare go build too, into a new directory); cold: every run of every tool with an empty GOCACHE
#    (and an empty layer cache), COLD_RUNS runs rotating too. Median wall seconds and
#    the ratios, side by side (and the median of each run's own gonative / ko, the
#    two ran within a minute of each other), with the load average before and after. gonative's
#    time includes what ko does not do: verifying every binary and checking it against
#    its base before anything is written. Then one `gonative image build --trace` run,
#    warm, shows where its time goes.
# 2. inspect: a two-platform image of about 100 MB per platform (64 MB incompressible
#    data, three copies of gonative's own binary for that architecture): gonative
#    inspect reads both platforms (every executable parsed, ISA scan included), crane
#    export streams each platform's flattened tar to /dev/null. Time and peak RSS
#    (GNU time's "Maximum resident set size").
#
# ko v0.19.1 and crane v0.22.1 are installed into a temporary GOBIN through the
# configured GOPROXY (they are not dependencies); set KO=/path/to/ko and
# CRANE=/path/to/crane to reuse them. RUNS (default 5) and COLD_RUNS (default 1; 0
# for none, shown as 0) set the number of runs per tool; PART=build or PART=inspect runs one half. With ko and
# crane given, RUNS=5 COLD_RUNS=1 PART=build takes about 8 minutes on a busy 2-core
# machine (a cold run is about 2 minutes per tool); COLD_RUNS=5 is the issue's median
# of 5 cold, about 30 minutes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
runs=${RUNS:-5}
cold_runs=${COLD_RUNS:-1}
export GOFLAGS= GOTOOLCHAIN=local GOWORK=off
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

go build -o "$work/gonative" "$root/cmd/gonative"
gn="$work/gonative"

crane=${CRANE:-}
if [ -z "$crane" ]; then
	GOBIN="$work/bin" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1 >&2
	crane="$work/bin/crane"
fi
ko=${KO:-}
if [ -z "$ko" ]; then
	echo "installing ko into a temporary GOBIN (this compiles a lot)..." >&2
	if GOBIN="$work/bin" go install github.com/google/ko@v0.19.1 >&2; then ko="$work/bin/ko"; else
		echo "ko could not be installed: the build comparison is skipped" >&2
	fi
fi

# The registry.
port=$((20000 + RANDOM % 20000))
"$crane" registry serve --address "127.0.0.1:$port" >"$work/registry.log" 2>&1 &
pids+=($!)
reg="127.0.0.1:$port"
for _ in $(seq 50); do
	curl -fsS "http://$reg/v2/" >/dev/null 2>&1 && break
	sleep 0.1
done

# The program.
proj="$work/proj"
mkdir -p "$proj"
printf 'module example.com/bench/hello\n\ngo 1.21\n' >"$proj/go.mod"
cat >"$proj/main.go" <<'GO'
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) > 1 {
		http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") }))
	}
	fmt.Println("hello")
}
GO

# paired "A1 A2 ..." "B1 B2 ...": the median of A1/B1, A2/B2, ...
paired() { paste <(printf '%s\n' $1) <(printf '%s\n' $2) | awk 'NF == 2 && $2 > 0 {print $1 / $2}' | median; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR == 0 ? 0 : NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { if [ -n "$1" ] && [ -n "$2" ] && [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then echo "$1 / $2" | bc -l; else echo 0; fi; }
secs() { # secs TOOL: wall seconds of one run of TOOL (run); its CPU seconds (user+sys,
	# children included) go to $work/cpu; a failed run stops the bench
	local e u s
	/usr/bin/time -f '%e %U %S' -o "$work/time" bash -c "$(declare -f gnbuild kobuild gobuild run); run $1" >"$work/run.out" 2>&1 ||
		{ cat "$work/run.out" >&2; echo "failed: $1" >&2; return 1; }
	read -r e u s <"$work/time"
	echo "$u + $s" | bc -l >"$work/cpu"
	echo "$e"
}

part=${PART:-all}
if [ "$part" != inspect ]; then
plats=linux/amd64,linux/arm64
(cd "$proj" && "$gn" image build --base static --platform "$plats" -t "$reg/base:static" --push . >/dev/null 2>&1)
gnbuild() { (cd "$proj" && "$gn" image build --cgo=off --base "$reg/base:static" --platform "$plats" -t "$reg/gn:latest" --push .); }
kobuild() { (cd "$proj" && KO_DOCKER_REPO="$reg/ko" KO_DEFAULTBASEIMAGE="$reg/base:static" "$ko" build --bare --platform="$plats" .); }
# Every run links into a new directory, as gonative and ko do: go build does not link
# again an output that is already up to date, which would be no build at all.
gobuild() {
	local d
	d=$(mktemp -d "$work/bare.XXXXXX")
	(cd "$proj" && for a in amd64 arm64; do CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath -o "$d/hello-$a" . & done; wait)
	rm -rf "$d"
}
tools=(gn go)
[ -n "$ko" ] && tools=(gn ko go)
run() { case $1 in gn) gnbuild ;; ko) kobuild ;; go) gobuild ;; esac; }
export proj gn reg plats ko work # for secs, which times run in a child shell
declare -A warm cold warmcpu coldcpu
# order RUN: the tools, rotated by RUN-1, so that each runs first, between and last in
# turn (reversing the order every other run would leave the middle one always there).
order() { local n=${#tools[@]} k; for ((k = 0; k < n; k++)); do echo "${tools[$(((k + $1 - 1) % n))]}"; done; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# warm: one GOCACHE, warmed up by each tool first; the order rotates.
export GOCACHE="$work/gocache-warm" GONATIVE_CACHE="$work/gncache-warm"
for t in "${tools[@]}"; do
	run "$t" >"$work/$t.out" 2>&1 || { cat "$work/$t.out" >&2; echo "$t failed" >&2; exit 1; }
done
for i in $(seq "$runs"); do
	for t in $(order "$i"); do
		w=$(secs "$t")
		warm[$t]+="$w "
		warmcpu[$t]+="$(cat "$work/cpu") "
		echo "  warm run $i $t: $w s, CPU $(cat "$work/cpu") s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
	done
done
# cold: every run of every tool starts from empty caches; the order rotates too.
for i in $(seq "$cold_runs"); do
	for t in $(order "$i"); do
		export GOCACHE="$work/gocache-cold-$t-$i" GONATIVE_CACHE="$work/gncache-cold-$t-$i"
		w=$(secs "$t")
		cold[$t]+="$w "
		coldcpu[$t]+="$(cat "$work/cpu") "
		echo "  cold run $i $t: $w s, CPU $(cat "$work/cpu") s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
		rm -rf "$GOCACHE" "$GONATIVE_CACHE"
	done
done
export GOCACHE="$work/gocache-warm" GONATIVE_CACHE="$work/gncache-warm"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

name() { case $1 in gn) echo "gonative image build" ;; ko) echo "ko build" ;; go) echo "bare go build (2 at once)" ;; esac; }
echo "== build: $plats, pushed to $reg; load average $load0 before, $load1 after ($(nproc) CPUs)"
printf '%-26s %10s %10s   %s\n' "" "warm" "cold" "runs (warm | cold)"
for t in "${tools[@]}"; do
	w=$(printf '%s\n' ${warm[$t]} | median); c=$(printf '%s\n' ${cold[$t]:-} | median)
	eval "w_$t=$w c_$t=$c"
	printf '%-26s %9.2fs %9.2fs   %s| %s\n' "$(name "$t")" "$w" "$c" "${warm[$t]}" "${cold[$t]:-}"
done
printf '%-26s %9.2fx %9.2fx\n' "gonative / bare go build" "$(ratio "$w_gn" "$w_go")" "$(ratio "$c_gn" "$c_go")"
if [ -n "$ko" ]; then
	printf '%-26s %9.2fx %9.2fx   (issue 33: <= 0.80x warm, <= 1.00x cold)\n' "gonative / ko" "$(ratio "$w_gn" "$w_ko")" "$(ratio "$c_gn" "$c_ko")"
	printf "%-26s %9.2fx %9.2fx   (median of each run's own ratio)\n" "gonative / ko, paired" "$(paired "${warm[gn]}" "${warm[ko]}")" "$(paired "${cold[gn]:-}" "${cold[ko]:-}")"
else
	echo "ko: not installed (go install github.com/google/ko@v0.19.1 failed): no ko ratio"
fi
# CPU time (user+sys of the tool and every process it ran) depends far less than wall
# time on what else the machine runs: the work each tool does, side by side.
printf '%-26s %10s %10s   %s\n' "CPU user+sys (median)" "warm" "cold" ""
for t in "${tools[@]}"; do
	w=$(printf '%s\n' ${warmcpu[$t]} | median); c=$(printf '%s\n' ${coldcpu[$t]:-} | median)
	eval "wc_$t=$w cc_$t=$c"
	printf '%-26s %9.2fs %9.2fs\n' "$(name "$t")" "$w" "$c"
done
printf '%-26s %9.2fx %9.2fx\n' "CPU gonative / bare" "$(ratio "$wc_gn" "$wc_go")" "$(ratio "$cc_gn" "$cc_go")"
[ -n "$ko" ] && printf '%-26s %9.2fx %9.2fx\n' "CPU gonative / ko" "$(ratio "$wc_gn" "$wc_ko")" "$(ratio "$cc_gn" "$cc_ko")"
echo "== where gonative's time goes (one warm run, --trace):"
(cd "$proj" && "$gn" image build --trace --cgo=off --base "$reg/base:static" --platform "$plats" -t "$reg/gn:latest" --push . 2>&1 >/dev/null | grep '^trace' | sed 's/^/  /')

fi
[ "$part" = build ] && exit 0

echo "== inspect: two platforms of ~100 MB each"
for arch in amd64 arm64; do
	d="$work/big-$arch"
	mkdir -p "$d/data" "$d/bin"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -o "$d/bin/gonative" "$root/cmd/gonative"
	cp "$d/bin/gonative" "$d/bin/gonative2"
	cp "$d/bin/gonative" "$d/bin/gonative3"
	for i in $(seq 8); do head -c $((8 << 20)) /dev/urandom >"$d/data/blob$i"; done
	tar -C "$d" -czf "$work/big-$arch.tar.gz" data bin
	"$crane" append --oci-empty-base -f "$work/big-$arch.tar.gz" -t "$reg/big:$arch" >/dev/null 2>&1
	"$crane" mutate --set-platform "linux/$arch" --entrypoint /bin/gonative -t "$reg/big:$arch" "$reg/big:$arch" >/dev/null 2>&1
done
"$crane" index append -m "$reg/big:amd64" -m "$reg/big:arm64" -t "$reg/big:v1" >/dev/null 2>&1
du -sh "$work/big-amd64" "$work/big-arm64" | sed 's/^/  /'
gi=() gr=() ci=() cr=() gc=() cc=()
for _ in $(seq "$runs"); do
	rc=0
	/usr/bin/time -f '%e %M %U %S' -o "$work/t" "$gn" inspect "$reg/big:v1" >"$work/inspect.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$work/inspect.out" >&2; echo "gonative inspect exited $rc" >&2; exit 1; }
	read -r e m u s <"$work/t"; gi+=("$e"); gr+=("$m"); gc+=("$(echo "$u + $s" | bc -l)")
	tot=0 rss=0 cpu=0
	for arch in amd64 arm64; do
		/usr/bin/time -f '%e %M %U %S' -o "$work/t" "$crane" export --platform "linux/$arch" "$reg/big:v1" - >/dev/null
		read -r e m u s <"$work/t"; tot=$(echo "$tot + $e" | bc -l); cpu=$(echo "$cpu + $u + $s" | bc -l); [ "$m" -gt "$rss" ] && rss=$m
	done
	ci+=("$tot"); cr+=("$rss"); cc+=("$cpu")
done
grep -c 'ELF executable' "$work/inspect.out" | sed 's/^/  executables reported: /'
g=$(printf '%s\n' "${gi[@]}" | median); k=$(printf '%s\n' "${ci[@]}" | median)
printf 'gonative inspect      median %.2fs, peak RSS %d MiB  (runs: %s)\n' "$g" "$(( $(printf '%s\n' "${gr[@]}" | sort -n | tail -1) / 1024 ))" "${gi[*]}"
printf 'crane export (x2)     median %.2fs, peak RSS %d MiB  (runs: %s)\n' "$k" "$(( $(printf '%s\n' "${cr[@]}" | sort -n | tail -1) / 1024 ))" "${ci[*]}"
printf 'gonative / crane      %.2fx\n' "$(echo "$g / $k" | bc -l)"
gcm=$(printf '%s\n' "${gc[@]}" | median); ccm=$(printf '%s\n' "${cc[@]}" | median)
printf 'CPU (user+sys) median gonative %.2fs, crane %.2fs: %.2fx\n' "$gcm" "$ccm" "$(echo "$gcm / $ccm" | bc -l)"
