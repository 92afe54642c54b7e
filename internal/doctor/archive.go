package doctor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// arMagic starts a Unix static library (ar archive).
const arMagic = "!<arch>\n"

// FirstObject returns the offset and size of the first object file in the ar archive
// ra of size bytes, skipping the symbol tables ("/", "/SYM64/", "__.SYMDEF…") and the
// GNU long-name table ("//"); a BSD "#1/N" name's N bytes are skipped too. It never
// panics on malformed input.
func FirstObject(ra io.ReaderAt, size int64) (off, n int64, err error) {
	var magic [8]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil || string(magic[:]) != arMagic {
		return 0, 0, errors.New("not an ar archive")
	}
	pos := int64(8)
	for i := 0; i < 1000 && pos+60 <= size; i++ {
		var hdr [60]byte
		if _, err := ra.ReadAt(hdr[:], pos); err != nil {
			return 0, 0, fmt.Errorf("member header at %d: %w", pos, err)
		}
		if string(hdr[58:60]) != "`\n" {
			return 0, 0, fmt.Errorf("member header at %d: bad terminator", pos)
		}
		name := strings.TrimRight(string(hdr[0:16]), " ")
		msize, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || msize < 0 || msize > size-pos-60 {
			return 0, 0, fmt.Errorf("member %q at %d: bad size %q", name, pos, bytes.TrimSpace(hdr[48:58]))
		}
		data, dsize := pos+60, msize
		if rest, ok := strings.CutPrefix(name, "#1/"); ok {
			nl, err := strconv.ParseInt(rest, 10, 64)
			if err != nil || nl < 0 || nl > msize {
				return 0, 0, fmt.Errorf("member at %d: bad BSD name length %q", pos, rest)
			}
			lname := make([]byte, nl)
			if _, err := ra.ReadAt(lname, data); err != nil {
				return 0, 0, err
			}
			name = string(bytes.TrimRight(lname, "\x00"))
			data, dsize = data+nl, msize-nl
		}
		switch {
		case name == "/" || name == "//" || name == "/SYM64/" || strings.HasPrefix(name, "__.SYMDEF"):
		default:
			return data, dsize, nil
		}
		pos += 60 + msize
		pos += pos & 1
	}
	return 0, 0, errors.New("no object file in the archive")
}
