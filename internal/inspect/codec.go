package inspect

//go:generate go test -run ^TestCodecGenerated$ -update

import (
	"encoding/binary"
	"errors"
)

// The cache's encoding of a report (an entry): the exported fields that the JSON
// contract carries (not those tagged `json:"-"`), in declaration order, as varints
// and length-prefixed strings, with nil told from empty: a bool is a byte (0 or 1),
// an integer a varint (unsigned: uvarint), a string its length (uvarint) and bytes,
// a pointer a byte (0: nil, 1: the value follows), a slice or map 0 for nil or its
// length + 1 (uvarint) and its elements (a map's keys sorted), a struct its fields.
// There is no schema evolution: the cache key holds gonative's build identity, so a
// report is only ever decoded by the build that encoded it.
//
// The encoder and decoder of each type are generated (codec_gen.go, by
// TestCodecGenerated) from the types, with the semantics of the reflection codec of
// the tests (refCodec), which they match byte for byte (FuzzCodec): a cached run
// decodes a report per file, and the generated decoder makes half the allocations of
// the reflection's (BenchmarkCodec: 749 against 1,590 for 50 reports of real files)
// and executes fewer instructions (a cached run of the executables tree: 73.8 million
// against 85.3 under callgrind).

// errCodec is returned for a damaged or foreign encoding.
var errCodec = errors.New("cache entry: bad encoding")

// maxCodecDepth bounds the nesting of values, as a guard against a damaged entry.
const maxCodecDepth = 32

// marshal encodes e.
func marshal(e *entry) []byte { return appendEntry(nil, e) }

// unmarshal decodes b, all of it, into a new entry.
func unmarshal(b []byte) (e *entry, err error) {
	defer func() {
		if recover() != nil {
			e, err = nil, errCodec // a damaged entry is a miss, never a crash
		}
	}()
	// One copy of the encoding for all the strings it holds: a report's strings
	// are most of its values.
	d := decoder{b: b, s: string(b)}
	e = new(entry)
	if *e, err = d.decodeEntry(0); err != nil {
		return nil, err
	}
	if len(d.b) != 0 {
		return nil, errCodec
	}
	return e, nil
}

// decoder reads an encoding: b is what is left of it. s, when set, is the whole
// encoding as a string, so b is always its suffix: decoded strings are substrings of
// s, not one allocation each.
type decoder struct {
	b []byte
	s string
}

func (d *decoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errCodec
	}
	d.b = d.b[n:]
	return x, nil
}

func (d *decoder) varint() (int64, error) {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		return 0, errCodec
	}
	d.b = d.b[n:]
	return x, nil
}

// bool reads a byte that is 0 or 1.
func (d *decoder) bool() (bool, error) {
	if len(d.b) == 0 || d.b[0] > 1 {
		return false, errCodec
	}
	x := d.b[0] == 1
	d.b = d.b[1:]
	return x, nil
}

// length reads a length that has at least one byte of encoding per element left.
func (d *decoder) length(x uint64) (int, error) {
	if x > uint64(len(d.b)) {
		return 0, errCodec
	}
	return int(x), nil
}

// count reads the element count of a slice or map: 0 encodes nil, n+1 n elements.
func (d *decoder) count() (n int, isNil bool, err error) {
	x, err := d.uvarint()
	if err != nil || x == 0 {
		return 0, err == nil, err
	}
	n, err = d.length(x - 1)
	return n, false, err
}

// str reads a string: a substring of d.s when it is set.
func (d *decoder) str() (string, error) {
	x, err := d.uvarint()
	if err != nil {
		return "", err
	}
	n, err := d.length(x)
	if err != nil {
		return "", err
	}
	var s string
	if len(d.s) >= len(d.b) {
		at := len(d.s) - len(d.b)
		s = d.s[at : at+n]
	} else {
		s = string(d.b[:n])
	}
	d.b = d.b[n:]
	return s, nil
}
