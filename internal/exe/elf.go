package exe

import "io"

// readELF reads an ELF image. (Stub.)
func readELF(ra io.ReaderAt, size int64) Slice {
	return Slice{Arch: "unknown", Kind: KindOther, Size: size, ra: ra, Error: "ELF: not implemented"}
}
