#!/usr/bin/env bash
# bench/build.sh: gonative build against goreleaser build --snapshot on the same
# 4-target pure-Go project (darwin/arm64, darwin/amd64, linux/arm64, windows/amd64 +
# a darwin universal binary), each run with a cold build cache (a fresh GOCACHE).
#
# gonative's time includes what goreleaser does not do: planning (go list per target),
# verifying every output with internal/exe, SHA256SUMS and manifest.json. gonative runs
# twice: with its defaults, and with goreleaser's default ldflags (-s -w), the same work.
#
# goreleaser is installed into a temporary GOBIN for the benchmark only (it is not a
# dependency); set GORELEASER=/path/to/goreleaser to reuse one. RUNS (default 3) sets
# the number of runs per tool.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-3}
export GOFLAGS= GOTOOLCHAIN=local GOWORK=off

go build -o "$work/gonative" "$root/cmd/gonative"

gr=${GORELEASER:-}
if [ -z "$gr" ]; then
	if command -v goreleaser >/dev/null; then
		gr=$(command -v goreleaser)
	else
		echo "installing goreleaser into a temporary GOBIN (this compiles a lot)..." >&2
		# The newest release may need a newer Go than this one; try a few.
		for v in latest v2.16.0 v2.15.0; do
			if GOBIN="$work/bin" go install "github.com/goreleaser/goreleaser/v2@$v" >&2; then
				gr="$work/bin/goreleaser"
				break
			fi
		done
	fi
fi

# The project: a small CLI using the standard library's flag, fmt, os and net/url.
proj="$work/proj"
mkdir -p "$proj"
cat >"$proj/go.mod" <<'GOMOD'
module example.com/bench/hello

go 1.21
GOMOD
cat >"$proj/main.go" <<'GO'
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
)

func main() {
	name := flag.String("name", "world", "who to greet")
	flag.Parse()
	u := url.URL{Scheme: "https", Host: "example.com", Path: "/" + *name}
	fmt.Fprintln(os.Stdout, "hello", *name, u.String())
}
GO
cat >"$proj/.goreleaser.yaml" <<'YAML'
version: 2
project_name: hello
builds:
  - id: hello
    main: .
    binary: hello
    env: [CGO_ENABLED=0]
    flags: [-trimpath]
    targets: [darwin_arm64, darwin_amd64, linux_arm64, windows_amd64]
universal_binaries:
  - replace: false
YAML
(cd "$proj" && git init -q && git add -A && git -c user.email=b@example.com -c user.name=bench commit -qm init)

export GOCACHE="$work/gocache"
cd "$proj"
gn_cmd="$work/gonative build --target darwin/arm64,darwin/amd64,linux/arm64,windows/amd64 --universal -o $work/gn-dist"
prep="rm -rf $GOCACHE $work/gn-dist $proj/dist; mkdir -p $GOCACHE"

# Runs alternate between the tools, so a change in the machine's load (it is shared)
# hits both alike. Each run starts from an empty GOCACHE.
# Wall time is what the target is about; CPU time (user+sys of every process) is
# reported too, since on a shared machine it varies less. Three contenders:
# gonative with its defaults (DWARF and symbols kept), gonative with goreleaser's
# default ldflags (-s -w: the same work), and goreleaser.
timed() { # timed OUTFILE CMD...: prints "wall cpu"
	local out=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >"$out" 2>&1
	awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/time"
}
names=("gonative build" "gonative build --ldflags='-s -w'")
cmds=("$gn_cmd" "$gn_cmd --ldflags=-s\ -w")
if [ -n "$gr" ]; then
	names+=("goreleaser build --snapshot ($("$gr" --version 2>/dev/null | awk '/GitVersion/ {print $2}'))")
	cmds+=("$gr build --snapshot --clean")
fi
declare -A wall cpu
for i in $(seq "$runs"); do
	for k in "${!cmds[@]}"; do
		eval "$prep"
		read -r w c < <(timed "$work/out.$k" bash -c "${cmds[$k]}")
		wall[$k]+="$w " cpu[$k]+="$c "
		echo "run $i ${names[$k]}: wall $w s, cpu $c s" >&2
	done
done
stats() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "mean %.1f s (min %.1f, max %.1f, %d runs)", s/NR, a[1], a[NR], NR}'; }
mean() { printf '%s\n' $1 | awk '{s+=$1} END {print s/NR}'; }
for k in "${!cmds[@]}"; do
	echo "${names[$k]}: wall $(stats "${wall[$k]}"); cpu $(stats "${cpu[$k]}")"
done
if [ -n "$gr" ]; then
	g=$((${#cmds[@]} - 1))
	for k in 0 1; do
		echo "ratio ${names[$k]} / goreleaser: wall $(echo "scale=2; $(mean "${wall[$k]}") / $(mean "${wall[$g]}")" | bc), cpu $(echo "scale=2; $(mean "${cpu[$k]}") / $(mean "${cpu[$g]}")" | bc)"
	done
fi
cat "$work/out.0"
if [ -z "$gr" ]; then
	echo "goreleaser could not be installed: gonative's numbers only" >&2
fi
