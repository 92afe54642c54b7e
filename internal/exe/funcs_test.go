package exe

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// TestEHFrameFuncsReadelf reads the FDEs of real libraries' .eh_frame and compares them
// with binutils' readelf -wf, an independent reader.
func TestEHFrameFuncsReadelf(t *testing.T) {
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("readelf not installed (binutils)")
	}
	re := regexp.MustCompile(`FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)`)
	n := 0
	for _, p := range []string{"/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/ls"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		s := f.Section(".eh_frame")
		if s == nil {
			f.Close()
			continue
		}
		b, err := s.Data()
		if err != nil {
			t.Fatal(err)
		}
		got := ehFrameFuncs(b, s.Addr, f.ByteOrder, f.Class == elf.ELFCLASS64)
		f.Close()
		// readelf exits 1 over warnings (a missing separate debug file) yet prints
		// every FDE.
		out, _ := exec.Command("readelf", "-wf", p).Output()
		var want []Span
		for _, m := range re.FindAllSubmatch(out, -1) {
			lo, _ := strconv.ParseUint(string(m[1]), 16, 64)
			hi, _ := strconv.ParseUint(string(m[2]), 16, 64)
			if hi > lo && lo != 0 {
				want = append(want, Span{Lo: lo, Hi: hi})
			}
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Errorf("%s: %d FDEs, readelf says %d", p, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: FDE %d is %#x-%#x, readelf says %#x-%#x", p, i, got[i].Lo, got[i].Hi, want[i].Lo, want[i].Hi)
				break
			}
		}
		n++
	}
	if n == 0 {
		t.Skip("no x86-64 ELF with .eh_frame here")
	}
}

// ehSeed is a minimal .eh_frame: a "zR" CIE with pcrel|sdata4 pointers and one FDE.
func ehSeed() []byte {
	var b []byte
	le := binary.LittleEndian
	cie := []byte{0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 0x10, 1, 0x1b, 0, 0, 0}
	b = le.AppendUint32(b, uint32(len(cie)))
	b = append(b, cie...)
	fde := le.AppendUint32(nil, uint32(len(b)+4)) // back to the CIE
	fde = le.AppendUint32(fde, 0x100)             // pc_begin, pcrel
	fde = le.AppendUint32(fde, 0x40)              // pc_range
	fde = append(fde, 0, 0, 0, 0)
	b = le.AppendUint32(b, uint32(len(fde)))
	return append(b, fde...)
}

func TestEHFrameSeed(t *testing.T) {
	got := ehFrameFuncs(ehSeed(), 0x2000, binary.LittleEndian, true)
	// The FDE's pc_begin field lies at 0x2000 + 20 + 8.
	want := Span{Lo: 0x2000 + 28 + 0x100, Hi: 0x2000 + 28 + 0x140}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %#x, want %#x", got, want)
	}
}

// FuzzEHFrame: the reader never panics, and every function it returns is a non-empty
// range; sortSpans keeps them sorted and disjoint. The first function read from any
// prefix of the section (elfFuncsSource) is the first of the whole.
func FuzzEHFrame(f *testing.F) {
	f.Add(ehSeed(), uint64(0x2000))
	f.Add(bytes.Repeat([]byte{0xff}, 64), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, addr uint64) {
		for _, is64 := range []bool{true, false} {
			spans := ehFrameFuncs(b, addr, binary.LittleEndian, is64)
			for k := range len(b) + 1 {
				first := ehFrameSpans(b[:k], addr, binary.LittleEndian, is64, 1, nil)
				if len(first) > 0 && (len(spans) == 0 || first[0] != spans[0]) {
					t.Fatalf("first function of %d of %d bytes: %#x; of them all: %#x", k, len(b), first, spans[:min(len(spans), 1)])
				}
			}
			for _, s := range spans {
				if s.Hi <= s.Lo {
					t.Fatalf("empty or wrapped function %#x-%#x", s.Lo, s.Hi)
				}
			}
			s := sortSpans(spans)
			for i := 1; i < len(s); i++ {
				if s[i].Lo < s[i-1].Hi || s[i].Lo <= s[i-1].Lo {
					t.Fatalf("overlap after sortSpans: %#x", s)
				}
			}
		}
	})
}

// TestPclnFuncsGosym reads the function table of Go programs (internal and external
// linking, PIE) with pclnFuncs and with the standard library's debug/gosym: the same
// functions, at the same addresses.
func TestPclnFuncsGosym(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
	}{
		{"exe", nil},
		{"pie", []string{"-buildmode=pie"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}, tt.flags...)
			f, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pcln, err := f.Section(".gopclntab").Data()
			if err != nil {
				t.Fatal(err)
			}
			text := f.Section(".text").Addr
			tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, text))
			if err != nil {
				t.Fatal(err)
			}
			fd, _ := os.Open(path)
			defer fd.Close()
			st, _ := fd.Stat()
			l, err := readLayout(fd, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			h, ok := findPcln(fd, st.Size(), l, true)
			if !ok {
				t.Fatal("no pclntab")
			}
			got := pclnFuncs(fd, h, text)
			if len(got) != len(tab.Funcs) {
				t.Fatalf("%d functions, debug/gosym says %d", len(got), len(tab.Funcs))
			}
			for i, fn := range tab.Funcs {
				if got[i].Lo != fn.Entry || got[i].Hi != fn.End {
					t.Fatalf("function %d (%s): %#x-%#x, debug/gosym says %#x-%#x", i, fn.Name, got[i].Lo, got[i].Hi, fn.Entry, fn.End)
				}
			}
		})
	}
}

// FuzzPclnFuncs: a pclntab header and function table from arbitrary bytes never
// panics the reader, and every function it returns is a non-empty range, at most one
// per entry of the table.
func FuzzPclnFuncs(f *testing.F) {
	b := tinyGoELF(false)
	f.Add(b[64+56:], uint64(0x401000))
	f.Fuzz(func(t *testing.T, b []byte, text uint64) {
		ra := bytes.NewReader(b)
		h, ok := parsePcln(ra, 0, int64(len(b)))
		if !ok {
			return
		}
		spans := pclnFuncs(ra, h, text)
		if uint64(len(spans)) > h.nfunc {
			t.Fatalf("%d functions from a table of %d", len(spans), h.nfunc)
		}
		for _, s := range spans {
			if s.Hi <= s.Lo {
				t.Fatalf("empty function %#x-%#x", s.Lo, s.Hi)
			}
		}
	})
}

// spansFrom makes n spans from b, 16 bytes each (start and length, little-endian);
// the starts keep only the bits in mask, so that equal starts happen.
func spansFrom(b []byte, mask uint64) []Span {
	var s []Span
	for ; len(b) >= 16; b = b[16:] {
		lo := binary.LittleEndian.Uint64(b) & mask
		s = append(s, Span{Lo: lo, Hi: lo + binary.LittleEndian.Uint64(b[8:])%4096})
	}
	return s
}

// TestOrderSpans checks orderSpans (the sorted shortcut, the merge of runs, the radix
// sort) against
// slices.SortFunc with the same order, on tables like real ones and on adversarial
// ones: equal starts, starts that differ only in high bytes, fewer spans than the
// radix sort takes.
func TestOrderSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int, mask uint64) []Span {
		b := make([]byte, 16*n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return spansFrom(b, mask)
	}
	symtab := func(n int) []Span { // a symbol table's order: sorted runs, by object file
		s := make([]Span, n)
		for i := range s {
			lo := 0x401000 + uint64(i)*48
			s[i] = Span{Lo: lo, Hi: lo + 40}
		}
		for i := 0; i+64 <= n; i += 64 {
			rng.Shuffle(64, func(a, b int) { s[i+a], s[i+b] = s[i+b], s[i+a] })
		}
		return s
	}
	tests := []struct {
		name  string
		spans []Span
	}{
		{"empty", nil},
		{"one", []Span{{Lo: 5, Hi: 6}}},
		{"small random", random(100, 0xffff)},
		{"random", random(5000, ^uint64(0))},
		{"random low", random(5000, 0xfff0)},
		{"equal starts", random(3000, 0x30)},
		{"high bytes only", random(3000, 0xff00_0000_0000_0000)},
		{"symbol table", symtab(10000)},
		{"sorted", sortedSpans(random(2000, 0xffffff))},
		{"two runs", append(sortedSpans(random(2000, 0xffffff)), sortedSpans(random(1000, 0xffffff))...)},
		{"few runs", slices.Concat(sortedSpans(random(10, 0xff)), sortedSpans(random(300, 0xfff)), sortedSpans(random(5, 0xfff)), sortedSpans(random(700, 0x30)))},
		{"runs of one", random(2*maxRuns, 0xffff)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.spans)
			slices.SortFunc(want, cmpSpan)
			got := slices.Clone(tt.spans)
			orderSpans(got)
			if !slices.Equal(got, want) {
				t.Fatalf("orderSpans differs from slices.SortFunc (%d spans)", len(got))
			}
		})
	}
}

func sortedSpans(s []Span) []Span {
	slices.SortFunc(s, cmpSpan)
	return s
}

// FuzzOrderSpans: orderSpans sorts any table as slices.SortFunc with cmpSpan does.
func FuzzOrderSpans(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 1, 2, 3, 4, 5, 6, 7, 8}, 300), uint64(0xffff))
	f.Add(bytes.Repeat([]byte{0xff, 0, 0, 0, 0, 0, 0, 1}, 600), ^uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, mask uint64) {
		s := spansFrom(b, mask)
		if len(s) < radixMin && len(b) >= 32 {
			// Repeat the input so that the radix sort runs, not only the small sort.
			for len(s) < radixMin {
				s = append(s, s[:min(len(s), radixMin)]...)
				for i := range s[len(s)/2:] {
					s[len(s)/2+i].Lo ^= uint64(i) * 0x9e3779b97f4a7c15 & mask
				}
			}
		}
		want := slices.Clone(s)
		slices.SortFunc(want, cmpSpan)
		orderSpans(s)
		if !slices.Equal(s, want) {
			t.Fatalf("orderSpans differs from slices.SortFunc (%d spans)", len(s))
		}
	})
}

// BenchmarkSortSpans sorts function tables in the order their files hold them, as
// elfFuncs does: the .eh_frame of libLLVM (about 100,000 functions, the largest
// here) and the symbol table of Go's compiler, with sortSpans (radix) and with the
// comparison sort it replaced.
func BenchmarkSortSpans(b *testing.B) {
	for _, tc := range []struct{ name, path string }{
		{"eh_frame", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"},
		{"symtab", filepath.Join(fixture.GOROOT(b), "pkg", "tool", runtime.GOOS+"_"+runtime.GOARCH, "compile")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := elf.Open(tc.path)
			if err != nil {
				b.Skipf("%v (Debian's llvm-15 package has libLLVM)", err)
			}
			defer f.Close()
			var spans []Span
			if tc.name == "symtab" {
				elfSymbols(f, elf.SHT_SYMTAB, func(info byte, shndx uint16, value, size uint64, name func() []byte) bool {
					if elf.ST_TYPE(info) == elf.STT_FUNC && size > 0 {
						spans = append(spans, Span{Lo: value, Hi: value + size})
					}
					return true
				})
			} else if s := f.Section(".eh_frame"); s != nil {
				data, err := s.Data()
				if err != nil {
					b.Fatal(err)
				}
				spans = ehFrameFuncs(data, s.Addr, f.ByteOrder, true)
			}
			if len(spans) == 0 {
				b.Skip("no functions in the table")
			}
			benchmarkSortSpans(b, spans)
		})
	}
}

func benchmarkSortSpans(b *testing.B, spans []Span) {
	work := make([]Span, len(spans))
	b.Run("sortSpans", func(b *testing.B) {
		for b.Loop() {
			copy(work, spans)
			sortSpans(work)
		}
	})
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			copy(work, spans)
			slices.SortFunc(work, cmpSpan)
		}
	})
}

// TestCodeMapsEHFrame reads the functions of a stripped C++ library from its large
// .eh_frame (libz3's: 2 MB) whole, as a Go image's are merged with its pclntab's,
// through the file, which maps the section, and through a reader that cannot be
// mapped, which copies it: the same functions, and the mapped read allocates less
// than the section's size (it once copied it whole into a buffer).
func TestCodeMapsEHFrame(t *testing.T) {
	var path string
	var ehSize uint64
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/libz3.so.4", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"} {
		if f, err := elf.Open(p); err == nil {
			s := f.Section(".eh_frame")
			if f.Section(".symtab") == nil && s != nil && s.Type == elf.SHT_PROGBITS && s.Size >= 4*mapMin {
				path, ehSize = p, s.Size
			}
			f.Close()
		}
		if path != "" {
			break
		}
	}
	if path == "" {
		t.Skip("no stripped library with a large .eh_frame here (Debian's libz3-4 has one)")
	}
	fd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	f, err := elf.NewFile(fd)
	if err != nil {
		t.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	mapped := elfEHFuncs(f, fd)
	runtime.ReadMemStats(&m1)
	copied := elfEHFuncs(f, struct{ io.ReaderAt }{fd}) // no longer an *os.File: read, not mapped
	if len(mapped) == 0 || !slices.Equal(mapped, copied) {
		t.Fatalf("mapped: %d functions; copied: %d", len(mapped), len(copied))
	}
	// The spans themselves: 16 bytes a function.
	if n := m1.TotalAlloc - m0.TotalAlloc - 16*uint64(cap(mapped)); n >= ehSize/2 {
		t.Errorf("elfEHFuncs allocated %d bytes beside its spans for a %d-byte .eh_frame: it copied the section", n, ehSize)
	}
}
