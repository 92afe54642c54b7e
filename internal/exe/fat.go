package exe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFatArchs is the largest architecture count of a universal file. FAT_MAGIC
// 0xcafebabe is also a Java class file's magic, and the next word tells them apart:
// a universal file's architecture count, a class file's minor<<16|major version (major
// 45 or more). file(1) (magic/Magdir/cafebabe, file 5.44) calls 1 to 19 a universal
// binary, more than 30 a Java class, and the rest data; every reader here and the
// writer in internal/build follow the same rule through IsFat.
const MaxFatArchs = 19

// FatArch is one entry of a universal file's architecture table, as stored.
type FatArch struct {
	CPUType    uint32
	CPUSubtype uint32
	Offset     uint64
	Size       uint64
	Align      uint32 // log2 of the alignment
	// Err says why the member cannot be read (outside the file, overlapping the header
	// or another member); nil when it lies where it should.
	Err error
}

// FatHeader is a universal file's header.
type FatHeader struct {
	Magic uint32 // FAT_MAGIC or FAT_MAGIC_64
	Archs []FatArch
}

// Is64 reports whether the header is FAT_MAGIC_64 (64-bit offsets and sizes).
func (h *FatHeader) Is64() bool { return h.Magic == fatMagic64 }

// IsFat reports whether magic (the first 8 bytes of a file of size bytes) starts a
// Mach-O universal file, by file(1)'s rule (see MaxFatArchs); the architecture table
// must also fit in the file.
func IsFat(magic []byte, size int64) bool {
	if len(magic) < 8 {
		return false
	}
	m := binary.BigEndian.Uint32(magic)
	if m != fatMagic && m != fatMagic64 {
		return false
	}
	n := int64(binary.BigEndian.Uint32(magic[4:]))
	entry := int64(20)
	if m == fatMagic64 {
		entry = 32
	}
	return n >= 1 && n <= MaxFatArchs && 8+n*entry <= size
}

func isFat(magic []byte, size int64) bool { return IsFat(magic, size) }

// ReadFatHeader reads the header and architecture table of a universal file of size
// bytes. The error wraps ErrNotExecutable when the file is not a universal file (a Java
// class file included), or is a *FormatError; a member that lies outside the file or
// overlaps another has FatArch.Err set and the others are kept.
func ReadFatHeader(ra io.ReaderAt, size int64) (*FatHeader, error) {
	var hdr [8]byte
	if n, err := ra.ReadAt(hdr[:], 0); n < 8 {
		if n >= 4 && isFatMagic(hdr[:4]) {
			return nil, readErr("Mach-O universal", "header", 0, 8, size, err)
		}
		return nil, fmt.Errorf("%w (not a universal Mach-O file)", ErrNotExecutable)
	}
	if !isFatMagic(hdr[:4]) {
		return nil, fmt.Errorf("%w (not a universal Mach-O file)", ErrNotExecutable)
	}
	h := &FatHeader{Magic: binary.BigEndian.Uint32(hdr[:])}
	n := binary.BigEndian.Uint32(hdr[4:])
	entry := 20
	if h.Is64() {
		entry = 32
	}
	switch {
	case n == 0:
		return nil, &FormatError{Format: "Mach-O universal", Structure: "header", Offset: 0, Reason: "no architectures"}
	case n > MaxFatArchs:
		if n > 30 && !h.Is64() {
			return nil, fmt.Errorf("%w (a Java class file, version %d.%d: 0xcafebabe followed by a count above 30)", ErrNotExecutable, n&0xffff, n>>16)
		}
		return nil, &FormatError{Format: "Mach-O universal", Structure: "header", Offset: 0,
			Reason: fmt.Sprintf("%d architectures (a universal file has at most %d)", n, MaxFatArchs)}
	}
	table := make([]byte, int(n)*entry)
	if got, err := ra.ReadAt(table, 8); got < len(table) {
		return nil, readErr("Mach-O universal", fmt.Sprintf("architecture table (%d entries)", n), 8, int64(len(table)), size, err)
	}
	headerEnd := uint64(8 + len(table))
	for i := range int(n) {
		e := table[i*entry:]
		a := FatArch{CPUType: binary.BigEndian.Uint32(e), CPUSubtype: binary.BigEndian.Uint32(e[4:])}
		if entry == 32 {
			a.Offset, a.Size, a.Align = binary.BigEndian.Uint64(e[8:]), binary.BigEndian.Uint64(e[16:]), binary.BigEndian.Uint32(e[24:])
		} else {
			a.Offset, a.Size, a.Align = uint64(binary.BigEndian.Uint32(e[8:])), uint64(binary.BigEndian.Uint32(e[12:])), binary.BigEndian.Uint32(e[16:])
		}
		_, name := machoCPU(a.CPUType, a.CPUSubtype)
		what := fmt.Sprintf("member %d (%s)", i, name)
		switch {
		case a.Offset < headerEnd:
			a.Err = &FormatError{Format: "Mach-O universal", Structure: what, Offset: int64(min(a.Offset, 1<<62)), Reason: "overlaps the header"}
		case a.Offset > uint64(size) || a.Size > uint64(size)-a.Offset:
			a.Err = truncated("Mach-O universal", what, int64(min(a.Offset, 1<<62)), int64(min(a.Size, 1<<62)), size)
		}
		if a.Err == nil {
			for j, p := range h.Archs {
				if p.Err == nil && a.Offset < p.Offset+p.Size && p.Offset < a.Offset+a.Size {
					a.Err = &FormatError{Format: "Mach-O universal", Structure: what, Offset: int64(a.Offset), Reason: fmt.Sprintf("overlaps member %d", j)}
					break
				}
			}
		}
		h.Archs = append(h.Archs, a)
	}
	return h, nil
}

func isFatMagic(b []byte) bool {
	m := binary.BigEndian.Uint32(b)
	return m == fatMagic || m == fatMagic64
}

// readFat reads a Mach-O universal file (FAT_MAGIC or FAT_MAGIC_64). Every member is
// read as a thin Mach-O through its own section of ra; a bad member gets its own
// Slice.Error and the others are kept. The error is for the universal header itself.
func readFat(ra io.ReaderAt, size int64) (slices []Slice, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Mach-O universal: %w: %v", ErrInternal, r)
		}
	}()
	h, err := ReadFatHeader(ra, size)
	if err != nil {
		return nil, err
	}
	for i, a := range h.Archs {
		fa := a
		s := Slice{Kind: KindOther, FatArch: &fa}
		s.Arch, s.CPU = machoCPU(a.CPUType, a.CPUSubtype)
		s.Offset, s.Size = int64(min(a.Offset, 1<<62)), int64(min(a.Size, 1<<62))
		if a.Err != nil {
			s.setErr(a.Err)
			s.PIE = UnknownFact[bool]("the slice could not be read")
			s.Stripped = UnknownFact[bool]("the slice could not be read")
			slices = append(slices, s)
			continue
		}
		sr := io.NewSectionReader(ra, int64(a.Offset), int64(a.Size))
		var magic [8]byte
		k, _ := sr.ReadAt(magic[:], 0)
		switch {
		case isMachO(magic[:k]):
			s = readMachO(sr, int64(a.Size))
			s.FatArch = &fa
			if arch, c := machoCPU(a.CPUType, a.CPUSubtype); arch != s.Arch && s.CPU != "" {
				s.Notes = append(s.Notes, fmt.Sprintf("the universal header says %s but the slice is %s", c, s.CPU))
			}
		case k >= 4 && isFatMagic(magic[:4]):
			s.ra = sr
			s.setErr(&FormatError{Format: "Mach-O universal", Structure: fmt.Sprintf("member %d (%s)", i, s.CPU), Offset: s.Offset, Reason: "is itself a universal file"})
		default:
			s.ra = sr
			s.setErr(&FormatError{Format: "Mach-O universal", Structure: fmt.Sprintf("member %d (%s)", i, s.CPU), Offset: s.Offset, Reason: "is not a Mach-O image"})
		}
		s.Offset, s.Size = int64(a.Offset), int64(a.Size)
		slices = append(slices, s)
	}
	return slices, nil
}

var _ = errors.New
