package exe

import (
	"errors"
	"fmt"
	"io"
)

// ErrNotExecutable is wrapped by File.Err (and by Inspect's error) for a file that is
// not in a format this package knows (not ELF, Mach-O or PE).
var ErrNotExecutable = errors.New("not an executable")

// ErrInternal is wrapped by the error a parser's panic becomes (File.Err, Slice.Err,
// the error of Code): a gonative bug, never the file's fault.
var ErrInternal = errors.New("internal error (a gonative bug, please report it)")

// ErrTruncated is wrapped by a FormatError whose structure runs past the end of the
// file.
var ErrTruncated = errors.New("truncated")

// FormatError says what is wrong with a file's bytes: which structure, at which offset.
// errors.Is(err, ErrTruncated) is true for a structure cut by the end of the file.
type FormatError struct {
	// Format is the container: "ELF", "Mach-O", "Mach-O universal", "PE".
	Format string
	// Structure names what was being read: "ELF header", "program header table", ...
	Structure string
	// Offset is the file offset of the structure (-1 when it has none).
	Offset int64
	// Reason says what is wrong ("truncated at offset 100 (file is 100 bytes)").
	Reason string
	// Err is the underlying error, if any (ErrTruncated, an I/O error ...).
	Err error
}

func (e *FormatError) Error() string {
	if e.Structure == "" {
		if e.Err != nil && e.Reason == "" {
			return e.Format + ": " + e.Err.Error()
		}
		return e.Format + ": " + e.Reason
	}
	s := e.Format + ": " + e.Structure
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at offset %d", e.Offset)
	}
	switch {
	case e.Reason != "":
		s += ": " + e.Reason
	case e.Err != nil:
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// truncated returns the FormatError of a structure of n bytes at off that does not fit
// in a file of size bytes.
func truncated(format, structure string, off, n, size int64) *FormatError {
	return &FormatError{
		Format: format, Structure: structure, Offset: off, Err: ErrTruncated,
		Reason: fmt.Sprintf("truncated: its %d bytes run past the end of the file (%d bytes)", n, size),
	}
}

// readErr turns the error of a read of structure at off into a FormatError: a short
// read is ErrTruncated.
func readErr(format, structure string, off, n, size int64, err error) *FormatError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncated(format, structure, off, n, size)
	}
	return &FormatError{Format: format, Structure: structure, Offset: off, Err: err}
}

// asFormatError returns err as a *FormatError of format: itself when it is one.
func asFormatError(format string, err error) *FormatError {
	var fe *FormatError
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{Format: format, Offset: -1, Err: ErrTruncated, Reason: "truncated: a structure runs past the end of the file"}
	}
	return &FormatError{Format: format, Offset: -1, Err: err}
}

// UnreadFormatError is File.Err for a file in a format this package recognises but
// does not read (XCOFF, a.out, COFF objects, WebAssembly, Java class files): what it
// is, named, rather than "not an executable". It wraps ErrNotExecutable.
type UnreadFormatError struct {
	// Name says what the file is: "XCOFF 64-bit (AIX)", "WebAssembly module" ...
	Name string
}

func (e *UnreadFormatError) Error() string {
	return e.Name + ": a format gonative recognises but does not read"
}

// Unwrap returns ErrNotExecutable: such a file is none this package reads.
func (e *UnreadFormatError) Unwrap() error { return ErrNotExecutable }

// unreadFormat names the format of a file that is not ELF, Mach-O or PE from its first
// bytes, or returns "" when it is none this package recognises. Sources: AIX's
// <xcoff.h> (F_MAGIC 0x01DF, 0x01F7 for 64-bit), a.out(5) (OMAGIC 0407, NMAGIC 0410,
// ZMAGIC 0413, QMAGIC 0314 in the low 16 bits), the PE/COFF specification's machine
// types (an object file starts with its COFF header), the WebAssembly binary format
// ("\0asm" and version 1), the JVM specification (0xCAFEBABE, then a major version of
// 45 or more, unlike a universal Mach-O's small member count).
func unreadFormat(m []byte) string {
	if len(m) < 4 {
		return ""
	}
	be16, le16 := uint16(m[0])<<8|uint16(m[1]), uint16(m[1])<<8|uint16(m[0])
	switch {
	case be16 == 0x01df:
		return "XCOFF 32-bit (AIX)"
	case be16 == 0x01f7:
		return "XCOFF 64-bit (AIX)"
	case string(m[:4]) == "\x00asm":
		return "WebAssembly module"
	case string(m[:4]) == "\xca\xfe\xba\xbe" && len(m) >= 8 && uint16(m[6])<<8|uint16(m[7]) >= 45:
		return fmt.Sprintf("Java class file (version %d.%d)", uint16(m[6])<<8|uint16(m[7]), uint16(m[4])<<8|uint16(m[5]))
	case le16 == 0o407 || le16 == 0o410 || le16 == 0o413 || le16 == 0o314:
		if m[2]|m[3] != 0 || le16 == 0o314 { // a.out keeps the machine type and flags above the magic
			return "a.out executable"
		}
	}
	if len(m) >= 8 {
		switch le16 {
		case 0x014c, 0x8664, 0xaa64, 0x01c0, 0x01c4, 0xa641, 0xa64e, 0x5064:
			// Machine, NumberOfSections (at least one), TimeDateStamp ...
			if n := uint16(m[3])<<8 | uint16(m[2]); n > 0 && n < 1024 {
				return "COFF object file"
			}
		}
	}
	return ""
}
