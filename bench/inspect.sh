#!/usr/bin/env bash
# bench/inspect.sh: gonative inspect against file(1) and `go version -m` on the same tree.
#
#   bench/inspect.sh [DIR...]      default: $(go env GOROOT) /usr/bin
#
# Prints each tool's wall time (best of 3 runs, warm page cache), the ratios, and
# gonative's peak RSS. Targets (issue 2): gonative's full report in <= 0.3x the wall time
# of file(1), peak RSS <= 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$(go env GOROOT)" /usr/bin)

command -v file >/dev/null || { echo "bench: file(1) not found (apt-get install file)"; exit 1; }
if [ ! -x /usr/bin/time ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 || true
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gonative" ./cmd/gonative
find "${dirs[@]}" -type f > "$tmp/list"
files=$(wc -l < "$tmp/list")
bytes=$(tr '\n' '\0' < "$tmp/list" | xargs -0 cat 2>/dev/null | wc -c)

# best TIME-IN-SECONDS of 3 runs of "$@"
best() {
	local b="" t0 t1 t
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	printf '%.3f' "$b"
}

cat "$tmp/list" > /dev/null # warm the page cache
"$tmp/gonative" inspect --json "${dirs[@]}" > /dev/null 2>&1 || true

t_gn=$(best "$tmp/gonative" inspect --json "${dirs[@]}")
t_file=$(best file -f "$tmp/list")
t_gover=$(best go version -m "${dirs[@]}")

rss="unknown (install the Debian package time)"
if [ -x /usr/bin/time ]; then
	kb=$(/usr/bin/time -f %M "$tmp/gonative" inspect --json "${dirs[@]}" 2>&1 >/dev/null | tail -1)
	rss="$((kb / 1024)) MiB"
fi
reported=$("$tmp/gonative" inspect --json "${dirs[@]}" 2>/dev/null | wc -l)

echo "tree: ${dirs[*]} ($files files, $((bytes / 1048576)) MiB; gonative reported $reported executables)"
printf '%-34s %8ss\n' "gonative inspect --json" "$t_gn" "file -f" "$t_file" "go version -m" "$t_gover"
awk -v g="$t_gn" -v f="$t_file" -v v="$t_gover" 'BEGIN {
	printf "ratio gonative/file:            %.2fx (target <= 0.30x)\n", g / f
	printf "ratio gonative/go version -m:   %.2fx\n", g / v
}'
echo "gonative peak RSS:              $rss (target <= 64 MiB)"
