#!/usr/bin/env bash
# bench/inspect.sh: gonative inspect against file(1) and `go version -m`, on two trees.
#
#   bench/inspect.sh            both trees below
#   bench/inspect.sh DIR...     one tree: the files under DIR...
#
# Trees:
#   source      $(go env GOROOT) and /usr/bin: mostly small files that are not
#               executables (Go sources), where file(1) is slow and gonative skips them.
#   executables what users point inspect at: $(go env GOROOT)/pkg/tool, /usr/bin,
#               /usr/lib/x86_64-linux-gnu/*.so* and the real-world corpus of
#               scripts/corpus.sh (~/.cache/gonative/corpus/files) when present.
#
# Every tool reads the same list of regular files. For each tool and gonative mode it
# prints the best wall time of 3 runs (warm page cache) and gonative's peak RSS:
#   first    default one-line output, empty result cache (a fresh GONATIVE_CACHE)
#   first --json
#   cached   the same again with the cache filled by the previous run
#   --isa    every x86-64 and arm64 slice scanned, --no-cache
# Targets (issue 13, on the executables tree): first run <= 0.3x file -f and <= 1.0x
# go version -m; cached <= 0.05x file -f; --isa <= 1.5x file -f; peak RSS <= 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v file >/dev/null || { echo "bench: file(1) not found (apt-get install file)"; exit 1; }
if [ ! -x /usr/bin/time ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 || true
fi
[ -x /usr/bin/time ] || { echo "bench: GNU time not found (apt-get install time)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gonative" ./cmd/gonative
gn=$tmp/gonative
goroot=$(go env GOROOT)
corpus=${GONATIVE_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gonative/corpus/files}

# list NAME DIR...: the regular files under the DIRs (FILEs are taken as they are).
list() {
	local name=$1
	shift
	find "$@" -type f 2>/dev/null | sort -u > "$tmp/$name.list"
}

# time_of CMD...: wall seconds of one run; stdout and stderr discarded.
time_of() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# best PRE CMD...: the best wall time of 3 runs of CMD, running PRE (a shell command,
# untimed) before each.
best() {
	local pre=$1 b="" t
	shift
	for _ in 1 2 3; do
		eval "$pre"
		t=$(time_of "$@")
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	echo "$b"
}

# rss PRE CMD...: peak RSS in MiB of one run of CMD after PRE.
rss() {
	local pre=$1
	shift
	eval "$pre"
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%d", $1 / 1024 }'
}

tree() {
	local name=$1 lst=$tmp/$1.list files bytes
	files=$(wc -l < "$lst")
	bytes=$(tr '\n' '\0' < "$lst" | xargs -0 cat 2>/dev/null | wc -c) # also warms the page cache
	export GONATIVE_CACHE=$tmp/cache-$name
	local fresh="rm -rf '$GONATIVE_CACHE'" keep=":"
	"$gn" inspect - < "$lst" > /dev/null 2>&1 || true
	local execs
	execs=$("$gn" inspect --json --no-cache - < "$lst" 2>/dev/null | wc -l)

	local t_file t_gover
	t_file=$(best "$keep" file -f "$lst")
	t_gover=$(best "$keep" xargs -a "$lst" -d '\n' go version -m)

	local -a names=() times=() rsses=()
	add() { # NAME PRE ARGS...
		local n=$1 pre=$2
		shift 2
		names+=("$n")
		times+=("$(best "$pre" sh -c '"$0" inspect "$@" - < "$1"' "$gn" "$lst" "$@")")
		rsses+=("$(rss "$pre" sh -c 'exec "$0" inspect "$@" - < "$1"' "$gn" "$lst" "$@")")
	}
	add "gonative inspect (first)" "$fresh"
	add "gonative inspect --json (first)" "$fresh" --json
	"$gn" inspect - < "$lst" > /dev/null 2>&1 || true
	add "gonative inspect (cached)" "$keep"
	"$gn" inspect --json - < "$lst" > /dev/null 2>&1 || true
	add "gonative inspect --json (cached)" "$keep" --json
	add "gonative inspect --isa --json" "$keep" --isa --json --no-cache
	local csize
	csize=$(du -sk "$GONATIVE_CACHE" 2>/dev/null | awk '{ printf "%.1f", $1 / 1024 }')

	echo "== tree $name: $files files, $((bytes / 1048576)) MiB; $execs executables reported; $(nproc) cores"
	printf '%-36s %8s %10s %10s %9s\n' "command" "wall s" "x file -f" "x go vers" "peak RSS"
	printf '%-36s %8s\n' "file -f LIST" "$t_file" "go version -m FILES" "$t_gover"
	local i
	for i in "${!names[@]}"; do
		awk -v n="${names[$i]}" -v t="${times[$i]}" -v f="$t_file" -v g="$t_gover" -v r="${rsses[$i]}" \
			'BEGIN { printf "%-36s %8.3f %9.2fx %9.2fx %6d MiB\n", n, t, t / f, t / g, r }'
	done
	echo "result cache after the runs: $csize MiB (bound 64 MiB)"
	echo
}

if [ $# -gt 0 ]; then
	list custom "$@"
	tree custom
	exit 0
fi
list source "$goroot" /usr/bin
tree source
exe_dirs=("$goroot/pkg/tool" /usr/bin)
[ -d "$corpus" ] && exe_dirs+=("$corpus")
list executables "${exe_dirs[@]}"
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f >> "$tmp/executables.list" 2>/dev/null || true
sort -u -o "$tmp/executables.list" "$tmp/executables.list"
if [ ! -d "$corpus" ]; then
	echo "(no real-world corpus at $corpus: run scripts/corpus.sh to add it)"
fi
tree executables
