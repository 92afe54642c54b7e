#!/usr/bin/env bash
# bench/inspect.sh: gonative inspect against file(1) and `go version -m`, on three trees.
#
#   bench/inspect.sh            the three trees below
#   bench/inspect.sh DIR...     one tree: the files under DIR...
#   INSPECT_TREES="mixed" bench/inspect.sh     only the trees named (source executables mixed)
#   GONATIVE_BIN=/tmp/gonative-main bench/inspect.sh   that build instead of this tree's
#
# Trees:
#   source      $(go env GOROOT) and /usr/bin: mostly small files that are not
#               executables (Go sources), where file(1) is slow and gonative skips them.
#   executables what users point inspect at: $(go env GOROOT)/pkg/tool, /usr/bin,
#               /usr/lib/x86_64-linux-gnu/*.so* and the real-world corpus of
#               scripts/corpus.sh (~/.cache/gonative/corpus/files) when present.
#   mixed       a tree nobody tuned inspect on: ~50 real packages from Debian and npm at
#               pinned versions, fully unpacked as they install (executables with their
#               README, package.json, .js, .d.ts, man pages, licences, .so and data
#               beside them): ~1,370 files, ~800 MB. Built once (apt-get download in a
#               private apt state, npm pack; the packages scripts/corpus.sh downloaded
#               are reused) and kept in ~/.cache/gonative/bench/mixed-N. When a package
#               cannot be fetched (a registry unreachable, a version gone) the tree is
#               not built and the missing packages are named.
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
# Issue 33, on the executables and mixed trees: first <= 0.2x, cached <= 0.03x, --isa
# <= 1.0x file -f, on a quiet machine (the load average is printed with every tree).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v file >/dev/null || { echo "bench: file(1) not found (apt-get install file)"; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 not found (apt-get install python3): it times the runs"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${GONATIVE_BIN:-}" ]; then # another build to compare, e.g. main's
	gn=$GONATIVE_BIN
else
	# As the README installs it: without cgo (a static binary starts about 1 ms sooner).
	CGO_ENABLED=0 go build -o "$tmp/gonative" ./cmd/gonative
	gn=$tmp/gonative
fi
goroot=$(go env GOROOT)
corpus=${GONATIVE_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gonative/corpus/files}
if [ "$(uname -s)" = Darwin ]; then usercache=$HOME/Library/Caches; else usercache=${XDG_CACHE_HOME:-$HOME/.cache}; fi
# The packages scripts/corpus.sh downloads (reused from its cache) and the mixed tree.
dl=${GONATIVE_CORPUS_CACHE:-$usercache/gonative/corpus}
mixed_dir=$usercache/gonative/bench/mixed-1 # bump the number when the list changes

# mixed_packages: source, package, pinned version, architecture (npm: "-").
mixed_packages() {
	cat <<'LIST'
debian	fzf	0.38.0-1+b1	amd64
debian	fzf	0.38.0-1+b1	arm64
debian	fzf	0.38.0-1+b1	armhf
debian	age	1.1.1-1+b3	amd64
debian	gocryptfs	2.3-1+b4	amd64
debian	gocryptfs	2.3-1+b4	arm64
debian	gocryptfs	2.3-1+b4	armhf
debian	runc	1.1.5+ds1-1+deb12u1	amd64
debian	hugo	0.111.3-1	amd64
debian	golang-1.19-go	1.19.8-2	amd64
debian	ripgrep	13.0.0-4+b2	amd64
debian	ripgrep	13.0.0-4+b2	arm64
debian	hyperfine	1.15.0-2	armhf
debian	ninja-build	1.11.1-2~deb12u1	amd64
debian	ninja-build	1.11.1-2~deb12u1	arm64
debian	busybox-static	1:1.35.0-4+deb12u1+b1	amd64
debian	busybox-static	1:1.35.0-4+deb12u1+b1	arm64
debian	busybox-static	1:1.35.0-4+deb12u1+b1	armhf
debian	libc6-i386	2.36-9+deb12u14	amd64
debian	libonig5	6.9.8-1	amd64
debian	zstd	1.5.4+dfsg2-5	amd64
debian	libzstd1	1.5.4+dfsg2-5	amd64
debian	zstd	1.5.4+dfsg2-5	arm64
debian	file	1:5.44-3	amd64
debian	libmagic1	1:5.44-3	amd64
debian	libmagic-mgc	1:5.44-3	amd64
npm	@esbuild/darwin-arm64	0.16.17	-
npm	@esbuild/darwin-x64	0.16.17	-
npm	@esbuild/win32-arm64	0.16.17	-
npm	@esbuild/win32-x64	0.16.17	-
npm	@esbuild/linux-arm	0.16.17	-
npm	@esbuild/openbsd-x64	0.16.17	-
npm	@esbuild/sunos-x64	0.16.17	-
npm	@esbuild/darwin-arm64	0.28.2	-
npm	@esbuild/darwin-x64	0.28.2	-
npm	@esbuild/win32-arm64	0.28.2	-
npm	@esbuild/win32-x64	0.28.2	-
npm	@esbuild/linux-arm	0.28.2	-
npm	@esbuild/openbsd-x64	0.28.2	-
npm	@esbuild/win32-ia32	0.28.2	-
npm	@esbuild/aix-ppc64	0.28.2	-
npm	@esbuild/linux-x64	0.28.2	-
npm	@esbuild/linux-arm64	0.28.2	-
npm	esbuild	0.28.2	-
npm	esbuild-wasm	0.28.2	-
npm	fsevents	2.3.3	-
npm	@sentry/cli-darwin	2.58.2	-
npm	@biomejs/cli-darwin-x64	2.3.8	-
npm	@biomejs/cli-linux-x64	2.3.8	-
npm	@biomejs/biome	2.3.8	-
npm	typescript	5.4.5	-
npm	prettier	3.3.3	-
LIST
}

# mixed_fetch SRC PKG VER ARCH: prints the path of the package file, fetching it into
# the corpus download cache when it is not there; fails when it cannot.
mixed_fetch() {
	local src=$1 pkg=$2 ver=$3 arch=$4 file t
	if [ "$src" = debian ]; then
		file="$dl/dl/deb/${pkg}_${ver//:/%3a}_${arch}.deb"
	else
		t=${pkg#@}
		file="$dl/dl/npm/${t//\//-}-$ver.tgz"
	fi
	if [ ! -s "$file" ]; then
		mkdir -p "$(dirname "$file")"
		t=$(mktemp -d "$(dirname "$file")/.tmp.XXXXXX")
		if [ "$src" = debian ]; then
			mixed_apt_ready && (cd "$t" && apt-get "${mixed_apt[@]}" download "$pkg:$arch=$ver" >/dev/null 2>&1) || { rm -rf "$t"; return 1; }
			mv "$t"/*.deb "$file"
		else
			command -v npm >/dev/null && (cd "$t" && npm pack --silent --fetch-retries=1 --fetch-timeout=30000 "$pkg@$ver" >/dev/null 2>&1) || { rm -rf "$t"; return 1; }
			mv "$t"/*.tgz "$file"
		fi
		rm -rf "$t"
	fi
	printf '%s\n' "$file"
}

# The private apt state of scripts/corpus.sh (Debian bookworm main, three
# architectures): its index is updated once when a package must be downloaded.
mixed_apt=(
	-o "Dir::State::Lists=$dl/apt/lists" -o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$dl/apt/cache" -o "Dir::Etc::SourceList=$dl/apt/sources.list"
	-o "Dir::Etc::SourceParts=$dl/apt/empty" -o "Dir::Etc::Preferences=$dl/apt/empty/preferences"
	-o "Dir::Etc::PreferencesParts=$dl/apt/empty" -o "APT::Sandbox::User=$(id -un)"
	-o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" -o "APT::Architectures::=armhf"
	-o "Debug::NoLocking=1" -q
)
mixed_apt_state=""
mixed_apt_ready() {
	[ -n "$mixed_apt_state" ] && { [ "$mixed_apt_state" = ok ]; return; }
	mixed_apt_state=failed
	command -v apt-get >/dev/null || return 1
	if [ ! -s "$dl/apt/sources.list" ]; then
		local mirror=${GONATIVE_CORPUS_DEBIAN_MIRROR:-}
		[ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -oE '[a-z]+://[^ ]*/debian' | head -n1 || true)
		[ -n "$mirror" ] || return 1
		mkdir -p "$dl/apt/empty"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" >"$dl/apt/sources.list"
	fi
	mkdir -p "$dl/apt/lists/partial" "$dl/apt/cache/archives/partial" "$dl/apt/empty"
	apt-get "${mixed_apt[@]}" update >/dev/null 2>&1 || return 1
	mixed_apt_state=ok
}

# mixed_tree: builds the mixed tree once (unpacked into a temporary directory, then
# renamed) and lists its files in $tmp/mixed.list.
mixed_tree() {
	if [ ! -d "$mixed_dir" ]; then
		command -v dpkg-deb >/dev/null || { echo "(no mixed tree: dpkg-deb not found)"; return 1; }
		local stage src pkg ver arch f d missing=()
		mkdir -p "$(dirname "$mixed_dir")"
		stage=$(mktemp -d "$mixed_dir.tmp.XXXXXX")
		while IFS=$'\t' read -r src pkg ver arch; do
			if ! f=$(mixed_fetch "$src" "$pkg" "$ver" "$arch"); then
				missing+=("$pkg $ver $arch")
				continue
			fi
			d=$stage/$(basename "$f")
			mkdir -p "$d"
			case $src in
			debian) dpkg-deb -x "$f" "$d" ;;
			npm) tar -xzf "$f" -C "$d" ;;
			esac
		done < <(mixed_packages)
		if [ ${#missing[@]} -gt 0 ]; then
			echo "(mixed tree: could not fetch ${missing[*]}: the registry is unreachable or the version is gone; the tree is left unbuilt)"
			rm -rf "$stage"
			return 1
		fi
		chmod -R u+w "$stage"
		mv "$stage" "$mixed_dir"
	fi
	list mixed "$mixed_dir"
}

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

	local m_file m_gover load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
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

	echo "== tree $name: $files files, $((bytes / 1048576)) MiB; $execs executables; $(nproc) cores, load before the runs $load0, after $(cut -d' ' -f1-3 /proc/loadavg)"
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
trees=${INSPECT_TREES:-source executables mixed}
for t in $trees; do
	case $t in
	source)
		list source "$goroot" /usr/bin
		tree source
		;;
	executables)
		exe_dirs=("$goroot/pkg/tool" /usr/bin)
		[ -d "$corpus" ] && exe_dirs+=("$corpus")
		list executables "${exe_dirs[@]}"
		find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f >> "$tmp/executables.list" 2>/dev/null || true
		sort -u -o "$tmp/executables.list" "$tmp/executables.list"
		if [ ! -d "$corpus" ]; then
			echo "(no real-world corpus at $corpus: run scripts/corpus.sh to add it)"
		fi
		tree executables
		;;
	mixed)
		if mixed_tree; then tree mixed; fi
		;;
	*) echo "bench: unknown tree $t (source, executables, mixed)"; exit 1 ;;
	esac
done
