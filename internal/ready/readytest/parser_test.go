package readytest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/gonative/gonative/internal/ready/dockerfile"
)

// extra are Dockerfiles beside BuildKit's own test files: the syntax ready's rules
// lean on (heredocs, flags, continuations with comments, the backtick escape, CRLF).
var extra = map[string]string{
	"heredocs":        "FROM golang AS b\nRUN <<EOF\nset -e\ngo build -o /app .\nEOF\nRUN <<-EOT bash\n\techo a\n\tEOT\nCOPY <<A <<'B' /dst/\na\nA\nb\nB\nFROM scratch\n",
	"flags":           "FROM --platform=$BUILDPLATFORM golang:1.26 AS build\nRUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,source=go.sum,target=go.sum \\\n    go build ./...\nCOPY --from=build --chmod=755 /a /b\n",
	"comments":        "# syntax=docker/dockerfile:1\nFROM alpine\nRUN apk add \\\n  # the compiler\n  gcc \\\n\n  musl-dev\n# end\n",
	"backtick escape": "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n  && echo done\n",
	"crlf":            "FROM alpine\r\nRUN echo a \\\r\n  b\r\nCMD [\"sh\"]\r\n",
	"json and shell":  "FROM alpine\nCMD [\"/app\", \"-v\"]\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nHEALTHCHECK CMD curl -f http://localhost/\n",
}

// TestParserAgreesWithBuildKit parses BuildKit's own parser test files (from the
// module cache) and the files above with both parsers: the same instructions, at
// the same first and last lines, with the same flags and here-documents.
func TestParserAgreesWithBuildKit(t *testing.T) {
	files := map[string][]byte{}
	for name, src := range extra {
		files[name] = []byte(src)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/moby/buildkit").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/moby/buildkit: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "frontend", "dockerfile", "parser", "testfiles")
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "Dockerfile"))
	if len(paths) < 20 {
		t.Fatalf("only %d of BuildKit's test files in %s", len(paths), dir)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files["buildkit/"+filepath.Base(filepath.Dir(p))] = b
	}
	compared := 0
	for name, src := range files {
		want, err := parser.Parse(bytes.NewReader(src))
		if err != nil {
			if _, err := dockerfile.Parse(src); err == nil {
				t.Logf("%s: BuildKit rejects it, ready parses it", name)
			}
			continue
		}
		got, err := dockerfile.Parse(src)
		if err != nil {
			t.Errorf("%s: %v (BuildKit parses it)", name, err)
			continue
		}
		if len(got.Instructions) != len(want.AST.Children) {
			t.Errorf("%s: %d instructions, BuildKit %d", name, len(got.Instructions), len(want.AST.Children))
			continue
		}
		for i, n := range want.AST.Children {
			in := got.Instructions[i]
			if !strings.EqualFold(in.Keyword, n.Value) || in.Line != n.StartLine || in.EndLine != n.EndLine {
				t.Errorf("%s: instruction %d is %s at %d-%d, BuildKit %s at %d-%d", name, i, in.Keyword, in.Line, in.EndLine, n.Value, n.StartLine, n.EndLine)
			}
			var flags []string
			for _, f := range in.Flags {
				s := "--" + f.Name
				if f.Value != "" {
					s += "=" + f.Value
				}
				flags = append(flags, s)
			}
			if strings.ToLower(strings.Join(flags, " ")) != strings.ToLower(strings.Join(n.Flags, " ")) {
				t.Errorf("%s:%d: flags %q, BuildKit %q", name, in.Line, flags, n.Flags)
			}
			if len(in.Heredocs) != len(n.Heredocs) {
				t.Errorf("%s:%d: %d here-documents, BuildKit %d", name, in.Line, len(in.Heredocs), len(n.Heredocs))
			} else {
				for j, h := range n.Heredocs {
					if in.Heredocs[j].Name != h.Name || in.Heredocs[j].Body != h.Content {
						t.Errorf("%s:%d: here-document %q %q, BuildKit %q %q", name, in.Line, in.Heredocs[j].Name, in.Heredocs[j].Body, h.Name, h.Content)
					}
				}
			}
			compared++
		}
	}
	t.Logf("%d files, %d instructions compared", len(files), compared)
	if compared < 150 {
		t.Errorf("only %d instructions compared", compared)
	}
}
