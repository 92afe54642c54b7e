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
# prints the best wall time and the best CPU time (user + system) of 5 runs (warm page
# cache), their ratios to file(1) and `go version -m`, and the peak RSS:
#   first    default one-line output, empty result cache (a fresh GONATIVE_CACHE)
#   first --json
#   cached   the same again with the cache filled by the previous run
#   --isa    every x86-64 and arm64 slice scanned, --no-cache
# Targets (issue 13, on the executables tree): first run <= 0.3x file -f and <= 1.0x
# go version -m; cached <= 0.05x file -f; --isa <= 1.5x file -f; peak RSS <= 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v file >/dev/null || { echo "bench: file(1) not found (apt-get install file)"; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 not found (apt-get install python3): it times the runs"; exit 1; }

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

# measure PRE CMD...: runs CMD 5 times (PRE, a shell command, untimed before each) and
# prints "WALL CPU RSS": the best wall seconds, the best CPU seconds (user + system,
# from wait4's rusage, microsecond resolution) and the largest peak RSS in MiB. On a
# shared, loaded machine the wall time includes the time spent waiting for a CPU;
# the CPU time does not.
measure() {
	local pre=$1
	shift
	python3 - "$pre" "$@" <<'PY'
import os, subprocess, sys, time
pre, cmd = sys.argv[1], sys.argv[2:]
best_wall = best_cpu = None
rss = 0
for _ in range(5):
    subprocess.run(pre, shell=True, check=False)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    wall = time.perf_counter() - t
    cpu = ru.ru_utime + ru.ru_stime
    best_wall = wall if best_wall is None else min(best_wall, wall)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    rss = max(rss, ru.ru_maxrss)  # KiB on Linux
print(f"{best_wall:.4f} {best_cpu:.4f} {rss // 1024}")
PY
}

tree() {
	local name=$1 lst=$tmp/$1.list files bytes
	files=$(wc -l < "$lst")
	bytes=$(tr '\n' '\0' < "$lst" | xargs -0 cat 2>/dev/null | wc -c) # also warms the page cache
	export GONATIVE_CACHE=$tmp/cache-$name
	local fresh="rm -rf '$GONATIVE_CACHE'" keep=":"
	"$gn" inspect - < "$lst" > /dev/null 2>&1 || true
	local execs
	execs=$("$gn" inspect --json --no-cache - < "$lst" 2>/dev/null | grep -vc '"format":"unknown"' || true)

	local m_file m_gover
	m_file=$(measure "$keep" file -f "$lst")
	m_gover=$(measure "$keep" xargs -a "$lst" -d '\n' go version -m)

	local -a names=() ms=()
	add() { # NAME PRE ARGS...
		local n=$1 pre=$2
		shift 2
		names+=("$n")
		ms+=("$(measure "$pre" sh -c 'exec "$0" inspect "$@" - < "$1"' "$gn" "$lst" "$@")")
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

	echo "== tree $name: $files files, $((bytes / 1048576)) MiB; $execs executables; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
	printf '%-34s %7s %7s %9s %9s %9s %9s\n' "command" "wall s" "cpu s" "wall/file" "cpu/file" "wall/gover" "peak RSS"
	local row
	row() { # NAME "WALL CPU RSS"
		awk -v n="$1" -v m="$2" -v f="$m_file" -v g="$m_gover" 'BEGIN {
			split(m, a, " "); split(f, b, " "); split(g, c, " ")
			printf "%-34s %7.4f %7.4f %8.2fx %8.2fx %9.2fx %5d MiB\n", n, a[1], a[2], a[1] / b[1], a[2] / b[2], a[1] / c[1], a[3]
		}'
	}
	row "file -f LIST" "$m_file"
	row "go version -m FILES" "$m_gover"
	local i
	for i in "${!names[@]}"; do
		row "${names[$i]}" "${ms[$i]}"
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
