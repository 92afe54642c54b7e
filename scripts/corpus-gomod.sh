#!/usr/bin/env bash
# corpus-gomod.sh downloads the Go-module part of the real-world corpus: Go modules
# nobody in this project wrote, at exact versions, through the configured GOPROXY with
# `go mod download -json` (the go command checks every zip against go.sum and the
# checksum database). Each module's files are copied, writable, to
#
#   ${GONATIVE_CORPUS:-<user cache>/gonative/corpus}/gomod/src/ID
#
# and its dependencies for the corpus' targets are downloaded into the machine's
# module cache, so the tests (internal/ready/gocode's corpus test, `gonative ready`'s
# checkers) run them with GOPROXY=off and GOFLAGS=-mod=mod. manifest.tsv beside them
# lists id, module, version and the zip's go.sum hash (h1:).
#
# Called by scripts/corpus.sh; idempotent (a module already copied at the listed
# version is not fetched again). When the proxy cannot be reached, the modules it
# serves are written to unavailable.tsv with the reason "offline: ..." (the tests skip
# naming it) and the script exits 0. Any other failure exits 1.
set -euo pipefail

if [ "$(uname -s)" = Darwin ]; then usercache=$HOME/Library/Caches; else usercache=${XDG_CACHE_HOME:-$HOME/.cache}; fi
cache=${GONATIVE_CORPUS:-$usercache/gonative/corpus}/gomod
mkdir -p "$cache/src"

# The targets the corpus is judged for (docs/ready-go.md): the dependencies of every
# package of each module for these are downloaded.
targets="linux/amd64 linux/arm64 darwin/arm64"

# id  module  version  (why it is in the corpus)
gomods() {
	cat <<'LIST'
xxhash	github.com/cespare/xxhash/v2	v2.3.0	assembly for amd64 and arm64
xxh3	github.com/zeebo/xxh3	v1.1.0	amd64 assembly only (AVX2/SSE2), a generic fallback
zeebo-blake3	github.com/zeebo/blake3	v0.2.4	amd64 assembly only
lukechampine-blake3	lukechampine.com/blake3	v1.4.1	amd64 assembly only, a generic fallback
cpuid	github.com/klauspost/cpuid/v2	v2.4.2	assembly for amd64 and arm64, per-OS arm64 detection
snappy	github.com/golang/snappy	v1.0.0	assembly for amd64 and arm64
lz4	github.com/pierrec/lz4/v4	v4.1.33	assembly for amd64, arm and arm64
compress	github.com/klauspost/compress	v1.18.0	amd64 assembly in many packages, arm64 in a few
sha256simd	github.com/minio/sha256-simd	v1.0.1	assembly for amd64 and arm64
sqlite3	github.com/mattn/go-sqlite3	v1.14.53	cgo (the bundled SQLite amalgamation, -ldl -lm)
pty	github.com/creack/pty	v1.1.24	syscall types per OS and architecture
isatty	github.com/mattn/go-isatty	v0.0.24	build constraints per OS
cobra	github.com/spf13/cobra	v1.10.2	a CLI library with workflows and a Makefile
urfave-cli	github.com/urfave/cli/v2	v2.27.7	a CLI library with workflows and a Makefile
uuid	github.com/google/uuid	v1.6.0	plain Go
fsnotify	github.com/fsnotify/fsnotify	v1.10.1	a backend per OS (inotify, kqueue, Windows)
toml	github.com/BurntSushi/toml	v1.6.0	plain Go with commands (main packages)
netlink	github.com/vishvananda/netlink	v1.3.1	Linux only: every file excluded on darwin
LIST
}

log() { printf 'corpus-gomod: %s\n' "$*" >&2; }

if command -v flock >/dev/null 2>&1; then
	exec 8>"$cache/.lock"
	flock 8
fi

: >"$cache/.manifest.new"
: >"$cache/.unavailable.new"
failed=0
offline=""
while IFS=$'\t' read -r id mod ver why; do
	dst="$cache/src/$id"
	if [ ! -s "$dst/.corpus-version" ] || [ "$(cat "$dst/.corpus-version")" != "$mod@$ver" ]; then
		if [ -n "$offline" ]; then
			printf '%s\t%s\n' "$id" "$offline" >>"$cache/.unavailable.new"
			continue
		fi
		if ! out=$(go mod download -json "$mod@$ver" 2>&1); then
			if grep -qiE 'dial|timeout|no such host|connection|proxy|TLS|refused|unreachable' <<<"$out"; then
				offline="offline: go mod download $mod@$ver: $(tr '\n\t' '  ' <<<"$out" | cut -c1-200)"
				printf '%s\t%s\n' "$id" "$offline" >>"$cache/.unavailable.new"
				continue
			fi
			log "go mod download $mod@$ver failed: $out"
			failed=1
			continue
		fi
		dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$out")
		if [ -z "$dir" ] || [ ! -d "$dir" ]; then
			log "go mod download $mod@$ver: no Dir in its answer: $out"
			failed=1
			continue
		fi
		rm -rf "$dst" "$dst.tmp"
		cp -R "$dir" "$dst.tmp"
		chmod -R u+w "$dst.tmp"
		# The dependencies, for every target the corpus is judged for (tests included).
		for t in $targets; do
			if ! dl=$(cd "$dst.tmp" && GOFLAGS=-mod=mod GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=1 go list -e -deps -test ./... 2>&1 >/dev/null); then
				log "$id: go list for $t: $dl"
			fi
		done
		echo "$mod@$ver" >"$dst.tmp/.corpus-version"
		mv "$dst.tmp" "$dst"
		log "$id: $mod@$ver ($why)"
	fi
	# The module cache may have been emptied since the copy: its dependencies again
	# (nothing is fetched when they are there).
	if ! out=$(cd "$dst" && GOFLAGS=-mod=mod go mod download 2>&1); then
		if grep -qiE 'dial|timeout|no such host|connection|proxy|TLS|refused|unreachable' <<<"$out"; then
			printf '%s\t%s\n' "$id" "offline: go mod download in $id: $(tr '\n\t' '  ' <<<"$out" | cut -c1-200)" >>"$cache/.unavailable.new"
			continue
		fi
		log "$id: go mod download failed: $out"
		failed=1
		continue
	fi
	printf '%s\t%s\t%s\t%s\n' "$id" "$mod" "$ver" "$why" >>"$cache/.manifest.new"
done < <(gomods)

mv -f "$cache/.manifest.new" "$cache/manifest.tsv"

if [ -s "$cache/.unavailable.new" ]; then
	mv -f "$cache/.unavailable.new" "$cache/unavailable.tsv"
	log "unavailable (the tests skip these, naming the reason):"
	sed 's/^/  /' "$cache/unavailable.tsv" >&2
else
	rm -f "$cache/.unavailable.new" "$cache/unavailable.tsv"
fi
log "$(wc -l <"$cache/manifest.tsv") modules in $cache/src (manifest.tsv)"
exit $failed
