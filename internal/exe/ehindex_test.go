package exe

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
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

// TestEHIndexAgrees looks up functions through the .eh_frame_hdr of real programs
// and libraries (ehIndex, as an unwinder finds them) and through the sorted spans of
// their whole .eh_frame (Code.Funcs, as the scan checked its uses before the
// index): at the start, middle and last byte of every function, just past its end
// and before the first, both find the same function and end.
func TestEHIndexAgrees(t *testing.T) {
	paths := []string{"/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/bin/git",
		"/usr/bin/python3", "/usr/lib/aarch64-linux-gnu/libc.so.6"}
	more, _ := filepath.Glob("/usr/bin/*")
	paths = append(paths, more[:min(len(more), 60)]...)
	files, lookups := 0, 0
	for _, p := range paths {
		fd, err := os.Open(p)
		if err != nil {
			continue
		}
		f, err := elf.NewFile(fd)
		if err != nil {
			fd.Close()
			continue
		}
		x := newEHIndex(f)
		all := elfEHFuncs(f, fd)
		if x == nil || len(all) == 0 {
			f.Close()
			fd.Close()
			continue
		}
		indexed, whole := &Code{index: x}, &Code{Funcs: all}
		check := func(a uint64) {
			lookups++
			s1, e1, ok1 := indexed.FuncAt(a)
			s2, e2, ok2 := whole.FuncAt(a)
			if s1 != s2 || e1 != e2 || ok1 != ok2 {
				t.Fatalf("%s: at %#x the index finds %#x-%#x (end %#x, %v), the whole table %#x-%#x (end %#x, %v)",
					p, a, s1.Lo, s1.Hi, e1, ok1, s2.Lo, s2.Hi, e2, ok2)
			}
		}
		check(all[0].Lo - 1)
		for _, s := range all {
			check(s.Lo)
			check(s.Lo + (s.Hi-s.Lo)/2)
			check(s.Hi - 1)
			check(s.Hi)
		}
		t.Logf("%s: %d FDEs in the table, %d functions", p, x.entries(), len(all))
		files++
		f.Close()
		fd.Close()
	}
	if files == 0 {
		t.Skip("no ELF file with .eh_frame_hdr here")
	}
	t.Logf("%d files, %d lookups", files, lookups)
}

// ehHdrSeed is an .eh_frame_hdr at 0x1000 for ehSeed's .eh_frame at 0x2000: version
// 1, eh_frame_ptr pcrel sdata4, fde_count udata4, a datarel sdata4 table of its FDE.
func ehHdrSeed() []byte {
	var b []byte
	b = append(b, 1, 0x1b, 0x03, ehTableDatarel)
	b = binary.LittleEndian.AppendUint32(b, uint32(0x2000-0x1004)) // eh_frame_ptr
	b = binary.LittleEndian.AppendUint32(b, 1)                     // fde_count
	spans := ehFrameFuncs(ehSeed(), 0x2000, binary.LittleEndian, true)
	b = binary.LittleEndian.AppendUint32(b, uint32(spans[0].Lo-0x1000))
	b = binary.LittleEndian.AppendUint32(b, uint32(ehSeedFDE-0x1000))
	return b
}

// ehSeedFDE is the address of ehSeed's FDE (after its CIE) at 0x2000.
var ehSeedFDE = func() uint64 {
	b := ehSeed()
	return 0x2000 + 4 + uint64(binary.LittleEndian.Uint32(b))
}()

// TestEHIndexSeed looks up ehSeed's one function through ehHdrSeed, and gets no index
// from a header it does not read.
func TestEHIndexSeed(t *testing.T) {
	frame, hdr := ehSeed(), ehHdrSeed()
	want := ehFrameFuncs(frame, 0x2000, binary.LittleEndian, true)[0]
	open := func(h []byte) *ehIndex {
		return readEHIndex(bytes.NewReader(h), int64(len(h)), 0x1000, bytes.NewReader(frame), int64(len(frame)), 0x2000,
			ehOrder{}, true)
	}
	x := open(hdr)
	if x == nil {
		t.Fatal("no index from the seed's header")
	}
	c := &Code{index: x}
	for _, tt := range []struct {
		a  uint64
		ok bool
	}{{want.Lo - 1, false}, {want.Lo, true}, {want.Hi - 1, true}, {want.Hi, true}, {want.Hi + 1<<20, true}} {
		s, end, ok := c.FuncAt(tt.a)
		if ok != tt.ok || (ok && (s != want || end != want.Hi)) {
			t.Errorf("FuncAt(%#x) = %#x-%#x end %#x %v; want %#x-%#x %v", tt.a, s.Lo, s.Hi, end, ok, want.Lo, want.Hi, tt.ok)
		}
	}
	for name, edit := range map[string]func(b []byte){
		"version 2":          func(b []byte) { b[0] = 2 },
		"absolute table":     func(b []byte) { b[3] = 0x03 },
		"no count":           func(b []byte) { b[2] = ehPEOmit },
		"no entries":         func(b []byte) { clear(b[8:12]) },
		"more than it holds": func(b []byte) { b[8] = 2 },
		"FDE outside":        func(b []byte) { binary.LittleEndian.PutUint32(b[16:], 0x7000) },
		"entry is the CIE":   func(b []byte) { binary.LittleEndian.PutUint32(b[16:], 0x1000) },
	} {
		h := slices.Clone(hdr)
		edit(h)
		if x := open(h); x != nil {
			t.Errorf("%s: an index, want none", name)
		}
	}
}

// TestEHIndexClaimsMore reads a header whose section claims 8 MiB and a table of a
// million FDEs from a file that holds 20 bytes: no index, and no 8 MiB buffer for it.
func TestEHIndexClaimsMore(t *testing.T) {
	frame, hdr := ehSeed(), ehHdrSeed()
	binary.LittleEndian.PutUint32(hdr[8:], 1<<20)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	x := readEHIndex(bytes.NewReader(hdr), 8<<20+12, 0x1000, bytes.NewReader(frame), int64(len(frame)), 0x2000, ehOrder{}, true)
	runtime.ReadMemStats(&m1)
	if x != nil {
		t.Fatal("an index of a table the file does not hold")
	}
	if n := m1.TotalAlloc - m0.TotalAlloc; n >= 1<<20 {
		t.Errorf("allocated %d bytes for a table the file does not hold", n)
	}
}

// FuzzEHIndex: an .eh_frame_hdr and .eh_frame of arbitrary bytes never panic the
// index, and a function it finds starts at or before the address looked up and
// ends after it starts.
func FuzzEHIndex(f *testing.F) {
	f.Add(ehHdrSeed(), ehSeed(), uint64(0x2100))
	f.Fuzz(func(t *testing.T, hdr, frame []byte, a uint64) {
		x := readEHIndex(bytes.NewReader(hdr), int64(len(hdr)), 0x1000, bytes.NewReader(frame), int64(len(frame)), 0x2000,
			ehOrder{}, true)
		if x == nil {
			return
		}
		for _, a := range []uint64{a, x.loc(0), x.loc(x.entries() - 1), ^uint64(0)} {
			s, ok := x.funcAt(a)
			if ok && (s.Lo > a || s.Hi <= s.Lo) {
				t.Fatalf("funcAt(%#x) = %#x-%#x", a, s.Lo, s.Hi)
			}
		}
	})
}

// TestEHIndexReadelf reads the functions of real programs and libraries as the scan
// does (Slice.Code) and looks up the start of every FDE that binutils' readelf -wf,
// an independent reader, lists: each is a function, which ends where readelf says.
// shellcheck is linked by lld, whose .eh_frame and .eh_frame_hdr are of type
// SHT_X86_64_UNWIND: read as SHT_PROGBITS alone, it named no function.
func TestEHIndexReadelf(t *testing.T) {
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("readelf not installed (binutils)")
	}
	re := regexp.MustCompile(`FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)`)
	n := 0
	for _, p := range []string{"/usr/bin/shellcheck", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/ls"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		f := readOpen(t, p)
		if len(f.Slices) != 1 || f.Slices[0].Arch != "amd64" {
			continue
		}
		code, err := f.Slices[0].Code(nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out, _ := exec.Command("readelf", "-wf", p).Output() // exits 1 over warnings, yet prints every FDE
		fdes := 0
		for _, m := range re.FindAllSubmatch(out, -1) {
			lo, _ := strconv.ParseUint(string(m[1]), 16, 64)
			hi, _ := strconv.ParseUint(string(m[2]), 16, 64)
			if hi <= lo || lo == 0 {
				continue
			}
			fdes++
			fn, end, ok := code.FuncAt(lo)
			if !ok || fn.Lo != lo || end != hi {
				t.Fatalf("%s: the FDE at %#x-%#x: FuncAt finds %#x (end %#x, %v)", p, lo, hi, fn.Lo, end, ok)
			}
		}
		if fdes == 0 {
			t.Fatalf("%s: readelf lists no FDE", p)
		}
		if code.FuncsFrom != ".eh_frame" || code.index == nil {
			t.Errorf("%s: functions from %q (index %v), want .eh_frame_hdr's", p, code.FuncsFrom, code.index != nil)
		}
		t.Logf("%s: %d FDEs", p, fdes)
		n++
	}
	if n == 0 {
		t.Skip("no x86-64 ELF with .eh_frame here (Debian's shellcheck is linked by lld)")
	}
}

// TestEHIndexMergedWithPclntab reads an externally linked cgo program, stripped of
// its symbol table, whose functions are its C code's FDEs (.eh_frame_hdr) and its Go
// code's pclntab: the two are merged, so every FDE that .eh_frame lists starts inside
// a function of the Code (its own, or one that holds it), beside the Go functions.
func TestEHIndexMergedWithPclntab(t *testing.T) {
	strip := fixture.Need(t, "strip", "binutils")
	prog := fixture.Go(t, fixture.HelloCgo, []string{"GOOS=linux", "GOARCH=" + runtime.GOARCH, "CGO_ENABLED=1"},
		"-ldflags=-linkmode=external")
	stripped := filepath.Join(t.TempDir(), "prog")
	if out, err := exec.Command(strip, "--strip-all", "-o", stripped, prog).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	ef, err := elf.Open(stripped)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Section(".symtab") != nil || newEHIndex(ef) == nil {
		t.Skip("the stripped program keeps a symbol table, or has no .eh_frame_hdr")
	}
	fdes := elfEHFuncs(ef, ef.Section(".eh_frame"))
	f := readOpen(t, stripped)
	code, err := f.Slices[0].Code(nil)
	if err != nil {
		t.Fatal(err)
	}
	if code.FuncsFrom != goFuncsFrom(".eh_frame") || code.index != nil || len(code.Funcs) <= len(fdes) {
		t.Fatalf("functions from %q (index %v): %d, with %d FDEs", code.FuncsFrom, code.index != nil, len(code.Funcs), len(fdes))
	}
	for _, s := range fdes {
		if fn, end, ok := code.FuncAt(s.Lo); !ok || s.Lo >= end {
			t.Fatalf("the FDE at %#x-%#x lies in no function of the Code (FuncAt: %#x-%#x, %v)", s.Lo, s.Hi, fn.Lo, end, ok)
		}
	}
}
