package isa

// A test-only reader of the code of ELF, Mach-O and PE images, so the package's tests
// can analyze real files without importing internal/exe (which imports isa). The
// product reads code ranges with internal/exe (exe.Slice.Code).

import (
	"bytes"
	"cmp"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// image is what Analyze needs from an executable: its architecture, its code and
// the hints that stand next to it.
type image struct {
	format    string // elf, macho, pe
	arch      string // GOARCH name
	regions   []Range
	codeSize  int64 // sum of the regions' sizes
	isaNeeded int
	guard     []Span
}

func (img *image) code() *Code {
	return &Code{Arch: img.arch, Format: img.format, Ranges: img.regions, ISANeeded: img.isaNeeded, Guarded: img.guard}
}

// analyzeImage reads the code of the image in ra and analyzes it, scanning unless
// in says otherwise through noScan.
func analyzeImage(ctx context.Context, ra io.ReaderAt, size int64, in Input) (*Report, error) {
	img, err := openImage(ra, size, !(in.Go || in.GoSettings != nil))
	if err != nil {
		return nil, fmt.Errorf("analyze machine code: %w", err)
	}
	in.Scan = true
	return Analyze(ctx, ra, img.code(), in)
}

// Limits on malformed input.
const (
	maxRegions  = 4096
	maxNoteSize = 1 << 16
	maxSymbols  = 1 << 22
)

// openImage detects the format from the magic number and lists the executable
// regions; guards asks for the symbol-based guard (see guardedFuncs). debug/* may panic on malformed files; the panic becomes an error.
func openImage(ra io.ReaderAt, size int64, guards bool) (img *image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("malformed executable: %v", r)
		}
	}()
	var magic [4]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("read magic: %w", err)
	}
	sr := io.NewSectionReader(ra, 0, size)
	switch {
	case bytes.Equal(magic[:], []byte(elf.ELFMAG)):
		return openELF(sr, size, guards)
	case binary.BigEndian.Uint32(magic[:]) == macho.MagicFat, binary.BigEndian.Uint32(magic[:]) == 0xcafebabf:
		return nil, errors.New("universal (fat) Mach-O: analyze each slice")
	case binary.LittleEndian.Uint32(magic[:]) == macho.Magic64, binary.LittleEndian.Uint32(magic[:]) == macho.Magic32,
		binary.BigEndian.Uint32(magic[:]) == macho.Magic64, binary.BigEndian.Uint32(magic[:]) == macho.Magic32:
		return openMachO(sr, size)
	case magic[0] == 'M' && magic[1] == 'Z':
		return openPE(sr, size)
	}
	return nil, fmt.Errorf("unknown executable format (magic % x)", magic)
}

func (img *image) addRegion(off, n int64, addr uint64, size int64) error {
	if n <= 0 {
		return nil
	}
	if off < 0 || off > size || n > size-off {
		return fmt.Errorf("code at offset %#x size %#x lies outside the file (%d bytes)", off, n, size)
	}
	if len(img.regions) >= maxRegions {
		return fmt.Errorf("more than %d code sections", maxRegions)
	}
	if img.codeSize += n; img.codeSize > size {
		return errors.New("code sections overlap: they add up to more than the file")
	}
	img.regions = append(img.regions, Range{Off: off, Size: n, Addr: addr})
	return nil
}

func openELF(sr *io.SectionReader, size int64, guards bool) (*image, error) {
	f, err := elf.NewFile(sr)
	if err != nil {
		return nil, fmt.Errorf("ELF: %w", err)
	}
	img := &image{format: "elf", arch: elfArch(f)}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 {
			if err := img.addRegion(int64(s.Offset), int64(s.Size), s.Addr, size); err != nil {
				return nil, fmt.Errorf("ELF section %s: %w", s.Name, err)
			}
		}
	}
	if len(img.regions) == 0 { // no section headers: executable segments
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
				if err := img.addRegion(int64(p.Off), int64(p.Filesz), p.Vaddr, size); err != nil {
					return nil, fmt.Errorf("ELF segment: %w", err)
				}
			}
		}
	}
	if f.Machine == elf.EM_X86_64 {
		img.isaNeeded = elfISANeeded(f, size)
	}
	switch {
	case !guards:
	case f.Machine == elf.EM_X86_64:
		img.guard = guardedFuncs(f, x86Variant)
	case f.Machine == elf.EM_AARCH64:
		img.guard = guardedFuncs(f, arm64Helper)
	}
	return img, nil
}

func elfArch(f *elf.File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_386:
		return "386"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}

// GNU property note constants (binutils include/elf/common.h, glibc elf.h).
const (
	ntGNUPropertyType0  = 5
	gnuPropX86ISANeeded = 0xc0008002
)

// elfISANeeded returns the x86-64 level (1..4) in the GNU_PROPERTY_X86_ISA_1_NEEDED
// property of .note.gnu.property (or a PT_GNU_PROPERTY segment), 0 if absent.
func elfISANeeded(f *elf.File, size int64) int {
	var data []byte
	if s := f.Section(".note.gnu.property"); s != nil && s.Type == elf.SHT_NOTE && s.Size <= maxNoteSize {
		data, _ = s.Data()
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_GNU_PROPERTY && p.Filesz <= maxNoteSize && int64(p.Off) < size {
				data = make([]byte, p.Filesz)
				if _, err := p.ReadAt(data, 0); err != nil {
					data = nil
				}
				break
			}
		}
	}
	bo := f.ByteOrder
	level := 0
	for len(data) >= 12 {
		namesz, descsz, typ := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
		data = data[12:]
		nameEnd := int(align(uint64(namesz), 4))
		if namesz > maxNoteSize || nameEnd > len(data) {
			return level
		}
		name := data[:namesz]
		data = data[nameEnd:]
		descEnd := int(align(uint64(descsz), 8))
		if descsz > maxNoteSize || int(descsz) > len(data) {
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

// guardedFuncs returns a function telling whether an address lies in a function
// whose name says it is reached only after a runtime feature check; nil without a
// symbol table or such functions.
func guardedFuncs(f *elf.File, match func(string) bool) []Span {
	spans := matchingFuncs(f, match)
	slices.SortFunc(spans, func(a, b Span) int { return cmp.Compare(a.Lo, b.Lo) })
	return spans
}

// matchingFuncs streams the ELF symbol table and returns the address ranges of the
// functions whose names match. It reads the table in chunks and only the names of
// function symbols, so a large unstripped binary costs no more memory than a small
// one (debug/elf's Symbols loads every symbol and name at once).
func matchingFuncs(f *elf.File, match func(string) bool) []Span {
	symtab := f.Section(".symtab")
	if symtab == nil || symtab.Type != elf.SHT_SYMTAB || int(symtab.Link) >= len(f.Sections) {
		return nil
	}
	strtab := f.Sections[symtab.Link]
	entSize := int64(24)
	if f.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	if symtab.Size/uint64(entSize) > maxSymbols {
		return nil
	}
	buf := make([]byte, 2730*entSize) // about 64 KiB of entries at a time
	name := make([]byte, 256)
	var spans []Span
	for off := int64(0); off < int64(symtab.Size); {
		n, err := symtab.ReadAt(buf, off)
		n -= n % int(entSize)
		if n == 0 {
			break
		}
		for e := buf[:n]; len(e) >= int(entSize); e = e[entSize:] {
			var nameOff uint32
			var info byte
			var value, size uint64
			if entSize == 24 {
				nameOff, info = f.ByteOrder.Uint32(e), e[4]
				value, size = f.ByteOrder.Uint64(e[8:]), f.ByteOrder.Uint64(e[16:])
			} else {
				nameOff, info = f.ByteOrder.Uint32(e), e[12]
				value, size = uint64(f.ByteOrder.Uint32(e[4:])), uint64(f.ByteOrder.Uint32(e[8:]))
			}
			if elf.ST_TYPE(info) != elf.STT_FUNC || size == 0 {
				continue
			}
			k, _ := strtab.ReadAt(name, int64(nameOff))
			if i := bytes.IndexByte(name[:k], 0); i >= 0 {
				k = i
			}
			if match(string(name[:k])) {
				spans = append(spans, Span{value, value + size})
			}
		}
		off += int64(n)
		if err != nil {
			break
		}
	}
	return spans
}

func openMachO(sr *io.SectionReader, size int64) (*image, error) {
	f, err := macho.NewFile(sr)
	if err != nil {
		return nil, fmt.Errorf("Mach-O: %w", err)
	}
	img := &image{format: "macho", arch: machoArch(f.Cpu)}
	const instrAttrs = 0x80000000 | 0x400 // S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS
	for _, s := range f.Sections {
		if s.Flags&instrAttrs == 0 {
			continue
		}
		if typ := s.Flags & 0xff; typ == 1 || typ == 0xc { // S_ZEROFILL, S_GB_ZEROFILL
			continue
		}
		if err := img.addRegion(int64(s.Offset), int64(s.Size), s.Addr, size); err != nil {
			return nil, fmt.Errorf("Mach-O section %s,%s: %w", s.Seg, s.Name, err)
		}
	}
	return img, nil
}

func machoArch(c macho.Cpu) string {
	switch c {
	case macho.CpuAmd64:
		return "amd64"
	case macho.Cpu386:
		return "386"
	case macho.CpuArm64:
		return "arm64"
	case macho.CpuArm:
		return "arm"
	}
	return fmt.Sprintf("cpu%#x", uint32(c))
}

func openPE(sr *io.SectionReader, size int64) (*image, error) {
	f, err := pe.NewFile(sr)
	if err != nil {
		return nil, fmt.Errorf("PE: %w", err)
	}
	img := &image{format: "pe"}
	var base uint64
	switch f.Machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		img.arch = "amd64"
	case pe.IMAGE_FILE_MACHINE_I386:
		img.arch = "386"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		img.arch = "arm64"
	default:
		img.arch = fmt.Sprintf("pe%#x", f.Machine)
	}
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
		if err := img.addRegion(int64(s.Offset), n, base+uint64(s.VirtualAddress), size); err != nil {
			return nil, fmt.Errorf("PE section %s: %w", s.Name, err)
		}
	}
	return img, nil
}
