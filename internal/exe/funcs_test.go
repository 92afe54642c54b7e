package exe

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
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
// range; sortSpans keeps them sorted and disjoint.
func FuzzEHFrame(f *testing.F) {
	f.Add(ehSeed(), uint64(0x2000))
	f.Add(bytes.Repeat([]byte{0xff}, 64), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, addr uint64) {
		for _, is64 := range []bool{true, false} {
			spans := ehFrameFuncs(b, addr, binary.LittleEndian, is64)
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
