package exe

import (
	"errors"
	"fmt"
	"io"
)

// ErrNotExecutable is wrapped by File.Err (and by Inspect's error) for a file that is
// not in a format this package knows (not ELF, Mach-O or PE).
var ErrNotExecutable = errors.New("not an executable")

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
