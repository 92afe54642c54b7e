package exe

import (
	"io"
	"os"
)

// Mapping is bytes of an executable's file mapped into memory, read-only: the code
// a scan reads once, whole, without copying it through a buffer (MapRange).
//
// The bytes are the file's as long as it is not changed. A file cut short while
// mapped makes a read of what was cut off fault (SIGBUS): the reader sets
// runtime/debug.SetPanicOnFault and recovers, as internal/isa's Analyze does.
type Mapping struct {
	data []byte // the mapped pages
	off  int    // where the bytes asked for start in data
	n    int
}

// Bytes returns the mapped bytes; they are valid until Close.
func (m *Mapping) Bytes() []byte { return m.data[m.off : m.off+m.n : m.off+m.n] }

// Close unmaps the bytes.
func (m *Mapping) Close() error {
	if m.data == nil {
		return nil
	}
	err := unmap(m.data)
	m.data = nil
	return err
}

// MapRange maps the n bytes at off of ra when ra reads a regular file (an *os.File,
// or an io.SectionReader of one: a slice of a universal file) and the file holds
// them; otherwise it returns nil and the caller reads through ra. It is for large
// reads: a mapping costs two system calls and page-table work, a pread a copy.
func MapRange(ra io.ReaderAt, off, n int64) *Mapping {
	if n <= 0 || off < 0 {
		return nil
	}
	// A section of a slice of a universal file is a section reader of a section
	// reader of the file.
	for {
		sr, ok := ra.(*io.SectionReader)
		if !ok {
			break
		}
		outer, base, size := sr.Outer()
		if off > size || n > size-off {
			return nil
		}
		ra, off = outer, base+off
	}
	f, ok := ra.(*os.File)
	if !ok {
		return nil
	}
	return mapFile(f, off, n)
}
