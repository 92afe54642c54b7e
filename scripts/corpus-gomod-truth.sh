#!/usr/bin/env bash
# corpus-gomod-truth.sh establishes, independently of gonative, what the go command
# itself says about every module of the Go-module corpus (scripts/corpus-gomod.sh) for
# each target: `go build ./...` and `go vet ./...` (which type-checks the tests too),
# and the assembly files `go list` selects per package. Its output is the evidence
# behind internal/ready/gocode/testdata/corpus-truth.json, which is reviewed by hand
# from it; run it again after changing the corpus and review the differences:
#
#   scripts/corpus-gomod.sh && scripts/corpus-gomod-truth.sh
#
# cgo as a user of this machine gets it: on for linux/amd64 (native gcc) and
# linux/arm64 (CC=aarch64-linux-gnu-gcc), off for darwin/arm64 (no macOS SDK here).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" = Darwin ]; then usercache=$HOME/Library/Caches; else usercache=${XDG_CACHE_HOME:-$HOME/.cache}; fi
src=${GONATIVE_CORPUS:-$usercache/gonative/corpus}/gomod/src
out=internal/ready/gocode/testdata/corpus-evidence
mkdir -p "$out"
export GOPROXY=off GOFLAGS=-mod=mod
for d in "$src"/*/; do
	id=$(basename "$d")
	for t in linux/amd64 linux/arm64 darwin/arm64; do
		env=(GOOS=${t%/*} GOARCH=${t#*/})
		case $t in
		linux/amd64) env+=(CGO_ENABLED=1) ;;
		linux/arm64) env+=(CGO_ENABLED=1 CC=aarch64-linux-gnu-gcc) ;;
		*) env+=(CGO_ENABLED=0) ;;
		esac
		f="$out/$id.${t/\//-}.txt"
		{
			echo "# $(cat "$d/.corpus-version") for $t: ${env[*]}"
			echo "## go build ./..."
			(cd "$d" && env "${env[@]}" go build ./... 2>&1 && echo ok) | sed "s#$d##g" || true
			echo "## go vet ./... (type errors; analyzer reports are left out with -json)"
			(cd "$d" && env "${env[@]}" go vet -json ./... 2>&1 >/dev/null && echo ok) | sed "s#$d##g" || true
			echo "## go list: packages with assembly"
			(cd "$d" && env "${env[@]}" go list -e -f '{{if .SFiles}}{{.ImportPath}} {{.SFiles}}{{end}}' ./... 2>&1) | sed "s#$d##g" || true
		} >"$f"
		echo "$f"
	done
done
