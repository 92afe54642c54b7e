package atomicfile

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge is wrapped by ReadFile's error for a file larger than its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a whole file that the user did not name on the command line (a
// setting's file, a cache entry, a bundle an environment variable points at) the way
// OpenInput opens it: never blocking on a named pipe or a terminal, refusing anything
// but a regular file, reading at most the size the open file reports (a file of size
// 0 that blocks reads, such as /proc/kmsg, reads as empty) and at most limit bytes:
// a larger file is an error wrapping ErrTooLarge.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, fi, err := OpenInput(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", name, fi.Size(), limit, ErrTooLarge)
	}
	b := make([]byte, fi.Size())
	n, err := io.ReadFull(io.NewSectionReader(f, 0, fi.Size()), b)
	if err == io.ErrUnexpectedEOF {
		err = nil // it shrank since: what was there
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b[:n], nil
}
