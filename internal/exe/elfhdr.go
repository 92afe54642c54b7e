package exe

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
)

// elfHeaders is what readELF and the layout take from an ELF image's headers: the
// program headers and the section headers with their names. debug/elf.NewFile gives
// the same, with an object, a reader and a name string for every section; the common
// case is parsed here from three reads of the cached image, without them.
type elfHeaders struct {
	class    elf.Class
	bo       binary.ByteOrder
	progs    []elf.ProgHeader
	sections []elf.SectionHeader
	// r is the image, cut at its size: the program and section readers read it.
	r io.ReaderAt
}

// elfMaxTable is the most bytes parseELFHeaders reads for one table (program headers,
// section headers, section names); real ones are a few KiB.
const elfMaxTable = 1 << 20

// readELFHeaders reads the headers of the ELF image of size bytes at ra; errors are
// debug/elf.NewFile's. It parses the headers itself when they are the usual kind
// (parseELFHeaders), and asks debug/elf.NewFile otherwise, so the answer, errors
// included, is always what NewFile says.
func readELFHeaders(ra io.ReaderAt, size int64) (*elfHeaders, error) {
	r := io.NewSectionReader(ra, 0, size)
	if h, ok := parseELFHeaders(r, size); ok {
		return h, nil
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	return elfHeadersOf(f, r), nil
}

// elfHeadersOf copies what elfHeaders holds from f, which debug/elf read from r.
func elfHeadersOf(f *elf.File, r io.ReaderAt) *elfHeaders {
	h := &elfHeaders{class: f.Class, bo: f.ByteOrder, r: r}
	for _, p := range f.Progs {
		h.progs = append(h.progs, p.ProgHeader)
	}
	for _, s := range f.Sections {
		h.sections = append(h.sections, s.SectionHeader)
	}
	return h
}

// parseELFHeaders parses the headers of the image r (size bytes) as
// debug/elf.NewFile does, and reports false for anything else than the common case:
// then NewFile must decide (and word the error). The common case: the tables lie in
// the file, no extended numbering, no compressed section, a section name table that
// names every section. Whenever it reports true, NewFile succeeds with the same
// headers (FuzzELFHeaders checks it).
func parseELFHeaders(r io.ReaderAt, size int64) (*elfHeaders, bool) {
	var hdr [64]byte
	if size < 52 {
		return nil, false
	}
	n, _ := r.ReadAt(hdr[:min(size, 64)], 0)
	if n < 52 || !bytes.HasPrefix(hdr[:], []byte("\x7fELF")) || elf.Version(hdr[elf.EI_VERSION]) != elf.EV_CURRENT {
		return nil, false
	}
	h := &elfHeaders{class: elf.Class(hdr[elf.EI_CLASS]), r: r}
	switch elf.Data(hdr[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		h.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.bo = binary.BigEndian
	default:
		return nil, false
	}
	bo := h.bo
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum, shstrndx int
	var wantPh, wantSh int
	switch h.class {
	case elf.ELFCLASS32:
		if bo.Uint32(hdr[20:]) != uint32(elf.EV_CURRENT) {
			return nil, false
		}
		phoff, shoff = uint64(bo.Uint32(hdr[28:])), uint64(bo.Uint32(hdr[32:]))
		phentsize, phnum = int(bo.Uint16(hdr[42:])), int(bo.Uint16(hdr[44:]))
		shentsize, shnum, shstrndx = int(bo.Uint16(hdr[46:])), int(bo.Uint16(hdr[48:])), int(bo.Uint16(hdr[50:]))
		wantPh, wantSh = 32, 40
	case elf.ELFCLASS64:
		if n < 64 || bo.Uint32(hdr[20:]) != uint32(elf.EV_CURRENT) {
			return nil, false
		}
		phoff, shoff = bo.Uint64(hdr[32:]), bo.Uint64(hdr[40:])
		phentsize, phnum = int(bo.Uint16(hdr[54:])), int(bo.Uint16(hdr[56:]))
		shentsize, shnum, shstrndx = int(bo.Uint16(hdr[58:])), int(bo.Uint16(hdr[60:])), int(bo.Uint16(hdr[62:]))
		wantPh, wantSh = 56, 64
	default:
		return nil, false
	}
	// The tables must lie in the file (bounds checked without overflow: every
	// count and entry size is below 2^16).
	// Tables of more than elfMaxTable bytes are NewFile's.
	inFile := func(off uint64, n int) bool {
		return n <= elfMaxTable && off <= uint64(size) && uint64(n) <= uint64(size)-off
	}
	if int64(phoff) < 0 || int64(shoff) < 0 ||
		phnum > 0 && (phentsize < wantPh || phnum == 0xffff || !inFile(phoff, phnum*phentsize)) ||
		shnum == 0 && shoff != 0 || shnum > 0 && (shoff == 0 || shentsize < wantSh || shstrndx >= shnum || !inFile(shoff, shnum*shentsize)) {
		return nil, false
	}

	if phnum > 0 {
		b := make([]byte, phnum*phentsize)
		if k, _ := r.ReadAt(b, int64(phoff)); k < len(b) {
			return nil, false
		}
		h.progs = make([]elf.ProgHeader, phnum)
		for i := range h.progs {
			e := b[i*phentsize:]
			p := &h.progs[i]
			if h.class == elf.ELFCLASS32 {
				*p = elf.ProgHeader{
					Type: elf.ProgType(bo.Uint32(e)), Off: uint64(bo.Uint32(e[4:])), Vaddr: uint64(bo.Uint32(e[8:])),
					Paddr: uint64(bo.Uint32(e[12:])), Filesz: uint64(bo.Uint32(e[16:])), Memsz: uint64(bo.Uint32(e[20:])),
					Flags: elf.ProgFlag(bo.Uint32(e[24:])), Align: uint64(bo.Uint32(e[28:])),
				}
			} else {
				*p = elf.ProgHeader{
					Type: elf.ProgType(bo.Uint32(e)), Flags: elf.ProgFlag(bo.Uint32(e[4:])), Off: bo.Uint64(e[8:]),
					Vaddr: bo.Uint64(e[16:]), Paddr: bo.Uint64(e[24:]), Filesz: bo.Uint64(e[32:]),
					Memsz: bo.Uint64(e[40:]), Align: bo.Uint64(e[48:]),
				}
			}
			if int64(p.Off) < 0 || int64(p.Filesz) < 0 {
				return nil, false
			}
		}
	}
	if shnum == 0 {
		return h, true
	}

	b := make([]byte, shnum*shentsize)
	if k, _ := r.ReadAt(b, int64(shoff)); k < len(b) {
		return nil, false
	}
	h.sections = make([]elf.SectionHeader, shnum)
	names := make([]uint32, shnum)
	for i := range h.sections {
		e := b[i*shentsize:]
		s := &h.sections[i]
		names[i] = bo.Uint32(e)
		if h.class == elf.ELFCLASS32 {
			*s = elf.SectionHeader{
				Type: elf.SectionType(bo.Uint32(e[4:])), Flags: elf.SectionFlag(bo.Uint32(e[8:])),
				Addr: uint64(bo.Uint32(e[12:])), Offset: uint64(bo.Uint32(e[16:])), FileSize: uint64(bo.Uint32(e[20:])),
				Link: bo.Uint32(e[24:]), Info: bo.Uint32(e[28:]), Addralign: uint64(bo.Uint32(e[32:])),
				Entsize: uint64(bo.Uint32(e[36:])),
			}
		} else {
			*s = elf.SectionHeader{
				Type: elf.SectionType(bo.Uint32(e[4:])), Flags: elf.SectionFlag(bo.Uint64(e[8:])),
				Addr: bo.Uint64(e[16:]), Offset: bo.Uint64(e[24:]), FileSize: bo.Uint64(e[32:]),
				Link: bo.Uint32(e[40:]), Info: bo.Uint32(e[44:]), Addralign: bo.Uint64(e[48:]),
				Entsize: bo.Uint64(e[56:]),
			}
		}
		if int64(s.Offset) < 0 || int64(s.FileSize) < 0 || s.Flags&elf.SHF_COMPRESSED != 0 {
			return nil, false // NewFile reads a compression header (or refuses)
		}
		s.Size = s.FileSize
	}
	if shstrndx == 0 {
		return h, true // no names
	}
	str := h.sections[shstrndx]
	// The name table is read whole, as NewFile does; a hostile size is NewFile's to
	// refuse.
	if str.Type != elf.SHT_STRTAB || str.FileSize > elfMaxTable || !inFile(str.Offset, int(str.FileSize)) {
		return nil, false
	}
	tab := make([]byte, str.FileSize)
	if k, _ := r.ReadAt(tab, int64(str.Offset)); k < len(tab) {
		return nil, false
	}
	strs := string(tab) // the names share it
	for i := range h.sections {
		start := int(names[i])
		if int64(names[i]) >= int64(len(strs)) {
			return nil, false
		}
		end := bytes.IndexByte(tab[start:], 0)
		if end < 0 {
			return nil, false
		}
		h.sections[i].Name = strs[start : start+end]
	}
	return h, true
}

// sectionByType returns the first section of type t, or nil.
func (h *elfHeaders) sectionByType(t elf.SectionType) *elf.SectionHeader {
	for i := range h.sections {
		if h.sections[i].Type == t {
			return &h.sections[i]
		}
	}
	return nil
}

// progReader reads the file bytes of p, as debug/elf's Prog does.
func (h *elfHeaders) progReader(p *elf.ProgHeader) io.ReaderAt {
	return io.NewSectionReader(h.r, int64(p.Off), int64(p.Filesz))
}

// sectionReader reads the file bytes of s, as debug/elf's Section does: nil for a
// compressed section, whose debug/elf reader is nil too.
func (h *elfHeaders) sectionReader(s *elf.SectionHeader) io.ReaderAt {
	if s.Flags&elf.SHF_COMPRESSED != 0 {
		return nil
	}
	return io.NewSectionReader(h.r, int64(s.Offset), int64(s.FileSize))
}
