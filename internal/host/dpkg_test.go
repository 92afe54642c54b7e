package host

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// libraryPathsByLine is appendLibraryPaths as it was: every line looked at.
func libraryPathsByLine(list []byte) []string {
	var dst []string
	for len(list) > 0 {
		line, rest, _ := bytes.Cut(list, []byte("\n"))
		list = rest
		if isLibraryPath(line) {
			dst = append(dst, string(line))
		}
	}
	return dst
}

// dpkgListSeeds are file lists: hand-made corner cases, and this machine's dpkg
// lists when there are some.
func dpkgListSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		nil,
		[]byte("\n"),
		[]byte(".so"),
		[]byte("/lib/x.so"),
		[]byte("/lib/x.so\n"),
		[]byte("/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n/usr/lib/x86_64-linux-gnu/libz.so.1\n/usr/share/doc/zlib1g/copyright\n"),
		[]byte("/usr/share/doc/a.so/readme\n/usr/lib/b.so.so\n\n/lib.so/x\n/usr/libexec/a.so\r\n/x/lib/y.so"),
		[]byte(".so.so.so\n/lib/.so\n/lib/\n/.so/lib/a"),
	}
	names, _ := filepath.Glob("/var/lib/dpkg/info/*.list")
	for _, n := range names[:min(len(names), 40)] {
		if b, err := os.ReadFile(n); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// TestLibraryPathsMatchLines: appendLibraryPaths, which looks only at the lines with
// ".so" in them, keeps the lines that a look at every line keeps, on the corner
// cases and on this machine's lists.
func TestLibraryPathsMatchLines(t *testing.T) {
	for _, list := range dpkgListSeeds(t) {
		got, want := appendLibraryPaths(nil, list), libraryPathsByLine(list)
		if !slices.Equal(got, want) {
			t.Errorf("%.60q: got %q, want %q", list, got, want)
		}
	}
}

// TestLibraryPathsSkipsLines: a list of a thousand lines, two of them libraries, is
// read by looking at the two lines with ".so" only (line by line: a thousand).
func TestLibraryPathsSkipsLines(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		switch i {
		case 10, 900:
			b.WriteString("/usr/lib/x86_64-linux-gnu/libfoo.so.1\n")
		default:
			b.WriteString("/usr/share/doc/foo/changelog.Debian.gz\n")
		}
	}
	looked := 0
	defer func(f func([]byte) bool) { libraryLine = f }(libraryLine)
	libraryLine = func(line []byte) bool { looked++; return isLibraryPath(line) }
	got := appendLibraryPaths(nil, []byte(b.String()))
	if len(got) != 2 || looked != 2 {
		t.Errorf("%d libraries after looking at %d lines, want 2 after 2", len(got), looked)
	}
}

// FuzzLibraryPaths: on any list, appendLibraryPaths keeps exactly the lines a look at
// every line keeps, in order.
func FuzzLibraryPaths(f *testing.F) {
	for _, s := range dpkgListSeeds(f)[:8] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list []byte) {
		if got, want := appendLibraryPaths(nil, list), libraryPathsByLine(list); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// TestPathSet checks the dpkg index's set of paths: every path put in is found,
// under either of its merged-/usr names, others (neighbours, prefixes, extensions)
// are not, and only a sorted list of non-empty lines in merged-/usr form is taken for
// a set.
func TestPathSet(t *testing.T) {
	in := []string{"/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/libm.so",
		"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libzstd.so.1", "/opt/lib/libq.so"}
	s := newPathSet(in)
	if again, ok := parsePathSet(s.lines); !ok || !slices.Equal(again.at, s.at) {
		t.Fatalf("newPathSet(%q) = %q: not read back", in, s.lines)
	}
	for _, p := range append(in, "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/libm.so") {
		if !s.has(p) {
			t.Errorf("%s: not found in %q", p, s.lines)
		}
	}
	for _, p := range []string{"", "/", "/lib", "/usr/lib/libm.s", "/usr/lib/libm.so.6", "/usr/lib/x86_64-linux-gnu/libz.so", "/zzz", "/a", "/opt/lib/libq.so.1"} {
		if s.has(p) {
			t.Errorf("%q found in %q", p, s.lines)
		}
	}
	if empty := newPathSet(nil); empty.has("/lib/libc.so.6") {
		t.Errorf("the empty set %#v", empty)
	}
	for _, bad := range []string{"b\na\n", "a\na\n", "a\n\nb\n", "a\nb", "/usr/lib/a.so\n"} {
		if _, ok := parsePathSet([]byte(bad)); ok {
			t.Errorf("%q taken for a set", bad)
		}
	}
}

// TestPathSetHasAllocs: a lookup allocates nothing (inspect asks one per library
// directory of every library of every file).
func TestPathSetHasAllocs(t *testing.T) {
	s := newPathSet([]string{"/lib/a.so", "/lib/b.so", "/usr/lib/c.so"})
	if n := testing.AllocsPerRun(100, func() { s.has("/lib/b.so"); s.has("/usr/lib/bb.so") }); n != 0 {
		t.Errorf("has: %v allocations, want 0", n)
	}
}

// FuzzPathSet: bytes taken for a set are found line by line, and nothing else is; a
// set built from any paths holds exactly them.
func FuzzPathSet(f *testing.F) {
	f.Add([]byte("/lib/a.so\n/lib/b.so\n/opt/c.so\n"), "/usr/lib/b.so")
	f.Add([]byte("a\nb\nc\nd\ne\n"), "c")
	f.Add([]byte(""), "x")
	f.Fuzz(func(t *testing.T, b []byte, p string) {
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if s, ok := parsePathSet(b); ok {
			if got, want := s.has(p), len(b) > 0 && slices.Contains(lines, canonPath(p)); got != want {
				t.Fatalf("has(%q) = %v in %q, want %v", p, got, b, want)
			}
		}
		var paths []string
		for _, l := range lines {
			if l != "" {
				paths = append(paths, l)
			}
		}
		s := newPathSet(paths)
		if _, ok := parsePathSet(s.lines); !ok {
			t.Fatalf("newPathSet(%q) = %q: not read back", paths, s.lines)
		}
		want := p != "" && slices.ContainsFunc(paths, func(q string) bool { return canonPath(q) == canonPath(p) })
		if got := s.has(p); got != want {
			t.Fatalf("newPathSet(%q).has(%q) = %v, want %v", paths, p, got, want)
		}
	})
}
