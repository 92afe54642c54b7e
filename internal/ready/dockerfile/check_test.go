package dockerfile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

var defaultTargets = []build.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}, {OS: "darwin", Arch: "arm64"}}

// run writes files into a new directory and runs the checker on it.
func run(t *testing.T, files map[string]string) (string, []finding.Finding) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		writeFile(t, dir, name, body)
	}
	return dir, checkDir(t, dir)
}

// writeFile writes body to dir/name (slash-separated), making directories.
func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkDir(t *testing.T, dir string) []finding.Finding {
	t.Helper()
	fs, err := Check(context.Background(), ready.Input{Machine: machine.Real(), Dir: dir, Targets: defaultTargets})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

// The Dockerfile the seed's own template wrote: a constant arm64 platform on the
// build stage, which compiles Go.
const seedDockerfile = `# syntax=docker/dockerfile:1
FROM --platform=linux/arm64 golang:1.26 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`

func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // finding ids, sorted
		lines []int    // their lines, in the order of want's findings as reported
	}{
		{"seed template: constant platform on the build stage", map[string]string{"Dockerfile": seedDockerfile},
			[]string{RulePlatformConstant}, []int{2}},
		{"clean cross-compiling Dockerfile", map[string]string{"Dockerfile": `FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
FROM scratch
COPY --from=build /out/app /app
`}, nil, nil},
		{"TARGETARCH default", map[string]string{"build/Dockerfile": `FROM --platform=$BUILDPLATFORM golang AS b
ARG TARGETOS
ARG TARGETARCH=amd64
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .
FROM scratch
COPY --from=b /app /app
`}, []string{RuleTargetArgSet}, []int{3}},
		{"ENV TARGETARCH by hand", map[string]string{"Dockerfile": "FROM alpine\nENV TARGETARCH=amd64\n"},
			[]string{RuleTargetArgSet}, []int{2}},
		{"go build on the target platform", map[string]string{"Dockerfile": `FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN go mod download && \
    go build -o /out/app ./cmd/app
FROM alpine
COPY --from=build /out/app /app
`}, []string{RuleEmulatedBuild}, []int{4}},
		{"single stage go build: no diff possible", map[string]string{"Dockerfile": "FROM golang:1.26\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n"},
			[]string{RuleEmulatedBuild}, []int{3}},
		{"make that runs go build", map[string]string{"Makefile": "app:\n\tgo build -o app .\n", "Dockerfile": "FROM golang AS b\nCOPY . .\nRUN make app\nFROM scratch\nCOPY --from=b /src/app /app\n"},
			[]string{RuleEmulatedBuild}, []int{3}},
		{"make as a package name is no make run", map[string]string{"Makefile": "all:\n\tgo build .\n", "Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nRUN apt-get install -y make gcc\nFROM scratch\nCOPY --from=b /x /x\n"}, nil, nil},
		{"a build-time tool on the builder's platform needs no GOARCH", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS tools\nRUN go install example.invalid/gen@v1\nFROM --platform=$BUILDPLATFORM golang AS gen\nCOPY --from=tools /go/bin/gen /usr/bin/\nRUN gen > /out.txt\nFROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH\nCOPY --from=gen /out.txt .\nRUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n"}, nil, nil},
		{"a builder-platform binary copied into the image through a stage", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build -o /app .\nFROM --platform=$BUILDPLATFORM alpine AS collect\nCOPY --from=b /app /app\nFROM scratch\nCOPY --from=collect /app /app\n"},
			[]string{RuleCrossNoGOARCH}, []int{2}},
		{"GOARCH for a linter run is no build", map[string]string{"Dockerfile": "FROM golang AS lint\nRUN GOARCH=amd64 golangci-lint run\n"}, nil, nil},
		// From the corpus (testdata/corpus.txt): false positives fixed.
		{"a stage named through a global ARG is built on that stage (docker/cli)", map[string]string{"Dockerfile": "ARG BASE_VARIANT=alpine\nFROM --platform=$BUILDPLATFORM golang AS build-base-alpine\nFROM build-base-${BASE_VARIANT} AS tool\nRUN CGO_ENABLED=0 go install example.invalid/tool@v1\nFROM --platform=$BUILDPLATFORM golang AS gen\nCOPY --from=tool /go/bin/tool /usr/bin/\nRUN tool > /out.txt\n"}, nil, nil},
		{"a global ARG without a default names no stage", map[string]string{"Dockerfile": "ARG V\nFROM --platform=$BUILDPLATFORM golang AS b-\nFROM b-${V}\nRUN go build -o /app .\n"},
			[]string{RuleEmulatedBuild}, []int{4}},
		{"ENV TARGETPLATFORM from BuildKit's own value (letsencrypt/boulder)", map[string]string{"Dockerfile": "FROM debian\nARG TARGETPLATFORM\nARG BUILDPLATFORM\nENV TARGETPLATFORM=${TARGETPLATFORM:-$BUILDPLATFORM}\nENV TARGETARCH=$TARGETARCH\n"}, nil, nil},
		{"ENV TARGETARCH from another argument is set by hand", map[string]string{"Dockerfile": "FROM debian\nARG ARCH=amd64\nENV TARGETARCH=${ARCH}\n"},
			[]string{RuleTargetArgSet}, []int{3}},
		{"make after cmake builds another project (accelerated-container-image)", map[string]string{"Makefile": "all:\n\tgo build .\n", "Dockerfile": "FROM debian AS b\nRUN git clone https://example.invalid/c.git && cd c && mkdir build && cd build && cmake .. && make -j8 && make install\nRUN ./configure && make\nFROM debian\nCOPY --from=b /usr/local /usr/local\n"}, nil, nil},
		{"make after cd out of the cmake build is the repository's", map[string]string{"Makefile": "all:\n\tgo build .\n", "Dockerfile": "FROM debian AS b\nRUN cd c && cmake . && make && cd /src && make\nFROM debian\nCOPY --from=b /app /app\n"},
			[]string{RuleEmulatedBuild}, []int{2}},
		{"make without a Go Makefile is not judged", map[string]string{"Dockerfile": "FROM debian AS b\nRUN make\nFROM scratch\n"}, nil, nil},
		{"BUILDPLATFORM without GOARCH", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nCOPY . .\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n"},
			[]string{RuleCrossNoGOARCH}, []int{3}},
		{"GOARCH hard-coded in RUN", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nRUN GOOS=linux GOARCH=amd64 go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n"},
			[]string{RuleGOARCHConstant}, []int{2}},
		{"GOARCH hard-coded in ENV", map[string]string{"x.Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nENV GOARCH=arm64\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n"},
			[]string{RuleGOARCHConstant}, []int{2}},
		{"GOARCH chosen per target is fine", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\nRUN if [ \"$TARGETARCH\" = arm64 ]; then GOARCH=arm64 go build -o /app .; else GOARCH=amd64 go build -o /app .; fi\nFROM scratch\nCOPY --from=b /app /app\n"},
			nil, nil},
		{"download names amd64", map[string]string{"Dockerfile": "FROM alpine\nRUN curl -fsSL https://example.invalid/tool-1.2-linux-amd64.tar.gz | tar xz\n"},
			[]string{RuleDownloadOneArch}, []int{2}},
		{"download names x86_64: text fix", map[string]string{"Containerfile": "FROM alpine\nRUN wget -q https://example.invalid/tool_Linux_x86_64.tar.gz\n"},
			[]string{RuleDownloadOneArch}, []int{2}},
		{"ADD of an aarch64 file", map[string]string{"Dockerfile.dev": "FROM alpine\nADD https://example.invalid/tool-aarch64 /usr/local/bin/tool\n"},
			[]string{RuleDownloadOneArch}, []int{2}},
		{"download with the target variable is fine", map[string]string{"Dockerfile": "FROM alpine\nARG TARGETARCH\nRUN curl -fsSLO https://example.invalid/tool-linux-${TARGETARCH}.tar.gz\n"}, nil, nil},
		{"cgo cross-compiled without a cross compiler", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH\nRUN CGO_ENABLED=1 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\nFROM debian\nCOPY --from=b /app /app\n"},
			[]string{RuleCgoNoCrossCC}, []int{3}},
		{"cgo cross-compiled with xx is fine", map[string]string{"Dockerfile": "FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\nFROM --platform=$BUILDPLATFORM golang AS b\nCOPY --from=xx / /\nARG TARGETPLATFORM\nRUN xx-apt install -y gcc libc6-dev\nRUN CGO_ENABLED=1 xx-go build -o /app .\nFROM debian\nCOPY --from=b /app /app\n"}, nil, nil},
		{"per-arch stages selected by TARGETARCH", map[string]string{"Dockerfile": "FROM --platform=linux/amd64 alpine AS base-amd64\nFROM --platform=linux/arm64 alpine AS base-arm64\nFROM base-${TARGETARCH}\n"}, nil, nil},
		{"heredoc RUN and backtick escape", map[string]string{"Dockerfile": "# escape=`\nFROM golang AS b\nRUN <<EOF\nset -e\ngo build -o /app .\nEOF\nFROM scratch\nCOPY --from=b /app /app\n"},
			[]string{RuleEmulatedBuild}, []int{3}},
		{"vendor and testdata are skipped", map[string]string{"vendor/x/Dockerfile": seedDockerfile, "testdata/Dockerfile": seedDockerfile, "node_modules/y/Dockerfile": seedDockerfile}, nil, nil},
		{"unparsable Dockerfile", map[string]string{"Dockerfile": "FROM alpine\nRUN <<EOF\necho never ends\n"},
			[]string{RuleParse}, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, fs := run(t, tt.files)
			if got := ids(fs); !slices.Equal(got, tt.want) {
				for _, f := range fs {
					t.Logf("%s:%d %s %s", f.Path, f.Line, f.ID, f.Title)
				}
				t.Fatalf("ids = %v, want %v", got, tt.want)
			}
			for i, f := range fs {
				if i < len(tt.lines) && f.Line != tt.lines[i] {
					t.Errorf("%s at line %d, want %d", f.ID, f.Line, tt.lines[i])
				}
				if f.Path == "" || f.Area != finding.AreaDockerfile || f.Fix == nil || f.Title == "" || len(f.Evidence) == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			applyEachDiff(t, dir, fs)
		})
	}
}

// applyEachDiff applies each finding's diff with patch -p1 to a fresh copy of dir
// and checks that the finding is gone when ready runs again.
func applyEachDiff(t *testing.T, dir string, fs []finding.Finding) {
	t.Helper()
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("patch(1) not installed (Debian package patch): the fix diffs are applied with it")
	}
	for _, f := range fs {
		if f.Fix == nil || f.Fix.Diff == "" {
			continue
		}
		cp := t.TempDir()
		if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("patch", "-p1", "--batch", "--no-backup-if-mismatch")
		cmd.Dir = cp
		cmd.Stdin = strings.NewReader(f.Fix.Diff)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: patch -p1: %v\n%s\ndiff:\n%s", f.ID, err, out, f.Fix.Diff)
		}
		for _, g := range checkDir(t, cp) {
			if g.ID == f.ID && g.Path == f.Path {
				t.Errorf("%s still found after its diff:\n%s\nnow: %s", f.ID, f.Fix.Diff, g.Title)
			}
		}
	}
}

func TestFixDiffs(t *testing.T) {
	// The diffs that are edits: each one must be there (not only text).
	wantInDiff := map[string]string{
		RulePlatformConstant: "+FROM --platform=$BUILDPLATFORM golang:1.26 AS build\n+ARG TARGETOS TARGETARCH\n",
		RuleTargetArgSet:     "+ARG TARGETOS TARGETARCH\n",
		RuleEmulatedBuild:    "+RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\n",
		RuleCrossNoGOARCH:    "+RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\r\n",
		RuleGOARCHConstant:   "+RUN GOARCH=$TARGETARCH go build -o /app . && ./app\n",
		RuleDownloadOneArch:  "+ARG BUILDARCH\n+RUN curl -fsSLo /protoc.zip https://example.invalid/protoc-linux-${BUILDARCH}.zip\n",
	}
	withDiff := map[string]string{
		RulePlatformConstant: seedDockerfile,
		RuleTargetArgSet:     "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH=amd64\nRUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n",
		RuleEmulatedBuild:    "FROM golang AS b\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app",
		RuleCrossNoGOARCH:    "FROM --platform=$BUILDPLATFORM golang AS b\r\nRUN go build -o /app .\r\nFROM scratch\r\nCOPY --from=b /app /app\r\n",
		RuleGOARCHConstant:   "FROM golang AS b\nARG TARGETOS\nRUN GOARCH=amd64 go build -o /app . && ./app\nFROM scratch\nCOPY --from=b /app /app\n",
		RuleDownloadOneArch:  "FROM --platform=$BUILDPLATFORM alpine AS tools\nRUN curl -fsSLo /protoc.zip https://example.invalid/protoc-linux-amd64.zip\n",
	}
	for id, src := range withDiff {
		t.Run(id, func(t *testing.T) {
			dir, fs := run(t, map[string]string{"Dockerfile": src})
			found := false
			for _, f := range fs {
				if f.ID == id {
					found = true
					if !strings.Contains(f.Fix.Diff, wantInDiff[id]) {
						t.Errorf("%s: diff lacks %q:\n%s", id, wantInDiff[id], f.Fix.Diff)
					}
					t.Logf("%s\n%s", f.Title, f.Fix.Diff)
				}
			}
			if !found {
				t.Fatalf("no %s in %v", id, ids(fs))
			}
			applyEachDiff(t, dir, fs)
		})
	}
}

func TestIsDockerfile(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "Containerfile": true, "api.Dockerfile": true, "Dockerfile.dev": true, "Dockerfile-alpine-3.6": true, "dockerfile-x": false,
		"dockerfile": true, "Containerfile.arm64": true, "Dockerfile.dockerignore": false,
		".dockerignore": false, "Dockerfiles": false, "dockerfile.go": false, "build.dockerfile": true, "main.go": false, "docker-compose.yml": false,
	} {
		if got := IsDockerfile(name); got != want {
			t.Errorf("IsDockerfile(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"GO": "1.26", "EMPTY": ""}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"golang:${GO}-bookworm", "golang:1.26-bookworm", true},
		{"golang:$GO", "golang:1.26", true},
		{"golang:${NOPE:-1.25}", "golang:1.25", true},
		{"golang:${NOPE}", "golang:", false},
		{"golang:$EMPTY", "golang:", false},
		{"alpine", "alpine", true},
	} {
		got, ok := expand(tt.in, vars)
		if got != tt.want || ok != tt.ok {
			t.Errorf("expand(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
