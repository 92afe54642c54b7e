package gocode

import (
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/ready/difftest"
)

// FuzzHomebrewDiff: for any file, the diff scanHomebrew prints applies to it, and on
// the patched file scanHomebrew finds nothing: the finding goes.
func FuzzHomebrewDiff(f *testing.F) {
	f.Add("/*\n#cgo darwin LDFLAGS: -L/usr/local/lib -lfoo\n*/\nimport \"C\"\n")
	f.Add("// #cgo CFLAGS: -I/usr/local/opt/x/include\n// #cgo darwin,arm64 LDFLAGS: -L/usr/local/Cellar/y/lib\nimport \"C\"")
	f.Add("#cgo linux LDFLAGS: -L/usr/local/lib\n#cgo darwin,amd64 CFLAGS: -I/usr/local/include\r\n")
	f.Add("#cgo !linux LDFLAGS: -L/usr/local/lib\n")
	f.Fuzz(func(t *testing.T, src string) {
		h := scanHomebrew("p/f.go", []byte(src))
		if h.first == 0 {
			if h.diff != "" || len(h.evidence) != 0 {
				t.Fatalf("no line at fault but a diff or evidence: %+v", h)
			}
			return
		}
		if len(h.evidence) == 0 || len(h.kinds) == 0 {
			t.Fatalf("a line at fault without evidence: %+v", h)
		}
		for _, e := range h.evidence {
			if strings.ContainsAny(e, "\n\r") {
				t.Fatalf("evidence on more than one line: %q", e)
			}
		}
		if h.diff == "" {
			return // a constraint the edit does not rewrite: text only
		}
		got, err := difftest.ApplyFile("p/f.go", src, h.diff)
		if err != nil {
			t.Fatalf("the diff does not apply: %v\n%s", err, h.diff)
		}
		if again := scanHomebrew("p/f.go", []byte(got)); again.first != 0 {
			t.Fatalf("after the diff, still at fault: %q\n%s", again.evidence, h.diff)
		}
		if strings.Count(got, "/opt/homebrew/") < strings.Count(src, "/opt/homebrew/")+len(h.evidence) {
			t.Fatalf("the diff does not give darwin/arm64 /opt/homebrew lines:\n%s", h.diff)
		}
	})
}

// FuzzParseVet: every error parseVet returns comes from a "file:line" of its input,
// on one line, the first of its package, with a positive line.
func FuzzParseVet(f *testing.F) {
	f.Add([]byte("# example.com/a\nvet: a/a.go:5:35: undefined: syscall.SYS_OPEN\n"))
	f.Add([]byte("# example.com/a [example.com/a.test]\na/a_test.go:7:40: cannot use \"s\"\na/a_test.go:8:1: second\n# [b]\nb.go:1: x\n"))
	f.Add([]byte("# p\nx.go:0:1: zero\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]bool{}
		for _, e := range parseVet(data) {
			if e.Line <= 0 || e.Package == "" || seen[e.Package] {
				t.Fatalf("bad or repeated error %+v", e)
			}
			seen[e.Package] = true
			if strings.ContainsAny(e.Msg, "\n\r") {
				t.Fatalf("message on more than one line: %q", e.Msg)
			}
			if !strings.Contains(string(data), e.File+":"+strconv.Itoa(e.Line)+":") {
				t.Fatalf("%s:%d is not in the input", e.File, e.Line)
			}
		}
	})
}

// FuzzPosition: a position go list prints splits into a path and line that print it
// again.
func FuzzPosition(f *testing.F) {
	f.Add("a/b.go:3:8")
	f.Add("a/b.go:3")
	f.Add("/abs/x.go:10:2")
	f.Add("no position")
	st := &state{}
	st.in.Dir = "/repo"
	f.Fuzz(func(t *testing.T, pos string) {
		path, line, col := st.position(pos)
		if line < 0 || col < 0 || col > 0 && line == 0 {
			t.Fatalf("position(%q) = %q, %d, %d", pos, path, line, col)
		}
		if line > 0 {
			suffix := ":" + strconv.Itoa(line)
			if col > 0 {
				suffix += ":" + strconv.Itoa(col)
			}
			if !strings.HasSuffix(pos, suffix) {
				t.Fatalf("position(%q) = line %d col %d, not the input's end", pos, line, col)
			}
		}
	})
}

// FuzzScanIncludes: every include scanIncludes reports is on its line of the file
// (the line holds "#", "include" and the header as written); a preamble whose text
// is put inside #if … with no #endif in it reports none; and in a preamble with no
// conditional, comment or continuation, every plain `#include <name.h>` line is
// reported at its line.
func FuzzScanIncludes(f *testing.F) {
	f.Add("#include <a.h>\n#if X\n#include <b.h>\n#endif\n#include \"c/d.h\"")
	f.Add("#ifdef A\n#else\n#include <x.h>\n#endif\n/* #include <y.h> */ #include <z.h>")
	f.Add("#define M \\\n#include <a.h>\n  # include <sys/io.h>\r\n")
	f.Add("//line x.go:9\n#include <a.h>")
	f.Fuzz(func(t *testing.T, body string) {
		if strings.Contains(body, "*/") {
			return // would end the Go comment: a different file
		}
		src := "package p\n\n/*\n" + body + "\n*/\nimport \"C\"\n"
		lines := strings.Split(src, "\n")
		got := scanIncludes([]byte(src))
		for _, inc := range got {
			if inc.Line < 4 || inc.Line > len(lines) {
				t.Fatalf("include %+v outside the preamble's lines", inc)
			}
			l := lines[inc.Line-1]
			h := inc.Header
			if len(h) < 3 || !(h[0] == '<' && h[len(h)-1] == '>' || h[0] == '"' && h[len(h)-1] == '"') || strings.ContainsAny(h, "\n\r") {
				t.Fatalf("malformed header %q", h)
			}
			if !strings.Contains(l, h) || !strings.Contains(l, "include") || !strings.Contains(l, "#") {
				t.Fatalf("line %d %q does not hold %s", inc.Line, l, h)
			}
		}
		if !strings.Contains(body, "endif") {
			wrapped := "package p\n\n/*\n#if GONATIVE_FUZZ\n" + body + "\n*/\nimport \"C\"\n"
			if in := scanIncludes([]byte(wrapped)); len(in) != 0 {
				t.Fatalf("inside #if, reported %+v", in)
			}
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly|parser.ParseComments); err != nil {
			return // not a Go file cgo reads (invalid UTF-8, NUL): nothing to complete
		}
		if strings.ContainsAny(body, "\\\r") || strings.Contains(body, "#if") || strings.Contains(body, "/*") || strings.Contains(body, "//") {
			return
		}
		for i, l := range strings.Split(body, "\n") {
			name, ok := strings.CutPrefix(l, "#include <")
			name, ok2 := strings.CutSuffix(name, ".h>")
			if !ok || !ok2 || name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_/") != "" {
				continue
			}
			want := include{Line: 4 + i, Header: "<" + name + ".h>"}
			if !slices.Contains(got, want) {
				t.Fatalf("plain %q at line %d not reported: %+v", l, want.Line, got)
			}
		}
	})
}
