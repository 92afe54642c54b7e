package exe

import "io"

// isMachO reports whether magic starts a thin Mach-O file. (Stub.)
func isMachO(magic []byte) bool { return false }

// isFat reports whether magic starts a Mach-O universal file. (Stub.)
func isFat(magic []byte, size int64) bool { return false }

// readMachO reads a thin Mach-O image. (Stub.)
func readMachO(ra io.ReaderAt, size int64) Slice {
	return Slice{Arch: "unknown", Kind: KindOther, Size: size, ra: ra, Error: "Mach-O: not implemented"}
}

// readFat reads a Mach-O universal file. (Stub.)
func readFat(ra io.ReaderAt, size int64) ([]Slice, error) { return nil, nil }
