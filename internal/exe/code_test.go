package exe

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// propertyELF is a minimal x86-64 ELF executable whose PT_GNU_PROPERTY segment (and
// PT_NOTE) carries GNU_PROPERTY_X86_ISA_1_NEEDED with the given bits.
func propertyELF(isaBits uint32) []byte {
	le := binary.LittleEndian
	const phnum = 3
	note := make([]byte, 16+16)
	le.PutUint32(note, 4)      // namesz
	le.PutUint32(note[4:], 16) // descsz
	le.PutUint32(note[8:], 5)  // NT_GNU_PROPERTY_TYPE_0
	copy(note[12:], "GNU\x00")
	le.PutUint32(note[16:], 0xc0008002) // GNU_PROPERTY_X86_ISA_1_NEEDED
	le.PutUint32(note[20:], 4)
	le.PutUint32(note[24:], isaBits)
	code := []byte{0xc5, 0xfd, 0xfe, 0xc1, 0xc3} // vpaddd ymm0, ymm0, ymm1; ret
	noteOff := 64 + 56*phnum
	codeOff := noteOff + len(note)
	b := make([]byte, codeOff+len(code))
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 2)
	le.PutUint16(b[18:], 62)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], uint64(0x400000+codeOff))
	le.PutUint64(b[32:], 64)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], phnum)
	ph := func(i int, typ, flags uint32, off, size, align uint64) {
		p := b[64+56*i:]
		le.PutUint32(p, typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], 0x400000+off)
		le.PutUint64(p[24:], 0x400000+off)
		le.PutUint64(p[32:], size)
		le.PutUint64(p[40:], size)
		le.PutUint64(p[48:], align)
	}
	ph(0, 1, 5, 0, uint64(len(b)), 0x1000)                      // PT_LOAD R+X
	ph(1, 0x6474e553, 4, uint64(noteOff), uint64(len(note)), 8) // PT_GNU_PROPERTY
	ph(2, 4, 4, uint64(noteOff), uint64(len(note)), 8)          // PT_NOTE
	copy(b[noteOff:], note)
	copy(b[codeOff:], code)
	return b
}

func TestCodeInfoISANote(t *testing.T) {
	for _, tt := range []struct {
		bits uint32
		want int
	}{{0, 0}, {1, 1}, {1 << 1, 2}, {1 << 2, 3}, {1<<3 | 1, 4}} {
		b := propertyELF(tt.bits)
		f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
		if len(f.Slices) != 1 {
			t.Fatalf("bits %#x: %+v", tt.bits, f)
		}
		s := &f.Slices[0]
		info, err := s.CodeInfo()
		if err != nil {
			t.Fatal(err)
		}
		code, err := s.Code(noGuard)
		if err != nil {
			t.Fatal(err)
		}
		if info.ISANeeded != tt.want || code.ISANeeded != tt.want || info.Format != "elf" || info.Arch != "amd64" {
			t.Errorf("bits %#x: CodeInfo %+v, Code %+v; want level %d", tt.bits, info, code, tt.want)
		}
		if len(code.Ranges) != 1 || code.Ranges[0].Size != int64(len(b)) {
			t.Errorf("ranges %+v", code.Ranges)
		}
	}
}

// FuzzCodeInfo checks that the cheap reader of the ISA note (program headers by hand)
// and the full one (debug/elf) agree on every input both accept, and never panic.
func FuzzCodeInfo(f *testing.F) {
	f.Add(propertyELF(1 << 2))
	f.Add(propertyELF(0))
	if b, err := os.ReadFile("/usr/bin/true"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
		for i := range file.Slices {
			s := &file.Slices[i]
			if s.Reader() == nil {
				continue
			}
			info, err1 := s.CodeInfo()
			code, err2 := s.Code(noGuard)
			if err1 == nil && err2 == nil && (info.ISANeeded != code.ISANeeded || info.Format != code.Format || info.Arch != code.Arch) {
				t.Fatalf("CodeInfo %+v, Code %+v", info, code)
			}
			if err2 == nil {
				for _, r := range code.Ranges {
					if r.Off < 0 || r.Size <= 0 || r.Off+r.Size > s.Size {
						t.Fatalf("range %+v outside the slice (%d bytes)", r, s.Size)
					}
				}
			}
			lazyAgrees(t, s, noGuard)
		}
	})
}

// lazyAgrees checks that LazyCode's code is Code's: FuncsSource says where Code's
// functions come from (nothing when it has none) before the tables are read, and
// LoadFuncs reads the same tables.
func lazyAgrees(t *testing.T, s *Slice, guard func([]byte) bool) {
	t.Helper()
	want, err1 := s.Code(guard)
	lazy, err2 := s.LazyCode(guard)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("Code: %v; LazyCode: %v", err1, err2)
	}
	if err1 != nil {
		return
	}
	from, err := lazy.FuncsSource()
	if err != nil {
		return // a malformed table: LoadFuncs says so too, Code may not
	}
	wantFrom := want.FuncsFrom
	if !want.HasFuncs() {
		wantFrom = ""
	}
	if from != wantFrom {
		t.Fatalf("FuncsSource before the tables are read: %q; Code's functions (%d) from %q", from, len(want.Funcs), want.FuncsFrom)
	}
	if err := lazy.LoadFuncs(); err != nil {
		t.Fatalf("LoadFuncs: %v, where Code read them", err)
	}
	if lazy.FuncsFrom != want.FuncsFrom || !slices.Equal(lazy.Funcs, want.Funcs) || !slices.Equal(lazy.Guarded, want.Guarded) ||
		(lazy.index == nil) != (want.index == nil) || (lazy.index != nil && !bytes.Equal(lazy.index.table, want.index.table)) ||
		!slices.Equal(lazy.Data, want.Data) || !slices.Equal(lazy.Ranges, want.Ranges) || lazy.Dispatch != want.Dispatch ||
		lazy.ISANeeded != want.ISANeeded {
		t.Fatalf("LazyCode then LoadFuncs: %d functions from %q, %d guarded, dispatch %v; Code: %d from %q, %d, %v",
			len(lazy.Funcs), lazy.FuncsFrom, len(lazy.Guarded), lazy.Dispatch, len(want.Funcs), want.FuncsFrom, len(want.Guarded), want.Dispatch)
	}
	if from, err := lazy.FuncsSource(); err != nil || from != wantFrom {
		t.Fatalf("FuncsSource after LoadFuncs: %q, %v; want %q", from, err, wantFrom)
	}
}

// TestLazyCodeReal holds LazyCode to Code (lazyAgrees) on real executables: Go's
// tools (pclntab), C programs and libraries, stripped (.eh_frame) or not (symbol
// table), the real-world corpus when scripts/corpus.sh fetched it (Mach-O, PE).
func TestLazyCodeReal(t *testing.T) {
	var paths []string
	for _, pat := range []string{filepath.Join(runtime.GOROOT(), "pkg", "tool", "*", "*"), "/usr/bin/*", "/usr/lib/x86_64-linux-gnu/*.so*"} {
		m, _ := filepath.Glob(pat)
		paths = append(paths, m...)
	}
	if cache, err := os.UserCacheDir(); err == nil {
		m, _ := filepath.Glob(filepath.Join(cache, "gonative", "corpus", "files", "*"))
		paths = append(paths, m...)
	}
	n := 0
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() || st.Size() > 64<<20 {
			continue
		}
		f := readOpen(t, p)
		for i := range f.Slices {
			s := &f.Slices[i]
			if s.Reader() == nil || !s.Kind.Runnable() || s.Error != "" || (s.Arch != "amd64" && s.Arch != "arm64") {
				continue
			}
			var guard func([]byte) bool
			if s.Go == nil {
				guard = func(name []byte) bool {
					return bytes.Contains(name, []byte("avx")) || bytes.HasPrefix(name, []byte("__aarch64_"))
				}
			}
			t.Run(filepath.Base(p), func(t *testing.T) { lazyAgrees(t, s, guard) })
			n++
		}
	}
	if n == 0 {
		t.Skip("no executables here")
	}
	t.Logf("%d slices", n)
}

// TestELFSymbolNames holds elfSymbols' names (read through a moving window of the
// string table) to debug/elf's, cut at 256 bytes, on real files: libraries with
// tens of thousands of dynamic symbols, and a Go program's full symbol table.
func TestELFSymbolNames(t *testing.T) {
	paths := []string{"/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/lib/x86_64-linux-gnu/libc.so.6", os.Args[0]}
	n := 0
	for _, p := range paths {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		for _, c := range []struct {
			typ  elf.SectionType
			syms func() ([]elf.Symbol, error)
		}{{elf.SHT_DYNSYM, f.DynamicSymbols}, {elf.SHT_SYMTAB, f.Symbols}} {
			want, err := c.syms()
			if err != nil {
				continue
			}
			var got []string
			elfSymbols(f, c.typ, func(_ byte, _ uint16, _, _ uint64, name func() []byte) bool {
				got = append(got, string(name()))
				return true
			})
			// debug/elf leaves out the null symbol at index 0.
			if len(got) != len(want)+1 {
				t.Fatalf("%s %v: %d symbols, debug/elf has %d", p, c.typ, len(got)-1, len(want))
			}
			for i, s := range want {
				w := s.Name
				if len(w) > 256 {
					w = w[:256]
				}
				if got[i+1] != w {
					t.Fatalf("%s %v: symbol %d is %q, debug/elf says %q", p, c.typ, i+1, got[i+1], w)
				}
			}
			n += len(want)
		}
		f.Close()
	}
	if n == 0 {
		t.Skip("no ELF file with symbols here (libc6 and libssl3 provide them)")
	}
}

// TestCodeErrors checks that Slice.Code names what keeps it from the code: nothing to
// read, bytes of no executable format, a truncated ELF image. (These assertions
// were internal/isa's TestAnalyzeErrors, made on a test-only reader.)
func TestCodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, data string
		want       error // errors.Is
		says       string
	}{
		{"empty", "", io.ErrUnexpectedEOF, "read magic"},
		{"text", "hello, world", ErrNotExecutable, "unknown executable format (magic 68 65 6c 6c)"},
		{"truncated ELF", "\x7fELF\x02\x01\x01\x00", io.EOF, "ELF: "}, // debug/elf's error
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, guard := range []func([]byte) bool{nil, noGuard} {
				s := &Slice{ra: strings.NewReader(tt.data), Size: int64(len(tt.data)), Arch: "amd64"}
				code, err := s.Code(guard)
				if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), tt.says) {
					t.Errorf("Code(guard %v) = %+v, %v; want one that is %v and says %q", guard != nil, code, err, tt.want, tt.says)
				}
			}
		})
	}
	if _, err := (&Slice{}).Code(nil); err == nil {
		t.Error("Code of a slice without a reader: no error")
	}
}

// noGuard is a guard rule that names no function: Code reads the symbol table for it.
func noGuard([]byte) bool { return false }

// rangeCounter counts the bytes read through it that fall in [lo, hi).
type rangeCounter struct {
	ra     io.ReaderAt
	lo, hi int64
	n      int64
}

func (c *rangeCounter) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	if lo, hi := max(off, c.lo), min(off+int64(n), c.hi); hi > lo {
		c.n += hi - lo
	}
	return n, err
}

// TestCodeReadsSymbolTableOnce reads the code of an unstripped x86-64 C program
// with a guard rule, as inspect --isa does, and counts the bytes read from its
// symbol table: the functions (Code.Funcs) and the guarded ones (Code.Guarded) come
// from one pass over it, where they once took two.
func TestCodeReadsSymbolTableOnce(t *testing.T) {
	path := fixture.C(t, "gcc", "gcc", "int f_avx2(int x) { return x + 1; }\nint main(void) { return f_avx2(0); }\n")
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	symtab := ef.SectionByType(elf.SHT_SYMTAB)
	if ef.Machine != elf.EM_X86_64 || symtab == nil {
		ef.Close()
		t.Skip("gcc here does not make an unstripped x86-64 program")
	}
	lo, hi := int64(symtab.Offset), int64(symtab.Offset+symtab.Size)
	ef.Close()
	f := readOpen(t, path)
	if len(f.Slices) != 1 {
		t.Fatalf("%d slices", len(f.Slices))
	}
	s := f.Slices[0]
	c := &rangeCounter{ra: s.ra, lo: lo, hi: hi}
	s.ra = c
	code, err := s.Code(func(name []byte) bool { return bytes.HasSuffix(name, []byte("_avx2")) })
	if err != nil {
		t.Fatal(err)
	}
	if len(code.Funcs) == 0 || len(code.Guarded) != 1 {
		t.Fatalf("functions %d, guarded %#x: want functions and f_avx2", len(code.Funcs), code.Guarded)
	}
	if c.n != hi-lo {
		t.Errorf("read %d bytes of the %d-byte symbol table, want it read once", c.n, hi-lo)
	}
}

// TestCodeGuardAllocations reads the code of an unstripped x86-64 C program with
// 200 functions, with and without a guard rule, and counts the allocations: the
// rule sees each function's name as the bytes of the string table, so it costs no
// string per symbol (once one each, on every C library that inspect --isa scanned).
func TestCodeGuardAllocations(t *testing.T) {
	var src strings.Builder
	for i := range 200 {
		fmt.Fprintf(&src, "int f%d(int x) { return x * %d; }\n", i, i+3)
	}
	src.WriteString("int main(void) { return f0(1); }\n")
	path := fixture.C(t, "gcc", "gcc", src.String())
	f := readOpen(t, path)
	if len(f.Slices) != 1 || f.Slices[0].Arch != "amd64" {
		t.Skip("gcc here does not make an x86-64 program")
	}
	s := &f.Slices[0]
	code, err := s.Code(noGuard)
	if err != nil || len(code.Funcs) < 200 {
		t.Skipf("%d functions read (%v): gcc here strips its output?", len(code.Funcs), err)
	}
	var names int
	guard := func(name []byte) bool { names++; return false }
	without := testing.AllocsPerRun(5, func() { s.Code(nil) })
	with := testing.AllocsPerRun(5, func() { s.Code(guard) })
	if names == 0 {
		t.Fatal("the guard rule saw no name")
	}
	t.Logf("%v allocations without a guard rule, %v with (%d names)", without, with, names)
	// With a rule: the dynamic symbols are read too (elfDispatch), with their buffers.
	if with-without > 8 {
		t.Errorf("Code allocates %v times with a guard rule, %v without: more than the buffers, a string per name?", with, without)
	}
}

// readOpen reads path with Read and keeps it open until the test ends, for the slices'
// Code, which reads the file again.
func readOpen(t testing.TB, path string) *File {
	t.Helper()
	fd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	st, err := fd.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Read(context.Background(), fd, st.Size(), Options{})
}

// TestELFSymbolsReadNamesOnce reads the names of every undefined dynamic symbol of
// large libraries (a string table over symDynWhole, read through a window), as
// elfDispatch does, and counts the bytes the process read (/proc/self/io's rchar): a
// dynamic symbol table is in hash order, not in its names' order, and a 64 KiB
// window of the string table moved for each name read 290 MB per inspect --isa of
// the executables tree. A name away from the window is read alone: the symbols once,
// the first window, and about 256 bytes a name.
func TestELFSymbolsReadNamesOnce(t *testing.T) {
	n := readImportNames(t, []string{"/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1",
		"/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libcrypto.so.3"},
		func(strtab uint64) bool { return strtab > symDynWhole },
		func(p string, symbols uint64, names int, read procIO) {
			t.Logf("%s: %d names, %d bytes read (%d of symbols)", p, names, read.bytes, symbols)
			// The symbols, the first window and about a name's bytes a name (a name that
			// falls just past the window moves it: seldom, in hash order).
			if read.bytes > int64(symbols)+symNameWindow+int64(names)*4*symMaxName {
				t.Errorf("%s: read %d bytes for %d names and %d bytes of symbols", p, read.bytes, names, symbols)
			}
		})
	if n == 0 {
		t.Skip("no library with a string table over 1 MiB here (libLLVM has one)")
	}
}

// TestELFSymbolsReadSmallTableOnce reads the names of every undefined dynamic symbol
// of programs and libraries whose dynamic string table is at most symDynWhole, as
// elfDispatch does, and counts the read system calls (/proc/self/io's syscr): the
// symbols in chunks and the string table once. The string table's window once
// started at the first name read, and each name before it took a read of its own:
// 57,000 of the 87,000 reads of inspect --isa of the executables tree.
func TestELFSymbolsReadSmallTableOnce(t *testing.T) {
	n := readImportNames(t, []string{"/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
		"/usr/bin/git", "/usr/bin/python3", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6"},
		func(strtab uint64) bool { return strtab <= symDynWhole },
		func(p string, symbols uint64, names int, read procIO) {
			chunks := int64(symbols)/(2730*24) + 1
			t.Logf("%s: %d names, %d reads (%d bytes of symbols)", p, names, read.calls, symbols)
			if names < 16 {
				t.Fatalf("%s: %d undefined symbols named: the test wants a program that imports", p, names)
			}
			if read.calls > chunks+1 {
				t.Errorf("%s: %d reads for %d names and %d chunks of symbols: want the string table read once", p, read.calls, names, chunks)
			}
		})
	if n == 0 {
		t.Skip("none of the programs and libraries this test reads is here")
	}
}

// readImportNames reads, in each ELF file of paths whose dynamic string table's size
// keep accepts, the name of every undefined dynamic symbol, as elfDispatch does, and
// gives check the bytes of its dynamic symbols, the names read and what reading them
// cost the process; it returns how many files it read.
func readImportNames(t *testing.T, paths []string, keep func(strtab uint64) bool,
	check func(p string, symbols uint64, names int, read procIO)) int {
	n := 0
	for _, p := range paths {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		dynsym := f.SectionByType(elf.SHT_DYNSYM)
		if dynsym == nil || !keep(f.Sections[dynsym.Link].Size) {
			f.Close()
			continue
		}
		first, ok := readProcIO()
		if !ok {
			f.Close()
			t.Skip("no /proc/self/io here")
		}
		before, _ := readProcIO()
		own := before.minus(first) // what readProcIO itself reads
		names := 0
		elfSymbols(f, elf.SHT_DYNSYM, func(_ byte, shndx uint16, _, _ uint64, name func() []byte) bool {
			if shndx == uint16(elf.SHN_UNDEF) && len(name()) > 0 {
				names++
			}
			return true
		})
		after, _ := readProcIO()
		f.Close()
		check(p, dynsym.Size, names, after.minus(before).minus(own))
		n++
	}
	return n
}

// procIO is what this process has read: bytes (rchar of /proc/self/io) and read
// system calls (syscr).
type procIO struct{ bytes, calls int64 }

func (a procIO) minus(b procIO) procIO { return procIO{a.bytes - b.bytes, a.calls - b.calls} }

// readProcIO returns what this process has read so far, and whether /proc/self/io
// says.
func readProcIO() (procIO, bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return procIO{}, false
	}
	var r procIO
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range []struct {
			key string
			v   *int64
		}{{"rchar: ", &r.bytes}, {"syscr: ", &r.calls}} {
			if v, ok := strings.CutPrefix(line, f.key); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					*f.v = n
					seen++
				}
			}
		}
	}
	return r, seen == 2
}
