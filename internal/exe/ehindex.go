package exe

import (
	"debug/elf"
	"io"
	"sort"
)

// ehIndex finds the function that holds an address through an ELF image's
// .eh_frame_hdr, as an unwinder does (the LSB's "Exception Frame Header"; libgcc's
// unwind-dw2-fde-dip.c): a binary search of its table of FDE starts, sorted by
// address, then a read of the one FDE it points to. Reading and sorting the spans of
// every FDE of .eh_frame instead (ehFrameFuncs, sortSpans) was 5.7% of the CPU of an
// inspect --isa of the executables tree, which checks a few uses per class
// (internal/isa's verifier), and libLLVM's .eh_frame alone is 13 MB.
type ehIndex struct {
	table   []byte // the search table: (initial location, FDE address) pairs, datarel sdata4
	hdrAddr uint64 // the address of .eh_frame_hdr, which the table's values are relative to
	frame   io.ReaderAt
	size    int64  // bytes of .eh_frame
	addr    uint64 // the address of .eh_frame
	bo      ehOrder
	is64    bool
	cies    map[int64]byte // CIE pointer encodings read, by offset in .eh_frame
	// all reads the spans of every FDE of .eh_frame, sorted (elfEHFuncs): a Go image's
	// pclntab functions are merged with them (addGoFuncs).
	all func() []Span
	// The last FDE read (fde) and its span: a scan checks its uses in address order,
	// and most of them lie in the function of the one before.
	lastI             int
	lastFn            Span
	lastFound, cached bool
}

// Encodings of .eh_frame_hdr (DW_EH_PE_*).
const (
	ehPEOmit       = 0xff
	ehTableDatarel = 0x3b // DW_EH_PE_datarel | DW_EH_PE_sdata4: what GNU ld, gold, lld and mold write
)

// ehLookBack is how many FDEs before the one found a lookup reads when that one is
// not a function (no range, or a pointer it cannot read), as ehFrameFuncs drops it.
const ehLookBack = 8

// newEHIndex returns the index of an ELF image's .eh_frame_hdr, or nil when the
// image has none that it can search (another table encoding, no entries, a first
// entry that is not a function, or an .eh_frame it cannot read in place): the
// caller then reads the spans of .eh_frame whole.
func newEHIndex(f *elf.File) *ehIndex {
	hdr, frame := unwindSection(f, ".eh_frame_hdr"), unwindSection(f, ".eh_frame")
	if hdr == nil || frame == nil || hdr.Flags&elf.SHF_COMPRESSED != 0 || frame.Flags&elf.SHF_COMPRESSED != 0 {
		return nil
	}
	return readEHIndex(hdr, int64(hdr.Size), hdr.Addr, frame, int64(frame.Size), frame.Addr,
		ehOrderOf(f.ByteOrder), f.Class == elf.ELFCLASS64)
}

// shtX86_64Unwind is SHT_X86_64_UNWIND (the x86-64 psABI, binutils' elf/x86-64.h):
// the type lld gives .eh_frame and .eh_frame_hdr, where GNU ld gives SHT_PROGBITS.
const shtX86_64Unwind = elf.SectionType(0x70000001)

// unwindSection returns f's section of that name when it holds unwind tables (of
// type SHT_PROGBITS, or SHT_X86_64_UNWIND on x86-64), nil otherwise. Read as
// PROGBITS alone, every lld-linked image (libLLVM, shellcheck) named no function.
func unwindSection(f *elf.File, name string) *elf.Section {
	s := f.Section(name)
	if s == nil || (s.Type != elf.SHT_PROGBITS && (s.Type != shtX86_64Unwind || f.Machine != elf.EM_X86_64)) {
		return nil
	}
	return s
}

// readEHIndex is newEHIndex of an .eh_frame_hdr of hdrSize bytes at hdrAddr and an
// .eh_frame of frameSize bytes at frameAddr.
func readEHIndex(hdr io.ReaderAt, hdrSize int64, hdrAddr uint64, frame io.ReaderAt, frameSize int64, frameAddr uint64,
	bo ehOrder, is64 bool) *ehIndex {
	if hdrSize < 12 || hdrSize > funcsMaxTable || frameSize <= 0 || frameSize > funcsMaxTable {
		return nil
	}
	var head [4 + 8 + 8]byte
	n, _ := hdr.ReadAt(head[:min(int64(len(head)), hdrSize)], 0)
	if n < 12 || head[0] != 1 || head[3] != ehTableDatarel || head[1] == ehPEOmit || head[2] == ehPEOmit {
		return nil
	}
	_, k, ok := ehPointer(head[4:n], head[1], hdrAddr+4, bo, is64) // eh_frame_ptr
	if !ok {
		return nil
	}
	count, k2, ok := ehPointer(head[4+k:n], head[2]&0x0f, 0, bo, is64)
	start := int64(4 + k + k2)
	if !ok || count == 0 || count > uint64(hdrSize-start)/8 || count > funcsMax {
		return nil
	}
	// The section's size is the file's word: the table's last byte is read first, so
	// that a small file claiming a large table costs no large buffer.
	var last [1]byte
	if _, err := hdr.ReadAt(last[:], start+int64(count)*8-1); err != nil {
		return nil
	}
	table := make([]byte, count*8)
	if _, err := hdr.ReadAt(table, start); err != nil {
		return nil
	}
	x := &ehIndex{table: table, hdrAddr: hdrAddr, frame: frame, size: frameSize, addr: frameAddr,
		bo: bo, is64: is64, cies: map[int64]byte{}}
	if _, ok := x.fde(0); !ok {
		return nil
	}
	return x
}

// entries is the number of FDEs in the table.
func (x *ehIndex) entries() int { return len(x.table) / 8 }

// loc returns the initial location of entry i.
func (x *ehIndex) loc(i int) uint64 {
	return x.hdrAddr + uint64(int64(int32(x.bo.Uint32(x.table[i*8:]))))
}

// funcAt returns the span of the last FDE in the table that starts at or before a
// and is a function, and whether there is one.
func (x *ehIndex) funcAt(a uint64) (Span, bool) {
	// j: the last entry whose initial location is at or before a.
	j := sort.Search(x.entries(), func(i int) bool { return x.loc(i) > a }) - 1
	for i := j; i >= 0 && i > j-ehLookBack; i-- {
		if !x.cached || i != x.lastI {
			x.lastFn, x.lastFound = x.fde(i)
			x.lastI, x.cached = i, true
		}
		if x.lastFound && x.lastFn.Lo <= a {
			return x.lastFn, true
		}
	}
	return Span{}, false
}

// fde reads the span of the FDE of entry i, as ehFrameSpans reads it in the walk.
func (x *ehIndex) fde(i int) (Span, bool) {
	at := x.hdrAddr + uint64(int64(int32(x.bo.Uint32(x.table[i*8+4:]))))
	p := int64(at - x.addr)
	if at < x.addr || p >= x.size {
		return Span{}, false
	}
	var buf [64]byte
	b, length, hdr, ok := x.entry(buf[:], p)
	if !ok || length < 4 {
		return Span{}, false
	}
	id := x.bo.Uint32(b[hdr:])
	if id == 0 { // a CIE, not an FDE
		return Span{}, false
	}
	cie := p + int64(hdr) - int64(id)
	e, ok := x.cie(cie)
	if !ok {
		return Span{}, false
	}
	return fdeSpan(b[:min(len(b), hdr+int(length))], hdr, e, x.addr+uint64(p), x.bo, x.is64)
}

// entry reads the start of the entry at offset p of .eh_frame into buf: the bytes
// read, the entry's length and the size of its length field.
func (x *ehIndex) entry(buf []byte, p int64) ([]byte, uint64, int, bool) {
	if p < 0 || p >= x.size {
		return nil, 0, 0, false
	}
	n, _ := x.frame.ReadAt(buf[:min(int64(len(buf)), x.size-p)], p)
	b := buf[:n]
	if len(b) < 8 {
		return nil, 0, 0, false
	}
	length, hdr := uint64(x.bo.Uint32(b)), 4
	if length == 0xffffffff {
		if len(b) < 12 {
			return nil, 0, 0, false
		}
		length, hdr = x.bo.Uint64(b[4:]), 12
	}
	if length == 0 || length > uint64(x.size-p-int64(hdr)) {
		return nil, 0, 0, false
	}
	return b, length, hdr, true
}

// cie returns the FDE pointer encoding of the CIE at offset p of .eh_frame.
func (x *ehIndex) cie(p int64) (byte, bool) {
	if e, ok := x.cies[p]; ok {
		return e, e != ehPEOmit
	}
	var buf [256]byte
	b, length, hdr, ok := x.entry(buf[:], p)
	e := byte(ehPEOmit)
	if ok && length >= 4 && x.bo.Uint32(b[hdr:]) == 0 {
		e = cieEncoding(b[hdr+4:min(len(b), hdr+int(length))], x.bo, x.is64)
	}
	x.cies[p] = e
	return e, e != ehPEOmit
}
