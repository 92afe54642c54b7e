package exe

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// elfMaxDynamic caps the entries of the dynamic section and of the version needs
// read: real files have a few dozen.
const elfMaxDynamic = 1 << 14

// elfMaxNotes caps how many bytes of notes are read.
const elfMaxNotes = 64 << 10

// DF_1_PIE in DT_FLAGS_1 marks a position-independent executable (also static-pie).
const elfDF1PIE = 0x08000000

// readELF reads an ELF image.
func readELF(ra io.ReaderAt, size int64) (s Slice) {
	s = Slice{Arch: "unknown", Kind: KindOther, Size: size, ra: ra}
	defer func() {
		if r := recover(); r != nil {
			s.Error = fmt.Sprintf("ELF: malformed file (parser panic: %v)", r)
		}
	}()
	if err := parseELF(ra, size, &s); err != nil {
		s.setErr(asFormatError("ELF", err))
	}
	return s
}

func parseELF(ra io.ReaderAt, size int64, s *Slice) error {
	// Header fields first, by hand, so a file debug/elf refuses still gets its
	// architecture and kind.
	var ident [elf.EI_NIDENT + 4]byte
	if _, err := ra.ReadAt(ident[:], 0); err != nil {
		return readErr("ELF", "header", 0, int64(len(ident)), size, err)
	}
	var bo binary.ByteOrder
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo, s.ByteOrder = binary.LittleEndian, "little"
	case elf.ELFDATA2MSB:
		bo, s.ByteOrder = binary.BigEndian, "big"
	default:
		return fmt.Errorf("unknown data encoding %d", ident[elf.EI_DATA])
	}
	switch elf.Class(ident[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		s.Bits = 32
	case elf.ELFCLASS64:
		s.Bits = 64
	default:
		return fmt.Errorf("unknown class %d", ident[elf.EI_CLASS])
	}
	typ := elf.Type(bo.Uint16(ident[16:]))
	machine := elf.Machine(bo.Uint16(ident[18:]))
	s.Arch = ELFArch(machine, s.Bits, s.ByteOrder)
	s.CPU = machine.String()
	s.Kind = elfKind(typ)
	osabi := elf.OSABI(ident[elf.EI_OSABI])

	if err := elfCheckTables(ra, size, s.Bits, bo); err != nil {
		s.OS = elfOSABI(osabi)
		s.PIE = UnknownFact[bool]("the ELF headers could not be read")
		s.Stripped = UnknownFact[bool]("the ELF headers could not be read")
		return err
	}
	f, err := readELFHeaders(ra, size)
	if err != nil {
		s.OS = elfOSABI(osabi)
		s.PIE = UnknownFact[bool]("the ELF headers could not be read")
		s.Stripped = UnknownFact[bool]("the ELF headers could not be read")
		return &FormatError{Format: "ELF", Offset: -1, Err: err, Reason: elfNewFileReason(err)}
	}
	// readGo needs the same section table: it takes it from here rather than parse
	// the headers again.
	s.layout = elfFileLayout(f)

	var interp bool
	var errs []error
	for i := range f.progs {
		p := &f.progs[i]
		switch p.Type {
		case elf.PT_INTERP:
			interp = true
			if p.Filesz > 4096 || int64(p.Off) < 0 || int64(p.Off+p.Filesz) > size {
				errs = append(errs, fmt.Errorf("PT_INTERP out of bounds (offset %d, size %d)", p.Off, p.Filesz))
				continue
			}
			if p.Filesz == 0 {
				continue // a separate debug-info file keeps the header, not the bytes
			}
			b := make([]byte, p.Filesz)
			if _, err := f.progReader(p).ReadAt(b, 0); err != nil {
				errs = append(errs, readErr("ELF", "PT_INTERP", int64(p.Off), int64(p.Filesz), size, err))
				continue
			}
			// The kernel reads the path up to its first NUL (fs/binfmt_elf.c).
			if i := bytes.IndexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			s.Interpreter = string(b)
		case elf.PT_LOAD:
			s.Align = max(s.Align, p.Align)
		}
	}
	if s.Align > 0 {
		s.Loads16K = s.Align >= 16<<10
		s.Loads64K = s.Align >= 64<<10
	}

	s.Stripped = KnownFact(f.sectionByType(elf.SHT_SYMTAB) == nil)

	// The dynamic section: needed libraries, DT_FLAGS_1, DT_SONAME, and the newest
	// glibc symbol version needed. Read entry by entry, strings one at a time:
	// debug/elf would read the whole .dynstr (megabytes in a big C++ library) for
	// each question.
	d, err := readELFDynamic(f, ra, size)
	if err != nil {
		errs = append(errs, err)
	}
	dynOK := err == nil
	needed := d.needed
	s.RunPath = d.runpath
	for _, n := range needed {
		lib := Library{Name: n}
		if elfSystemLibrary(n) {
			lib.System = KnownFact(true)
		} else {
			lib.System = UnknownFact[bool]("not the C library's: the machine's packages decide")
		}
		s.Libraries = append(s.Libraries, lib)
	}
	s.Static = !interp && len(needed) == 0 && typ != elf.ET_REL && typ != elf.ET_CORE

	switch {
	case typ == elf.ET_DYN:
		// A PIE has the DF_1_PIE flag (also static-pie, which has no interpreter), or,
		// from older linkers, an interpreter and no soname. libc.so.6 has an
		// interpreter (it runs) but is a library: it has a soname.
		if d.flags1&elfDF1PIE != 0 || (interp && !d.soname) {
			s.Kind = KindExecutable
			s.PIE = KnownFact(true)
		} else {
			s.Kind = KindSharedLib
			if dynOK {
				s.PIE = KnownFact(false)
			} else {
				s.PIE = UnknownFact[bool]("the dynamic section could not be read")
			}
		}
	default:
		s.PIE = KnownFact(false) // ET_EXEC loads at fixed addresses
	}
	glibc := d.glibc
	if glibc != "" {
		s.GLIBC = glibc
	}

	// The OS: OSABI, then notes, then the interpreter, then a guess.
	s.OS = elfOSABI(osabi)
	noteOS, kernel := elfNotes(f, size)
	if s.OS == "" {
		s.OS = noteOS
	}
	if s.OS == "" {
		s.OS = elfInterpreterOS(s.Interpreter)
	}
	if s.OS == "" && (glibc != "" || slices.ContainsFunc(needed, func(n string) bool { return strings.HasPrefix(n, "libc.so.6") })) {
		s.OS = "linux" // glibc's libc.so.6 (GNU/Hurd's is libc.so.0.3)
	}
	if s.OS == "" && (s.Kind == KindExecutable || s.Kind == KindSharedLib) && osabi == elf.ELFOSABI_NONE {
		s.OS = "linux"
		s.Notes = append(s.Notes, osInferredNote)
	}
	if kernel != "" {
		s.Notes = append(s.Notes, "minimum kernel "+kernel+" (NT_GNU_ABI_TAG)")
	}
	return errors.Join(errs...)
}

// elfNotes reads the note sections (or PT_NOTE segments) and returns the OS they
// name and the minimum kernel version of an NT_GNU_ABI_TAG note.
func elfNotes(f *elfHeaders, size int64) (goos, kernel string) {
	type region struct {
		r    io.ReaderAt
		n    uint64
		name string
	}
	var regions []region
	for i := range f.sections {
		if sec := &f.sections[i]; sec.Type == elf.SHT_NOTE {
			regions = append(regions, region{f.sectionReader(sec), sec.Size, sec.Name})
		}
	}
	if len(regions) == 0 {
		for i := range f.progs {
			if p := &f.progs[i]; p.Type == elf.PT_NOTE {
				regions = append(regions, region{f.progReader(p), p.Filesz, ""})
			}
		}
	}
	budget := uint64(elfMaxNotes)
	for _, reg := range regions {
		n := min(reg.n, budget, uint64(size))
		budget -= n
		b := make([]byte, n)
		if _, err := reg.r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
			continue
		}
		if reg.name == ".note.android.ident" {
			return "android", ""
		}
		for len(b) >= 12 {
			namesz := uint64(f.bo.Uint32(b))
			descsz := uint64(f.bo.Uint32(b[4:]))
			typ := f.bo.Uint32(b[8:])
			b = b[12:]
			nameEnd := (namesz + 3) &^ 3
			descEnd := (descsz + 3) &^ 3
			if nameEnd > uint64(len(b)) || descEnd > uint64(len(b))-nameEnd {
				break
			}
			name := string(bytes.TrimRight(b[:namesz], "\x00"))
			desc := b[nameEnd : nameEnd+descsz]
			b = b[nameEnd+descEnd:]
			switch {
			case name == "GNU" && typ == 1 && len(desc) >= 16: // NT_GNU_ABI_TAG
				k := fmt.Sprintf("%d.%d.%d", f.bo.Uint32(desc[4:]), f.bo.Uint32(desc[8:]), f.bo.Uint32(desc[12:]))
				switch f.bo.Uint32(desc) {
				case 0:
					goos, kernel = "linux", k
				case 1:
					goos = "hurd"
				case 2:
					goos = "solaris"
				case 3:
					goos = "freebsd"
				}
			case name == "Android" && typ == 1:
				return "android", ""
			case name == "FreeBSD":
				goos = "freebsd"
			case name == "NetBSD" && typ == 1:
				goos = "netbsd"
			case name == "OpenBSD":
				goos = "openbsd"
			case name == "DragonFly":
				goos = "dragonfly"
			}
		}
		if budget == 0 {
			break
		}
	}
	return goos, kernel
}

// elfOSABI maps EI_OSABI to a GOOS name; "" for SYSV (none) and the unknown ones.
func elfOSABI(o elf.OSABI) string {
	switch o {
	case elf.ELFOSABI_LINUX:
		return "linux"
	case elf.ELFOSABI_FREEBSD:
		return "freebsd"
	case elf.ELFOSABI_NETBSD:
		return "netbsd"
	case elf.ELFOSABI_OPENBSD:
		return "openbsd"
	case elf.ELFOSABI_SOLARIS:
		return "solaris"
	case elf.ELFOSABI_AIX:
		return "aix"
	case elf.ELFOSABI_HURD:
		return "hurd"
	}
	return ""
}

// elfInterpreterOS names the OS of a dynamic loader path (the ones Go's linker and
// the usual C toolchains write).
func elfInterpreterOS(interp string) string {
	base := path.Base(interp)
	switch {
	case interp == "":
		return ""
	case strings.HasPrefix(interp, "/system/bin/linker"):
		return "android"
	case strings.HasPrefix(base, "ld-linux") || strings.HasPrefix(base, "ld-musl-") || base == "ld64.so.1" || base == "ld64.so.2":
		return "linux"
	case interp == "/libexec/ld-elf.so.1" || interp == "/usr/libexec/ld-elf.so.1":
		return "freebsd"
	case interp == "/usr/libexec/ld-elf.so.2":
		return "dragonfly"
	case interp == "/libexec/ld.elf_so" || interp == "/usr/libexec/ld.elf_so":
		return "netbsd"
	case interp == "/usr/libexec/ld.so":
		return "openbsd"
	case strings.HasSuffix(interp, "/amd64/ld.so.1") || strings.HasSuffix(interp, "/64/ld.so.1"):
		return "solaris"
	}
	return ""
}

// elfSystemLibrary reports whether a DT_NEEDED name is part of the C library
// (glibc, musl, bionic, the BSD libcs) or of the compiler runtime every C system has
// (libgcc_s). Others, libstdc++ included, may be missing from a minimal system.
func elfSystemLibrary(name string) bool {
	base := path.Base(name)
	stem, _, _ := strings.Cut(base, ".so")
	switch stem {
	case "libc", "libm", "libpthread", "libdl", "librt", "libresolv", "libutil", "libanl",
		"libmvec", "libnsl", "libthr", "libgcc_s", "liblog", "ld64", "ld", "libexecinfo", "libkvm":
		return strings.Contains(base, ".so")
	}
	return strings.HasPrefix(base, "ld-linux") || strings.HasPrefix(base, "ld-musl-") || strings.HasPrefix(base, "libc.musl-")
}

// elfNewestGLIBC returns the newest GLIBC_x.y[.z] version needed, or "".
func elfNewestGLIBC(needs []elf.DynamicVersionNeed) string {
	var best string
	for _, n := range needs {
		for _, d := range n.Needs {
			v, ok := strings.CutPrefix(d.Dep, "GLIBC_")
			if !ok || versionNums(v) == nil {
				continue // GLIBC_PRIVATE
			}
			if best == "" || CompareVersions(best, v) < 0 {
				best = v
			}
		}
	}
	return best
}

// CompareVersions compares dotted decimal versions ("2.34", "14.5.1", "2.3.4") number
// by number, a missing number counting as 0: -1 when a is older than b, +1 when newer,
// 0 when equal. A part that is not a number counts as 0. It is the one comparison of
// glibc and OS versions in gonative.
func CompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// versionNums parses a dotted decimal version; nil when a part is not a number.
func versionNums(v string) []int {
	var nums []int
	for _, p := range strings.Split(v, ".") {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return nil
		}
		nums = append(nums, x)
	}
	return nums
}

// versionLess compares dotted version numbers.
func versionLess(a, b []int) bool {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func elfKind(t elf.Type) Kind {
	switch t {
	case elf.ET_EXEC:
		return KindExecutable
	case elf.ET_DYN:
		return KindSharedLib // refined by parseELF
	case elf.ET_REL:
		return KindObject
	case elf.ET_CORE:
		return KindCore
	}
	return KindOther
}

// ELFArch maps an ELF e_machine, with the file's class (32 or 64 bits) and byte order
// ("little" or "big"), to a GOARCH name ("unknown" when it has none).
func ELFArch(m elf.Machine, bits int, order string) string {
	le := order == "little"
	switch m {
	case elf.EM_X86_64:
		if bits == 32 {
			return "amd64p32" // x32 ABI
		}
		return "amd64"
	case elf.EM_AARCH64:
		if order == "big" {
			return "arm64be"
		}
		return "arm64"
	case elf.EM_386:
		return "386"
	case elf.EM_ARM:
		if order == "big" {
			return "armbe"
		}
		return "arm"
	case elf.EM_RISCV:
		if bits == 32 {
			return "riscv"
		}
		return "riscv64"
	case elf.EM_PPC64:
		if le {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_PPC:
		return "ppc"
	case elf.EM_S390:
		if bits == 32 {
			return "s390"
		}
		return "s390x"
	case elf.EM_LOONGARCH:
		if bits == 32 {
			return "loong32"
		}
		return "loong64"
	case elf.EM_MIPS, elf.EM_MIPS_RS3_LE:
		switch {
		case bits == 64 && le:
			return "mips64le"
		case bits == 64:
			return "mips64"
		case le:
			return "mipsle"
		}
		return "mips"
	case elf.EM_SPARCV9:
		return "sparc64"
	case elf.EM_SPARC, elf.EM_SPARC32PLUS:
		return "sparc"
	case elf.EM_IA_64:
		return "ia64"
	}
	return "unknown"
}

// eofAsUnexpected turns io.EOF into io.ErrUnexpectedEOF: a read that came up short
// means the file is truncated.
func eofAsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// elfDynamic is what readELF takes from the dynamic section.
type elfDynamic struct {
	needed  []string
	runpath []string // DT_RUNPATH, else DT_RPATH, split at ':'

	soname bool
	flags1 uint64
	glibc  string // newest GLIBC_x.y in the version needs
}

// readELFDynamic reads the dynamic section (found through the section table, or
// PT_DYNAMIC when there is none) one entry at a time, and the strings it names one at
// a time, so memory stays small whatever the size of the string table.
func readELFDynamic(f *elfHeaders, ra io.ReaderAt, size int64) (elfDynamic, error) {
	var d elfDynamic
	var dynOff, dynSize, strOff uint64
	strKnown := false
	if ds := f.sectionByType(elf.SHT_DYNAMIC); ds != nil {
		dynOff, dynSize = ds.Offset, ds.FileSize
		if int(ds.Link) > 0 && int(ds.Link) < len(f.sections) {
			strOff, strKnown = f.sections[ds.Link].Offset, true
		}
	} else {
		for _, p := range f.progs {
			if p.Type == elf.PT_DYNAMIC {
				dynOff, dynSize = p.Off, p.Filesz
			}
		}
	}
	if dynSize == 0 {
		return d, nil
	}
	entSize := uint64(16)
	if f.class == elf.ELFCLASS32 {
		entSize = 8
	}
	if dynOff > uint64(size) || dynSize > uint64(size)-dynOff {
		return d, fmt.Errorf("dynamic section out of bounds (offset %d, size %d, file size %d)", dynOff, dynSize, size)
	}
	n := min(dynSize/entSize, elfMaxDynamic)
	buf := make([]byte, n*entSize)
	if _, err := ra.ReadAt(buf, int64(dynOff)); err != nil {
		return d, fmt.Errorf("read dynamic section: %w", eofAsUnexpected(err))
	}
	var neededOffs []uint64
	var rpathOff, runpathOff uint64
	var haveRpath, haveRunpath bool
	var strAddr, verneed, verneedNum uint64
	for i := uint64(0); i < n; i++ {
		e := buf[i*entSize:]
		var tag, val uint64
		if entSize == 8 {
			tag, val = uint64(int64(int32(f.bo.Uint32(e)))), uint64(f.bo.Uint32(e[4:]))
		} else {
			tag, val = f.bo.Uint64(e), f.bo.Uint64(e[8:])
		}
		switch elf.DynTag(tag) {
		case elf.DT_NULL:
			i = n
		case elf.DT_NEEDED:
			neededOffs = append(neededOffs, val)
		case elf.DT_RPATH:
			rpathOff, haveRpath = val, true
		case elf.DT_RUNPATH:
			runpathOff, haveRunpath = val, true
		case elf.DT_SONAME:
			d.soname = true
		case elf.DT_FLAGS_1:
			d.flags1 |= val
		case elf.DT_STRTAB:
			strAddr = val
		case elf.DT_VERNEED:
			verneed = val
		case elf.DT_VERNEEDNUM:
			verneedNum = val
		}
	}
	if !strKnown {
		if strOff, strKnown = elfAddrOffset(f, strAddr); !strKnown {
			if len(neededOffs) > 0 {
				return d, errors.New("dynamic string table not found")
			}
			return d, nil
		}
	}
	var errs []error
	str := func(off uint64) (string, error) {
		if off > uint64(size) || strOff > uint64(size)-off {
			return "", fmt.Errorf("dynamic string at %d out of bounds", off)
		}
		return cString(ra, int64(strOff+off), 4096)
	}
	for _, off := range neededOffs {
		name, err := str(off)
		if err != nil {
			errs = append(errs, fmt.Errorf("DT_NEEDED: %w", err))
			continue
		}
		d.needed = append(d.needed, name)
	}
	// The loader ignores DT_RPATH when DT_RUNPATH is present (ld.so(8)).
	if haveRunpath || haveRpath {
		off := rpathOff
		if haveRunpath {
			off = runpathOff
		}
		if p, err := str(off); err == nil && p != "" {
			d.runpath = strings.Split(p, ":")
		}
	}
	if verneed != 0 && len(d.needed) > 0 {
		if vr := f.sectionByType(elf.SHT_GNU_VERNEED); vr != nil {
			verneed = vr.Offset
		} else if verneed, strKnown = elfAddrOffset(f, verneed); !strKnown {
			return d, errors.Join(errs...)
		}
		d.glibc = elfVerneedGLIBC(f.bo, ra, size, verneed, min(verneedNum, elfMaxDynamic), str)
	}
	return d, errors.Join(errs...)
}

// elfVerneedGLIBC walks the version needs at file offset off and returns the newest
// GLIBC_ version named.
func elfVerneedGLIBC(bo binary.ByteOrder, ra io.ReaderAt, size int64, off, count uint64, str func(uint64) (string, error)) string {
	var versions []string
	var b [16]byte
	budget := elfMaxDynamic
	for i := uint64(0); i < count && off < uint64(size); i++ {
		if _, err := ra.ReadAt(b[:], int64(off)); err != nil {
			break
		}
		cnt, aux, next := bo.Uint16(b[2:]), uint64(bo.Uint32(b[8:])), uint64(bo.Uint32(b[12:]))
		a := off + aux
		for j := uint16(0); j < cnt && budget > 0 && a < uint64(size); j++ {
			budget--
			if _, err := ra.ReadAt(b[:], int64(a)); err != nil {
				break
			}
			if name, err := str(uint64(bo.Uint32(b[8:]))); err == nil {
				versions = append(versions, name)
			}
			anext := uint64(bo.Uint32(b[12:]))
			if anext == 0 {
				break
			}
			a += anext
		}
		if next == 0 || budget <= 0 {
			break
		}
		off += next
	}
	return elfNewestGLIBC([]elf.DynamicVersionNeed{{Needs: func() []elf.DynamicVersionDep {
		var deps []elf.DynamicVersionDep
		for _, v := range versions {
			deps = append(deps, elf.DynamicVersionDep{Dep: v})
		}
		return deps
	}()}})
}

// elfAddrOffset maps a virtual address to a file offset through the PT_LOAD segments.
func elfAddrOffset(f *elfHeaders, addr uint64) (uint64, bool) {
	for _, p := range f.progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr-p.Vaddr < p.Filesz {
			return p.Off + (addr - p.Vaddr), true
		}
	}
	return 0, false
}

// elfCheckTables checks that the ELF header, the program header table and the section
// header table lie inside the file, so a truncated file is reported with the structure
// and offset that the end of the file cuts (debug/elf says only "EOF").
func elfCheckTables(ra io.ReaderAt, size int64, bits int, bo binary.ByteOrder) error {
	hdrSize := int64(52)
	if bits == 64 {
		hdrSize = 64
	}
	if size < hdrSize {
		return truncated("ELF", "header", 0, hdrSize, size)
	}
	h := make([]byte, hdrSize)
	if _, err := ra.ReadAt(h, 0); err != nil {
		return readErr("ELF", "header", 0, hdrSize, size, err)
	}
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum uint16
	if bits == 64 {
		phoff, shoff = bo.Uint64(h[32:]), bo.Uint64(h[40:])
		phentsize, phnum, shentsize, shnum = bo.Uint16(h[54:]), bo.Uint16(h[56:]), bo.Uint16(h[58:]), bo.Uint16(h[60:])
	} else {
		phoff, shoff = uint64(bo.Uint32(h[28:])), uint64(bo.Uint32(h[32:]))
		phentsize, phnum, shentsize, shnum = bo.Uint16(h[42:]), bo.Uint16(h[44:]), bo.Uint16(h[46:]), bo.Uint16(h[48:])
	}
	check := func(what string, off uint64, n int64) error {
		if n == 0 {
			return nil
		}
		if off > uint64(size) || uint64(n) > uint64(size)-off {
			return truncated("ELF", what, int64(min(off, 1<<62)), n, size)
		}
		return nil
	}
	if phnum != 0xffff { // PN_XNUM: the count is in section 0, checked by debug/elf
		if err := check(fmt.Sprintf("program header table (%d entries)", phnum), phoff, int64(phentsize)*int64(phnum)); err != nil {
			return err
		}
	}
	if shoff != 0 {
		n := int64(shnum)
		if n == 0 {
			n = 1 // extended numbering: section 0 holds the count
		}
		if err := check(fmt.Sprintf("section header table (%d entries)", shnum), shoff, int64(shentsize)*n); err != nil {
			return err
		}
	}
	return nil
}

// elfNewFileReason words an error of debug/elf.NewFile that elfCheckTables did not
// foresee (a section's contents, the section name table) for a person.
func elfNewFileReason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated: a section's contents (the section name table?) run past the end of the file"
	}
	return ""
}
