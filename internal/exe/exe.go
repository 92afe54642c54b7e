// Package exe reads executables, shared libraries and object files (ELF, Mach-O thin and
// universal, PE) and reports what they really are: the architecture and OS of every
// slice, linkage, code signature, and the Go toolchain and settings that built them.
//
// It reads headers and the few sections it needs through an io.ReaderAt, never whole
// files, and it never panics on malformed input: a bad file is a finding (File.Error).
package exe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"syscall"
)

// Format names a container format. The values are part of the JSON contract.
type Format string

// Formats.
const (
	FormatELF      Format = "elf"
	FormatMachO    Format = "macho"
	FormatMachOFat Format = "macho-fat"
	FormatPE       Format = "pe"
	FormatUnknown  Format = "unknown"
)

// Kind says what a file (or slice) is for.
type Kind string

// Kinds.
const (
	KindExecutable Kind = "executable"
	KindSharedLib  Kind = "shared-library"
	KindBundle     Kind = "bundle"
	KindObject     Kind = "object"
	KindCore       Kind = "core"
	KindOther      Kind = "other"
)

// Runnable reports whether k is something a loader runs or loads (an executable, a
// shared library or a bundle).
func (k Kind) Runnable() bool {
	return k == KindExecutable || k == KindSharedLib || k == KindBundle
}

// File is what Inspect learns about one file. It is data read from the file's bytes
// alone; what other packages conclude from it (a machine's system libraries aside,
// the instruction-set report, the verdict) is theirs, and so is any encoding of it
// (internal/inspect defines inspect --json).
type File struct {
	Path   string
	Format Format
	Kind   Kind
	Size   int64
	Slices []Slice
	// Error says why the file could not be read completely. Slices read before the
	// problem are kept.
	Error string
	// Err is Error as a value: a *FormatError, or one wrapping ErrNotExecutable.
	Err error
}

// Slice is one architecture's image: the whole file for a thin file, one member of a
// Mach-O universal file.
type Slice struct {
	Offset    int64 // from the start of the file
	Size      int64
	Arch      string // GOARCH name (arm64, amd64, 386, arm, riscv64, ...) or "unknown"
	CPU       string // the format's own name: x86_64, arm64e, aarch64, EM_RISCV ...
	Bits      int    // 32 or 64
	ByteOrder string // "little" or "big"
	OS        string // GOOS name: linux, darwin, ios, windows, freebsd ... or "" when unknown
	Kind      Kind

	MinOS string // Mach-O minimum OS version (LC_BUILD_VERSION / LC_VERSION_MIN_*)
	SDK   string // Mach-O SDK version

	// PIE and Stripped (no symbol table) are unknown, with why, when the bytes do not
	// settle them.
	PIE         Fact[bool]
	Stripped    Fact[bool]
	Static      bool // no dynamic loader and no shared libraries needed
	Interpreter string
	// GLIBC is the newest glibc symbol version a dynamic ELF file needs ("2.34"): it
	// does not start on a system with an older glibc.
	GLIBC     string
	Libraries []Library
	// RunPath lists the directories an ELF file's DT_RUNPATH (or DT_RPATH) adds to the
	// loader's search, as written ($ORIGIN unexpanded).
	RunPath []string

	// ELF only: the largest PT_LOAD alignment, and whether the segments load on kernels
	// with 16 KiB and 64 KiB pages (alignment at least the page size).
	Align    uint64
	Loads16K bool
	Loads64K bool

	Signature *Signature // Mach-O only
	// MachO is the raw Mach-O header (Mach-O slices only).
	MachO *MachOHeader
	// FatArch is the slice's entry in the universal header (universal files only).
	FatArch *FatArch
	Go      *GoInfo // nil when not a Go binary
	// Notes are facts worth a line that have no field of their own.
	Notes []string
	// Error says why this slice could not be read completely. A slice with an error is
	// never judged runnable.
	Error string
	// Err is Error as a value (a *FormatError, usually).
	Err error

	// ra reads this slice's bytes (offset 0 is the slice's first byte).
	ra io.ReaderAt
	// layout is the image's layout when the format reader has already read it (for
	// readGo during Read; Read drops it at the end).
	layout *exeLayout
}

// Reader returns a reader of the slice's bytes, for deeper analysis (instruction sets).
func (s *Slice) Reader() io.ReaderAt { return s.ra }

// setErr records err as the slice's error.
func (s *Slice) setErr(err error) {
	s.Err, s.Error = err, err.Error()
}

// SignatureProblem says why the kernel kills this slice for its code signature, or ""
// when it does not: macOS on Apple Silicon runs no arm64 code without a valid signature
// (ad hoc at least), and kills the process with SIGKILL ("Killed: 9"). Apple: "Code
// signing is mandatory on Apple silicon" (macOS Big Sur 11 release notes,
// developer.apple.com/documentation/macos-release-notes/macos-big-sur-11_0_1-universal-apps-release-notes).
// This is the one statement of that rule; build verification, doctor and verdicts ask it.
func (s *Slice) SignatureProblem() string {
	if s.OS != "darwin" || s.Arch != "arm64" || !s.Kind.Runnable() {
		return ""
	}
	sig := s.Signature
	switch {
	case sig != nil && !sig.Valid.Known && !sig.Present:
		return "whether it is signed is unknown (" + sig.Problem + "): the kernel kills it (Killed: 9) unless it carries a valid signature"
	case sig == nil || !sig.Present:
		return "an unsigned arm64 Mach-O is killed by the kernel (Killed: 9); sign it: gonative sign FILE (on a Mac: codesign -s - FILE)"
	case !sig.Valid.Known:
		return "its code signature could not be checked (" + sig.Problem + "): the kernel kills it (Killed: 9) unless the signature is valid"
	case !sig.Valid.Value:
		return "its code signature is not valid (" + sig.Problem + "), so the kernel kills it (Killed: 9); re-sign it: gonative sign FILE (on a Mac: codesign -f -s - FILE)"
	}
	return ""
}

// Library is one shared library a slice needs.
type Library struct {
	Name string
	// System says whether the OS provides the library (libc, libSystem, system
	// frameworks, kernel32 ...); the others must ship with the binary or be installed.
	// It is unknown when the bytes do not settle it: an ELF library other than the C
	// library's, until a machine's package manager is asked (host.Libraries.Mark), or
	// a Windows DLL outside the known system list.
	System Fact[bool]
	Weak   bool
}

// IsSystem reports whether the library is known to be the OS's.
func (l Library) IsSystem() bool { return l.System.Is(true) }

// NotSystem reports whether the library is known not to be the OS's.
func (l Library) NotSystem() bool { return l.System.Is(false) }

// Options says how deep Inspect reads.
type Options struct {
	// Deps asks for the Go module dependency list.
	Deps bool
	// HeadersOnly reads the headers only: no Go build info.
	HeadersOnly bool
}

// Inspect reads the file at path. The error is for the file as a whole (it does not
// exist, cannot be opened, is not a regular file); problems inside a file are in
// File.Error and Slice.Error. Inspect never panics: a panic in a parser becomes
// File.Error.
func Inspect(ctx context.Context, path string, opts Options) (*File, error) {
	// Stat before opening: opening a FIFO would block until a writer comes.
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "inspect", Path: path, Err: NotRegularError(st.Mode())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "inspect", Path: path, Err: NotRegularError(st.Mode())}
	}
	file := Read(ctx, f, st.Size(), opts)
	file.Path = path
	return file, nil
}

// NotRegularError returns the error for a file of mode m that a reader refuses,
// because it reads nothing but regular files: a *NotRegularFileError.
func NotRegularError(m fs.FileMode) error { return &NotRegularFileError{Mode: m} }

// NotRegularFileError is the error for a file that is not a regular file ("is a
// named pipe"). For a directory it matches syscall.EISDIR (errors.Is).
type NotRegularFileError struct {
	Mode fs.FileMode
}

// What says what the file is instead: "a directory", "a named pipe", "a socket",
// "a device", or "not a regular file".
func (e *NotRegularFileError) What() string {
	switch m := e.Mode; {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func (e *NotRegularFileError) Error() string { return "is " + e.What() }

// Is reports whether target is syscall.EISDIR and the file a directory.
func (e *NotRegularFileError) Is(target error) bool {
	return target == syscall.EISDIR && e.Mode.IsDir()
}

// Read inspects the size bytes of ra. It never panics.
func Read(ctx context.Context, ra io.ReaderAt, size int64, opts Options) (file *File) {
	file = &File{Format: FormatUnknown, Size: size}
	defer func() {
		if r := recover(); r != nil {
			file.Err = fmt.Errorf("%w: %v\n%s", ErrInternal, r, debug.Stack())
			file.Error = file.Err.Error()
		}
	}()
	// Parsers read through a cache of small windows; the slices get the plain reader
	// back at the end (also after a panic), for callers that read them later.
	plain := ra
	ra = newReadCache(ra, size)
	defer func() {
		for i := range file.Slices {
			file.Slices[i].ra = uncached(file.Slices[i].ra, ra, plain)
			file.Slices[i].layout = nil
		}
	}()
	var magic [8]byte
	n, _ := ra.ReadAt(magic[:], 0) // the cache's first read: its head window
	m := magic[:n]
	switch {
	case bytes.HasPrefix(m, []byte("\x7fELF")):
		file.Format = FormatELF
		file.Slices = []Slice{readELF(ra, size)}
	case isMachO(m):
		file.Format = FormatMachO
		file.Slices = []Slice{readMachO(ra, size)}
	case isFat(m, size):
		file.Format = FormatMachOFat
		var err error
		file.Slices, err = readFat(ra, size)
		if err != nil {
			file.Error, file.Err = err.Error(), err
		}
	case bytes.HasPrefix(m, []byte("MZ")):
		file.Format = FormatPE
		file.Slices = []Slice{readPE(ra, size)}
	default:
		file.Err = ErrNotExecutable
		if name := unreadFormat(m); name != "" {
			file.Err = &UnreadFormatError{Name: name}
		}
		file.Error = file.Err.Error()
		return file
	}
	for i := range file.Slices {
		s := &file.Slices[i]
		if ctx.Err() != nil {
			file.Error = ctx.Err().Error()
			return file
		}
		if s.ra != nil && packedUPX(s.ra, s.Size) {
			s.Notes = append(s.Notes, UPXNote)
		}
		if s.ra != nil && s.Kind.Runnable() && !opts.HeadersOnly {
			s.Go = readGoLayout(s.ra, s.Size, opts, s.layout)
			reconcileGoOS(s)
			if file.Format == FormatELF {
				reconcileLinkShared(s)
			}
			inferGOAMD64(s)
		}
	}
	if len(file.Slices) > 0 {
		file.Kind = file.Slices[0].Kind
		if file.Error == "" && len(file.Slices) == 1 && file.Slices[0].Error != "" {
			file.Error, file.Err = file.Slices[0].Error, file.Slices[0].Err
		}
	}
	return file
}

// uncached returns r, a reader Read made over the cache c of plain, as the same reader
// over plain.
func uncached(r, c, plain io.ReaderAt) io.ReaderAt {
	if r == c {
		return plain
	}
	if sr, ok := r.(*io.SectionReader); ok {
		if outer, off, n := sr.Outer(); outer == c {
			return io.NewSectionReader(plain, off, n)
		}
	}
	return r
}

// UPXNote is the note on a slice packed with UPX. Unpacking is out of scope: the code,
// the Go build info and the pclntab are compressed, so whether it is Go, which Go and
// with cgo or not are unknown.
const UPXNote = "packed with UPX: its code and any Go build info are compressed, and gonative does not unpack (out of scope): whether it is Go, and with which settings, is unknown; run upx -d on a copy and inspect that"

// packedUPX reports whether an image carries UPX's marks: the "UPX!" magic of its
// packheader in the first 4 KiB (ELF and Mach-O stubs put it right after the headers;
// PE names its sections UPX0 and UPX1 too).
func packedUPX(ra io.ReaderAt, size int64) bool {
	var b []byte
	if c, ok := ra.(*readCache); ok {
		b = c.head(min(size, 4096))
	} else {
		b = make([]byte, min(size, 4096))
		n, _ := ra.ReadAt(b, 0)
		b = b[:n]
	}
	return bytes.Contains(b, []byte("UPX!")) || bytes.Contains(b, []byte("UPX0\x00")) && bytes.Contains(b, []byte("UPX1\x00"))
}
