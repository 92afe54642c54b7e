package ciconf

import (
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/ready/difftest"
)

// fuzzCheck checks the invariants of any input: every finding's line lies within
// the file, its evidence is one line, and every diff applies to the input.
func fuzzCheck(t *testing.T, name string, data []byte) {
	files := map[string]string{name: string(data)}
	n := len(newFile(name, data).lines)
	for _, f := range check(t, files, defaultTargets, testNow) {
		if f.Line < 0 || f.Line > n || f.Path != name {
			t.Fatalf("%s at %s:%d, the file has %d lines", f.ID, f.Path, f.Line, n)
		}
		for _, e := range f.Evidence {
			if strings.ContainsAny(e, "\n\r") {
				t.Fatalf("%s: evidence on more than one line: %q", f.ID, e)
			}
		}
		if strings.ContainsAny(f.Title, "\n\r") {
			t.Fatalf("%s: title on more than one line: %q", f.ID, f.Title)
		}
		if f.Fix != nil && f.Fix.Diff != "" {
			if _, err := difftest.Apply(files, f.Fix.Diff); err != nil {
				t.Fatalf("%s: the diff does not apply: %v\n%s", f.ID, err, f.Fix.Diff)
			}
		}
	}
}

func FuzzWorkflow(f *testing.F) {
	f.Add([]byte("jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n"))
	f.Add([]byte("jobs:\n  t:\n    strategy:\n      matrix:\n        os: [ubuntu-latest]\n    runs-on: ${{ matrix.os }}\n    steps:\n      - run: go test\n"))
	f.Add([]byte("jobs:\n  t:\n    runs-on: macos-13\r\n    env:\r\n      GOARCH: amd64\r\n    steps:\r\n      - run: go build"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, wf, data) })
}

func FuzzGitLab(f *testing.F) {
	f.Add([]byte("test:\n  script:\n    - go test ./...\n"))
	f.Add([]byte("variables:\n  GOARCH: amd64\nb:\n  tags: [x]\n  script: GOARCH=amd64 go build"))
	f.Add([]byte(".t: &t\n  script: [go test]\nu:\n  <<: *t\n  extends: .t\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, ".gitlab-ci.yml", data) })
}

func FuzzMakefile(f *testing.F) {
	f.Add([]byte("GOARCH := amd64\nbuild:\n\tGOARCH=amd64 go build\n"))
	f.Add([]byte("ARCH := $(shell uname -m)\nifeq ($(ARCH),x86_64)\nendif\ntools:\n\tcurl -L \\\n\t https://x.invalid/a_linux_amd64.tgz\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, "Makefile", data) })
}

func FuzzShell(f *testing.F) {
	f.Add([]byte("#!/bin/sh\nexport GOARCH=amd64\nif [ $(uname -m) = x86_64 ]; then :; fi\ncurl -O https://x.invalid/t-x86_64.zip\n"))
	f.Add([]byte("for a in x; do\nGOARCH=amd64 go build\ndone\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, "scripts/build.sh", data) })
}
