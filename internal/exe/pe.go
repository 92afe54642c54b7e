package exe

import "io"

// readPE reads a PE image. (Stub.)
func readPE(ra io.ReaderAt, size int64) Slice {
	return Slice{Arch: "unknown", Kind: KindOther, Size: size, ra: ra, Error: "PE: not implemented"}
}
