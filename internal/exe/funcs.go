package exe

import (
	"cmp"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"io"
	"slices"
)

// mapMin is the least size of a table read through a mapping of the file rather than
// copied into a buffer (MapRange).
const mapMin = 256 << 10

// Where the code of an image says its functions are (Code.Funcs and Data): the
// x86-64 scan checks what its linear sweep found by decoding from these starts, as a
// disassembler does, so that data in the code (jump tables, constant pools) is not
// taken for instructions.

// Limits on malformed input.
const (
	funcsMaxTable = 64 << 20 // bytes of a function table read (LC_FUNCTION_STARTS, .pdata, .eh_frame)
	funcsMax      = 1 << 22  // functions kept
)

// Mach-O load commands with a table in __LINKEDIT.
const (
	lcFunctionStarts = 0x26
	lcDataInCode     = 0x29
)

// machoFuncs reads LC_FUNCTION_STARTS (ULEB128 deltas from the start of __TEXT) and
// LC_DATA_IN_CODE (entries of offset from the header, length and kind) into img.
func machoFuncs(f *macho.File, ra io.ReaderAt, size int64, img *codeImage) {
	text := f.Segment("__TEXT")
	if text == nil {
		return
	}
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) < 16 {
			continue
		}
		cmd := f.ByteOrder.Uint32(raw)
		if cmd != lcFunctionStarts && cmd != lcDataInCode {
			continue
		}
		off, n := int64(f.ByteOrder.Uint32(raw[8:])), int64(f.ByteOrder.Uint32(raw[12:]))
		if n == 0 || n > funcsMaxTable || off > size || n > size-off {
			continue
		}
		b := make([]byte, n)
		if _, err := ra.ReadAt(b, off); err != nil {
			continue
		}
		if cmd == lcFunctionStarts {
			addr := text.Addr
			for len(b) > 0 && len(img.Funcs) < funcsMax {
				d, k := binary.Uvarint(b)
				if k <= 0 || d == 0 {
					break
				}
				b = b[k:]
				addr += d
				img.Funcs = append(img.Funcs, Span{Lo: addr})
			}
			img.FuncsFrom = "LC_FUNCTION_STARTS"
			continue
		}
		for ; len(b) >= 8 && len(img.Data) < funcsMax; b = b[8:] {
			o, l := uint64(f.ByteOrder.Uint32(b)), uint64(f.ByteOrder.Uint16(b[4:]))
			if l > 0 && o >= text.Offset {
				lo := text.Addr + o - text.Offset
				img.Data = append(img.Data, Span{Lo: lo, Hi: lo + l})
			}
		}
	}
	img.Funcs = sortSpans(img.Funcs)
	img.Data = mergeSpans(img.Data)
}

// peFuncs reads the x64 exception directory (.pdata): RUNTIME_FUNCTION entries of
// begin and end RVA, one per function or function fragment.
func peFuncs(f *pe.File, ra io.ReaderAt, size int64, base uint64, img *codeImage) {
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || oh.NumberOfRvaAndSizes <= pe.IMAGE_DIRECTORY_ENTRY_EXCEPTION {
		return
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXCEPTION]
	if dir.Size < 12 || dir.Size > funcsMaxTable {
		return
	}
	for _, s := range f.Sections {
		if dir.VirtualAddress < s.VirtualAddress || dir.VirtualAddress-s.VirtualAddress >= s.Size {
			continue
		}
		off := int64(s.Offset) + int64(dir.VirtualAddress-s.VirtualAddress)
		n := min(int64(dir.Size), int64(s.Size-(dir.VirtualAddress-s.VirtualAddress)))
		if off > size || n > size-off {
			return
		}
		b := make([]byte, n)
		if _, err := ra.ReadAt(b, off); err != nil {
			return
		}
		for ; len(b) >= 12 && len(img.Funcs) < funcsMax; b = b[12:] {
			lo, hi := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
			if hi > lo {
				img.Funcs = append(img.Funcs, Span{Lo: base + uint64(lo), Hi: base + uint64(hi)})
			}
		}
		img.FuncsFrom = ".pdata"
		img.Funcs = sortSpans(img.Funcs)
		return
	}
}

// elfFuncs reads the functions of an ELF image: the STT_FUNC symbols with a size
// from the symbol table, or, in a stripped file, the FDEs of .eh_frame (which every
// C, C++ and Rust toolchain writes for unwinding). The symbol table's functions
// come in img.Funcs: elfCode reads them with the guarded functions in one pass
// (elfSymtabFuncs). The FDEs are looked up through .eh_frame_hdr where the image has
// one (ehIndex), and read whole otherwise (elfEHFuncs).
//
// A large .eh_frame (libLLVM's is 13 MB) read whole is read through a mapping of the
// file (ra, the image's reader), not copied into a buffer: Code recovers from the
// fault of a file cut short meanwhile.
func elfFuncs(f *elf.File, ra io.ReaderAt, img *codeImage) {
	if len(img.Funcs) > 0 {
		img.FuncsFrom = "symbol table"
		img.Funcs = sortSpans(img.Funcs)
		return
	}
	if x := newEHIndex(f); x != nil {
		x.all = func() []Span { return elfEHFuncs(f, ra) }
		img.FuncsFrom, img.index = ".eh_frame", x
		return
	}
	if img.Funcs = elfEHFuncs(f, ra); len(img.Funcs) > 0 {
		img.FuncsFrom = ".eh_frame"
	}
}

// elfEHFuncs returns the functions of the FDEs of an ELF image's .eh_frame, sorted
// (sortSpans).
func elfEHFuncs(f *elf.File, ra io.ReaderAt) []Span {
	var s []Span
	elfEHFrame(f, ra, func(b []byte, addr uint64) {
		s = ehFrameFuncs(b, addr, f.ByteOrder, f.Class == elf.ELFCLASS64)
	})
	return sortSpans(s)
}

// elfEHFrame calls read with the bytes of the image's .eh_frame and its address,
// when it has one that elfFuncs reads.
func elfEHFrame(f *elf.File, ra io.ReaderAt, read func(b []byte, addr uint64)) {
	s := unwindSection(f, ".eh_frame")
	if s == nil || s.Size > funcsMaxTable {
		return
	}
	var b []byte
	if s.Size >= mapMin && s.Flags&elf.SHF_COMPRESSED == 0 {
		if m := MapRange(ra, int64(s.Offset), int64(s.Size)); m != nil {
			defer m.Close()
			b = m.Bytes()
		}
	}
	if b == nil {
		b = make([]byte, s.Size)
		if _, err := s.ReadAt(b, 0); err != nil {
			return
		}
	}
	read(b, s.Addr)
}

// elfFuncsSource returns the FuncsFrom of elfFuncs when it finds functions, and
// whether it does, reading the symbol table and .eh_frame only as far as their
// first function.
func elfFuncsSource(f *elf.File, ra io.ReaderAt) (string, bool) {
	found := false
	elfSymbols(f, elf.SHT_SYMTAB, func(info byte, shndx uint16, value, size uint64, _ func() []byte) bool {
		found = symtabFunc(info, shndx, value, size)
		return !found
	})
	if found {
		return "symbol table", true
	}
	// The first function is most often in the first entries: their bytes are read
	// first, and the section whole only when they hold none. Entries are walked in
	// order, each whole or not at all (a CIE lies before its FDEs), so a function
	// found in the prefix is one the whole section yields.
	is64 := f.Class == elf.ELFCLASS64
	if s := unwindSection(f, ".eh_frame"); s != nil && s.Size <= funcsMaxTable && s.Size > ehPrefix &&
		s.Flags&elf.SHF_COMPRESSED == 0 {
		var b [ehPrefix]byte
		if n, _ := s.ReadAt(b[:], 0); len(ehFrameSpans(b[:n], s.Addr, f.ByteOrder, is64, 1, nil)) > 0 {
			return ".eh_frame", true
		}
	}
	elfEHFrame(f, ra, func(b []byte, addr uint64) {
		found = len(ehFrameSpans(b, addr, f.ByteOrder, is64, 1, nil)) > 0
	})
	if found {
		return ".eh_frame", true
	}
	return "", false
}

// ehPrefix is how much of .eh_frame elfFuncsSource reads first.
const ehPrefix = 1 << 10

// ehFrameFuncs returns the address ranges of the FDEs of an .eh_frame section
// loaded at addr (the LSB's "Exception Frames" layout: CIEs with their augmentation
// string and pointer encoding, FDEs with initial location and range).
func ehFrameFuncs(b []byte, addr uint64, bo binary.ByteOrder, is64 bool) []Span {
	return ehFrameSpans(b, addr, bo, is64, funcsMax, make([]Span, 0, min(ehEntries(b, ehOrderOf(bo)), funcsMax)))
}

// ehFrameSpans is ehFrameFuncs appending to out, until it holds limit spans.
func ehFrameSpans(b []byte, addr uint64, order binary.ByteOrder, is64 bool, limit int, out []Span) []Span {
	bo := ehOrderOf(order)
	enc := map[int]byte{} // CIE offset -> FDE pointer encoding
	for p := 0; p+8 <= len(b) && len(out) < limit; {
		length := uint64(bo.Uint32(b[p:]))
		hdr := 4
		if length == 0 { // terminator
			break
		}
		if length == 0xffffffff {
			if p+12 > len(b) {
				break
			}
			length, hdr = bo.Uint64(b[p+4:]), 12
		}
		if length > uint64(len(b)-p-hdr) {
			break
		}
		body := b[p+hdr : p+hdr+int(length)]
		next := p + hdr + int(length)
		if len(body) < 4 {
			p = next
			continue
		}
		id := bo.Uint32(body)
		if id == 0 { // a CIE
			enc[p] = cieEncoding(body[4:], bo, is64)
			p = next
			continue
		}
		cie := p + hdr - int(id)
		e, ok := enc[cie]
		if !ok {
			p = next
			continue
		}
		if s, ok := fdeSpan(b[p:next], hdr, e, addr+uint64(p), bo, is64); ok {
			out = append(out, s)
		}
		p = next
	}
	return out
}

// fdeSpan returns the address range of the FDE whose bytes are b (hdr of them its
// length), at address at, whose CIE gives pointer encoding e; not ok when it names
// no function (no range, a pointer that cannot be read).
func fdeSpan(b []byte, hdr int, e byte, at uint64, bo ehOrder, is64 bool) (Span, bool) {
	field := hdr + 4 // the initial location, after the length and the CIE pointer
	if field > len(b) {
		return Span{}, false
	}
	lo, n, ok := ehPointer(b[field:], e, at+uint64(field), bo, is64)
	if !ok {
		return Span{}, false
	}
	rng, _, ok := ehPointer(b[field+n:], e&0x0f, 0, bo, is64)
	if !ok || rng == 0 || lo == 0 || lo+rng <= lo {
		return Span{}, false
	}
	return Span{Lo: lo, Hi: lo + rng}, true
}

// ehOrder is the byte order of an .eh_frame as a value whose methods the compiler
// inlines: the section is walked field by field (libLLVM's holds some 200,000
// entries), and a call through binary.ByteOrder per field was 1% of an inspect
// --isa of the executables tree.
type ehOrder struct{ big bool }

func ehOrderOf(bo binary.ByteOrder) ehOrder { return ehOrder{big: bo == binary.BigEndian} }

func (o ehOrder) Uint16(b []byte) uint16 {
	if o.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o ehOrder) Uint32(b []byte) uint32 {
	if o.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o ehOrder) Uint64(b []byte) uint64 {
	if o.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// ehEntries counts the entries (CIEs and FDEs) of an .eh_frame section as
// ehFrameFuncs walks them: an upper bound of the functions, so that their slice is
// allocated once.
func ehEntries(b []byte, bo ehOrder) int {
	n := 0
	for p := 0; p+8 <= len(b); n++ {
		length, hdr := uint64(bo.Uint32(b[p:])), uint64(4)
		if length == 0 {
			break
		}
		if length == 0xffffffff {
			if p+12 > len(b) {
				break
			}
			length, hdr = bo.Uint64(b[p+4:]), 12
		}
		if length > uint64(len(b)-p)-hdr {
			break
		}
		p += int(hdr + length)
	}
	return n
}

// cieEncoding returns the FDE pointer encoding of a CIE (after its id): the 'R'
// entry of a "z" augmentation, else an absolute pointer.
func cieEncoding(b []byte, bo ehOrder, is64 bool) byte {
	const absptr = 0x00
	if len(b) < 1 {
		return 0xff
	}
	version := b[0]
	b = b[1:]
	end := 0
	for end < len(b) && b[end] != 0 {
		end++
	}
	if end == len(b) {
		return 0xff
	}
	aug := string(b[:end])
	b = b[end+1:]
	if len(aug) > 0 && aug[0] != 'z' {
		return absptr // no augmentation data to read the encoding from
	}
	for range 2 { // code and data alignment factors
		_, k := binary.Uvarint(b)
		if k <= 0 {
			return 0xff
		}
		b = b[k:]
	}
	if version == 1 {
		if len(b) < 1 {
			return 0xff
		}
		b = b[1:]
	} else {
		_, k := binary.Uvarint(b)
		if k <= 0 {
			return 0xff
		}
		b = b[k:]
	}
	if aug == "" {
		return absptr
	}
	_, k := binary.Uvarint(b) // augmentation data length
	if k <= 0 {
		return 0xff
	}
	b = b[k:]
	for _, c := range aug[1:] {
		switch c {
		case 'R':
			if len(b) < 1 {
				return 0xff
			}
			return b[0]
		case 'P':
			if len(b) < 1 {
				return 0xff
			}
			_, n, ok := ehPointer(b[1:], b[0]&0x0f, 0, bo, is64)
			if !ok {
				return 0xff
			}
			b = b[1+n:]
		case 'L':
			if len(b) < 1 {
				return 0xff
			}
			b = b[1:]
		case 'S', 'B':
		default:
			return 0xff
		}
	}
	return absptr
}

// ehPointer decodes a DW_EH_PE-encoded pointer at the start of b, whose address is
// at; it returns the value and the bytes it took. Indirect and data-relative values
// are not followed (not ok).
func ehPointer(b []byte, enc byte, at uint64, bo ehOrder, is64 bool) (uint64, int, bool) {
	if enc == 0xff || enc&0x80 != 0 {
		return 0, 0, false
	}
	var v uint64
	n := 0
	switch enc & 0x0f {
	case 0x00: // absptr
		if is64 {
			if len(b) < 8 {
				return 0, 0, false
			}
			v, n = bo.Uint64(b), 8
		} else {
			if len(b) < 4 {
				return 0, 0, false
			}
			v, n = uint64(bo.Uint32(b)), 4
		}
	case 0x01: // uleb128
		u, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, 0, false
		}
		v, n = u, k
	case 0x02, 0x0a: // udata2, sdata2
		if len(b) < 2 {
			return 0, 0, false
		}
		v, n = uint64(bo.Uint16(b)), 2
		if enc&0x0f == 0x0a {
			v = uint64(int64(int16(v)))
		}
	case 0x03, 0x0b: // udata4, sdata4
		if len(b) < 4 {
			return 0, 0, false
		}
		v, n = uint64(bo.Uint32(b)), 4
		if enc&0x0f == 0x0b {
			v = uint64(int64(int32(v)))
		}
	case 0x04, 0x0c: // udata8, sdata8
		if len(b) < 8 {
			return 0, 0, false
		}
		v, n = bo.Uint64(b), 8
	case 0x09: // sleb128
		u, k := sleb128(b)
		if k <= 0 {
			return 0, 0, false
		}
		v, n = uint64(u), k
	default:
		return 0, 0, false
	}
	switch enc & 0x70 {
	case 0x00:
	case 0x10: // pcrel
		v += at
	default: // textrel, datarel, funcrel, aligned: not used for FDEs by the usual toolchains
		return 0, 0, false
	}
	return v, n, true
}

// sleb128 decodes a signed LEB128 number.
func sleb128(b []byte) (int64, int) {
	var v int64
	var shift uint
	for i, c := range b {
		if i >= 10 {
			return 0, 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1
		}
	}
	return 0, 0
}

// sortSpans sorts functions by start and drops those that start inside the one
// before (aliases, nested labels): Code.Funcs do not overlap.
func sortSpans(s []Span) []Span {
	orderSpans(s)
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 {
			last := out[n-1]
			if x.Lo == last.Lo || (last.Hi > x.Lo) {
				continue
			}
		}
		out = append(out, x)
	}
	return out
}

// cmpSpan orders spans by start, the largest first among those with the same start.
func cmpSpan(a, b Span) int {
	if c := cmp.Compare(a.Lo, b.Lo); c != 0 {
		return c
	}
	return cmp.Compare(b.Hi, a.Hi)
}

// radixMin is the least number of spans orderSpans sorts by radix: below it a
// comparison sort is as fast and allocates nothing.
const radixMin = 256

// maxRuns is the most sorted runs orderSpans merges rather than sorts: a Go
// program's table is its symbol table's functions followed by its pclntab's, two
// sorted runs.
const maxRuns = 16

// orderSpans sorts s as slices.SortFunc(s, cmpSpan) does. A function table is
// often sorted already (pclntab, LC_FUNCTION_STARTS, .pdata), which one pass checks,
// or a few sorted runs (a Go program's symbols and pclntab), which are merged;
// otherwise (a C++ library's .eh_frame or symbol table) it is sorted by start with a
// radix sort (one pass per byte in which the starts differ, against about log2(n)
// rounds of comparisons through a function value: BenchmarkSortSpans), then each
// run of equal starts by end, the largest first.
func orderSpans(s []Span) {
	var runs []int // where each sorted run after the first starts
	for i := 1; i < len(s); i++ {
		if cmpSpan(s[i-1], s[i]) > 0 {
			if runs = append(runs, i); len(runs) > maxRuns {
				break
			}
		}
	}
	switch {
	case len(runs) == 0:
		return
	case len(runs) <= maxRuns:
		mergeRuns(s, append(runs, len(s)))
	case len(s) < radixMin:
		slices.SortFunc(s, cmpSpan)
	default:
		radixSpans(s)
	}
}

// mergeRuns merges the sorted runs of s that end at ends (the last at len(s)),
// pairwise, through one buffer.
func mergeRuns(s []Span, ends []int) {
	buf := make([]Span, len(s))
	src, dst := s, buf
	for len(ends) > 1 {
		var next []int
		lo := 0
		for k := 0; k < len(ends); k += 2 {
			if k+1 == len(ends) {
				copy(dst[lo:], src[lo:ends[k]])
				next = append(next, ends[k])
				break
			}
			mid, hi := ends[k], ends[k+1]
			a, b, o := lo, mid, lo
			for a < mid && b < hi {
				if cmpSpan(src[b], src[a]) < 0 {
					dst[o], b = src[b], b+1
				} else {
					dst[o], a = src[a], a+1
				}
				o++
			}
			o += copy(dst[o:], src[a:mid])
			copy(dst[o:], src[b:hi])
			next = append(next, hi)
			lo = hi
		}
		ends = next
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}

// radixSpans sorts s by start (LSD radix, a byte at a time, only the bytes in which
// the starts differ), then the spans with equal starts by end, the largest first.
func radixSpans(s []Span) {
	var or, and uint64 = 0, ^uint64(0)
	for _, x := range s {
		or, and = or|x.Lo, and&x.Lo
	}
	differ := or ^ and
	src, dst := s, make([]Span, len(s))
	for shift := uint(0); shift < 64; shift += 8 {
		if differ>>shift&0xff == 0 {
			continue
		}
		var count [256]int
		for _, x := range src {
			count[byte(x.Lo>>shift)]++
		}
		sum := 0
		for i, n := range count {
			count[i] = sum
			sum += n
		}
		for _, x := range src {
			k := byte(x.Lo >> shift)
			dst[count[k]] = x
			count[k]++
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j].Lo == s[i].Lo {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(s[i:j], cmpSpan)
		}
		i = j
	}
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(s []Span) []Span {
	slices.SortFunc(s, func(a, b Span) int { return cmp.Compare(a.Lo, b.Lo) })
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && x.Lo <= out[n-1].Hi {
			out[n-1].Hi = max(out[n-1].Hi, x.Hi)
			continue
		}
		out = append(out, x)
	}
	return out
}
