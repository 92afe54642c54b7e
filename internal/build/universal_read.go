package build

import (
	"context"
	"debug/macho"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/exe"
)

// The reading side of universal files: every Mach-O header and universal table is read
// by internal/exe, the one reader of executables, so `universal info`, `universal
// thin`, `universal create` and `inspect` agree on every input (a Java class file is
// not a universal file anywhere; FuzzReadersAgree checks it).

// archName returns lipo's name of a CPU type and subtype: exe's name of it, but arm64
// for every arm64 subtype other than arm64e, and cputypeN_subtypeM for a CPU type
// without a name.
func archName(cpu, sub uint32) string {
	_, name := exe.MachOCPU(cpu, sub)
	switch {
	case name == "arm64v8":
		return "arm64"
	case strings.HasPrefix(name, "cputype("):
		return fmt.Sprintf("cputype%d_subtype%d", cpu, sub&^arch.MachOCapabilityMask)
	}
	return name
}

// goArch returns the GOARCH of a Mach-O CPU type, or "" when Go has none.
func goArch(cpu uint32) string {
	a, _ := arch.ByMachO(macho.Cpu(cpu))
	return a.GOARCH
}

// sliceInfo describes a Mach-O slice that exe read.
func sliceInfo(s *exe.Slice) SliceInfo {
	h := s.MachO
	return SliceInfo{
		Arch:     archName(h.CPUType, h.CPUSubtype),
		GOARCH:   goArch(h.CPUType),
		CPU:      h.CPUType,
		SubCPU:   h.CPUSubtype,
		FileType: h.FileType,
		Size:     s.Size,
		Align:    h.P2Align,
	}
}

// readThin reads the header of a thin Mach-O image and the alignment lipo would give
// it. It never panics.
func readThin(ra io.ReaderAt, size int64) (SliceInfo, error) {
	f := exe.Read(context.Background(), ra, size, exe.Options{HeadersOnly: true})
	switch {
	case f.Format == exe.FormatMachOFat:
		return SliceInfo{}, errors.New("is a universal file; only thin Mach-O files can be merged (use `gonative universal thin` first)")
	case f.Format != exe.FormatMachO || len(f.Slices) != 1 || f.Slices[0].MachO == nil:
		why := "not a Mach-O file"
		if f.Format != exe.FormatUnknown {
			why += " (" + formatName(f.Format) + ")"
		}
		return SliceInfo{}, errors.New(why)
	case f.Slices[0].Err != nil:
		return SliceInfo{}, fmt.Errorf("not a Mach-O file: %w", f.Slices[0].Err)
	}
	s := sliceInfo(&f.Slices[0])
	s.signed = f.Slices[0].Signature != nil && f.Slices[0].Signature.Present
	return s, nil
}

func formatName(f exe.Format) string {
	switch f {
	case exe.FormatELF:
		return "an ELF file"
	case exe.FormatPE:
		return "a PE file"
	}
	return string(f)
}

// readFatHeader reads a universal file's slice table, and the file type of every
// slice. A slice that lies outside the file, or overlaps another, is an error.
func readFatHeader(ra io.ReaderAt, size int64) (u Universal, err error) {
	h, err := exe.ReadFatHeader(ra, size)
	if err != nil {
		if errors.Is(err, exe.ErrNotExecutable) {
			return u, fmt.Errorf("not a universal Mach-O file: %w", err)
		}
		return u, err
	}
	u.Fat, u.Fat64 = true, h.Is64()
	for i, a := range h.Archs {
		s := SliceInfo{CPU: a.CPUType, SubCPU: a.CPUSubtype, Offset: int64(min(a.Offset, 1<<62)), Size: int64(min(a.Size, 1<<62)), Align: a.Align}
		s.Arch, s.GOARCH = archName(s.CPU, s.SubCPU), goArch(s.CPU)
		if a.Err != nil {
			return u, fmt.Errorf("slice %d (%s): %w", i, s.Arch, a.Err)
		}
		if mh, err := exe.ReadMachOHeader(io.NewSectionReader(ra, s.Offset, s.Size), s.Size); err == nil {
			s.FileType = mh.FileType
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
	var magic [8]byte
	n, _ := ra.ReadAt(magic[:], 0)
	if exe.IsFat(magic[:n], size) {
		u, err := readFatHeader(ra, size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		u.Path = path
		return &u, nil
	}
	s, err := readThin(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Universal{Path: path, Slices: []SliceInfo{s}}, nil
}
