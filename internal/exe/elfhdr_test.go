package exe

import (
	"bytes"
	"debug/elf"
	"io"
	"os"
	"reflect"
	"testing"
)

// checkELFHeaders fails when parseELFHeaders accepts an image that debug/elf.NewFile
// refuses or reads differently. It reports whether parseELFHeaders accepted it.
func checkELFHeaders(t *testing.T, name string, ra io.ReaderAt, size int64) bool {
	t.Helper()
	r := io.NewSectionReader(ra, 0, size)
	h, ok := parseELFHeaders(r, size)
	if !ok {
		return false
	}
	f, err := elf.NewFile(r)
	if err != nil {
		t.Fatalf("%s: parseELFHeaders accepts what debug/elf refuses: %v", name, err)
	}
	want := elfHeadersOf(f, r)
	if h.class != want.class || h.bo != want.bo || !reflect.DeepEqual(h.progs, want.progs) || !reflect.DeepEqual(h.sections, want.sections) {
		t.Fatalf("%s: parseELFHeaders reads\n%+v\ndebug/elf reads\n%+v", name, h, want)
	}
	return true
}

// TestELFHeadersTree compares parseELFHeaders with debug/elf.NewFile on every ELF file
// of BenchmarkReadTree's tree (the Go tools, /usr/bin, the C libraries, the corpus).
func TestELFHeadersTree(t *testing.T) {
	files := treeFiles(t)
	var n, fast int
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		var magic [4]byte
		st, err := f.Stat()
		if _, rerr := f.ReadAt(magic[:], 0); err == nil && rerr == nil && string(magic[:]) == "\x7fELF" {
			n++
			if checkELFHeaders(t, p, f, st.Size()) {
				fast++
			}
		}
		f.Close()
	}
	if n == 0 {
		t.Skip("no ELF file in the tree (see treeRoots)")
	}
	t.Logf("%d ELF files, %d parsed by parseELFHeaders, %d left to debug/elf", n, fast, n-fast)
	if fast == 0 {
		t.Errorf("parseELFHeaders parsed none of %d ELF files", n)
	}
}

// FuzzELFHeaders checks that parseELFHeaders accepts only what debug/elf.NewFile
// accepts, and reads the same headers.
func FuzzELFHeaders(f *testing.F) {
	f.Add(tinyGoELF(true))
	f.Add(tinyGoELF(false))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkELFHeaders(t, "input", bytes.NewReader(b), int64(len(b)))
	})
}
