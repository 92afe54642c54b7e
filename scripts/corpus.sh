#!/usr/bin/env bash
# corpus.sh downloads the real-world corpus: executables nobody in this project built,
# from Debian (apt-get download, several architectures) and npm (npm pack), at pinned
# versions. It extracts just the files the corpus names into
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

# One run at a time per cache (the test command and a developer may start it together).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

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
		esac
		if [ $rc = 2 ]; then
			reason=$debian_state
			[ "$src" = npm ] && reason=$npm_state
			printf '%s\t%s\n' "$id" "$reason" >>"$cache/.unavailable.new"
			continue
		elif [ $rc != 0 ]; then
			failed=1
			continue
		fi
		case $src in
		debian) dpkg-deb --fsys-tarfile "$pkgfile" | tar -xO "$member" >"$dst.tmp" || rc=$? ;;
		npm) tar -xzOf "$pkgfile" "$member" >"$dst.tmp" || rc=$? ;;
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
