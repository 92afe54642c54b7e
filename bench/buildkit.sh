#!/usr/bin/env bash
# bench/buildkit.sh: the Dockerfile `gonative init docker` writes for a cgo module,
# built for linux/amd64 and linux/arm64 at once with BuildKit (the builder it is written
# for first), as internal/scaffold/scaffoldtest's TestBuildKit does: buildkitd with its
# OCI worker and runc, driven by buildctl, from base images served on loopback; a
# minimal Debian builder without C compilers installs them from Debian.
#
# BuildKit is not a Debian package: buildkitd and buildctl are built from BuildKit's Go
# module, at the version scaffoldtest's go.mod already requires (its Dockerfile parser),
# into a temporary directory; set BUILDKITD and BUILDCTL to reuse built ones. Needs root
# (buildkitd's OCI worker), runc (Debian: apt-get install runc), buildah,
# qemu-user-static and the Debian archive of apt's sources, like TestBuild.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's/^/load before: /' /proc/loadavg 2>/dev/null || true

command -v runc >/dev/null || { echo "no runc: apt-get install runc" >&2; exit 1; }
if [ -z "${BUILDKITD:-}" ] || [ -z "${BUILDCTL:-}" ]; then
	version=$(cd "$root/internal/scaffold/scaffoldtest" && go list -m -f '{{.Version}}' github.com/moby/buildkit)
	mkdir "$work/mod"
	(
		cd "$work/mod"
		printf 'module buildkitbench\n\ngo 1.26\n' >go.mod
		printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/moby/buildkit/cmd/buildctl"\n\t_ "github.com/moby/buildkit/cmd/buildkitd"\n)\n' >tools.go
		start=$(date +%s)
		go get "github.com/moby/buildkit@$version"
		go mod tidy
		go build -o "$work/bin/" github.com/moby/buildkit/cmd/buildctl github.com/moby/buildkit/cmd/buildkitd
		echo "buildkitd and buildctl $version built from the module in $(($(date +%s) - start)) s"
	)
	BUILDKITD=$work/bin/buildkitd BUILDCTL=$work/bin/buildctl
fi

cd "$root/internal/scaffold/scaffoldtest"
start=$(date +%s)
GONATIVE_INTEGRATION=1 GONATIVE_BUILDKITD=$BUILDKITD GONATIVE_BUILDCTL=$BUILDCTL \
	go test -count=1 -run '^TestBuildKit$' -v -timeout 40m . | grep -v '^=== RUN'
echo "TestBuildKit: $(($(date +%s) - start)) s"
sed 's/^/load after: /' /proc/loadavg 2>/dev/null || true
