#!/usr/bin/env bash
# corpus.sh downloads the real-world corpus: executables nobody in this project built,
# from Debian (apt-get download, several architectures) and npm (npm pack), at pinned
# versions, and produces the few no registry publishes with a pinned third-party tool
# from pinned third-party source (source "built": garble, Debian's Go 1.19 for a Go
# shared library and a -linkshared program). It extracts just the files the corpus
# names into
#
#   ${GONATIVE_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gonative/corpus}/files/ID
#   (on macOS: ~/Library/Caches/gonative/corpus, as Go's os.UserCacheDir)
#
# and writes manifest.tsv beside them (id, source, package, version, arch, member,
# sha256). The ground truth for every file is scripts/corpus/truth.json; the test is
# cmd/gonative/corpus_test.go. See docs/corpus.md.
#
# It is idempotent: files already extracted are not fetched again, and downloaded
# packages stay cached under dl/. Debian's index is kept in a private apt state under
# the cache (no root needed, the machine's apt configuration is not touched).
#
# When a registry cannot be reached, the entries it serves are written to
# unavailable.tsv with the reason (the test skips those, naming the reason) and the
# script still exits 0. Any other failure (a pinned version gone, a member missing from
# its package) exits 1.
set -euo pipefail

# The same directory as Go's os.UserCacheDir, which the test uses.
if [ "$(uname -s)" = Darwin ]; then usercache=$HOME/Library/Caches; else usercache=${XDG_CACHE_HOME:-$HOME/.cache}; fi
cache=${GONATIVE_CORPUS:-$usercache/gonative/corpus}
mkdir -p "$cache/files" "$cache/dl/deb" "$cache/dl/npm"

# id  source  package  version  arch  member (path inside the package)
corpus() {
	cat <<'LIST'
deb-amd64-fzf	debian	fzf	0.38.0-1+b1	amd64	./usr/bin/fzf
deb-arm64-fzf	debian	fzf	0.38.0-1+b1	arm64	./usr/bin/fzf
deb-armhf-fzf	debian	fzf	0.38.0-1+b1	armhf	./usr/bin/fzf
deb-amd64-age	debian	age	1.1.1-1+b3	amd64	./usr/bin/age
deb-amd64-gocryptfs	debian	gocryptfs	2.3-1+b4	amd64	./usr/bin/gocryptfs
deb-arm64-gocryptfs	debian	gocryptfs	2.3-1+b4	arm64	./usr/bin/gocryptfs
deb-armhf-gocryptfs	debian	gocryptfs	2.3-1+b4	armhf	./usr/bin/gocryptfs
deb-amd64-runc	debian	runc	1.1.5+ds1-1+deb12u1	amd64	./usr/sbin/runc
deb-amd64-hugo	debian	hugo	0.111.3-1	amd64	./usr/bin/hugo
deb-amd64-go1.19-go	debian	golang-1.19-go	1.19.8-2	amd64	./usr/lib/go-1.19/bin/go
deb-amd64-go1.19-gofmt	debian	golang-1.19-go	1.19.8-2	amd64	./usr/lib/go-1.19/bin/gofmt
deb-amd64-go1.19-vet	debian	golang-1.19-go	1.19.8-2	amd64	./usr/lib/go-1.19/pkg/tool/linux_amd64/vet
deb-amd64-go1.19-cgo	debian	golang-1.19-go	1.19.8-2	amd64	./usr/lib/go-1.19/pkg/tool/linux_amd64/cgo
deb-amd64-ripgrep	debian	ripgrep	13.0.0-4+b2	amd64	./usr/bin/rg
deb-arm64-ripgrep	debian	ripgrep	13.0.0-4+b2	arm64	./usr/bin/rg
deb-armhf-hyperfine	debian	hyperfine	1.15.0-2	armhf	./usr/bin/hyperfine
deb-amd64-ninja	debian	ninja-build	1.11.1-2~deb12u1	amd64	./usr/bin/ninja
deb-arm64-ninja	debian	ninja-build	1.11.1-2~deb12u1	arm64	./usr/bin/ninja
deb-amd64-busybox	debian	busybox-static	1:1.35.0-4+deb12u1+b1	amd64	./bin/busybox
deb-arm64-busybox	debian	busybox-static	1:1.35.0-4+deb12u1+b1	arm64	./bin/busybox
deb-armhf-busybox	debian	busybox-static	1:1.35.0-4+deb12u1+b1	armhf	./bin/busybox
npm-esbuild-0.16.17-darwin-arm64	npm	@esbuild/darwin-arm64	0.16.17	darwin-arm64	package/bin/esbuild
npm-esbuild-0.16.17-darwin-x64	npm	@esbuild/darwin-x64	0.16.17	darwin-x64	package/bin/esbuild
npm-esbuild-0.16.17-win32-arm64	npm	@esbuild/win32-arm64	0.16.17	win32-arm64	package/esbuild.exe
npm-esbuild-0.16.17-win32-x64	npm	@esbuild/win32-x64	0.16.17	win32-x64	package/esbuild.exe
npm-esbuild-0.16.17-linux-arm	npm	@esbuild/linux-arm	0.16.17	linux-arm	package/bin/esbuild
npm-esbuild-0.16.17-openbsd-x64	npm	@esbuild/openbsd-x64	0.16.17	openbsd-x64	package/bin/esbuild
npm-esbuild-0.28.2-darwin-arm64	npm	@esbuild/darwin-arm64	0.28.2	darwin-arm64	package/bin/esbuild
npm-esbuild-0.28.2-darwin-x64	npm	@esbuild/darwin-x64	0.28.2	darwin-x64	package/bin/esbuild
npm-esbuild-0.28.2-win32-arm64	npm	@esbuild/win32-arm64	0.28.2	win32-arm64	package/esbuild.exe
npm-esbuild-0.28.2-win32-x64	npm	@esbuild/win32-x64	0.28.2	win32-x64	package/esbuild.exe
npm-esbuild-0.28.2-linux-arm	npm	@esbuild/linux-arm	0.28.2	linux-arm	package/bin/esbuild
npm-esbuild-0.28.2-openbsd-x64	npm	@esbuild/openbsd-x64	0.28.2	openbsd-x64	package/bin/esbuild
npm-esbuild-0.28.2-win32-ia32	npm	@esbuild/win32-ia32	0.28.2	win32-ia32	package/esbuild.exe
npm-fsevents-2.3.3	npm	fsevents	2.3.3	darwin-universal	package/fsevents.node
npm-sentry-cli-darwin-2.58.2	npm	@sentry/cli-darwin	2.58.2	darwin-universal	package/bin/sentry-cli
npm-biome-2.3.8-darwin-x64	npm	@biomejs/cli-darwin-x64	2.3.8	darwin-x64	package/biome
npm-biome-2.3.8-linux-x64	npm	@biomejs/cli-linux-x64	2.3.8	linux-x64	package/biome
npm-esbuild-0.16.17-sunos-x64	npm	@esbuild/sunos-x64	0.16.17	sunos-x64	package/bin/esbuild
npm-esbuild-0.28.2-aix-ppc64	npm	@esbuild/aix-ppc64	0.28.2	aix-ppc64	package/bin/esbuild
npm-esbuild-wasm-0.28.2	npm	esbuild-wasm	0.28.2	wasm	package/esbuild.wasm
deb-amd64-libc6-i386-libc	debian	libc6-i386	2.36-9+deb12u14	amd64	./lib32/libc.so.6
built-garble-tomlv-linux-arm64	built	mvdan.cc/garble	v0.17.0	linux-arm64	github.com/BurntSushi/toml@v1.2.1/cmd/tomlv
built-go1.19-libruntime	built	golang-1.19-go	1.19.8-2	linux-amd64	github.com/BurntSushi/toml@v1.2.1/cmd/tomlv:libruntime,sync-atomic.so
built-go1.19-linkshared-tomlv	built	golang-1.19-go	1.19.8-2	linux-amd64	github.com/BurntSushi/toml@v1.2.1/cmd/tomlv
LIST
}

log() { printf 'corpus: %s\n' "$*" >&2; }

# The private apt state: Debian bookworm main, for the three architectures.
apt_opts=(
	-o "Dir::State::Lists=$cache/apt/lists"
	-o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$cache/apt/cache"
	-o "Dir::Etc::SourceList=$cache/apt/sources.list"
	-o "Dir::Etc::SourceParts=$cache/apt/empty"
	-o "Dir::Etc::Preferences=$cache/apt/empty/preferences"
	-o "Dir::Etc::PreferencesParts=$cache/apt/empty"
	-o "APT::Sandbox::User=$(id -un)"
	-o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" -o "APT::Architectures::=armhf"
	-o "Debug::NoLocking=1" -q
)
# The Debian archive: $GONATIVE_CORPUS_DEBIAN_MIRROR, else the first .../debian URI the
# machine's own apt sources use.
debian_mirror=${GONATIVE_CORPUS_DEBIAN_MIRROR:-}
if [ -z "$debian_mirror" ]; then
	debian_mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -oE '^(deb(\s+\[[^]]*\])?|URIs:)\s+[a-z]+://[^ ]*/debian/?(\s|$)' |
		grep -oE '[a-z]+://[^ ]*/debian' | head -n1 || true)
fi
debian_state=""   # "", "ok" or the reason it is unreachable
built_state=""    # why the last built file is unavailable
debian_ready() {
	[ -n "$debian_state" ] && { [ "$debian_state" = ok ]; return; }
	if [ -z "$debian_mirror" ]; then
		debian_state="no Debian archive in this machine's apt sources: set GONATIVE_CORPUS_DEBIAN_MIRROR to one (URL ending in /debian)"
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
		debian_state="apt-get and dpkg-deb are not installed (a Debian host is needed to download the Debian part of the corpus)"
		return 1
	fi
	mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/apt/empty"
	local signed=""
	[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && signed="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
	echo "deb ${signed}$debian_mirror bookworm main" >"$cache/apt/sources.list"
	log "apt-get update (bookworm main; amd64 arm64 armhf; private state in $cache/apt)"
	local out try
	for try in 1 2; do # a second try rides out a mirror caught mid-sync
		if out=$(apt-get "${apt_opts[@]}" update 2>&1) && ! grep -q '^\(E\|W\): Failed to fetch\|^Err:' <<<"$out"; then
			debian_state=ok
			return 0
		fi
		[ $try = 1 ] && sleep 5
	done
	debian_state="Debian archive unreachable: apt-get update failed: $(grep -m1 -A1 '^\(E\|W\|Err\)' <<<"$out" | tr '\t\n' '  ')"
	return 1
}

npm_state=""
npm_ready() {
	[ -n "$npm_state" ] && { [ "$npm_state" = ok ]; return; }
	if ! command -v npm >/dev/null 2>&1; then
		npm_state="npm is not installed (apt-get install npm)"
		return 1
	fi
	local out
	if ! out=$(npm ping --fetch-retries=1 --fetch-timeout=30000 2>&1); then
		npm_state="npm registry unreachable: npm ping: $(grep -v 'complete log' <<<"$out" | grep -m1 -i 'err' | tr '\t' ' ')"
		return 1
	fi
	npm_state=ok
}

# fetch_deb PKG VERSION ARCH: path of the cached .deb (downloaded and verified by apt).
fetch_deb() {
	local pkg=$1 ver=$2 arch=$3
	local file="$cache/dl/deb/${pkg}_${ver//:/%3a}_${arch}.deb"
	if [ ! -s "$file" ]; then
		[ "$debian_state" = ok ] || return 2
		local tmp
		tmp=$(mktemp -d "$cache/dl/deb/.tmp.XXXXXX")
		if ! (cd "$tmp" && apt-get "${apt_opts[@]}" download "$pkg:$arch=$ver" >"$tmp/log" 2>&1); then
			cat "$tmp/log" >&2
			rm -rf "$tmp"
			log "apt-get download $pkg:$arch=$ver failed (is the pinned version still in bookworm?)"
			return 1
		fi
		mv "$tmp"/*.deb "$file"
		log "downloaded $(basename "$file")"
		rm -rf "$tmp"
	fi
	printf '%s\n' "$file"
}

npm_path() {
	local name=${1#@}
	printf '%s\n' "$cache/dl/npm/${name//\//-}-$2.tgz"
}

# fetch_npm PKG VERSION: path of the cached tarball (npm pack checks its integrity).
fetch_npm() {
	local pkg=$1 ver=$2
	local file
	file=$(npm_path "$pkg" "$ver")
	if [ ! -s "$file" ]; then
		[ "$npm_state" = ok ] || return 2
		local tmp
		tmp=$(mktemp -d "$cache/dl/npm/.tmp.XXXXXX")
		if ! (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null); then
			rm -rf "$tmp"
			log "npm pack $pkg@$ver failed"
			return 1
		fi
		mv "$tmp"/*.tgz "$file"
		rm -rf "$tmp"
	fi
	printf '%s\n' "$file"
}

# The "built" source: files a pinned third-party tool produces from pinned third-party
# source, for what no registry publishes (a garble-built program, a Go shared library
# and a -linkshared program: see docs/corpus.md). Nobody in this project wrote a byte
# of them or of what produced them. The list's columns are then: tool, tool version,
# GOOS-GOARCH, and MODULE@VERSION/PACKAGE built (with ":LIBRARY": the Go shared
# library that program's -linkshared build leaves and loads). The tools:
#   mvdan.cc/garble  go install'ed through GOPROXY into $cache/built/tools, run with
#                    the Go toolchain $garble_go;
#   golang-1.19-go   Debian's Go 1.19 (installed by scripts/test.sh), the last Go whose
#                    linker builds -buildmode=shared libraries on linux/amd64; the
#                    library holds $go119_shared only (the go command names it
#                    libruntime,sync-atomic.so), the smallest Go shared library: the
#                    whole standard library (libstd.so) made this step 108 CPU-s
#                    cold, against 19 (issue 25).
# Each step is time-bounded. When the module proxy cannot be reached, the entries go to
# unavailable.tsv ("offline: ..."); a tool missing from the machine too, with the reason.
built_timeout=${GONATIVE_CORPUS_BUILD_TIMEOUT:-1200} # seconds, for each go command
# The Go toolchain garble drives, pinned too: garble's output is byte for byte the same
# in four builds in four directories (three empty build caches and a used one), so its
# sha256 is checked, and its code is that toolchain's. The go command takes this
# toolchain from GOPROXY when the machine's go is another version. garble is installed
# with -trimpath: garble salts its obfuscation with its own binary's build ID, which
# without -trimpath holds the module cache's path (a CI run with another GOPATH got
# another file); with it, two installs from two module caches are the same bytes.
garble_go=go1.26.8
# The packages of Go 1.19's shared library (runtime/cgo joins them: cgo is on).
go119_shared="runtime sync/atomic"
# macOS has no timeout(1) unless coreutils is installed: the builds then run unbounded.
if ! command -v timeout >/dev/null 2>&1; then
	timeout() { shift; "$@"; }
fi
gooffline() { grep -qiE 'dial|timeout|no such host|connection|proxy|TLS|refused|unreachable' <<<"$1"; }

# built_key TOOL TVER MEMBER: everything the output depends on besides the list line.
# A -linkshared program (a member without ":LIBRARY") depends on the bytes of the
# library it was linked against too: its key holds that library's sha256 in the
# -pkgdir ("none" when there is none), so a program linked against another library
# (libstd.so, in a cache from before issue 25) is built again.
built_key() {
	case $1 in
	mvdan.cc/garble) printf '%s@%s GOTOOLCHAIN=%s -trimpath' "$1" "$2" "$garble_go" ;;
	golang-1.19-go)
		printf '%s=%s shared %s' "$1" "$(dpkg-query -W -f='${Version}' golang-1.19-go 2>/dev/null)" "$go119_shared"
		if [ "$3" = "${3%%:*}" ]; then
			local lib
			lib="$(go119_pkgdir "$2")/$(go119_lib)"
			printf ' linked against %s' "$( { [ -f "$lib" ] && sha256sum <"$lib"; } | cut -c1-64 | grep . || echo none)"
		fi
		;;
	esac
}

# go119_lib: the file name the go command gives the shared library of $go119_shared.
go119_lib() {
	local pkgs=${go119_shared// /,}
	printf 'lib%s.so\n' "${pkgs//\//-}"
}

# go119_pkgdir TVER: Go 1.19's -pkgdir for the shared library of $go119_shared.
go119_pkgdir() {
	local pkgs=${go119_shared// /-} # no comma: the linker's -Wl,-rpath,DIR would split it
	printf '%s\n' "$cache/built/golang-1.19-go_$1-${pkgs//\//-}-pkgdir"
}

# built_src MODULE VERSION: sets src_dir to a writable copy of the module (go mod
# download checks the zip against the checksum database); returns 2 (built_state set)
# offline. Not to be called in a subshell: built_state must survive.
built_src() {
	local mod=$1 ver=$2 dst="$cache/built/src/$1@$2" out dir
	if [ ! -s "$dst/.corpus-version" ]; then
		if ! out=$(GOFLAGS= timeout "$built_timeout" go mod download -json "$mod@$ver" 2>&1); then
			gooffline "$out" && { built_state="offline: go mod download $mod@$ver: $(tr '\n\t' '  ' <<<"$out" | cut -c1-200)"; return 2; }
			log "go mod download $mod@$ver failed: $out"
			return 1
		fi
		dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$out")
		[ -d "$dir" ] || { log "go mod download $mod@$ver: no Dir in $out"; return 1; }
		rm -rf "$dst" "$dst.tmp"
		mkdir -p "$(dirname "$dst")"
		cp -R "$dir" "$dst.tmp"
		chmod -R u+w "$dst.tmp"
		echo "$mod@$ver" >"$dst.tmp/.corpus-version"
		mv "$dst.tmp" "$dst"
	fi
	src_dir=$dst
}

# build_file TOOL TVER GOOS-GOARCH MEMBER OUT: produce the file; 0 done, 2 unavailable
# (built_state says why), 1 failed.
build_file() {
	local tool=$1 tver=$2 goos=${3%-*} goarch=${3#*-} member=${4%%:*} out=$5 lib=""
	[ "$member" != "$4" ] && lib=${4#*:}
	local mod=${member%%@*} rest=${member#*@} ver pkg src log src_dir=""
	ver=${rest%%/*}
	pkg=./${rest#*/}
	log=$(mktemp)
	case $tool in
	mvdan.cc/garble)
		local gobin="$cache/built/tools/garble-$tver-$garble_go-trimpath"
		if [ ! -x "$gobin/garble" ]; then
			log "go install $tool@$tver (GOTOOLCHAIN=$garble_go)"
			if ! GOBIN=$gobin GOFLAGS=-trimpath GOTOOLCHAIN=$garble_go timeout "$built_timeout" go install "$tool@$tver" >"$log" 2>&1; then
				gooffline "$(cat "$log")" && { built_state="offline: go install $tool@$tver: $(tr '\n\t' '  ' <"$log" | cut -c1-200)"; rm -f "$log"; return 2; }
				cat "$log" >&2; rm -f "$log"; return 1
			fi
		fi
		built_src "$mod" "$ver" || { local rc=$?; rm -f "$log"; return $rc; }
		src=$src_dir
		# garble's defaults (no -literals, -tiny or -seed): deterministic obfuscation.
		# GOPROXY stays: the pinned toolchain may need fetching (the module has no
		# dependencies); an offline failure is told apart as for go install.
		if ! (cd "$src" && GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=$garble_go \
			timeout "$built_timeout" "$gobin/garble" build -o "$out" "$pkg") >"$log" 2>&1; then
			gooffline "$(cat "$log")" && { built_state="offline: garble build: $(tr '\n\t' '  ' <"$log" | cut -c1-200)"; rm -f "$log"; return 2; }
			cat "$log" >&2; rm -f "$log"; return 1
		fi
		;;
	golang-1.19-go)
		local go119=/usr/lib/go-1.19/bin/go have
		have=$(dpkg-query -W -f='${Version}' golang-1.19-go 2>/dev/null || true)
		if [ ! -x "$go119" ] || [ -z "$have" ]; then
			built_state="golang-1.19-go is not installed (apt-get install golang-1.19-go; scripts/test.sh installs it)"
			rm -f "$log"; return 2
		elif [ "$have" != "$tver" ]; then
			log "golang-1.19-go $have is installed, the corpus pins $tver: update the list and the truth"
			rm -f "$log"; return 1
		elif [ "$(uname -s)-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')" != "Linux-$goarch" ] || [ "$goos" != linux ]; then
			built_state="Go 1.19 builds the shared library for its own host only: this is $(uname -s)/$(uname -m), the corpus file is $goos/$goarch"
			rm -f "$log"; return 2
		fi
		# The runtime as a shared library (cgo on: it holds runtime/cgo), and the
		# program linked against it (the other packages it imports are linked into
		# the program); both with Debian's GOROOT, read-only. The program's build
		# links the library again (in module mode: without build info); that
		# library, the one the program loads, is the corpus's, and it is the same
		# bytes in any -pkgdir. The program is not: its RUNPATH names the -pkgdir.
		# The -pkgdir's name says what it holds: one of the whole standard library
		# (before issue 25) would link the program against libstd.so.
		local pkgdir
		pkgdir=$(go119_pkgdir "$tver")
		local env=(env GOROOT=/usr/lib/go-1.19 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOPROXY=off GOWORK=off
			CGO_ENABLED=1 GOOS=linux GOARCH="$goarch")
		built_src "$mod" "$ver" || { local rc=$?; rm -f "$log"; return $rc; }
		src=$src_dir
		# Built in place, done when .corpus-done is there.
		if [ ! -e "$pkgdir/.corpus-done" ]; then
			log "go1.19 install -buildmode=shared $go119_shared"
			rm -rf "$pkgdir"
			# shellcheck disable=SC2086 # the package list is split on purpose
			if ! (cd "$src" && "${env[@]}" timeout "$built_timeout" "$go119" install -buildmode=shared -pkgdir "$pkgdir" $go119_shared) >"$log" 2>&1; then
				cat "$log" >&2; rm -rf "$log" "$pkgdir"; return 1
			fi
			touch "$pkgdir/.corpus-done"
		fi
		if ! (cd "$src" && "${env[@]}" GO111MODULE=on timeout "$built_timeout" "$go119" build -linkshared -pkgdir "$pkgdir" -o "$out" "$pkg") >"$log" 2>&1; then
			cat "$log" >&2; rm -f "$log"; return 1
		fi
		if [ -n "$lib" ] && ! cp "$pkgdir/$lib" "$out"; then
			log "go1.19 left no $lib in $pkgdir: $(cd "$pkgdir" && echo lib*.so)"
			rm -f "$log"; return 1
		fi
		;;
	*)
		log "unknown tool $tool"; rm -f "$log"; return 1 ;;
	esac
	rm -f "$log"
}

# One run at a time per cache (the test command and a developer may start it together).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

# What the list no longer names is removed (an id renamed, as built-go1.19-libstd in
# issue 25; a -pkgdir of another Go 1.19 or package set): a reader of files/
# (bench/inspect.sh) sees only the list's files, as manifest.tsv lists only them.
ids=$(corpus | cut -f1)
for f in "$cache"/files/*; do
	[ -e "$f" ] || continue
	id=${f##*/}
	if ! grep -qxF "$id" <<<"$ids"; then
		log "$id: not in the list: removed"
		rm -f "$f" "$cache/built/keys/$id"
	fi
done
keep=$(corpus | awk -F'\t' '$2 == "built" && $3 == "golang-1.19-go" { print $4 }' | while read -r v; do go119_pkgdir "$v"; done)
for d in "$cache"/built/golang-1.19-go_*-pkgdir; do
	[ -d "$d" ] || continue
	if ! grep -qxF "$d" <<<"$keep"; then
		log "${d##*/}: not Go 1.19's -pkgdir for $go119_shared: removed"
		rm -rf "$d"
	fi
done

manifest="$cache/manifest.tsv"
unavailable="$cache/unavailable.tsv"
: >"$cache/.manifest.new"
: >"$cache/.unavailable.new"
failed=0
while IFS=$'\t' read -r id src pkg ver arch member; do
	dst="$cache/files/$id"
	# A file extracted from another package version than the list now names is stale.
	if [ -s "$dst" ] && [ -s "$manifest" ] &&
		! grep -qxF "$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$id" "$src" "$pkg" "$ver" "$arch" "$member")" <(cut -f1-6 "$manifest"); then
		log "$id: the list now names $pkg $ver ($arch) $member: extracting it again"
		rm -f "$dst"
	fi
	# A built file is stale too when what built it changed (go's version, the package,
	# the library a -linkshared program was linked against).
	if [ "$src" = built ] && [ -s "$dst" ] && [ "$(cat "$cache/built/keys/$id" 2>/dev/null)" != "$(built_key "$pkg" "$ver" "$member")" ]; then
		log "$id: built by $(cat "$cache/built/keys/$id" 2>/dev/null || echo '?'), now $(built_key "$pkg" "$ver" "$member"): building it again"
		rm -f "$dst"
	fi
	if [ ! -s "$dst" ]; then
		rc=0
		# The registry probes run here, not in the $(...) subshells below, so they run once.
		case $src in
		debian) [ ! -s "$cache/dl/deb/${pkg}_${ver//:/%3a}_${arch}.deb" ] && debian_ready || true ;;
		npm) [ ! -s "$(npm_path "$pkg" "$ver")" ] && npm_ready || true ;;
		esac
		case $src in
		debian) pkgfile=$(fetch_deb "$pkg" "$ver" "$arch") || rc=$? ;;
		npm) pkgfile=$(fetch_npm "$pkg" "$ver") || rc=$? ;;
		built)
			# Not in a subshell: built_state must survive. Started is when it took.
			mkdir -p "$cache/built/keys"
			started=$(date +%s)
			build_file "$pkg" "$ver" "$arch" "$member" "$dst.tmp" || rc=$?
			[ $rc = 0 ] && log "$id: $pkg $ver built $member for $arch in $(($(date +%s) - started)) s"
			;;
		esac
		if [ $rc != 0 ] && [ "$src" = built ]; then rm -f "$dst.tmp"; fi
		if [ $rc = 2 ]; then
			reason=$debian_state
			[ "$src" = npm ] && reason=$npm_state
			[ "$src" = built ] && reason=$built_state
			printf '%s\t%s\n' "$id" "$reason" >>"$cache/.unavailable.new"
			continue
		elif [ $rc != 0 ]; then
			failed=1
			continue
		fi
		case $src in
		debian) dpkg-deb --fsys-tarfile "$pkgfile" | tar -xO "$member" >"$dst.tmp" || rc=$? ;;
		npm) tar -xzOf "$pkgfile" "$member" >"$dst.tmp" || rc=$? ;;
		built) built_key "$pkg" "$ver" "$member" >"$cache/built/keys/$id" ;;
		esac
		if [ $rc != 0 ] || [ ! -s "$dst.tmp" ]; then
			rm -f "$dst.tmp"
			log "$id: $member not found in $pkgfile"
			failed=1
			continue
		fi
		chmod 0555 "$dst.tmp"
		mv -f "$dst.tmp" "$dst"
		log "$id: $pkg $ver ($arch) $member"
	fi
	sum=$(sha256sum "$dst" | cut -d' ' -f1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$src" "$pkg" "$ver" "$arch" "$member" "$sum" >>"$cache/.manifest.new"
done < <(corpus)

mv -f "$cache/.manifest.new" "$manifest"
if [ -s "$cache/.unavailable.new" ]; then
	mv -f "$cache/.unavailable.new" "$unavailable"
	log "unavailable (the corpus test skips these, naming the reason):"
	sed 's/^/  /' "$unavailable" >&2
else
	rm -f "$cache/.unavailable.new" "$unavailable"
fi
log "$(wc -l <"$manifest") files in $cache (manifest.tsv); packages $(du -sh "$cache/dl" | cut -f1)"
# The Go modules of the corpus (ready's checks): their own fetcher, same cache.
"$(dirname "$0")/corpus-gomod.sh" || failed=1
exit $failed
