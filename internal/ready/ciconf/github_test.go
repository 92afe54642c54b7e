package ciconf

import (
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
)

const wf = ".github/workflows/ci.yml"

func TestNoArm64Runner(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "plain runs-on, no strategy", diff: true, sev: finding.Warning, files: map[string]string{wf: `name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:5"}},
		{name: "plain runs-on, a matrix of Go versions", diff: true, files: map[string]string{wf: `jobs:
  test:
    strategy:
      matrix:
        go: ['1.24', '1.25']
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/setup-go@v5
        with:
          go-version: ${{ matrix.go }}
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:6"}},
		{name: "plain runs-on, strategy without a matrix", diff: true, files: map[string]string{wf: `jobs:
  test:
    runs-on: ubuntu-24.04
    strategy:
      fail-fast: false
    steps:
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:3"}},
		{name: "matrix list, flow style", diff: true, files: map[string]string{wf: `jobs:
  test:
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest, macos-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:5"}},
		{name: "matrix list, block style", diff: true, files: map[string]string{wf: `jobs:
  test:
    strategy:
      matrix:
        os:
          - ubuntu-22.04
          - macos-15
    runs-on: ${{matrix.os}}
    steps:
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:6", "ci.retired-runner .github/workflows/ci.yml:6"}},
		{name: "matrix include rows", diff: true, files: map[string]string{wf: `jobs:
  test:
    strategy:
      matrix:
        include:
          - os: ubuntu-latest
            name: linux
          - os: windows-latest
            name: windows
    runs-on: ${{ matrix.os }}
    steps:
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:6"}},
		{name: "CRLF line ends", diff: true, files: map[string]string{wf: "jobs:\r\n  test:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n      - run: go test ./...\r\n"},
			want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:3"}},
		{name: "a build-only job is info", diff: true, sev: finding.Info, files: map[string]string{wf: `jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-go@v5
      - run: go build ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:3"}},
		{name: "another job tests on arm64", files: map[string]string{wf: `jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
`, ".github/workflows/arm.yaml": `jobs:
  arm:
    runs-on: ubuntu-24.04-arm
    steps:
      - run: go test ./...
`}},
		{name: "self-hosted runner of unknown arch", files: map[string]string{wf: `jobs:
  test:
    runs-on: [self-hosted, linux]
    steps:
      - run: go test ./...
`}},
		{name: "self-hosted arm64", files: map[string]string{wf: `jobs:
  test:
    runs-on: [self-hosted, linux, ARM64]
    steps:
      - run: go test ./...
`}},
		{name: "runs-on written around the matrix value", files: map[string]string{wf: `jobs:
  test:
    strategy:
      matrix:
        platform: [ubuntu, macos]
    runs-on: ${{ matrix.platform }}-latest
    steps:
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:5"}},
		{name: "runs-on from an input", files: map[string]string{wf: `jobs:
  test:
    runs-on: ${{ inputs.runner }}
    steps:
      - run: go test ./...
`}},
		{name: "not a Go job", files: map[string]string{wf: `jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: npm test
`}},
		{name: "linux/arm64 not a target", targets: []build.Target{{OS: "linux", Arch: "amd64"}}, files: map[string]string{wf: `jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
`}},
		{name: "an Intel mac only", diff: true, files: map[string]string{wf: `jobs:
  test:
    runs-on: macos-15-intel
    steps:
      - run: go test ./...
`}, want: []string{"ci.no-arm64-runner .github/workflows/ci.yml:3", "ci.retired-runner .github/workflows/ci.yml:3"}},
	})
}

func TestRetiredRunner(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "macos-13 retired", diff: true, sev: finding.Error, files: map[string]string{wf: `jobs:
  docs:
    runs-on: macos-13
    steps:
      - run: make docs
`}, want: []string{"ci.retired-runner .github/workflows/ci.yml:3"}},
		{name: "quoted label in a list", diff: true, files: map[string]string{wf: `jobs:
  docs:
    strategy:
      matrix:
        os: ["windows-2019", 'ubuntu-20.04']
    runs-on: ${{ matrix.os }}
    steps:
      - run: make docs
`}, want: []string{"ci.retired-runner .github/workflows/ci.yml:5", "ci.retired-runner .github/workflows/ci.yml:5"}},
		{name: "a templated label: no diff", files: map[string]string{wf: `jobs:
  docs:
    strategy:
      matrix:
        v: [13, 15]
    runs-on: macos-${{ matrix.v }}
    steps:
      - run: make docs
`}, want: []string{"ci.retired-runner .github/workflows/ci.yml:5"}},
		{name: "current labels", files: map[string]string{wf: `jobs:
  docs:
    strategy:
      matrix:
        os: [ubuntu-24.04, macos-15, windows-2025, ubuntu-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - run: make docs
`}},
	})
}

// TestRetiredByClock: the same label retires, then is retired, by the machine's clock.
func TestRetiredByClock(t *testing.T) {
	files := map[string]string{wf: "jobs:\n  a:\n    runs-on: macos-13\n    steps:\n      - run: echo\n"}
	for _, tc := range []struct {
		now  time.Time
		sev  finding.Severity
		word string
	}{
		{time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), finding.Warning, "retires on 2025-12-04"},
		{time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), finding.Error, "retired on 2025-12-04"},
	} {
		fs := check(t, files, defaultTargets, tc.now)
		if len(fs) != 1 || fs[0].Severity != tc.sev || !strings.Contains(fs[0].Title, tc.word) {
			t.Errorf("at %s: %s", tc.now, dump(fs))
		}
	}
}

// TestRetirementsCited: every row of the table has a date, a source and a successor
// that is not itself retired by then.
func TestRetirementsCited(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Retirements {
		if r.Date.IsZero() || !strings.HasPrefix(r.Source, "https://") || r.Successor == "" || len(r.Labels) == 0 {
			t.Errorf("row %v lacks a date, source or successor", r.Labels)
		}
		if s, ok := retirementOf(r.Successor); ok && !s.Date.After(r.Date) {
			t.Errorf("%v: successor %s retires first (%s)", r.Labels, r.Successor, s.When())
		}
		for _, l := range r.Labels {
			if seen[l] {
				t.Errorf("label %s twice", l)
			}
			seen[l] = true
		}
	}
}

func TestSetupGoArch(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "only key of with", diff: true, files: map[string]string{wf: `jobs:
  test:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: actions/setup-go@v5
        with:
          architecture: x64
      - run: go test ./...
`}, want: []string{"ci.setup-go-arch .github/workflows/ci.yml:7"}},
		{name: "one key of several", diff: true, files: map[string]string{wf: `jobs:
  test:
    runs-on: macos-15
    steps:
      - uses: actions/setup-go@v5
        with:
          go-version: '1.25'
          architecture: 'x64'
      - run: go test ./...
`}, want: []string{"ci.setup-go-arch .github/workflows/ci.yml:8"}},
		{name: "x64 on an amd64 runner is its own arch", files: map[string]string{wf: `jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/setup-go@v5
        with:
          architecture: x64
      - run: go test ./...
  arm:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: actions/setup-go@v5
      - run: go test ./...
`}},
	})
}

func TestQEMUForGo(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "go build after setup-qemu", sev: finding.Info, files: map[string]string{wf: `jobs:
  release:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: docker/setup-qemu-action@v3
      - run: |
          echo building
          GOOS=linux go build -o dist/app ./cmd/app
`}, want: []string{"ci.qemu-for-go .github/workflows/ci.yml:5"}},
		{name: "go build in an emulated container", sev: finding.Warning, files: map[string]string{wf: `jobs:
  release:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: docker/setup-qemu-action@v3
      - run: docker run --rm --platform linux/arm64 -v $PWD:/src golang:1.25 go build ./...
`}, want: []string{"ci.qemu-for-go .github/workflows/ci.yml:5"}},
		{name: "goreleaser", files: map[string]string{wf: `jobs:
  release:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: goreleaser/goreleaser-action@v6
`}, want: []string{"ci.qemu-for-go .github/workflows/ci.yml:5"}},
		{name: "qemu for tests of a cross build", files: map[string]string{wf: `jobs:
  test:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: docker/setup-qemu-action@v3
      - run: GOARCH=riscv64 go test ./...
`}},
		{name: "no Go build", files: map[string]string{wf: `jobs:
  image:
    runs-on: ubuntu-24.04-arm
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/build-push-action@v6
`}},
	})
}

func TestGoarchPinnedCI(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "job env", diff: true, files: map[string]string{wf: `jobs:
  build:
    runs-on: ubuntu-24.04-arm
    env:
      GOARCH: amd64
    steps:
      - run: go build ./...
`}, want: []string{"ci.goarch-pinned .github/workflows/ci.yml:5"}},
		{name: "workflow env with another key", diff: true, files: map[string]string{wf: `env:
  CGO_ENABLED: 0
  GOARCH: amd64
jobs:
  build:
    runs-on: ubuntu-24.04-arm
    steps:
      - run: go build ./...
`}, want: []string{"ci.goarch-pinned .github/workflows/ci.yml:3"}},
		{name: "in a run script", diff: true, files: map[string]string{wf: `jobs:
  build:
    runs-on: ubuntu-24.04-arm
    steps:
      - run: |
          set -e
          CGO_ENABLED=0 GOARCH=amd64 go build -o app .
`}, want: []string{"ci.goarch-pinned .github/workflows/ci.yml:7"}},
		{name: "one named platform in a run script: no diff", files: map[string]string{wf: `jobs:
  build:
    runs-on: ubuntu-24.04-arm
    steps:
      - run: GOOS=darwin GOARCH=amd64 go build -o app-darwin .
`}, want: []string{"ci.goarch-pinned .github/workflows/ci.yml:5"}},
		{name: "per-target matrix", files: map[string]string{wf: `jobs:
  build:
    runs-on: ubuntu-24.04-arm
    strategy:
      matrix:
        goarch: [amd64, arm64]
    env:
      GOARCH: ${{ matrix.goarch }}
    steps:
      - run: GOARCH=amd64 go build ./...
`}},
	})
}

func TestGitLab(t *testing.T) {
	const gl = ".gitlab-ci.yml"
	runCases(t, []ruleCase{
		{name: "test job on shared runners", diff: true, files: map[string]string{gl: `stages: [test]
test:
  stage: test
  image: golang:1.25
  script:
    - go test ./...
`}, want: []string{"ci.no-arm64-runner .gitlab-ci.yml:2"}},
		{name: "no newline at the end", diff: true, files: map[string]string{gl: "test:\n  script: go test ./..."},
			want: []string{"ci.no-arm64-runner .gitlab-ci.yml:1"}},
		{name: "script through extends", diff: true, files: map[string]string{gl: `.go:
  script:
    - go test ./...
unit:
  extends: .go
  tags: [saas-linux-medium-amd64]
`}, want: []string{"ci.no-arm64-runner .gitlab-ci.yml:4"}},
		{name: "an arm64 job covers it", files: map[string]string{gl: `test:
  script: go test ./...
test-arm:
  extends: test
  tags: [saas-linux-small-arm64]
`}},
		{name: "arm64 through parallel matrix", files: map[string]string{gl: `test:
  script: go test ./...
  parallel:
    matrix:
      - RUNNER: [saas-linux-small-amd64, saas-linux-small-arm64]
  tags: [$RUNNER]
`}},
		{name: "own runners", files: map[string]string{gl: `test:
  script: go test ./...
  tags: [docker]
`}},
		{name: "GOARCH variable", diff: true, files: map[string]string{gl: `variables:
  GOARCH: amd64
build:
  tags: [docker]
  script:
    - go build ./...
`}, want: []string{"ci.goarch-pinned .gitlab-ci.yml:2"}},
	})
}

func TestUnparsedYAML(t *testing.T) {
	fs := check(t, map[string]string{wf: "jobs: [\n"}, defaultTargets, testNow)
	if len(fs) != 1 || fs[0].ID != "ci.unreadable" || fs[0].Severity != finding.Info {
		t.Errorf("%s", dump(fs))
	}
}

// TestHostileNames: files whose names hold control characters still get findings,
// with the name quoted in the evidence and no diff (no header could name them).
func TestHostileNames(t *testing.T) {
	files := map[string]string{
		".github/workflows/a\nb.yml": "jobs:\n  a:\n    runs-on: macos-13\n    steps:\n      - run: echo \"\\e[31m\"\n",
		"scripts/x\x1b.sh":           "export GOARCH=amd64\n",
	}
	fs := check(t, files, defaultTargets, testNow)
	if got := ids(fs); len(got) != 2 || fs[0].ID != "ci.retired-runner" || fs[1].ID != "scripts.goarch-pinned" {
		t.Fatalf("findings %q\n%s", got, dump(fs))
	}
	for _, f := range fs {
		if f.Fix == nil || f.Fix.Diff != "" {
			t.Errorf("%s: a diff for a file no header can name:\n%s", f.ID, f.Fix.Diff)
		}
		for _, e := range f.Evidence {
			if strings.ContainsAny(e, "\n\r\x1b") {
				t.Errorf("%s: evidence %q", f.ID, e)
			}
		}
	}
}
