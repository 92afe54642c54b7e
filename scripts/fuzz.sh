#!/usr/bin/env bash
# Fuzzes every fuzz target of every package (or of the packages given) for a while each.
#
#   scripts/fuzz.sh                     every target, 30s each
#   FUZZTIME=5m scripts/fuzz.sh ./internal/exe     the targets of one package, 5m each
#
# go test -fuzz takes one target at a time, named by a regexp that must match only it:
# this runs each with -fuzz '^Name$'. A failing input is written to the package's
# testdata/fuzz/Name/ (commit it: it then runs with every go test) and the script goes
# on with the next target; it exits 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-30s}
[ $# -gt 0 ] || set -- ./...

failed=()
count=0
while read -r pkg; do
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		count=$((count + 1))
		printf '== %s %s (%s)\n' "$pkg" "$target" "$fuzztime"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done < <(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' "$@")

printf '\n%d fuzz targets, %d failed\n' "$count" "${#failed[@]}"
for f in "${failed[@]}"; do printf '  FAIL %s\n' "$f"; done
[ ${#failed[@]} -eq 0 ]
