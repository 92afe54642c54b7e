package build

import (
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/exe"
)

// Mach-O universal ("fat") file magics, always stored big-endian.
const (
	fatMagic   = 0xcafebabe
	fatMagic64 = 0xcafebabf
)

// The sizes of a fat_arch and a fat_arch_64 entry (mach-o/fat.h).
const (
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

	// signed is whether a thin input carries a code signature (LC_CODE_SIGNATURE
	// with a signature exe reads), set by readThin.
	signed bool
}

// UnsignedSlice is a slice CreateUniversal merged without a code signature beside
// signed slices. macOS checks the signature of the slice it runs, but code that
// judges the whole file (permission prompts, Gatekeeper, Homebrew's checks) fails
// on the unsigned one; `gonative sign` on the universal file signs every slice.
type UnsignedSlice struct {
	Arch  string `json:"arch"`  // lipo's name
	Input string `json:"input"` // the thin file it came from
}

// Universal describes a Mach-O file: a universal file's slices, or one slice for a
// thin file.
type Universal struct {
	Path   string      `json:"path"`
	Fat    bool        `json:"fat"`
	Fat64  bool        `json:"fat64,omitempty"`
	Slices []SliceInfo `json:"slices"`
	// Unsigned are the slices merged unsigned beside signed ones (CreateUniversal).
	Unsigned []UnsignedSlice `json:"unsigned_slices,omitempty"`
}

// matchArch reports whether the slice s is what the user named with arch: lipo's
// name (x86_64, arm64e) or a GOARCH (amd64).
func matchArch(s SliceInfo, arch string) bool {
	return s.Arch == arch || (s.GOARCH != "" && s.GOARCH == arch && s.Arch != "arm64e" && s.Arch != "x86_64h")
}

// MaxCreateSlices is the most slices CreateUniversal puts in one file: what every
// reader accepts (exe.MaxFatArchs, file(1)'s rule for telling a universal file from a
// Java class file). No real universal file has more than a handful.
const MaxCreateSlices = exe.MaxFatArchs

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
// byte (so code signatures stay valid; a slice without one beside signed slices is
// listed in Unsigned, never signed here). out is written to a temporary name and renamed;
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
			if o.s.CPU == s.CPU && o.s.SubCPU&^arch.MachOCapabilityMask == s.SubCPU&^arch.MachOCapabilityMask {
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
			return int(a.s.SubCPU&^arch.MachOCapabilityMask) - int(b.s.SubCPU&^arch.MachOCapabilityMask)
		}
		if a.s.CPU == uint32(macho.CpuArm64) {
			return 1
		}
		if b.s.CPU == uint32(macho.CpuArm64) {
			return -1
		}
		return int(a.s.Align) - int(b.s.Align)
	})
	u := &Universal{Path: out, Fat: true}
	if slices.ContainsFunc(ins, func(i in) bool { return i.s.signed }) {
		for _, i := range ins {
			if !i.s.signed {
				u.Unsigned = append(u.Unsigned, UnsignedSlice{Arch: i.s.Arch, Input: i.path})
			}
		}
	}
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
