#!/usr/bin/env bash
# bench/build.sh: gonative build against the bare go builds it wraps (the same targets,
# the same parallelism, the same flags), warm and cold, side by side in one run.
#
# The project: a small module using net/http and encoding/json; four targets
# (linux/amd64, linux/arm64, darwin/arm64, darwin/amd64), --cgo=off, -trimpath.
# "bare" is `CGO_ENABLED=0 GOOS=.. GOARCH=.. go build -trimpath -o ..` per target, JOBS
# at a time (xargs -P), exactly what gonative runs; gonative's time includes what bare
# does not do: go list, verifying every output, SHA256SUMS and manifest.json.
#
#   warm: the build cache holds everything (a first run fills it); outputs removed,
#         so both link every output (gonative would otherwise find its earlier outputs
#         up to date and link nothing, as go build -o into the same files does);
#         gonative's own cache (GONATIVE_CACHE: go tool dist list's answer) is kept
#   cold: an empty GOCACHE and an empty GONATIVE_CACHE before every run
#
# The order of the tools rotates from run to run (gonative, bare, goreleaser; bare,
# goreleaser, gonative; ...), so a change in the machine's load hits all alike; each figure is the median of RUNS (default 5) wall times. The
# load average is printed before and after.
#
#   RUNS=5        runs per tool and cache state
#   COLD_RUNS=N   runs of the cold state (default RUNS): a cold run compiles the
#                 standard library for every target, minutes on a small busy machine
#   JOBS=N        parallel go builds for both (default: gonative's default -j)
#   SWEEP="1 2 4" instead: bare go build at each parallelism, warm and cold, to choose -j
#   GORELEASER=/path/to/goreleaser, or GORELEASER_VERSION=v2.x.y to go install one into
#                 a temporary GOBIN: adds `goreleaser build --snapshot` (same targets,
#                 flags and parallelism) as a third contender. Not installed by default:
#                 it is a large module (minutes of compiling on a small machine).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-5}
cold_runs=${COLD_RUNS:-$runs}
export GOFLAGS= GOTOOLCHAIN=local GOWORK=off
targets=(linux/amd64 linux/arm64 darwin/arm64 darwin/amd64)

go build -o "$work/gonative" "$root/cmd/gonative"
jobs=${JOBS:-$("$work/gonative" build --help | sed -n 's/.*go builds at once (default [^:]*: \([0-9]*\)).*/\1/p')}
jobs=${jobs:-4}

proj="$work/proj"
mkdir -p "$proj"
cat >"$proj/go.mod" <<'GOMOD'
module example.com/bench/web

go 1.21
GOMOD
cat >"$proj/main.go" <<'GO'
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() {
	_ = json.NewEncoder(os.Stdout).Encode(map[string]int{"status": http.StatusOK})
}
GO
cd "$proj"

gr=${GORELEASER:-}
if [ -z "$gr" ] && [ -n "${GORELEASER_VERSION:-}" ]; then
	echo "installing goreleaser $GORELEASER_VERSION into a temporary GOBIN..." >&2
	GOBIN="$work/bin" go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION" >&2 && gr="$work/bin/goreleaser"
fi
if [ -n "$gr" ]; then
	cat >"$proj/.goreleaser.yaml" <<YAML
version: 2
project_name: web
builds:
  - main: .
    binary: web
    env: [CGO_ENABLED=0]
    flags: [-trimpath]
    targets: [linux_amd64, linux_arm64, darwin_arm64, darwin_amd64]
YAML
	git init -q && git add -A && git -c user.email=b@example.com -c user.name=bench commit -qm init
fi

gonative_run() { # gonative_run JOBS
	"$work/gonative" build --cgo=off -j "$1" --target "$(
		IFS=,
		echo "${targets[*]}"
	)" -o "$work/gn-dist" >/dev/null 2>&1
}
bare_run() { # bare_run JOBS
	printf '%s\n' "${targets[@]}" | xargs -P "$1" -I{} sh -c \
		't={}; CGO_ENABLED=0 GOOS=${t%/*} GOARCH=${t#*/} go build -trimpath -o "$0/bare-dist/web_${t%/*}_${t#*/}" .' "$work"
}
goreleaser_run() { # goreleaser_run JOBS
	"$gr" build --snapshot --clean --parallelism "$1" >/dev/null 2>&1
}
prepare() { # prepare warm|cold
	rm -rf "$work/gn-dist" "$work/bare-dist" "$proj/dist"
	mkdir -p "$work/bare-dist"
	if [ "$1" = cold ]; then
		rm -rf "$GOCACHE" "$GONATIVE_CACHE"
		mkdir -p "$GOCACHE"
	fi
}
timed() { # timed CMD...: prints the wall time in seconds
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {printf "%.2f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

export GOCACHE="$work/gocache" GONATIVE_CACHE="$work/gncache"
mkdir -p "$GOCACHE"

if [ -n "${SWEEP:-}" ]; then
	echo "bare go build of ${#targets[@]} targets at each parallelism, $runs runs (load $(load))"
	declare -A sw
	for state in warm cold; do
		if [ "$state" = warm ]; then
			prepare warm
			bare_run 4 # fills the cache
		fi
		[ "$state" = cold ] && [ "$cold_runs" = 0 ] && continue
		n=$runs
		[ "$state" = cold ] && n=$cold_runs
		for i in $(seq "$n"); do
			for j in $SWEEP; do
				prepare "$state"
				w=$(timed bare_run "$j")
				sw[$state.$j]+="$w "
				echo "  $state -P$j run $i: $w s (load $(load))" >&2
			done
		done
		for j in $SWEEP; do
			echo "$state -P$j: median $(median "${sw[$state.$j]}") s (${sw[$state.$j]})"
		done
	done
	echo "load after: $(load)"
	exit 0
fi

tools=(gonative bare)
[ -n "$gr" ] && tools+=(goreleaser)
# Cold first: its last run leaves the cache full for the warm runs.
states=(warm)
[ "$cold_runs" != 0 ] && states=(cold warm)
echo "gonative build vs bare go build: ${#targets[@]} targets, --cgo=off, -trimpath, -j $jobs, median of $runs warm, $cold_runs cold (load before: $(load))"
declare -A wall
# order RUN: the tools, rotated by RUN-1, so that each runs first, between and last in
# turn (reversing the order every other run would leave the middle one always there).
order() { local n=${#tools[@]} k; for ((k = 0; k < n; k++)); do echo "${tools[$(((k + $1 - 1) % n))]}"; done; }
if [ "$cold_runs" = 0 ]; then
	prepare warm
	bare_run "$jobs" # fills the cache for the first warm run
fi
for state in "${states[@]}"; do
	n=$runs
	[ "$state" = cold ] && n=$cold_runs
	for i in $(seq "$n"); do
		for tool in $(order "$i"); do
			prepare "$state"
			w=$(timed "${tool}_run" "$jobs")
			wall[$state.$tool]+="$w "
			echo "  $state run $i $tool: $w s (load $(load))" >&2
		done
	done
done
printf '%-6s %12s %12s %8s' state gonative bare ratio
[ -n "$gr" ] && printf ' %12s %16s' goreleaser gonative/gorel
echo
for state in "${states[@]}"; do
	g=$(median "${wall[$state.gonative]}")
	b=$(median "${wall[$state.bare]}")
	printf '%-6s %11ss %11ss %7.2fx' "$state" "$g" "$b" "$(echo "$g / $b" | bc -l)"
	if [ -n "$gr" ]; then
		r=$(median "${wall[$state.goreleaser]}")
		printf ' %11ss %15.2fx' "$r" "$(echo "$g / $r" | bc -l)"
	fi
	echo
done
echo "load after: $(load)"
[ -z "$gr" ] && echo "goreleaser: skipped (set GORELEASER=/path or GORELEASER_VERSION=v2.x.y to add it)"
exit 0
