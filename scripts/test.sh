#!/usr/bin/env bash
# The test command: sets up what the tests need, then runs every check CI runs.
#
#   scripts/test.sh            everything (as .ci/run does)
#
# On Debian (as root, or with sudo) it installs the packages the tests use; elsewhere the
# tests that need a missing tool skip and name the package to install.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(qemu-user-static binfmt-support gcc-aarch64-linux-gnu llvm pkg-config hyperfine file skopeo umoci)

install_packages() {
	command -v apt-get >/dev/null 2>&1 || { echo "test: no apt-get; tests that need ${packages[*]} will skip"; return; }
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
			echo "test: not root and no sudo; tests that need ${packages[*]} will skip"; return
		fi
	fi
	local missing=()
	for p in "${packages[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "test: installing ${missing[*]}"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	# Register the arm64 binfmt handler so linux/arm64 test binaries run directly.
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		$sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
			echo "test: cannot mount binfmt_misc here; arm64 tests run through -exec qemu-aarch64-static"
	fi
	if [ -e /proc/sys/fs/binfmt_misc/register ] && command -v update-binfmts >/dev/null 2>&1; then
		$sudo update-binfmts --enable qemu-aarch64 2>/dev/null ||
			echo "test: cannot enable the qemu-aarch64 binfmt handler; arm64 tests run through -exec qemu-aarch64-static"
	fi
}

step() { printf '\n== %s\n' "$*"; }

install_packages

step "go mod download"
go mod download

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
for target in linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64; do
	echo "vet $target"
	GOOS=${target%/*} GOARCH=${target#*/} go vet ./...
done

step "go test (native, with integration tests)"
GONATIVE_INTEGRATION=1 go test -count=1 -timeout 20m ./...

step "go test (linux/arm64)"
if [ "$(go env GOHOSTARCH)" = arm64 ]; then
	echo "already arm64: the native run covered it"
elif command -v qemu-aarch64-static >/dev/null 2>&1; then
	GOARCH=arm64 go test -count=1 -timeout 20m -exec "qemu-aarch64-static" ./...
else
	echo "skipped: qemu-aarch64-static not found (apt-get install qemu-user-static)"
fi
