//go:build !unix

package exe

import "os"

// mapFile maps nothing here: the caller reads through the file.
func mapFile(f *os.File, off, n int64) *Mapping { return nil }

func unmap(b []byte) error { return nil }
