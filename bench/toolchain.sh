#!/bin/sh
# bench/toolchain.sh: the toolchain manager's two hot paths (issue 4).
#
#  1. install go1.27.3 from a file:// proxy with GOSUMDB=off, against
#     `GOTOOLCHAIN=go1.27.3 go version` with an empty GOMODCACHE on the same proxy
#     (cmd/go copies the zip into its cache, hashes it, extracts it). Target: ≤ 0.8×.
#  2. `DIR/go version` through gonative's link against the toolchain's own
#     bin/go version. Target: ≤ 1.05×.
#
# The file:// proxy is populated once by downloading the module zip through the
# configured GOPROXY (`go mod download`, about 70 MB) into $BENCH_DIR/seed. Needs go and
# hyperfine (Debian package hyperfine). Usage: bench/toolchain.sh [RUNS]
set -eu
RUNS=${1:-5}
V=1.27.3
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/gonative-bench-toolchain}
mkdir -p "$BENCH_DIR"
GOOS_=$(go env GOHOSTOS) GOARCH_=$(go env GOHOSTARCH)
MV=v0.0.1-go$V.$GOOS_-$GOARCH_
SEED=$BENCH_DIR/seed
if [ ! -f "$SEED/cache/download/golang.org/toolchain/@v/$MV.zip" ]; then
	echo "bench: downloading golang.org/toolchain@$MV through $(go env GOPROXY) (once)" >&2
	GOMODCACHE=$SEED GOFLAGS=-modcacherw GOTOOLCHAIN=local go mod download golang.org/toolchain@$MV
fi
PROXY=file://$SEED/cache/download
go build -o "$BENCH_DIR/gonative" ./cmd/gonative
GN=$BENCH_DIR/gonative
H=$BENCH_DIR/home MC=$BENCH_DIR/modcache
clean="chmod -R u+w $H $MC 2>/dev/null; rm -rf $H $MC"
cd "$BENCH_DIR" # no go.mod here

echo "== 1. install go$V from $PROXY (GOSUMDB=off) vs GOTOOLCHAIN=go$V go version, empty GOMODCACHE"
hyperfine --runs "$RUNS" --prepare "$clean" --export-json "$BENCH_DIR/install.json" \
	-n "gonative install $V" "env GONATIVE_HOME=$H GOPROXY=$PROXY GOSUMDB=off $GN install $V" \
	-n "GOTOOLCHAIN=go$V go version" "env GOTOOLCHAIN=go$V GOMODCACHE=$MC GOPROXY=$PROXY GOSUMDB=off go version"

echo "== 2. go version through the link vs the toolchain's own bin/go"
env GONATIVE_HOME=$H GOPROXY=$PROXY GOSUMDB=off $GN install $V >/dev/null 2>&1
hyperfine --warmup 10 --runs $((RUNS * 40)) -N --export-json "$BENCH_DIR/link.json" \
	-n "link $H/bin/go version" "$H/bin/go version" \
	-n "direct versions/go$V/bin/go version" "$H/versions/go$V/bin/go version"

ratio() { # ratio FILE: first command / second, by mean and by median (robust on a busy machine)
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("mean %.2fx (%.4fs vs %.4fs), median %.2fx (%.4fs vs %.4fs)" % (r[0]["mean"]/r[1]["mean"], r[0]["mean"], r[1]["mean"], r[0]["median"]/r[1]["median"], r[0]["median"], r[1]["median"]))' "$1"
}
echo "install ratio (target <= 0.8x): $(ratio "$BENCH_DIR/install.json")"
echo "link ratio (target <= 1.05x): $(ratio "$BENCH_DIR/link.json")"
