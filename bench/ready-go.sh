#!/usr/bin/env bash
# bench/ready-go.sh: ready's Go and cgo checks (internal/ready/gocode's Check, through
# BenchmarkCheck) on a CLI-sized module, beside `go vet ./...` run once per target, the
# cost the issue bounds it by (Check at most 1.5x). Both with the same warm build cache
# (a first round of each is not counted), the load printed before and after.
#
#   bench/ready-go.sh [MODULE_DIR]   (default: the corpus' urfave-cli, scripts/corpus.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(uname -s)" = Darwin ]; then usercache=$HOME/Library/Caches; else usercache=${XDG_CACHE_HOME:-$HOME/.cache}; fi
dir=${1:-${GONATIVE_CORPUS:-$usercache/gonative/corpus}/gomod/src/urfave-cli}
dir=$(cd "$dir" && pwd)
rounds=${ROUNDS:-5}
targets="linux/amd64 linux/arm64 darwin/arm64"
export GOPROXY=off GOFLAGS=-mod=mod GOWORK=off
bin=$(mktemp -d)/gocode.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
(cd "$root" && go test -c -o "$bin" ./internal/ready/gocode)

vet_all() { # one go vet ./... per target, as a user checks each target (cgo as Check runs it)
	for t in $targets; do
		case $t in
		linux/amd64) cgo=(CGO_ENABLED=1) ;;
		linux/arm64) cgo=(CGO_ENABLED=1 CC=aarch64-linux-gnu-gcc) ;;
		*) cgo=(CGO_ENABLED=0) ;;
		esac
		(cd "$dir" && env GOOS=${t%/*} GOARCH=${t#*/} "${cgo[@]}" go vet ./... >/dev/null 2>&1) || true
	done
}
check_once() { GONATIVE_READY_BENCH_DIR=$dir "$bin" -test.run '^$' -test.bench '^BenchmarkCheck$' -test.benchtime 1x >/dev/null; }
now() { date +%s.%N; }

echo "module: $(cat "$dir/.corpus-version" 2>/dev/null || echo "$dir"), $(cd "$dir" && go list ./... | wc -l) packages; targets: $targets"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
vet_all
check_once
vets=() checks=()
for i in $(seq "$rounds"); do
	s=$(now); vet_all; e=$(now); vets+=("$(echo "$e - $s" | bc)")
	s=$(now); check_once; e=$(now); checks+=("$(echo "$e - $s" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
v=$(median "${vets[@]}") c=$(median "${checks[@]}")
echo "go vet ./... per target (3 runs): ${vets[*]} s; median $v s"
echo "Check (go list x4, go vet x3):     ${checks[*]} s; median $c s"
echo "ratio Check / vet: $(echo "scale=2; $c / $v" | bc)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
