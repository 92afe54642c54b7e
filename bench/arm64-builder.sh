#!/usr/bin/env bash
# bench/arm64-builder.sh: the Dockerfile `gonative init docker` writes for a cgo module,
# built for linux/amd64 on an arm64 builder (an Apple Silicon Mac, an arm64 CI runner),
# as internal/scaffold/scaffoldtest's TestBuildArm64Builder does: the branch of the
# compiler step that installs Debian's cross compiler gcc-x86-64-linux-gnu and
# libc6-dev:amd64. On an amd64 machine the arm64 builder (a minimal arm64 Debian made
# by mmdebstrap, with this Go cross-compiled for arm64) runs its steps under qemu-user
# through binfmt_misc: too slow for the test command, so it runs from here.
#
# Needs root, buildah, mmdebstrap, qemu-user-static with binfmt_misc's qemu-aarch64
# (flag F), busybox-static, libc6-dev-arm64-cross and the Debian archive of apt's
# sources, like TestBuild. The arm64 Debian and Go are kept in GONATIVE_FIXTURE_CACHE
# (default as scripts/test.sh: next to GOCACHE), the Debian for a week.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export GONATIVE_FIXTURE_CACHE=${GONATIVE_FIXTURE_CACHE:-$(go env GOCACHE)/../gonative-fixtures}
sed 's/^/load before: /' /proc/loadavg 2>/dev/null || true
cd "$root/internal/scaffold/scaffoldtest"
start=$(date +%s)
GONATIVE_INTEGRATION=1 GONATIVE_ARM64_BUILDER=1 \
	go test -count=1 -run '^TestBuildArm64Builder$' -v -timeout 120m . | grep -v '^=== RUN'
echo "TestBuildArm64Builder: $(($(date +%s) - start)) s"
sed 's/^/load after: /' /proc/loadavg 2>/dev/null || true
