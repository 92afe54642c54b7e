package exe

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// This file finds a Go binary's pclntab (the runtime's function table, which every Go
// binary has, stripped or not) and reads it in bounded chunks: it tells a Go binary
// from another without the build info, the Go release range (from its magic) and
// whether runtime/cgo is linked (from the function names).

// pclntab magics (runtime/symtab.go, debug/gosym/pclntab.go).
const (
	pcln12  = 0xfffffffb // Go 1.2 to 1.15
	pcln116 = 0xfffffffa // Go 1.16 and 1.17
	pcln118 = 0xfffffff0 // Go 1.18 and 1.19
	pcln120 = 0xfffffff1 // Go 1.20 and later
)

// Scan limits: how much of a binary the fallback scans look at, whatever its size.
const (
	scanChunk  = 64 << 10
	scanMaxLen = 256 << 20
)

// exeSection is a section of an ELF, Mach-O or PE image, format-neutral.
type exeSection struct {
	name string
	addr uint64 // virtual address (PE: RVA)
	off  uint64 // file offset
	size uint64 // bytes in the file
	data bool   // allocated, not executable, has file bytes
}

// exeLayout is what readGo needs to know about an image's layout.
type exeLayout struct {
	format   Format
	order    binary.ByteOrder
	sections []exeSection
	// ELF symbol and string tables (zero when stripped).
	symtab, strtab exeSection
	bits           int
	// goMarks is true when the image carries a mark of the Go linker (a Go build ID
	// or build info section, or no section table to say otherwise): only then is it
	// worth scanning for a pclntab that has no section of its own.
	goMarks bool
}

// readLayout reads the section table of an ELF, Mach-O or PE image.
func readLayout(ra io.ReaderAt, size int64) (*exeLayout, error) {
	var magic [4]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil {
		return nil, eofAsUnexpected(err)
	}
	switch {
	case bytes.Equal(magic[:], []byte("\x7fELF")):
		return elfLayout(ra, size)
	case isMachO(magic[:]):
		return machoLayout(ra, size)
	case bytes.Equal(magic[:2], []byte("MZ")):
		h, err := readPEHeader(ra, size)
		if err != nil {
			return nil, err
		}
		l := &exeLayout{format: FormatPE, order: binary.LittleEndian, bits: h.bits}
		for _, s := range h.sections {
			if s.name == ".symtab" {
				// Go's linker writes a .symtab section into every PE it links
				// itself, even with -s (then 4 bytes long); other linkers put no
				// section of that name into a PE image.
				l.goMarks = true
			}
			if s.name == ".text" {
				// The Go linker starts the text with the build ID (after the C
				// start-up code when linking externally).
				id := make([]byte, min(4096, s.rawSize))
				n, _ := ra.ReadAt(id, int64(s.rawOffset))
				l.goMarks = l.goMarks || bytes.Contains(id[:n], []byte("\xff Go build ID: \""))
			}
			l.sections = append(l.sections, exeSection{
				name: s.name, addr: uint64(s.virtualAddress), off: uint64(s.rawOffset),
				size: uint64(min(s.rawSize, max(s.virtualSize, s.rawSize))),
				data: s.name != ".text" && s.rawSize > 0,
			})
		}
		return l, nil
	}
	return nil, errors.New("unknown format")
}

func elfLayout(ra io.ReaderAt, size int64) (*exeLayout, error) {
	f, err := readELFHeaders(ra, size)
	if err != nil {
		return nil, err
	}
	return elfFileLayout(f), nil
}

// elfFileLayout is the layout of the ELF image f.
func elfFileLayout(f *elfHeaders) *exeLayout {
	l := &exeLayout{format: FormatELF, order: f.bo, bits: 64, sections: make([]exeSection, 0, len(f.sections))}
	if f.class == elf.ELFCLASS32 {
		l.bits = 32
	}
	for i := range f.sections {
		s := &f.sections[i]
		es := exeSection{
			name: s.Name, addr: s.Addr, off: s.Offset, size: s.FileSize,
			data: s.Flags&elf.SHF_ALLOC != 0 && s.Flags&elf.SHF_EXECINSTR == 0 && s.Type != elf.SHT_NOBITS && s.Flags&elf.SHF_COMPRESSED == 0,
		}
		if s.Type == elf.SHT_NOBITS {
			es.size = 0
		}
		l.sections = append(l.sections, es)
		switch s.Name {
		case ".go.buildinfo", ".note.go.buildid", ".gopclntab",
			// A -buildmode=shared library's notes (cmd/link's ELF_NOTE_GO*_TAG).
			".note.go.abihash", ".note.go.pkg-list", ".note.go.deps":
			l.goMarks = true
		}
		if s.Type == elf.SHT_SYMTAB && int(s.Link) < len(f.sections) {
			l.symtab = es
			ss := f.sections[s.Link]
			l.strtab = exeSection{name: ss.Name, off: ss.Offset, size: ss.FileSize}
		}
	}
	if len(f.sections) == 0 {
		// No section headers (sstrip): the loadable segments stand in.
		l.goMarks = true
		for _, p := range f.progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X == 0 {
				l.sections = append(l.sections, exeSection{name: "PT_LOAD", addr: p.Vaddr, off: p.Off, size: p.Filesz, data: true})
			}
		}
	}
	return l
}

// machoLayout walks the load commands of a thin Mach-O for its sections.
func machoLayout(ra io.ReaderAt, size int64) (*exeLayout, error) {
	var hdr [32]byte
	if _, err := ra.ReadAt(hdr[:], 0); err != nil {
		return nil, eofAsUnexpected(err)
	}
	l := &exeLayout{format: FormatMachO}
	switch {
	case bytes.Equal(hdr[:4], []byte{0xcf, 0xfa, 0xed, 0xfe}):
		l.order, l.bits = binary.LittleEndian, 64
	case bytes.Equal(hdr[:4], []byte{0xce, 0xfa, 0xed, 0xfe}):
		l.order, l.bits = binary.LittleEndian, 32
	case bytes.Equal(hdr[:4], []byte{0xfe, 0xed, 0xfa, 0xcf}):
		l.order, l.bits = binary.BigEndian, 64
	case bytes.Equal(hdr[:4], []byte{0xfe, 0xed, 0xfa, 0xce}):
		l.order, l.bits = binary.BigEndian, 32
	default:
		return nil, errors.New("not a thin Mach-O")
	}
	ncmds := l.order.Uint32(hdr[16:])
	sizeofcmds := int64(l.order.Uint32(hdr[20:]))
	start := int64(28)
	if l.bits == 64 {
		start = 32
	}
	if sizeofcmds > 16<<20 || start+sizeofcmds > size {
		return nil, fmt.Errorf("load commands (%d bytes) beyond the end of the file", sizeofcmds)
	}
	cmds := make([]byte, sizeofcmds)
	if _, err := ra.ReadAt(cmds, start); err != nil {
		return nil, eofAsUnexpected(err)
	}
	name16 := func(b []byte) string { return string(bytes.TrimRight(b[:16], "\x00")) }
	for i := uint32(0); i < ncmds && len(cmds) >= 8; i++ {
		cmd, n := l.order.Uint32(cmds), l.order.Uint32(cmds[4:])
		if n < 8 || uint64(n) > uint64(len(cmds)) {
			break
		}
		c := cmds[:n]
		cmds = cmds[n:]
		switch {
		case cmd == 0x19 && len(c) >= 72: // LC_SEGMENT_64
			initprot := l.order.Uint32(c[60:])
			nsects := int(l.order.Uint32(c[64:]))
			for j := 0; j < nsects && 72+80*j+80 <= len(c); j++ {
				s := c[72+80*j:]
				flags := l.order.Uint32(s[64:])
				if n := name16(s); n == "__gopclntab" || n == "__go_buildinfo" {
					l.goMarks = true
				}
				l.sections = append(l.sections, exeSection{
					name: name16(s), addr: l.order.Uint64(s[32:]), size: l.order.Uint64(s[40:]),
					off:  uint64(l.order.Uint32(s[48:])),
					data: flags&0xff != 1 && flags&0x80000400 == 0 && initprot != 0, // not S_ZEROFILL, no instructions
				})
			}
		case cmd == 0x1 && len(c) >= 56: // LC_SEGMENT
			initprot := l.order.Uint32(c[44:])
			nsects := int(l.order.Uint32(c[48:]))
			for j := 0; j < nsects && 56+68*j+68 <= len(c); j++ {
				s := c[56+68*j:]
				flags := l.order.Uint32(s[56:])
				l.sections = append(l.sections, exeSection{
					name: name16(s), addr: uint64(l.order.Uint32(s[32:])), size: uint64(l.order.Uint32(s[36:])),
					off:  uint64(l.order.Uint32(s[40:])),
					data: flags&0xff != 1 && flags&0x80000400 == 0 && initprot != 0,
				})
			}
		}
	}
	return l, nil
}

// section returns the first section with one of the names.
func (l *exeLayout) section(names ...string) (exeSection, bool) {
	for _, n := range names {
		for _, s := range l.sections {
			if s.name == n && s.size > 0 {
				return s, true
			}
		}
	}
	return exeSection{}, false
}

// pclnHeader is the part of a pclntab header readGo uses.
type pclnHeader struct {
	magic   uint32
	order   binary.ByteOrder
	ptrSize int
	// The function name table, as file offsets [namesStart, namesEnd).
	namesStart, namesEnd int64
	// off is the header's file offset, end the end of its region; nfunc, textStart
	// and functab (an offset from the header) locate the function table.
	off, end         int64
	nfunc, textStart uint64
	functab          uint64
}

// release is the Go release range a pclntab magic stands for.
func (h pclnHeader) release() string {
	switch h.magic {
	case pcln120:
		return "go1.20 or later"
	case pcln118:
		return "go1.18 or go1.19"
	case pcln116:
		return "go1.16 or go1.17"
	}
	return "go1.2 to go1.15"
}

// releaseOK reports whether the Go version v (go1.N...) fits the header's magic.
func (h pclnHeader) releaseOK(minor int) bool {
	switch h.magic {
	case pcln120:
		return minor >= 20
	case pcln118:
		return minor == 18 || minor == 19
	case pcln116:
		return minor == 16 || minor == 17
	}
	return minor >= 2 && minor <= 15
}

// parsePcln checks and decodes a pclntab header at file offset off in a region ending
// at end.
func parsePcln(ra io.ReaderAt, off, end int64) (pclnHeader, bool) {
	var b [8 + 8*8]byte
	n, _ := ra.ReadAt(b[:], off)
	if n < 16 {
		return pclnHeader{}, false
	}
	h := pclnHeader{}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch m := bo.Uint32(b[:]); m {
		case pcln12, pcln116, pcln118, pcln120:
			h.magic, h.order = m, bo
		}
		if h.order != nil {
			break
		}
	}
	minLC, ptr := b[6], int(b[7])
	if h.order == nil || b[4] != 0 || b[5] != 0 || (minLC != 1 && minLC != 2 && minLC != 4) || (ptr != 4 && ptr != 8) {
		return pclnHeader{}, false
	}
	h.ptrSize = ptr
	h.off, h.end = off, end
	if h.magic == pcln12 {
		// Names are spread through the table: scan it all.
		h.namesStart, h.namesEnd = off, end
		if ptr == 4 {
			h.nfunc = uint64(h.order.Uint32(b[8:]))
		} else {
			h.nfunc = h.order.Uint64(b[8:])
		}
		h.functab = uint64(8 + ptr)
		return h, true
	}
	word := func(i int) uint64 {
		at := 8 + i*ptr
		if at+ptr > n {
			return ^uint64(0)
		}
		if ptr == 4 {
			return uint64(h.order.Uint32(b[at:]))
		}
		return h.order.Uint64(b[at:])
	}
	nameIdx, hdrWords := 3, 8 // nfunc, nfiles, textStart, funcnameOffset, cuOffset, ...
	if h.magic == pcln116 {
		nameIdx, hdrWords = 2, 7 // no textStart
	}
	names, cus := word(nameIdx), word(nameIdx+1)
	// The function name table follows the header (aligned: an external linker may
	// place it up to 32 bytes further, as Debian's go1.19 hugo has it at 96 for a
	// 72-byte header), and the cu table follows it.
	hdrSize := uint64(8 + hdrWords*ptr)
	if names < hdrSize || names > hdrSize+64 || cus < names || cus > uint64(end-off) {
		return pclnHeader{}, false
	}
	h.namesStart, h.namesEnd = off+int64(names), off+int64(cus)
	h.nfunc = word(0)
	if h.magic == pcln116 {
		h.functab = word(6) // pclnOffset
	} else {
		h.textStart, h.functab = word(2), word(7)
	}
	return h, true
}

// pclnFuncs returns the address ranges of the functions in the pclntab's function
// table (each ends where the next begins; the table ends with the end of the text):
// Go 1.18 and later store 32-bit offsets from the start of the text (text, when the
// header holds 0: a PIE's is relocated at run time), earlier releases addresses.
func pclnFuncs(ra io.ReaderAt, h pclnHeader, text uint64) []Span {
	if h.nfunc == 0 || h.nfunc > funcsMax || h.functab >= uint64(h.end-h.off) {
		return nil
	}
	ent := uint64(2 * h.ptrSize)
	if h.magic == pcln118 || h.magic == pcln120 {
		ent = 8
	}
	n := (2*h.nfunc + 1) * ent / 2
	if n > uint64(h.end-h.off)-h.functab {
		return nil
	}
	b := make([]byte, n)
	if _, err := ra.ReadAt(b, h.off+int64(h.functab)); err != nil {
		return nil
	}
	entry := func(i uint64) uint64 {
		at := i * ent
		switch {
		case ent == 8:
			base := h.textStart
			if base == 0 {
				base = text
			}
			return base + uint64(h.order.Uint32(b[at:]))
		case h.ptrSize == 4:
			return uint64(h.order.Uint32(b[at:]))
		}
		return h.order.Uint64(b[at:])
	}
	out := make([]Span, 0, h.nfunc)
	for i := uint64(0); i < h.nfunc; i++ {
		if lo, hi := entry(i), entry(i+1); hi > lo {
			out = append(out, Span{Lo: lo, Hi: hi})
		}
	}
	return out
}

// findPcln finds the pclntab: its own section when there is one, else, when the image
// has a mark of Go (or goHint says it is Go), by scanning the data sections for a
// valid header. Non-Go images are never scanned.
func findPcln(ra io.ReaderAt, size int64, l *exeLayout, goHint bool) (pclnHeader, bool) {
	if s, ok := l.section(".gopclntab", "__gopclntab"); ok && s.off < uint64(size) {
		end := int64(min(s.off+s.size, uint64(size)))
		if h, ok := parsePcln(ra, int64(s.off), end); ok {
			return h, true
		}
	}
	if !goHint && !l.goMarks {
		return pclnHeader{}, false
	}
	var cands pclnMagicPositions
	budget := int64(scanMaxLen)
	for _, s := range l.sections {
		if !s.data || s.off >= uint64(size) || budget <= 0 {
			continue
		}
		end := int64(min(s.off+s.size, uint64(size)))
		var found pclnHeader
		var ok bool
		budget -= end - int64(s.off)
		scanRegion(ra, int64(s.off), end, 6, func(buf []byte, base int64) bool {
			cands.find(buf)
			for _, positions := range cands {
				for _, i := range positions {
					at := base + int64(i)
					if (at-int64(s.off))%4 == 0 {
						if found, ok = parsePcln(ra, at, end); ok {
							return false
						}
					}
				}
			}
			return true
		})
		if ok {
			return found, true
		}
	}
	return pclnHeader{}, false
}

// pclnMagics are the pclntab magics as bytes, in the order findPcln tries them: the
// newest format first, little endian before big endian.
func pclnMagics() [][]byte {
	var magics [][]byte
	for _, m := range []uint32{pcln120, pcln118, pcln116, pcln12} {
		magics = append(magics, binary.LittleEndian.AppendUint32(nil, m), binary.BigEndian.AppendUint32(nil, m))
	}
	return magics
}

// pclnMagicPositions holds, for each of pclnMagics, the positions where it occurs in
// a buffer, in increasing order.
type pclnMagicPositions [8][]int

// find records the positions of the pclntab magics in buf. Every magic is a type
// byte (0xf1, 0xf0, 0xfa, 0xfb) before three 0xff bytes (little endian) or after them
// (big endian), so one search for 0xff 0xff 0xff finds them all, where a search per
// magic would pass over buf eight times; a run of 0xff bytes is passed over once.
func (c *pclnMagicPositions) find(buf []byte) {
	for k := range c {
		c[k] = c[k][:0]
	}
	kind := func(t byte) int { // index of the magic with type byte t in pclnMagics / 2
		switch t {
		case 0xf1: // pcln120
			return 0
		case 0xf0: // pcln118
			return 1
		case 0xfa: // pcln116
			return 2
		case 0xfb: // pcln12
			return 3
		}
		return -1
	}
	for i := 0; i < len(buf); {
		j := bytes.Index(buf[i:], []byte{0xff, 0xff, 0xff})
		if j < 0 {
			return
		}
		// A maximal run of 0xff at [start, end): buf[start-1] is not 0xff, or start
		// would have matched first.
		start := i + j
		end := start + 3
		for end < len(buf) && buf[end] == 0xff {
			end++
		}
		if start > 0 {
			if k := kind(buf[start-1]); k >= 0 {
				c[2*k] = append(c[2*k], start-1) // little endian: type byte, then the run
			}
		}
		if end < len(buf) {
			if k := kind(buf[end]); k >= 0 {
				c[2*k+1] = append(c[2*k+1], end-3) // big endian: the run's last three bytes, then the type byte
			}
		}
		i = end
	}
}

// scanRegion calls fn with consecutive chunks of [start, end), each overlapping the
// previous by overlap bytes so a pattern of up to overlap+1 bytes is never cut, and
// stops when fn returns false. base is the file offset of buf[0]. It reads through
// one fixed buffer: memory stays constant whatever the region's size.
func scanRegion(ra io.ReaderAt, start, end int64, overlap int, fn func(buf []byte, base int64) bool) {
	if end <= start {
		return
	}
	// A region smaller than a chunk is read whole, into a buffer of its size.
	buf := make([]byte, min(scanChunk, end-start))
	keep := 0
	for off := start; off < end; {
		n := int(min(int64(len(buf)-keep), end-off))
		m, err := ra.ReadAt(buf[keep:keep+n], off)
		if m > 0 && !fn(buf[:keep+m], off-int64(keep)) {
			return
		}
		if m <= 0 || (err != nil && m < n) {
			return
		}
		off += int64(m)
		total := keep + m
		keep = min(overlap, total)
		copy(buf, buf[total-keep:total])
	}
}

// cgoMarkers are prefixes of function names that only runtime/cgo (and the cgo
// glue of packages that import "C") put into the pclntab. runtime._cgo_init and
// friends are not among them: every Go binary has those.
func cgoMarkers() [][]byte {
	return [][]byte{[]byte("\x00runtime/cgo."), []byte("\x00x_cgo_"), []byte("\x00_cgo_"), []byte("\x00crosscall2\x00")}
}

// pclnCgo reports whether the function name table names runtime/cgo functions.
func pclnCgo(ra io.ReaderAt, h pclnHeader) bool {
	cgoMarkers := cgoMarkers()
	found := false
	first := true
	longest := 0
	for _, m := range cgoMarkers {
		longest = max(longest, len(m))
	}
	scanRegion(ra, h.namesStart, h.namesEnd, longest-1, func(buf []byte, base int64) bool {
		if first {
			first = false
			for _, m := range cgoMarkers {
				if bytes.HasPrefix(buf, m[1:]) {
					found = true
					return false
				}
			}
		}
		if containsCgoMarker(buf) {
			found = true
			return false
		}
		return true
	})
	return found
}

// containsCgoMarker reports whether buf contains one of cgoMarkers. It is
// bytes.Contains for each marker, in two passes that look for bytes rare in function
// names ("go", and "2\x00" for crosscall2) instead of four passes for markers that
// start with a NUL, which matches at every name (bytes.Index's IndexByte strategy is
// at its worst there).
func containsCgoMarker(buf []byte) bool {
	has := func(at int, m string, c int) bool { // m's byte c is at buf[at]
		return at >= c && at-c+len(m) <= len(buf) && string(buf[at-c:at-c+len(m)]) == m
	}
	for i := 0; i < len(buf); {
		j := bytes.Index(buf[i:], []byte("go"))
		if j < 0 {
			break
		}
		at := i + j
		if has(at, "\x00runtime/cgo.", 10) || has(at, "\x00x_cgo_", 4) || has(at, "\x00_cgo_", 3) {
			return true
		}
		i = at + 1
	}
	for i := 0; i < len(buf); {
		j := bytes.Index(buf[i:], []byte("2\x00"))
		if j < 0 {
			break
		}
		if has(i+j, "\x00crosscall2\x00", 10) {
			return true
		}
		i += j + 1
	}
	return false
}

// versionStrings scans the read-only data for Go version strings ("go1.26.8",
// "go1.21rc2", "devel go1.27-abcdef ...") that fit ok, and returns the newest.
func versionStrings(ra io.ReaderAt, size int64, l *exeLayout, ok func(minor int) bool) string {
	var best string
	var bestV []int
	budget := int64(scanMaxLen)
	for _, name := range []string{".rodata", "__rodata", ".rdata", "__const"} {
		for _, s := range l.sections {
			if s.name != name || !s.data || s.off >= uint64(size) || budget <= 0 {
				continue
			}
			end := int64(min(s.off+s.size, uint64(size)))
			budget -= end - int64(s.off)
			scanRegion(ra, int64(s.off), end, 63, func(buf []byte, base int64) bool {
				for i := 0; ; {
					j := bytes.Index(buf[i:], []byte("go1."))
					if j < 0 {
						return true
					}
					i += j
					v, nums := parseGoVersionAt(buf, i)
					i += 4
					if v == "" || !ok(nums[1]) {
						continue
					}
					if bestV == nil || versionLess(bestV, nums) {
						best, bestV = v, nums
					}
				}
			})
		}
	}
	return best
}

// parseGoVersionAt parses a version string at buf[i:] ("go1.N[.P][rcR|betaR]",
// preceded by "devel " for development toolchains) and returns it and its numbers.
func parseGoVersionAt(buf []byte, i int) (string, []int) {
	j := i + 4
	num := func() (int, bool) {
		start, x := j, 0
		for j < len(buf) && buf[j] >= '0' && buf[j] <= '9' && j-start < 4 {
			x = x*10 + int(buf[j]-'0')
			j++
		}
		return x, j > start
	}
	minor, ok := num()
	if !ok || minor < 2 || minor > 999 {
		return "", nil
	}
	nums := []int{1, minor}
	if j+1 < len(buf) && buf[j] == '.' {
		j++
		if p, ok := num(); ok {
			nums = append(nums, p)
		} else {
			return "", nil
		}
	}
	for _, pre := range []string{"rc", "beta"} {
		if bytes.HasPrefix(buf[j:], []byte(pre)) {
			j += len(pre)
			if _, ok := num(); !ok {
				return "", nil
			}
			nums = append(nums[:2], -1) // a pre-release sorts before .0
			break
		}
	}
	start := i
	if i >= 6 && string(buf[i-6:i]) == "devel " {
		start = i - 6
		// devel go1.27-abcdef0123 ...: keep the revision.
		if j < len(buf) && buf[j] == '-' {
			k := j + 1
			for k < len(buf) && k-j <= 40 && (buf[k] >= '0' && buf[k] <= '9' || buf[k] >= 'a' && buf[k] <= 'f') {
				k++
			}
			j = k
		}
	}
	// A version string ends before more digits or dots, and the buffer must hold its
	// end (a string cut by a chunk boundary is seen whole in the next chunk).
	if j >= len(buf) || buf[j] >= '0' && buf[j] <= '9' || buf[j] == '.' {
		return "", nil
	}
	// It does not continue a path, a module version or a number before it.
	if start > 0 {
		c := buf[start-1]
		if c >= '0' && c <= '9' || c == '.' || c == '/' || c == '@' || c == '-' || c == '_' {
			return "", nil
		}
	}
	return strings.TrimSpace(string(buf[start:j])), nums
}
