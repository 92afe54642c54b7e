#!/usr/bin/env bash
# bench/ready-dockerfile.sh: one Dockerfile built for real for linux/arm64 with buildah,
# before and after the fix gonative ready prints for it, each build timed: the seed's
# template (the build stage pinned to --platform=linux/arm64, so on this amd64 machine
# the Go compile runs under qemu-user) against the fixed one (FROM
# --platform=$BUILDPLATFORM, GOOS/GOARCH from the target: a cross-compile on the
# builder). No network: the builder images are made here from scratch, with this
# machine's Go (/usr/local/go, linux/amd64) and the same Go's go command and tools
# cross-compiled for linux/arm64, and a tiny sh written below (the images need no
# other userland: the RUN line is "VAR=value ... go build ...").
#
# Needs root, buildah (--storage-driver vfs, --isolation chroot), qemu-user-static with
# binfmt_misc's qemu-aarch64 (flag F) and patch. The arm64 Go tools are taken from
# GONATIVE_FIXTURE_CACHE when scaffoldtest built them (gotools-VERSION-linux-arm64),
# else built (about 2 CPU minutes). Both images are checked to hold a linux/arm64 app.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /var/tmp/ready-dockerfile.XXXXXX)
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
b=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
cleanup() {
	"${b[@]}" rm --all >/dev/null 2>&1 || true
	"${b[@]}" rmi --all --force >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"

go build -o "$work/gonative" "$root/cmd/gonative"
goroot=$(go env GOROOT)
version=$(go env GOVERSION)

# The tiny sh: "sh -c LINE" runs LINE's command with its leading NAME=value words in
# its environment, $NAME and ${NAME} expanded from the environment (buildah passes the
# ARGs a RUN uses as environment variables).
mkdir -p "$work/sh"
cat >"$work/sh/main.go" <<'EOF'
package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "-c" {
		os.Stderr.WriteString("usage: sh -c LINE\n")
		os.Exit(2)
	}
	vars := regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)
	env := os.Environ()
	var words []string
	for _, w := range strings.Fields(os.Args[2]) {
		w = vars.ReplaceAllStringFunc(w, func(v string) string {
			return os.Getenv(vars.FindStringSubmatch(v)[1])
		})
		if k, _, ok := strings.Cut(w, "="); ok && len(words) == 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
			env = append(env, w)
			continue
		}
		words = append(words, w)
	}
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == "PATH" {
			os.Setenv("PATH", v)
		}
	}
	path, err := exec.LookPath(words[0])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(127)
	}
	err = syscall.Exec(path, words, env)
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(126)
}
EOF
(cd "$work/sh" && printf 'module sh\n\ngo 1.22\n' >go.mod &&
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o sh-amd64 . &&
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o sh-arm64 .)

# The arm64 go command and tools, as scaffoldtest's crossGoTools builds them.
cache=${GONATIVE_FIXTURE_CACHE:-$(go env GOCACHE)/../gonative-fixtures}
tools=$cache/gotools-$version-linux-arm64
if [ ! -x "$tools/go" ]; then
	tools=$work/gotools-arm64
	mkdir -p "$tools"
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 GOTOOLCHAIN=local \
		go build -trimpath -o "$tools/" cmd/go cmd/compile cmd/link cmd/asm cmd/cgo cmd/buildid
fi

# goroot ARCH DIR: a GOROOT for linux/ARCH that builds pure-Go programs.
make_goroot() {
	local arch=$1 dir=$2
	mkdir -p "$dir/bin" "$dir/pkg/tool/linux_$arch" "$dir/pkg"
	cp -a "$goroot/src" "$dir/src"
	rm -rf "$dir/src/cmd/"*/ "$dir/src/cmd/"*.go
	cp -a "$goroot/pkg/include" "$dir/pkg/include"
	cp "$goroot/VERSION" "$dir/VERSION"
	printf 'GOPROXY=off\nGOSUMDB=off\nGOTOOLCHAIN=local\n' >"$dir/go.env"
	if [ "$arch" = amd64 ]; then
		cp "$goroot/bin/go" "$dir/bin/go"
		cp "$goroot/pkg/tool/linux_amd64/"{compile,link,asm,cgo} "$dir/pkg/tool/linux_amd64/"
		if [ -x "$goroot/pkg/tool/linux_amd64/buildid" ]; then
			cp "$goroot/pkg/tool/linux_amd64/buildid" "$dir/pkg/tool/linux_amd64/"
		fi
	else
		cp "$tools/go" "$dir/bin/go"
		cp "$tools/"{compile,link,asm,cgo,buildid} "$dir/pkg/tool/linux_$arch/"
	fi
}

for arch in amd64 arm64; do
	make_goroot "$arch" "$work/goroot-$arch"
	c=$("${b[@]}" from --signature-policy "$work/policy.json" scratch)
	"${b[@]}" config --os linux --arch "$arch" \
		--env PATH=/usr/local/go/bin:/bin --env HOME=/tmp --env GOCACHE=/tmp/gocache \
		--env GOTOOLCHAIN=local --env GOPROXY=off --env GOFLAGS=-mod=mod "$c"
	"${b[@]}" copy "$c" "$work/goroot-$arch" /usr/local/go >/dev/null
	"${b[@]}" copy "$c" "$work/sh/sh-$arch" /bin/sh >/dev/null
	"${b[@]}" commit --quiet "$c" "localhost/gobuilder-$arch" >/dev/null
	"${b[@]}" rm "$c" >/dev/null
done

# The context: a tiny Go program and the seed template's Dockerfile.
ctx=$work/ctx
mkdir -p "$ctx"
printf 'module example.com/hello\n\ngo 1.22\n' >"$ctx/go.mod"
cat >"$ctx/main.go" <<'EOF'
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	json.NewEncoder(os.Stdout).Encode(map[string]string{"hello": "arm64"})
	fmt.Println(http.StatusText(http.StatusOK))
}
EOF
cat >"$ctx/Dockerfile" <<'EOF'
ARG GO_IMAGE
FROM --platform=linux/arm64 ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
EOF

# build NAME GO_IMAGE: buildah bud --platform linux/arm64, timed; the app's ELF machine.
build() {
	local name=$1 image=$2 start end
	start=$(date +%s.%N)
	"${b[@]}" bud --isolation chroot --pull=never --signature-policy "$work/policy.json" \
		--platform linux/arm64 --build-arg BUILDPLATFORM=linux/amd64 --build-arg GO_IMAGE="$image" \
		-t "localhost/$name" "$ctx" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
	end=$(date +%s.%N)
	local c m
	c=$("${b[@]}" from --pull=never --signature-policy "$work/policy.json" "localhost/$name")
	m=$("${b[@]}" mount "$c")
	echo "$name: $(echo "$end - $start" | bc) s; /app: $(file -b "$m/app" | cut -d, -f1-2)"
	"${b[@]}" umount "$c" >/dev/null
}

sed 's/^/load before: /' /proc/loadavg
build before localhost/gobuilder-arm64

# ready's finding and its diff, applied as printed.
"$work/gonative" ready --target linux/amd64,linux/arm64 "$ctx" >"$work/ready.out" && { echo "ready found nothing"; exit 1; }
grep -E '^    [!✗]' "$work/ready.out"
(cd "$ctx" && sed -n '/^--- a\//,/^$/p' "$work/ready.out" | patch -p1 --batch >/dev/null)
"$work/gonative" ready --target linux/amd64,linux/arm64 "$ctx" >/dev/null && echo "after the diff: nothing found"
grep -n 'BUILDPLATFORM\|TARGETARCH' "$ctx/Dockerfile"

build after localhost/gobuilder-amd64
sed 's/^/load after: /' /proc/loadavg
