package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDocBlocks(t *testing.T) {
	page := strings.Join([]string{
		"# Title",                            // 1
		"<!-- doctest: run hello -->",        // 2
		"",                                   // 3
		"```console",                         // 4
		"$ gonative inspect hello",           // 5
		"hello: ELF",                         // 6
		"```",                                // 7
		"<!-- doctest: skip needs a Mac -->", // 8
		"some prose",                         // 9: the marker does not reach past text
		"```",                                // 10
		"$ GOPROXY=off gonative doctor",      // 11
		"```",                                // 12
		"<!-- doctest: frobnicate x -->",     // 13
		"```sh",                              // 14
		"go install ./cmd/gonative",          // 15
		"```",                                // 16
		"<!-- doctest: pending -->",          // 17
		"````",                               // 18
		"```",                                // 19: inside a longer fence
		"````",                               // 20
		"<!-- doctest: file init home/me/hello/Dockerfile -->", // 21
		"```dockerfile",                  // 22
		"FROM scratch",                   // 23
		"```",                            // 24
		"<!-- doctest: excerpt init -->", // 25: no path
		"```",                            // 26
		"# Written by `gonative init docker`: only what the build needs", // 27
		"```",      // 28
		"```yaml",  // 29: unmarked, a kind gonative writes
		"on: push", // 30
		"```",      // 31
	}, "\n")
	got := parseDocBlocks("p.md", page)
	type short struct {
		Line   int
		Info   string
		Kind   docMarkerKind
		Arg    string
		Path   string
		Output bool
		File   bool
		Err    bool
		Body   int
	}
	var s []short
	for _, b := range got {
		s = append(s, short{b.Line, b.Info, b.Kind, b.Arg, b.Path, b.showsOutput(), b.showsWrittenFile(), b.Error != "", len(b.Body)})
	}
	want := []short{
		{4, "console", docRun, "hello", "", true, false, false, 2},
		{10, "", docUnmarked, "", "", true, false, false, 1},
		{14, "sh", docUnmarked, "x", "", false, false, true, 1},
		{18, "", docPending, "", "", false, false, true, 1},
		{22, "dockerfile", docFile, "init", "home/me/hello/Dockerfile", false, true, false, 1},
		{26, "", docExcerpt, "init", "", false, true, true, 1},
		{29, "yaml", docUnmarked, "", "", false, true, false, 1},
	}
	if !slices.Equal(s, want) {
		t.Errorf("parseDocBlocks:\n got %+v\nwant %+v", s, want)
	}
}

func TestDocSession(t *testing.T) {
	for _, tt := range []struct {
		body []string
		want []docCommand
		ok   bool
	}{
		{[]string{"$ gonative a", "out", "", "$ gonative b"}, []docCommand{{"gonative a", []string{"out", ""}}, {"gonative b", nil}}, true},
		{[]string{"", "$ gonative a \\", "  --json", "x"}, []docCommand{{"gonative a \\\n  --json", []string{"x"}}}, true},
		{[]string{"output first", "$ gonative a"}, nil, false},
		{nil, nil, false},
	} {
		got, ok := docSession(tt.body)
		if ok != tt.ok || len(got) != len(tt.want) {
			t.Errorf("docSession(%q) = %q, %v; want %q, %v", tt.body, got, ok, tt.want, tt.ok)
			continue
		}
		for i := range got {
			if got[i].Cmd != tt.want[i].Cmd || !slices.Equal(got[i].Output, tt.want[i].Output) {
				t.Errorf("docSession(%q)[%d] = %q, want %q", tt.body, i, got[i], tt.want[i])
			}
		}
	}
}

func TestDocNormalize(t *testing.T) {
	repl := docReplacer("/tmp/ts/script-x", "/usr/lib/go-1.26", "go1.26.1", "/root/.cache/go-build", "/root/go/pkg/mod")
	for _, tt := range []struct{ a, b string }{
		{"/tmp/ts/script-x/home/me/proj/hello:  ELF", "/home/me/proj/hello: ELF"},
		{"/usr/lib/go-1.26/bin/go", "/usr/local/go/bin/go"},
		{"sha256 3f2a9c01d4e5b6a7  1.9 MB  in 1.23s", "sha256 deadbeef00  12 MB  in 45ms"},
		{"fetched at 2026-12-06T19:53:29Z from 127.0.0.1:4321", "fetched at 2025-01-02T03:04:05Z from 127.0.0.1:80"},
		{"took 1m2.5s", "took 3s"},
		{"Took 28 ms.", "Took 3 ms."},
		{"key: sum.test+1fb6ac33+AUxNAS+pE5uaSA6MW17EWGUpDlUbIBOLRKWlvQXWR8ER", "key: sum.test+60264605+AcsqQe7oajoVnnTPp31ZUHd8Z+HCZzDcREKXofUnEuvj"},
		{"hash ryutwkRLBhKAPuU6ers+5eVYa+WNt2EHirKZ9m94NQk=, signed", "hash UEST0+dhwRj3qeRY64Lfcdyh2fZr9hCExfb2YLXQWS8=, signed"},
		{"SHA-256 CC:E6:D8:BC:A6:7E:B5:3A:38:4E:5B:3D:E9:DE:C2:CB:61:7E:11:99:AB:8E:3E:C6:B0:D9:18:6E:C5:DA:12:78)", "SHA-256 06:E0:0F:37:CF:D0:3F:84:51:B6:A3:27:CC:F8:DF:26:C0:B5:93:75:81:6D:9B:5B:F2:BE:29:BE:68:3F:20:70)"},
		{"[✓] Host (linux/amd64, kernel 6.18.44-fc-v669)", "[✓] Host (linux/amd64, kernel 6.8.0-1015-aws)"},
		{"go1.26.1 linux/amd64 (go1.26.1)", "go1.26.8 linux/amd64 (go1.26.8)"},
	} {
		if x, y := docNormalize(tt.a, repl), docNormalize(tt.b, repl); x != y {
			t.Errorf("docNormalize(%q) = %q and docNormalize(%q) = %q, want them equal", tt.a, x, tt.b, y)
		}
	}
	for _, tt := range []struct{ a, b string }{
		{"linux/arm64", "linux/amd64"},
		{"[✓] Module proxy", "[✗] Module proxy"},
		{"go1.26.0", "go1.27.0"},
		{"exit 3", "exit 1"},
	} {
		if x, y := docNormalize(tt.a, repl), docNormalize(tt.b, repl); x == y {
			t.Errorf("docNormalize makes %q and %q both %q: a real difference must stay one", tt.a, tt.b, x)
		}
	}
}

func TestDocFileMatch(t *testing.T) {
	file := []string{"# syntax", "FROM a", "RUN b", "USER c"}
	for _, tt := range []struct {
		excerpt bool
		block   []string
		ok      bool
	}{
		{false, file, true},
		{false, file[:3], false}, // a whole file shown without its end
		{false, []string{"# syntax", "...", "USER c"}, true},
		{true, []string{"FROM a", "RUN b"}, true},
		{true, []string{"FROM a", "USER c"}, false}, // not consecutive
		{true, []string{"RUN b", "FROM a"}, false},
		{true, []string{"FROM  a"}, false}, // byte for byte: no normalisation
		{true, file, true},
	} {
		if got := docFileMatch(tt.excerpt, tt.block, file); got != tt.ok {
			t.Errorf("docFileMatch(%v, %q) = %v, want %v", tt.excerpt, tt.block, got, tt.ok)
		}
	}
}

func TestDocMatch(t *testing.T) {
	for _, tt := range []struct {
		want, got []string
		ok        bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a", "b"}, []string{"a"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
		{[]string{"a", "...", "d"}, []string{"a", "b", "c", "d"}, true},
		{[]string{"a", "...", "d"}, []string{"a", "d"}, true},
		{[]string{"a", "...", "d"}, []string{"a", "b"}, false},
		{[]string{"...", "x", "..."}, []string{"a", "x", "b"}, true},
		{[]string{"...", "x", "...", "x"}, []string{"x", "x", "a"}, false},
		{nil, nil, true},
	} {
		if got := docMatch(tt.want, tt.got); got != tt.ok {
			t.Errorf("docMatch(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
}

// FuzzParseDocBlocks holds the parser to the page: every block starts at a fence line
// and its body is the page's lines after it, in order; a block that shows output has a
// "$ " line with gonative in it; a session found is the body split at its "$ " lines.
func FuzzParseDocBlocks(f *testing.F) {
	f.Add("<!-- doctest: run hello -->\n```console\n$ gonative inspect x\nx: ELF\n```\n")
	f.Add("```\n$ gonative doctor\n```\n<!-- doctest: skip Mac -->\n\n~~~\nno\n~~~")
	f.Add("````\n```\n````\n```")
	f.Add("<!-- doctest: file init home/me/hello/Dockerfile -->\n```dockerfile\nFROM scratch\n```\n<!-- doctest: excerpt a b c -->\n```\n# Written by `gonative init`\n```")
	f.Fuzz(func(t *testing.T, text string) {
		blocks, lines := docBlocksOf(text)
		next := 0
		for _, b := range blocks {
			if b.Line-1 < next || b.Line > len(lines) {
				t.Fatalf("block at line %d out of order or past the end (%d lines)", b.Line, len(lines))
			}
			if !docFenceRE.MatchString(lines[b.Line-1]) {
				t.Fatalf("block at line %d: %q is not a fence", b.Line, lines[b.Line-1])
			}
			if end := b.Line + len(b.Body); end > len(lines) || !slices.Equal(b.Body, lines[b.Line:end]) {
				t.Fatalf("block at line %d: body is not the page's lines after the fence", b.Line)
			}
			next = b.Line + len(b.Body)
			if (b.Kind == docFile || b.Kind == docExcerpt) && b.Error == "" &&
				(b.Arg == "" || b.Path == "" || strings.ContainsAny(b.Arg+b.Path, " \t")) {
				t.Fatalf("block at line %d: %s marker without one setup and one path: %q %q", b.Line, b.Kind, b.Arg, b.Path)
			}
			if b.Path != "" && b.Kind != docFile && b.Kind != docExcerpt {
				t.Fatalf("block at line %d: a path on a %s block", b.Line, b.Kind)
			}
			if b.showsOutput() != (slices.ContainsFunc(b.Body, docPromptRE.MatchString) || slices.ContainsFunc(b.Body, docOutputRE.MatchString)) {
				t.Fatal("showsOutput disagrees with the body")
			}
			if cmds, ok := docSession(b.Body); ok {
				n := 0
				for _, c := range cmds {
					n += 1 + strings.Count(c.Cmd, "\n") + len(c.Output)
				}
				lead := 0
				for lead < len(b.Body) && strings.TrimSpace(b.Body[lead]) == "" && !strings.HasPrefix(b.Body[lead], "$ ") {
					lead++
				}
				if n+lead != len(b.Body) {
					t.Fatalf("session of %d lines from a body of %d (%d blank before)", n, len(b.Body), lead)
				}
			}
		}
	})
}
