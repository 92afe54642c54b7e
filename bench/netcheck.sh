#!/bin/sh
# bench/netcheck.sh: netcheck of a healthy setup against what it diagnoses (issue 14):
# `gonative netcheck MODULE@VERSION` vs `go mod download -json MODULE@VERSION` with an
# empty GOMODCACHE, both through the configured GOPROXY and GOSUMDB, with the same
# GOPATH (so both see the same cached checksum-database head). Target: ≤ 2×.
#
# Needs the network (the configured GOPROXY), go and hyperfine (Debian package
# hyperfine). Usage: bench/netcheck.sh [RUNS] [MODULE@VERSION]
set -eu
RUNS=${1:-10}
MV=${2:-golang.org/x/mod@v0.43.0}
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/gonative-bench-netcheck}
mkdir -p "$BENCH_DIR/gopath"
go build -o "$BENCH_DIR/gonative" ./cmd/gonative
GN=$BENCH_DIR/gonative
MC=$BENCH_DIR/modcache
clean="chmod -R u+w $MC 2>/dev/null; rm -rf $MC"
cd "$BENCH_DIR" # no go.mod here
export GOPATH="$BENCH_DIR/gopath" GOTOOLCHAIN=local GOFLAGS=-modcacherw
# One download first so that GOPATH/pkg/sumdb holds a head for both (as on a machine in use).
GOMODCACHE=$MC go mod download -json "$MV" >/dev/null
echo "== netcheck $MV vs go mod download -json $MV (empty GOMODCACHE) through $(go env GOPROXY | cut -d, -f1 | sed 's#//.*#//…#')"
hyperfine --runs "$RUNS" --warmup 1 --prepare "$clean" --export-json "$BENCH_DIR/netcheck.json" \
	-n "gonative netcheck" "env GOMODCACHE=$MC $GN netcheck $MV" \
	-n "go mod download" "env GOMODCACHE=$MC go mod download -json $MV"
