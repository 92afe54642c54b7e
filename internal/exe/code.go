package exe

import (
	"bytes"
	"cmp"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
)

// Code is the machine code of one thin image as this package reads it for
// internal/isa: where the executable bytes lie and the hints beside them.
// isa never parses file formats itself.
type Code struct {
	// Arch is the GOARCH name of the slice (amd64, arm64, 386 ...).
	Arch string
	// Format is "elf", "macho" or "pe".
	Format string
	// Ranges are the executable bytes: file offsets relative to the slice, sizes and
	// virtual addresses.
	Ranges []Range
	// ISANeeded is the x86-64 level (1..4) of the ELF GNU_PROPERTY_X86_ISA_1_NEEDED
	// property, 0 if absent.
	ISANeeded int
	// Dispatch is true when the image selects code by CPU feature at run time by means
	// the scan does not see as CPUID instructions: ELF IFUNC symbols or IRELATIVE
	// relocations (glibc's ifunc resolvers read features that ld.so collected),
	// getauxval(AT_HWCAP), libgcc's __cpu_model.
	Dispatch bool
	// Guarded are the address ranges of functions reached only after a run-time feature
	// check (the guard rule given to Slice.Code), sorted by Lo; nil when unknown.
	Guarded []Span
	// Funcs are the functions the file names, sorted by Lo and not overlapping: Hi
	// is the end where the file says it (symbol sizes, .eh_frame, .pdata), 0 where
	// only the start is known (Mach-O LC_FUNCTION_STARTS: the function ends where the
	// next begins). nil when the file names none, and when they are looked up in the
	// file's own index instead (an ELF .eh_frame_hdr): FuncAt finds a function in
	// either. The x86-64 scan checks each class it finds by decoding from the start
	// of a function that holds a use (internal/isa's verify.go).
	Funcs []Span
	// FuncsFrom names where Funcs come from ("LC_FUNCTION_STARTS", "symbol table",
	// ".eh_frame", ".pdata").
	FuncsFrom string
	// Data are the ranges of data inside the code the file marks (Mach-O
	// LC_DATA_IN_CODE), sorted and not overlapping.
	Data []Span

	// later reads what Slice.LazyCode left for later (Funcs, FuncsFrom, Data, Guarded)
	// into the Code; nil when there is nothing left (LoadFuncs).
	later *laterFuncs
	// index finds the functions when Funcs does not hold them (an ELF .eh_frame_hdr).
	index *ehIndex
}

// HasFuncs reports whether the file names functions: FuncAt finds them.
func (c *Code) HasFuncs() bool { return len(c.Funcs) > 0 || c.index != nil }

// FuncAt returns the function the file names that starts at or before a, the last
// one, and where it ends: its Hi where the file says it, else where the next one
// starts, else at the end of the address space. ok is false when none does.
//
// Where the functions come from .eh_frame_hdr (Funcs is nil), it finds the last FDE
// that starts at or before a, as an unwinder does; from Funcs, the last of the
// spans that sortSpans keeps. The two agree where no FDE starts inside another
// (TestEHIndexAgrees, on every FDE of real libraries).
func (c *Code) FuncAt(a uint64) (fn Span, end uint64, ok bool) {
	if c.index != nil { // Funcs is nil
		fn, ok = c.index.funcAt(a)
		return fn, fn.Hi, ok
	}
	i, found := slices.BinarySearchFunc(c.Funcs, a, func(s Span, a uint64) int { return cmp.Compare(s.Lo, a) })
	if !found {
		i-- // the function starting before a
	}
	if i < 0 {
		return Span{}, 0, false
	}
	fn, end = c.Funcs[i], c.Funcs[i].Hi
	if end == 0 || end <= fn.Lo {
		end = ^uint64(0)
		if i+1 < len(c.Funcs) {
			end = c.Funcs[i+1].Lo
		}
	}
	return fn, end, true
}

// laterFuncs is the part of a Code that Slice.LazyCode did not read yet.
type laterFuncs struct {
	load func(img *codeImage)  // reads the function tables into img
	any  func() (string, bool) // FuncsSource without reading the tables whole
	img  *codeImage            // the Code's image: load fills it
	err  error                 // why load failed: LoadFuncs returns it every time
	done bool
}

// Range is a range of executable bytes in the slice and its virtual address.
type Range struct {
	Off, Size int64
	Addr      uint64
}

// Span is a range of virtual addresses [Lo, Hi).
type Span struct{ Lo, Hi uint64 }

// Size is the number of code bytes in all ranges.
func (c *Code) Size() int64 {
	var n int64
	for _, r := range c.Ranges {
		n += r.Size
	}
	return n
}

// Code returns the machine code of the slice for the instruction-set analysis
// (internal/isa): the executable ranges, the x86-64 level of the ELF
// GNU_PROPERTY_X86_ISA_1_NEEDED note and, when guard is not nil, the address ranges
// of the functions guard names (from the ELF symbol table; internal/isa's GuardedFunc
// is the rule) and whether the image dispatches on CPU features by other means. It
// never panics.
func (s *Slice) Code(guard func(name []byte) bool) (*Code, error) {
	code, err := s.LazyCode(guard)
	if err != nil {
		return nil, err
	}
	if err := code.LoadFuncs(); err != nil {
		return nil, err
	}
	return code, nil
}

// LazyCode is Code without the function tables: Funcs, FuncsFrom, Data and Guarded
// are read by the first LoadFuncs, and FuncsSource says what they will be from
// without reading them whole. A scan that finds no instruction of an extension
// needs none of them, and reading and sorting them cost more than its scan on most
// C programs (their .eh_frame and symbol table). The slice's reader must stay
// readable until LoadFuncs and FuncsSource are done.
func (s *Slice) LazyCode(guard func(name []byte) bool) (code *Code, err error) {
	defer func() {
		if r := recover(); r != nil {
			code, err = nil, malformed(r)
		}
	}()
	// A large table is read through a mapping of the file (elfFuncs): if the file is
	// cut short meanwhile, reading it faults, which must be a panic (recovered above).
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	format, err := s.imageFormat()
	if err != nil {
		return nil, err
	}
	sr := io.NewSectionReader(s.ra, 0, s.Size)
	var img *codeImage
	var later laterFuncs
	switch format {
	case FormatELF:
		img, later, err = elfCode(sr, s.Size, guard)
	case FormatMachO:
		img, err = machoCode(sr, s.Size)
	case FormatPE:
		img, err = peCode(sr, s.Size)
	}
	if err != nil {
		return nil, err
	}
	img.Arch = s.Arch
	if s.Arch == "amd64" {
		goLater(sr, s.Size, &later)
	}
	if later.load != nil {
		later.img = img
		img.later = &later
	}
	return &img.Code, nil
}

// malformed is the error of a panic while reading an image's code.
func malformed(r any) error { return fmt.Errorf("malformed executable: %v", r) }

// LoadFuncs reads what Slice.LazyCode left for later: Funcs, FuncsFrom, Data and
// Guarded. It reads them once; later calls return the first call's error. It never
// panics: malformed input is an error, as Slice.Code's.
func (c *Code) LoadFuncs() (err error) {
	l := c.later
	if l == nil {
		return nil
	}
	if l.done {
		return l.err
	}
	l.done = true
	defer func() {
		if r := recover(); r != nil {
			l.img.Funcs, l.img.FuncsFrom, l.img.Data, l.img.Guarded = nil, "", nil, nil
			l.img.index = nil
			l.err = malformed(r)
			err = l.err
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	l.load(l.img)
	return nil
}

// FuncsSource returns what FuncsFrom is once the function tables are read
// (LoadFuncs) when they name at least one function, and "" when they name none: the
// source of the functions a scan's classes would be checked against. Before
// LoadFuncs it reads no more of the format's own tables than it takes to find one
// function; a Go image's pclntab function table is read whole (goFuncs), as
// LoadFuncs would.
func (c *Code) FuncsSource() (from string, err error) {
	if l := c.later; l != nil && !l.done && l.any != nil {
		defer func() {
			if r := recover(); r != nil {
				from, err = "", malformed(r)
			}
		}()
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		from, _ = l.any()
		return from, nil
	}
	if err := c.LoadFuncs(); err != nil {
		return "", err
	}
	if !c.HasFuncs() {
		return "", nil
	}
	return c.FuncsFrom, nil
}

// goLater adds to later the functions of a Go image's pclntab (goFuncs): after the
// format's own tables, which later already reads (ELF), or which the image already
// holds (Mach-O, PE).
func goLater(ra io.ReaderAt, size int64, later *laterFuncs) {
	var pcln []Span
	read := false
	spans := func() []Span {
		if !read {
			pcln, read = goFuncs(ra, size), true
		}
		return pcln
	}
	load, anyOwn := later.load, later.any
	later.load = func(img *codeImage) {
		if load != nil {
			load(img)
		}
		addGoFuncs(img, spans())
	}
	later.any = func() (string, bool) {
		var from string
		var ok bool
		if anyOwn != nil {
			from, ok = anyOwn()
		} else {
			from, ok = later.img.FuncsFrom, later.img.HasFuncs()
		}
		if len(spans()) > 0 {
			return goFuncsFrom(from), true
		}
		if !ok {
			return "", false
		}
		return from, true
	}
}

// goFuncs returns the functions of a Go image's pclntab: every Go function, where
// the format's own tables name only the C code of an externally linked program
// (.eh_frame) or nothing (Go's Mach-O and stripped ELF). nil when it has none.
func goFuncs(ra io.ReaderAt, size int64) []Span {
	l, err := readLayout(ra, size)
	if err != nil {
		return nil
	}
	h, ok := findPcln(ra, size, l, false)
	if !ok {
		return nil
	}
	text := uint64(0)
	if t, ok := l.section(".text", "__text"); ok {
		text = t.addr
	}
	return pclnFuncs(ra, h, text)
}

// addGoFuncs adds the pclntab's functions (goFuncs) to img.Funcs.
func addGoFuncs(img *codeImage, spans []Span) {
	if len(spans) == 0 {
		return
	}
	img.FuncsFrom = goFuncsFrom(img.FuncsFrom)
	if img.index != nil { // merged with the pclntab's, the indexed functions are read whole
		img.Funcs, img.index = img.index.all(), nil
	}
	img.Funcs = sortSpans(append(img.Funcs, spans...))
}

// goFuncsFrom is FuncsFrom once the pclntab's functions are added to those from.
func goFuncsFrom(from string) string {
	if from == "" {
		return "pclntab"
	}
	return "pclntab and " + from
}

// CodeInfo returns what the instruction-set analysis needs without the code itself:
// the architecture, the format and the ELF ISA-needed note (read from the program
// headers alone). It is cheap: a few small reads.
func (s *Slice) CodeInfo() (code *Code, err error) {
	defer func() {
		if r := recover(); r != nil {
			code, err = nil, fmt.Errorf("malformed executable: %v", r)
		}
	}()
	format, err := s.imageFormat()
	if err != nil {
		return nil, err
	}
	code = &Code{Arch: s.Arch, Format: string(format)}
	if format == FormatELF && s.Arch == "amd64" {
		bo, progs, err := elfProgs(s.ra, s.Size)
		if err != nil {
			return nil, err
		}
		code.ISANeeded = elfISANeededAt(bo, progs, s.Size)
	}
	return code, nil
}

// imageFormat reads the format of the slice's image from its magic number: ELF,
// Mach-O (a thin image: a universal file's slices are) or PE.
func (s *Slice) imageFormat() (Format, error) {
	if s.ra == nil {
		return "", errors.New("no readable image")
	}
	var magic [4]byte
	if _, err := s.ra.ReadAt(magic[:], 0); err != nil {
		return "", fmt.Errorf("read magic: %w", eofAsUnexpected(err))
	}
	switch {
	case bytes.HasPrefix(magic[:], []byte("\x7fELF")):
		return FormatELF, nil
	case isMachO(magic[:]):
		return FormatMachO, nil
	case bytes.HasPrefix(magic[:], []byte("MZ")):
		return FormatPE, nil
	}
	return "", unknownMagicError(magic)
}

// unknownMagicError is the error for an image whose magic number is no executable
// format's. It matches ErrNotExecutable (errors.Is).
type unknownMagicError [4]byte

func (e unknownMagicError) Error() string {
	return fmt.Sprintf("unknown executable format (magic % x)", e[:])
}

// Is reports whether target is ErrNotExecutable.
func (e unknownMagicError) Is(target error) bool { return target == ErrNotExecutable }

// elfProgs reads the program headers of a 64-bit ELF image by hand: debug/elf would
// also read every section header and the section names.
func elfProgs(ra io.ReaderAt, size int64) (binary.ByteOrder, []*elf.Prog, error) {
	var h [64]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return nil, nil, fmt.Errorf("ELF header: %w", eofAsUnexpected(err))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if elf.Data(h[elf.EI_DATA]) == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	if elf.Class(h[elf.EI_CLASS]) != elf.ELFCLASS64 {
		return bo, nil, nil // x86-64 code in a 32-bit container (x32): no property note read
	}
	phoff, phentsize, phnum := bo.Uint64(h[32:]), int64(bo.Uint16(h[54:])), int64(bo.Uint16(h[56:]))
	if phnum == 0 {
		return bo, nil, nil
	}
	if phentsize < 56 || phnum > 4096 || phoff > uint64(size) || phnum*phentsize > size-int64(phoff) {
		return nil, nil, fmt.Errorf("ELF program headers at %#x (%d of %d bytes) lie outside the file", phoff, phnum, phentsize)
	}
	b := make([]byte, phnum*phentsize)
	if _, err := ra.ReadAt(b, int64(phoff)); err != nil {
		return nil, nil, fmt.Errorf("ELF program headers: %w", eofAsUnexpected(err))
	}
	progs := make([]*elf.Prog, 0, phnum)
	for i := int64(0); i < phnum; i++ {
		e := b[i*phentsize:]
		p := &elf.Prog{ProgHeader: elf.ProgHeader{
			Type: elf.ProgType(bo.Uint32(e)), Flags: elf.ProgFlag(bo.Uint32(e[4:])),
			Off: bo.Uint64(e[8:]), Vaddr: bo.Uint64(e[16:]), Paddr: bo.Uint64(e[24:]),
			Filesz: bo.Uint64(e[32:]), Memsz: bo.Uint64(e[40:]), Align: bo.Uint64(e[48:]),
		}}
		if p.Off <= uint64(size) && p.Filesz <= uint64(size)-p.Off {
			p.ReaderAt = io.NewSectionReader(ra, int64(p.Off), int64(p.Filesz))
		}
		progs = append(progs, p)
	}
	return bo, progs, nil
}

// codeImage collects a slice's code ranges.
type codeImage struct {
	Code
	codeSize int64
}

// Limits on malformed input.
const (
	codeMaxRanges  = 4096
	codeMaxNote    = 1 << 16
	codeMaxSymbols = 1 << 22
)

func (img *codeImage) addRange(off, n int64, addr uint64, size int64) error {
	if n <= 0 {
		return nil
	}
	if off < 0 || off > size || n > size-off {
		return fmt.Errorf("code at offset %#x size %#x lies outside the file (%d bytes)", off, n, size)
	}
	if len(img.Ranges) >= codeMaxRanges {
		return fmt.Errorf("more than %d code sections", codeMaxRanges)
	}
	if img.codeSize += n; img.codeSize > size {
		return errors.New("code sections overlap: they add up to more than the file")
	}
	img.Ranges = append(img.Ranges, Range{Off: off, Size: n, Addr: addr})
	return nil
}

// elfCode reads an ELF image's code ranges, its ISA note and, with guard, whether it
// dispatches on CPU features; later reads its functions (x86-64) and the guarded ones
// (guard): elfFuncTables.
func elfCode(sr *io.SectionReader, size int64, guard func([]byte) bool) (*codeImage, laterFuncs, error) {
	f, err := elf.NewFile(sr)
	if err != nil {
		return nil, laterFuncs{}, fmt.Errorf("ELF: %w", err)
	}
	img := &codeImage{Code: Code{Format: string(FormatELF)}}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 {
			if err := img.addRange(int64(s.Offset), int64(s.Size), s.Addr, size); err != nil {
				return nil, laterFuncs{}, fmt.Errorf("ELF section %s: %w", s.Name, err)
			}
		}
	}
	if len(img.Ranges) == 0 { // no section headers: executable segments
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
				if err := img.addRange(int64(p.Off), int64(p.Filesz), p.Vaddr, size); err != nil {
					return nil, laterFuncs{}, fmt.Errorf("ELF segment: %w", err)
				}
			}
		}
	}
	x86 := f.Machine == elf.EM_X86_64
	if x86 {
		img.ISANeeded = elfISANeeded(f, size)
	}
	if guard != nil {
		img.Dispatch = elfDispatch(f)
	}
	var later laterFuncs
	if x86 || guard != nil {
		later.load = func(img *codeImage) { elfFuncTables(f, sr, img, x86, guard) }
	}
	if x86 {
		later.any = func() (string, bool) { return elfFuncsSource(f, sr) }
	}
	return img, later, nil
}

// elfFuncTables reads the functions of an ELF image (with x86: elfFuncs) and, with
// guard, the guarded ones: one pass over the symbol table finds both.
func elfFuncTables(f *elf.File, ra io.ReaderAt, img *codeImage, x86 bool, guard func([]byte) bool) {
	img.Funcs, img.Guarded = elfSymtabFuncs(f, x86, guard)
	if x86 {
		elfFuncs(f, ra, img)
	}
	if guard != nil {
		slices.SortFunc(img.Guarded, func(a, b Span) int { return cmp.Compare(a.Lo, b.Lo) })
	}
}

// GNU property note constants (binutils include/elf/common.h, glibc elf.h).
const (
	ntGNUPropertyType0  = 5
	gnuPropX86ISANeeded = 0xc0008002
)

// elfISANeeded returns the x86-64 level (1..4) in the GNU_PROPERTY_X86_ISA_1_NEEDED
// property of .note.gnu.property (or a PT_GNU_PROPERTY segment), 0 if absent.
func elfISANeeded(f *elf.File, size int64) int {
	return elfISANeededAt(f.ByteOrder, f.Progs, size)
}

// elfISANeededAt reads the GNU property note from the PT_GNU_PROPERTY segment, or
// the PT_NOTE segments aligned to 8 (where linkers before PT_GNU_PROPERTY put it).
// Program headers only, so CodeInfo and Code agree without a section table.
func elfISANeededAt(bo binary.ByteOrder, progs []*elf.Prog, size int64) int {
	read := func(p *elf.Prog) []byte {
		if p.Filesz > codeMaxNote || p.Off > uint64(size) || p.Filesz > uint64(size)-p.Off {
			return nil
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return nil
		}
		return data
	}
	for _, p := range progs {
		if p.Type == elf.PT_GNU_PROPERTY {
			return elfPropertyLevel(bo, read(p))
		}
	}
	level := 0
	for _, p := range progs {
		if p.Type == elf.PT_NOTE && p.Align == 8 {
			level = max(level, elfPropertyLevel(bo, read(p)))
		}
	}
	return level
}

// elfPropertyLevel returns the x86-64 level in the GNU_PROPERTY_X86_ISA_1_NEEDED
// property of the notes in data, 0 if absent.
func elfPropertyLevel(bo binary.ByteOrder, data []byte) int {
	level := 0
	for len(data) >= 12 {
		namesz, descsz, typ := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
		data = data[12:]
		nameEnd := int(align(uint64(namesz), 4))
		if namesz > codeMaxNote || nameEnd > len(data) {
			return level
		}
		name := data[:namesz]
		data = data[nameEnd:]
		descEnd := int(align(uint64(descsz), 8))
		if descsz > codeMaxNote || int(descsz) > len(data) {
			return level
		}
		desc := data[:descsz]
		if descEnd > len(data) {
			descEnd = len(data)
		}
		data = data[descEnd:]
		if typ != ntGNUPropertyType0 || string(bytes.TrimRight(name, "\x00")) != "GNU" {
			continue
		}
		for len(desc) >= 8 {
			ptype, psz := bo.Uint32(desc), bo.Uint32(desc[4:])
			desc = desc[8:]
			if int(psz) > len(desc) {
				break
			}
			if ptype == gnuPropX86ISANeeded && psz >= 4 {
				v := bo.Uint32(desc)
				for l := 4; l >= 1; l-- { // bit 0 baseline, 1 v2, 2 v3, 3 v4
					if v&(1<<(l-1)) != 0 {
						level = max(level, l)
						break
					}
				}
			}
			desc = desc[min(int(align(uint64(psz), 8)), len(desc)):]
		}
	}
	return level
}

func align(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }

// elfSymtabFuncs streams the ELF symbol table once and returns, with funcs, the
// functions it defines (STT_FUNC with a size, at most funcsMax: elfFuncs) and, with
// guard, the address ranges of the functions whose names guard matches, unsorted. It
// reads the table in chunks and only the names of function symbols when guard asks,
// so a large unstripped binary costs no more memory than a small one (debug/elf's
// Symbols loads every symbol and name at once).
func elfSymtabFuncs(f *elf.File, funcs bool, guard func([]byte) bool) (all, guarded []Span) {
	if !funcs && guard == nil {
		return nil, nil
	}
	elfSymbols(f, elf.SHT_SYMTAB, func(info byte, shndx uint16, value, size uint64, name func() []byte) bool {
		if elf.ST_TYPE(info) != elf.STT_FUNC || size == 0 {
			return true
		}
		if funcs && len(all) < funcsMax && symtabFunc(info, shndx, value, size) {
			all = append(all, Span{Lo: value, Hi: value + size})
		}
		if guard != nil && guard(name()) {
			guarded = append(guarded, Span{Lo: value, Hi: value + size})
		}
		return guard != nil || len(all) < funcsMax
	})
	return all, guarded
}

// symtabFunc reports whether a symbol is a function elfSymtabFuncs keeps: a defined
// STT_FUNC with a size whose end does not wrap.
func symtabFunc(info byte, shndx uint16, value, size uint64) bool {
	return elf.ST_TYPE(info) == elf.STT_FUNC && size != 0 && value+size > value && shndx != uint16(elf.SHN_UNDEF)
}

// elfSymbols streams the symbol table of type typ (SHT_SYMTAB or SHT_DYNSYM) to visit,
// which gets each symbol's name only when it asks for it, until visit returns false.
// It reads the table in chunks and the names through a window of the string table, so
// a large table costs no more memory than a small one (debug/elf's Symbols loads every
// symbol and name at once).
func elfSymbols(f *elf.File, typ elf.SectionType, visit func(info byte, shndx uint16, value, size uint64, name func() []byte) bool) {
	symtab := f.SectionByType(typ)
	if symtab == nil || int(symtab.Link) >= len(f.Sections) {
		return
	}
	strtab := f.Sections[symtab.Link]
	entSize := int64(24)
	if f.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	if symtab.Size/uint64(entSize) > codeMaxSymbols {
		return
	}
	// About 64 KiB of entries at a time, less for a smaller table: a small program's
	// symbols should not cost a 64 KiB buffer (and its zeroing) per read.
	buf := make([]byte, min(2730, max(symtab.Size/uint64(entSize), 1))*uint64(entSize))
	var nameOff uint32
	whole := int64(symNameWindow)
	if typ == elf.SHT_DYNSYM {
		whole = symDynWhole
	}
	name := symbolNames(strtab, &nameOff, whole)
	bo := f.ByteOrder
	for off := int64(0); off < int64(symtab.Size); {
		n, err := symtab.ReadAt(buf, off)
		n -= n % int(entSize)
		if n == 0 {
			return
		}
		for e := buf[:n]; len(e) >= int(entSize); e = e[entSize:] {
			var info byte
			var shndx uint16
			var value, size uint64
			if entSize == 24 {
				nameOff, info, shndx = bo.Uint32(e), e[4], bo.Uint16(e[6:])
				value, size = bo.Uint64(e[8:]), bo.Uint64(e[16:])
			} else {
				nameOff, info, shndx = bo.Uint32(e), e[12], bo.Uint16(e[14:])
				value, size = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:]))
			}
			if !visit(info, shndx, value, size, name) {
				return
			}
		}
		off += int64(n)
		if err != nil {
			return
		}
	}
}

// Reading symbol names (symbolNames).
const (
	symNameWindow = 64 << 10 // bytes of the string table read at a time
	symMaxName    = 256      // bytes of a name read
	// symNameGap is how far past the window a name may start for the window to
	// move there: the names a pass in table order skips (other symbols') are short.
	symNameGap = 4 << 10
	// symDynWhole is the largest dynamic string table read whole: a dynamic symbol
	// table is in hash order, so its names are all over its string table. On the
	// executables tree, 1,036 of 1,059 dynamic string tables are under 64 KiB and
	// all but 5 under 1 MiB.
	symDynWhole = 1 << 20
)

// symbolNames returns the function that reads the name at *off of the string table
// strtab, at most symMaxName bytes, as bytes valid until its next call.
//
// A table of at most whole bytes is read whole, at the first name. A larger one is
// read through a window: symbols mostly name strings in table order, and a read per
// name cost a system call per symbol (libLLVM has 100,000), so a name just past the
// window moves it forward. A name elsewhere (a dynamic symbol table is in hash
// order, not in its names') is read alone, into a buffer of its own: the window
// moved for each of those read 64 KiB a name, 290 MB per inspect --isa of the
// executables tree. The window once started at the first name even when the whole
// table fitted in it, and every name before that was read alone: 57,000 of the
// 87,000 reads of inspect --isa of that tree (TestELFSymbolsReadSmallTableOnce).
func symbolNames(strtab *elf.Section, off *uint32, whole int64) func() []byte {
	cut := func(b []byte) []byte {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return b[:len(b):len(b)]
	}
	if strtab.Size <= uint64(max(whole, 0)) {
		var all []byte
		read := false
		return func() []byte {
			if !read {
				all = make([]byte, strtab.Size)
				n, _ := strtab.ReadAt(all, 0)
				all, read = all[:n], true
			}
			o := int64(*off)
			if o >= int64(len(all)) {
				return nil
			}
			return cut(all[o:min(o+symMaxName, int64(len(all)))])
		}
	}
	win := make([]byte, symNameWindow)
	winOff, winN := int64(-1), 0
	var one [symMaxName]byte
	return func() []byte {
		o := int64(*off)
		end := o + symMaxName
		inside := winOff >= 0 && o >= winOff && o <= winOff+int64(winN) && (end <= winOff+int64(winN) || winN < len(win))
		if !inside {
			if winOff >= 0 && (o < winOff || o >= winOff+int64(winN)+symNameGap) {
				n, _ := strtab.ReadAt(one[:], o)
				return cut(one[:n])
			}
			winN, _ = strtab.ReadAt(win, o)
			winOff = o
		}
		return cut(win[o-winOff : min(end-winOff, int64(winN))])
	}
}

func machoCode(sr *io.SectionReader, size int64) (*codeImage, error) {
	f, err := macho.NewFile(sr)
	if err != nil {
		return nil, fmt.Errorf("Mach-O: %w", err)
	}
	img := &codeImage{Code: Code{Format: string(FormatMachO)}}
	const instrAttrs = 0x80000000 | 0x400 // S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS
	for _, s := range f.Sections {
		if s.Flags&instrAttrs == 0 {
			continue
		}
		if typ := s.Flags & 0xff; typ == 1 || typ == 0xc { // S_ZEROFILL, S_GB_ZEROFILL
			continue
		}
		if err := img.addRange(int64(s.Offset), int64(s.Size), s.Addr, size); err != nil {
			return nil, fmt.Errorf("Mach-O section %s,%s: %w", s.Seg, s.Name, err)
		}
	}
	if f.Cpu == macho.CpuAmd64 {
		machoFuncs(f, sr, size, img)
	}
	return img, nil
}

func peCode(sr *io.SectionReader, size int64) (*codeImage, error) {
	f, err := pe.NewFile(sr)
	if err != nil {
		return nil, fmt.Errorf("PE: %w", err)
	}
	img := &codeImage{Code: Code{Format: string(FormatPE)}}
	var base uint64
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		base = oh.ImageBase
	case *pe.OptionalHeader32:
		base = uint64(oh.ImageBase)
	}
	const codeFlags = pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_EXECUTE
	for _, s := range f.Sections {
		if s.Characteristics&codeFlags == 0 {
			continue
		}
		n := min(int64(s.Size), int64(s.VirtualSize))
		if s.VirtualSize == 0 {
			n = int64(s.Size)
		}
		if err := img.addRange(int64(s.Offset), n, base+uint64(s.VirtualAddress), size); err != nil {
			return nil, fmt.Errorf("PE section %s: %w", s.Name, err)
		}
	}
	if f.Machine == pe.IMAGE_FILE_MACHINE_AMD64 {
		peFuncs(f, sr, size, base, img)
	}
	return img, nil
}

// elfDispatch reports whether an ELF image picks code by CPU feature at run time
// without CPUID instructions of its own: IFUNC symbols (glibc's resolvers read the
// features ld.so collected), or imports of getauxval (AT_HWCAP), __cpu_model /
// __cpu_indicator_init (GCC's __builtin_cpu_supports), glibc's
// __x86_get_cpu_features / __x86_get_cpuid_feature_leaf.
func elfDispatch(f *elf.File) bool {
	found := false
	elfSymbols(f, elf.SHT_DYNSYM, func(info byte, shndx uint16, value, size uint64, name func() []byte) bool {
		if elf.ST_TYPE(info) == elf.STT_GNU_IFUNC {
			found = true
		} else if shndx == uint16(elf.SHN_UNDEF) {
			switch string(name()) {
			case "getauxval", "__cpu_model", "__cpu_indicator_init", "__x86_get_cpu_features", "__x86_get_cpuid_feature_leaf",
				"__get_cpu_features":
				found = true
			}
		}
		return !found
	})
	return found
}
