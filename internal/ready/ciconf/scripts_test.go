package ciconf

import (
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/finding"
)

func TestScriptsGoarchPinned(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "make :=", diff: true, files: map[string]string{"Makefile": "GOOS := linux\nGOARCH := amd64\n\nbuild:\n\tgo build ./...\n"},
			want: []string{"scripts.goarch-pinned Makefile:2"}},
		{name: "make ?= amd64 is info", diff: true, sev: finding.Info, files: map[string]string{"build/common.mk": "export GOARCH ?= amd64 # default\n"},
			want: []string{"scripts.goarch-pinned build/common.mk:1"}},
		{name: "make ?= go env", files: map[string]string{"Makefile": "GOARCH ?= $(shell go env GOARCH)\n"}},
		{name: "make recipe line", diff: true, files: map[string]string{"GNUmakefile": "build:\n\tCGO_ENABLED=0 GOARCH=amd64 go build -o bin/app .\n"},
			want: []string{"scripts.goarch-pinned GNUmakefile:2"}},
		{name: "make foreach", files: map[string]string{"Makefile": "all:\n\t$(foreach a,amd64 386,GOARCH=amd64 go build;)\n"}},
		{name: "shell export", diff: true, files: map[string]string{"scripts/build.sh": "#!/bin/sh\nset -eu\nexport GOARCH=amd64\ngo build ./...\n"},
			want: []string{"scripts.goarch-pinned scripts/build.sh:3"}},
		{name: "shebang script without suffix", diff: true, files: map[string]string{"scripts/release": "#!/usr/bin/env bash\nGOARCH=amd64 go build .\n"},
			want: []string{"scripts.goarch-pinned scripts/release:2"}},
		{name: "no shebang, no suffix", files: map[string]string{"scripts/notes": "GOARCH=amd64 go build .\n"}},
		{name: "in a loop", files: map[string]string{"build.sh": "for os in linux darwin; do\n  GOOS=$os GOARCH=amd64 go build .\ndone\n"}},
		{name: "in a case branch", files: map[string]string{"build.sh": "case $(uname -m) in\n  x86_64) GOARCH=amd64 ;;\nesac\n"},
			want: []string{"scripts.uname-x86-only build.sh:2"}},
		{name: "one named platform: no diff", files: map[string]string{"Makefile": "darwin:\n\tCGO_ENABLED=0 GOOS=darwin GOARCH=amd64 go build -o build/darwin/app .\n"},
			want: []string{"scripts.goarch-pinned Makefile:2"}},
		{name: "a file that knows arm64", files: map[string]string{"build.sh": "GOARCH=amd64 go build -o app-amd64 .\nGOARCH=arm64 go build -o app-arm64 .\n"}},
		{name: "comment", files: map[string]string{"build.sh": "# GOARCH=amd64 go build\n"}},
		{name: "testdata is not the build", files: map[string]string{"internal/x/testdata/build.sh": "GOARCH=amd64 go build\n"}},
	})
}

func TestScriptsUnameX86Only(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "if", files: map[string]string{"install.sh": "#!/bin/sh\nARCH=$(uname -m)\nif [ \"$ARCH\" = \"x86_64\" ]; then\n  echo ok\nelse\n  echo unsupported; exit 1\nfi\n"},
			want: []string{"scripts.uname-x86-only install.sh:3"}},
		{name: "make", files: map[string]string{"Makefile": "ARCH := $(shell uname -m)\nifeq ($(ARCH),x86_64)\nBIN := tool-x86_64\nendif\n"},
			want: []string{"scripts.uname-x86-only Makefile:2"}},
		{name: "with an aarch64 branch", files: map[string]string{"install.sh": "case $(uname -m) in\nx86_64) A=amd64 ;;\naarch64|arm64) A=arm64 ;;\nesac\n"}},
		{name: "x86_64 assigned, not compared", files: map[string]string{"Makefile": "UNAME_ARCH := $(shell uname -m)\nifeq ($(UNAME_OS),Darwin)\nPROTOC_ARCH := x86_64\nendif\n"}},
		{name: "a case pattern", files: map[string]string{"get.sh": "case \"$(uname -m)\" in\n  x86_64) A=x64 ;;\n  *) echo unsupported; exit 1 ;;\nesac\n"},
			want: []string{"scripts.uname-x86-only get.sh:2"}},
		{name: "x86_64 without uname", files: map[string]string{"install.sh": "echo x86_64\n"}},
	})
}

func TestScriptsArchDownload(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "curl", files: map[string]string{"scripts/tools.sh": "#!/bin/bash\ncurl -sSfL https://example.invalid/releases/download/v1.2.3/tool_1.2.3_linux_amd64.tar.gz | tar xz\n"},
			want: []string{"scripts.arch-download scripts/tools.sh:2"}},
		{name: "wget on a continued line", files: map[string]string{"Makefile": "tools:\n\twget -q \\\n\t  https://example.invalid/v$(VERSION)/protoc-$(VERSION)-linux-x86_64.zip\n"},
			want: []string{"scripts.arch-download Makefile:3"}},
		{name: "architecture from a variable", files: map[string]string{"get.sh": "curl -fsSLO https://example.invalid/tool_${OS}_${ARCH}.tar.gz\n"}},
		{name: "in a loop over architectures", files: map[string]string{"get.sh": "for a in amd64 386; do\n  curl -O https://example.invalid/tool_linux_amd64.tgz\ndone\n"}},
		{name: "a URL with no architecture", files: map[string]string{"get.sh": "curl -fsSL https://example.invalid/install.sh | sh\n"}},
	})
}

// TestLargeFiles: a large Makefile is a note; a large file without a suffix (a binary
// at the root) is no script and says nothing.
func TestLargeFiles(t *testing.T) {
	big := strings.Repeat("# x\n", maxFileSize/4+1)
	fs := check(t, map[string]string{"Makefile": big, "gonative": big}, defaultTargets, testNow)
	if got := ids(fs); !slices.Equal(got, []string{"scripts.unreadable Makefile:0"}) {
		t.Errorf("findings %q", got)
	}
}
