package build

import (
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
)

// Mach-O universal ("fat") file magics, always stored big-endian.
const (
	fatMagic   = 0xcafebabe
	fatMagic64 = 0xcafebabf
)

// maxP2Align is the largest slice alignment (2^15) lipo uses.
const maxP2Align = 15

// Mach-O CPU types (mach/machine.h).
const (
	cpuArch64   = 0x01000000
	cpuTypeX86  = 7
	cpuTypeARM  = 12
	cpuTypePPC  = 18
	cpuTypeAMD  = cpuTypeX86 | cpuArch64
	cpuTypeA64  = cpuTypeARM | cpuArch64
	cpuTypeP64  = cpuTypePPC | cpuArch64
	cpuSubMask  = 0x00ffffff // cpusubtype without capability bits
	arm64eSub   = 2
	fatArchSize = 20
	fatArch64Sz = 32
)

// SliceInfo describes one slice of a universal file, or a thin Mach-O file.
type SliceInfo struct {
	Arch     string `json:"arch"`      // lipo's name: x86_64, arm64, arm64e, i386, ...
	GOARCH   string `json:"goarch"`    // Go's name, or "" when Go has none
	CPU      uint32 `json:"cpu"`       // cputype
	SubCPU   uint32 `json:"subcpu"`    // cpusubtype
	FileType uint32 `json:"file_type"` // MH_EXECUTE, MH_DYLIB, ...
	Offset   int64  `json:"offset"`
	Size     int64  `json:"size"`
	Align    uint32 `json:"align"` // log2 of the alignment
}

// Universal describes a Mach-O file: a universal file's slices, or one slice for a
// thin file.
type Universal struct {
	Path   string      `json:"path"`
	Fat    bool        `json:"fat"`
	Fat64  bool        `json:"fat64,omitempty"`
	Slices []SliceInfo `json:"slices"`
}

// archName returns lipo's name of a CPU type and subtype.
func archName(cpu, sub uint32) string {
	sub &= cpuSubMask
	switch cpu {
	case cpuTypeX86:
		return "i386"
	case cpuTypeAMD:
		if sub == 8 {
			return "x86_64h"
		}
		return "x86_64"
	case cpuTypeA64:
		if sub == arm64eSub {
			return "arm64e"
		}
		return "arm64"
	case cpuTypeARM | 0x02000000: // CPU_TYPE_ARM64_32
		return "arm64_32"
	case cpuTypeARM:
		switch sub {
		case 9:
			return "armv7"
		case 11:
			return "armv7s"
		case 12:
			return "armv7k"
		}
		return "arm"
	case cpuTypePPC:
		return "ppc"
	case cpuTypeP64:
		return "ppc64"
	}
	return fmt.Sprintf("cputype%d_subtype%d", cpu, sub)
}

// goArch returns the GOARCH of a CPU type, or "".
func goArch(cpu uint32) string {
	switch cpu {
	case cpuTypeX86:
		return "386"
	case cpuTypeAMD:
		return "amd64"
	case cpuTypeA64:
		return "arm64"
	case cpuTypeARM:
		return "arm"
	case cpuTypeP64:
		return "ppc64"
	}
	return ""
}

// matchArch reports whether the slice s is what the user named with arch: lipo's
// name (x86_64, arm64e) or a GOARCH (amd64).
func matchArch(s SliceInfo, arch string) bool {
	return s.Arch == arch || (s.GOARCH != "" && s.GOARCH == arch && s.Arch != "arm64e" && s.Arch != "x86_64h")
}

// readThin reads the header of a thin Mach-O image and the alignment lipo would give
// it. It never panics.
func readThin(ra io.ReaderAt, size int64) (s SliceInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed Mach-O: %v", r)
		}
	}()
	var magic [4]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil {
		return s, errors.New("not a Mach-O file (too short)")
	}
	switch binary.BigEndian.Uint32(magic[:]) {
	case fatMagic, fatMagic64:
		if isFatHeader(ra, size) {
			return s, errors.New("is a universal file; only thin Mach-O files can be merged (use `gonative universal thin` first)")
		}
	}
	f, err := macho.NewFile(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return s, fmt.Errorf("not a Mach-O file: %w", err)
	}
	s = SliceInfo{
		Arch:     archName(uint32(f.Cpu), f.SubCpu),
		GOARCH:   goArch(uint32(f.Cpu)),
		CPU:      uint32(f.Cpu),
		SubCPU:   f.SubCpu,
		FileType: uint32(f.Type),
		Size:     size,
		Align:    p2Align(f),
	}
	return s, nil
}

// p2Align is the alignment llvm-lipo gives a slice (MachOUniversalWriter.cpp,
// calculateAlignment): for an object file the largest section alignment (at least
// 2^2), otherwise the smallest power of two that divides every segment's vmaddr;
// clamped to [2, 15]. For Go's binaries this is 2^14 for arm64 and 2^12 for x86-64,
// cctools lipo's values.
func p2Align(f *macho.File) uint32 {
	p2min := uint32(maxP2Align)
	for _, l := range f.Loads {
		seg, ok := l.(*macho.Segment)
		if !ok {
			continue
		}
		var cur uint32
		if f.Type == macho.TypeObj {
			cur = maxP2Align
			n := 0
			for _, sec := range f.Sections {
				if sec.Seg == seg.Name {
					if n == 0 {
						cur = 2
					}
					n++
					cur = max(cur, sec.Align)
				}
			}
		} else {
			cur = uint32(bits.TrailingZeros64(seg.Addr))
		}
		p2min = min(p2min, cur)
	}
	return max(2, min(p2min, maxP2Align))
}

// isFatHeader tells a universal file from a Java class file, which shares its magic:
// a universal file has a small architecture count and slices inside the file.
func isFatHeader(ra io.ReaderAt, size int64) bool {
	var h [8]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return false
	}
	n := binary.BigEndian.Uint32(h[4:])
	return n > 0 && n < 64 && int64(8+n*fatArchSize) <= size
}

// readFatHeader reads a universal file's slice table.
func readFatHeader(ra io.ReaderAt, size int64) (u Universal, err error) {
	var h [8]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return u, errors.New("not a Mach-O file (too short)")
	}
	magic := binary.BigEndian.Uint32(h[:])
	if magic != fatMagic && magic != fatMagic64 || !isFatHeader(ra, size) {
		return u, errors.New("not a universal Mach-O file")
	}
	u.Fat, u.Fat64 = true, magic == fatMagic64
	n := binary.BigEndian.Uint32(h[4:])
	entry := int64(fatArchSize)
	if u.Fat64 {
		entry = fatArch64Sz
	}
	buf := make([]byte, int64(n)*entry)
	if _, err := ra.ReadAt(buf, 8); err != nil {
		return u, errors.New("universal header truncated")
	}
	for i := range int64(n) {
		b := buf[i*entry:]
		s := SliceInfo{CPU: binary.BigEndian.Uint32(b), SubCPU: binary.BigEndian.Uint32(b[4:])}
		if u.Fat64 {
			s.Offset = int64(binary.BigEndian.Uint64(b[8:]))
			s.Size = int64(binary.BigEndian.Uint64(b[16:]))
			s.Align = binary.BigEndian.Uint32(b[24:])
		} else {
			s.Offset = int64(binary.BigEndian.Uint32(b[8:]))
			s.Size = int64(binary.BigEndian.Uint32(b[12:]))
			s.Align = binary.BigEndian.Uint32(b[16:])
		}
		s.Arch, s.GOARCH = archName(s.CPU, s.SubCPU), goArch(s.CPU)
		if s.Offset < 0 || s.Size < 0 || s.Offset > size || s.Size > size-s.Offset {
			return u, fmt.Errorf("slice %d (%s) lies outside the file (offset %d, size %d, file size %d)", i, s.Arch, s.Offset, s.Size, size)
		}
		var ft [4]byte
		if _, err := ra.ReadAt(ft[:], s.Offset+12); err == nil {
			var mh [4]byte
			ra.ReadAt(mh[:], s.Offset)
			if mh[0] == 0xfe || mh[0] == 0xcf || mh[0] == 0xce {
				s.FileType = binary.LittleEndian.Uint32(ft[:])
			} else {
				s.FileType = binary.BigEndian.Uint32(ft[:])
			}
		}
		u.Slices = append(u.Slices, s)
	}
	return u, nil
}

// ReadUniversal describes the Mach-O file at path: the slice table of a universal
// file, or one slice for a thin file. Anything but a regular file is refused without
// blocking on it (atomicfile.OpenInput).
func ReadUniversal(path string) (*Universal, error) {
	f, st, err := atomicfile.OpenInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readUniversal(f, st.Size(), path)
}

func readUniversal(ra io.ReaderAt, size int64, path string) (*Universal, error) {
	if isFatHeader(ra, size) {
		var h [4]byte
		ra.ReadAt(h[:], 0)
		if m := binary.BigEndian.Uint32(h[:]); m == fatMagic || m == fatMagic64 {
			u, err := readFatHeader(ra, size)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			u.Path = path
			return &u, nil
		}
	}
	s, err := readThin(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Universal{Path: path, Slices: []SliceInfo{s}}, nil
}

// MaxCreateSlices is the most slices CreateUniversal puts in one file: what every
// reader accepts. file(1) (5.44, magic/Magdir/cafebabe) calls a 0xcafebabe file a
// "Mach-O universal binary" only for 1 to 19 architectures (20 to 30 is "data", 31
// and more a Java class file), internal/exe reads up to 44 and this package's reader
// up to 63. No real universal file has more than a handful.
const MaxCreateSlices = 19

// CreateOptions tunes CreateUniversal.
type CreateOptions struct {
	// Fat64 forces FAT_MAGIC_64 headers. They are used anyway when a slice's offset or
	// size does not fit in 32 bits.
	Fat64 bool
	// Force replaces an output that is not a regular file (see atomicfile.Options).
	Force bool
}

// CreateUniversal merges the thin Mach-O files inputs, of distinct architectures and
// one file type, into the universal file out, as lipo -create does: slices ordered by
// alignment with arm64 last, each aligned as llvm-lipo aligns it and copied byte for
// byte (so code signatures stay valid). out is written to a temporary name and renamed;
// it must not be one of the inputs, nor anything but a regular file unless
// opts.Force. Inputs must be regular files; they are opened one at a time, so any
// number of them needs two file descriptors.
func CreateUniversal(out string, inputs []string, opts CreateOptions) (*Universal, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no input files")
	}
	if len(inputs) > MaxCreateSlices {
		return nil, fmt.Errorf("%d input files: a universal file holds at most %d slices (more are not read as a universal file by file(1) and other readers)", len(inputs), MaxCreateSlices)
	}
	aopts := atomicfile.Options{Force: opts.Force, Inputs: inputs}
	if err := atomicfile.CheckTarget(out, aopts); err != nil {
		return nil, err
	}
	type in struct {
		path string
		fi   os.FileInfo
		s    SliceInfo
	}
	var ins []in
	for _, p := range inputs {
		s, fi, err := readThinFile(p)
		if err != nil {
			return nil, err
		}
		for _, o := range ins {
			if o.s.CPU == s.CPU && o.s.SubCPU&cpuSubMask == s.SubCPU&cpuSubMask {
				return nil, fmt.Errorf("%s and %s have the same architecture (%s); a universal file holds one slice per architecture", o.path, p, s.Arch)
			}
			if o.s.FileType != s.FileType {
				return nil, fmt.Errorf("%s (%s) and %s (%s) are different kinds of file; a universal file holds one kind", o.path, fileTypeName(o.s.FileType), p, fileTypeName(s.FileType))
			}
		}
		ins = append(ins, in{p, fi, s})
	}
	// cctools lipo and llvm-lipo: arm64 slices last, the others by alignment.
	slices.SortStableFunc(ins, func(a, b in) int {
		if a.s.CPU == b.s.CPU {
			return int(a.s.SubCPU&cpuSubMask) - int(b.s.SubCPU&cpuSubMask)
		}
		if a.s.CPU == cpuTypeA64 {
			return 1
		}
		if b.s.CPU == cpuTypeA64 {
			return -1
		}
		return int(a.s.Align) - int(b.s.Align)
	})
	u := &Universal{Path: out, Fat: true}
	layout := func(entry int64) bool {
		u.Slices = u.Slices[:0]
		off := int64(8) + int64(len(ins))*entry
		fits := true
		for _, i := range ins {
			s := i.s
			a := int64(1) << s.Align
			off = (off + a - 1) &^ (a - 1)
			s.Offset = off
			if off > 1<<32-1 || s.Size > 1<<32-1 {
				fits = false
			}
			off += s.Size
			u.Slices = append(u.Slices, s)
		}
		return fits
	}
	u.Fat64 = opts.Fat64
	if !u.Fat64 && !layout(fatArchSize) {
		u.Fat64 = true
	}
	if u.Fat64 {
		layout(fatArch64Sz)
	}
	hdr := fatHeader(u)
	err := writeAtomic(out, 0o755, aopts, func(w io.Writer) error {
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		pos := int64(len(hdr))
		for k, s := range u.Slices {
			if pad := s.Offset - pos; pad > 0 {
				if _, err := io.CopyN(w, zeroReader{}, pad); err != nil {
					return err
				}
			}
			if err := copyInput(w, ins[k].path, ins[k].fi, s.Size); err != nil {
				return err
			}
			pos = s.Offset + s.Size
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// readThinFile reads the thin Mach-O header of the regular file p, and returns what
// it found and the file's identity.
func readThinFile(p string) (SliceInfo, os.FileInfo, error) {
	f, fi, err := atomicfile.OpenInput(p)
	if err != nil {
		return SliceInfo{}, nil, err
	}
	defer f.Close()
	s, err := readThin(f, fi.Size())
	if err != nil {
		return SliceInfo{}, nil, fmt.Errorf("%s: %w", p, err)
	}
	return s, fi, nil
}

// copyInput copies the size bytes of the input p, which must still be the file fi
// that was read before.
func copyInput(w io.Writer, p string, fi os.FileInfo, size int64) error {
	f, now, err := atomicfile.OpenInput(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if !os.SameFile(fi, now) || now.Size() != size {
		return fmt.Errorf("%s changed while the universal file was written", p)
	}
	n, err := io.Copy(w, io.NewSectionReader(f, 0, size))
	if err != nil {
		return fmt.Errorf("copy %s: %w", p, err)
	}
	if n != size {
		return fmt.Errorf("copy %s: the file changed while it was read", p)
	}
	return nil
}

// fatHeader encodes the universal header of u.
func fatHeader(u *Universal) []byte {
	magic, entry := uint32(fatMagic), fatArchSize
	if u.Fat64 {
		magic, entry = fatMagic64, fatArch64Sz
	}
	b := make([]byte, 8+len(u.Slices)*entry)
	binary.BigEndian.PutUint32(b, magic)
	binary.BigEndian.PutUint32(b[4:], uint32(len(u.Slices)))
	for i, s := range u.Slices {
		e := b[8+i*entry:]
		binary.BigEndian.PutUint32(e, s.CPU)
		binary.BigEndian.PutUint32(e[4:], s.SubCPU)
		if u.Fat64 {
			binary.BigEndian.PutUint64(e[8:], uint64(s.Offset))
			binary.BigEndian.PutUint64(e[16:], uint64(s.Size))
			binary.BigEndian.PutUint32(e[24:], s.Align)
		} else {
			binary.BigEndian.PutUint32(e[8:], uint32(s.Offset))
			binary.BigEndian.PutUint32(e[12:], uint32(s.Size))
			binary.BigEndian.PutUint32(e[16:], s.Align)
		}
	}
	return b
}

// ThinOptions tunes ThinUniversalWith.
type ThinOptions struct {
	// Force replaces an output that is not a regular file (see atomicfile.Options).
	Force bool
}

// ThinUniversal writes the slice of the universal file in named arch (lipo's name or
// a GOARCH) to out, byte for byte. out must not be in, nor anything but a regular
// file.
func ThinUniversal(in, arch, out string) (*SliceInfo, error) {
	return ThinUniversalWith(in, arch, out, ThinOptions{})
}

// ThinUniversalWith is ThinUniversal with options.
func ThinUniversalWith(in, arch, out string, opts ThinOptions) (*SliceInfo, error) {
	aopts := atomicfile.Options{Force: opts.Force, Inputs: []string{in}}
	if err := atomicfile.CheckTarget(out, aopts); err != nil {
		return nil, err
	}
	f, st, err := atomicfile.OpenInput(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := readFatHeader(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	var names []string
	for _, s := range u.Slices {
		if matchArch(s, arch) {
			err := writeAtomic(out, 0o755, aopts, func(w io.Writer) error {
				_, err := io.Copy(w, io.NewSectionReader(f, s.Offset, s.Size))
				return err
			})
			if err != nil {
				return nil, err
			}
			return &s, nil
		}
		names = append(names, s.Arch)
	}
	return nil, fmt.Errorf("%s has no %s slice (it has %s)", in, arch, strings.Join(names, ", "))
}

func fileTypeName(t uint32) string {
	switch macho.Type(t) {
	case macho.TypeExec:
		return "executable"
	case macho.TypeDylib:
		return "dynamic library"
	case macho.TypeBundle:
		return "bundle"
	case macho.TypeObj:
		return "object file"
	}
	return fmt.Sprintf("file type %d", t)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// writeAtomic writes a file through write into a temporary file beside path and
// renames it into place, so path is never seen half-written (and a running binary of
// that name is replaced, not modified: macOS kills a process whose signed pages change).
func writeAtomic(path string, perm os.FileMode, opts atomicfile.Options, write func(io.Writer) error) error {
	f, err := atomicfile.CreateWith(path, perm, opts)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
