package codesign

// An independent verifier of embedded code signatures, for the tests: it finds the
// signature with the standard library's debug/macho (not this package's parser),
// walks the SuperBlob and recomputes every hash itself. It shares no code with the
// signer.

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"debug/macho"
	"encoding/binary"
	"fmt"
)

// checkedCD is what the test verifier read of one CodeDirectory.
type checkedCD struct {
	slot       uint32
	version    uint32
	flags      uint32
	hashType   uint8
	ident      string
	team       string
	nSpecial   uint32
	codeLimit  uint64
	pageHashes [][]byte
	execBase   uint64
	execLimit  uint64
	execFlags  uint64
	raw        []byte
}

// checkedSig is what the test verifier read of a slice's signature.
type checkedSig struct {
	dataOff, dataSize uint32
	cds               []checkedCD
	slots             map[uint32][]byte // every blob by slot
}

// verifyThin checks the signature of the thin Mach-O b from scratch.
func verifyThin(b []byte) (*checkedSig, error) {
	f, err := macho.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var sig *checkedSig
	var leEnd uint64
	for _, l := range f.Loads {
		raw := l.Raw()
		if f.ByteOrder.Uint32(raw) == 0x1d {
			sig = &checkedSig{dataOff: f.ByteOrder.Uint32(raw[8:]), dataSize: f.ByteOrder.Uint32(raw[12:]), slots: map[uint32][]byte{}}
		}
		if s, ok := l.(*macho.Segment); ok && s.Name == "__LINKEDIT" {
			leEnd = s.Offset + s.Filesz
		}
	}
	if sig == nil {
		return nil, fmt.Errorf("no LC_CODE_SIGNATURE")
	}
	end := uint64(sig.dataOff) + uint64(sig.dataSize)
	if end > uint64(len(b)) || end > leEnd {
		return nil, fmt.Errorf("signature %d+%d is past the file (%d) or __LINKEDIT (%d)", sig.dataOff, sig.dataSize, len(b), leEnd)
	}
	sb := b[sig.dataOff:end]
	be := binary.BigEndian
	if len(sb) < 12 || be.Uint32(sb) != 0xfade0cc0 {
		return nil, fmt.Errorf("no SuperBlob")
	}
	sbLen := be.Uint32(sb[4:])
	if int(sbLen) > len(sb) {
		return nil, fmt.Errorf("SuperBlob length %d > %d", sbLen, len(sb))
	}
	n := be.Uint32(sb[8:])
	for i := range n {
		typ, off := be.Uint32(sb[12+8*i:]), be.Uint32(sb[16+8*i:])
		l := be.Uint32(sb[off+4:])
		if uint64(off)+uint64(l) > uint64(sbLen) {
			return nil, fmt.Errorf("blob %#x runs past the SuperBlob", typ)
		}
		sig.slots[typ] = sb[off : off+l]
	}
	for _, slot := range []uint32{0, 0x1000, 0x1001} {
		raw, ok := sig.slots[slot]
		if !ok {
			continue
		}
		cd := checkedCD{slot: slot, raw: raw}
		cd.version = be.Uint32(raw[8:])
		cd.flags = be.Uint32(raw[12:])
		hashOff := be.Uint32(raw[16:])
		cd.ident = cstr(raw[be.Uint32(raw[20:]):])
		cd.nSpecial = be.Uint32(raw[24:])
		nCode := be.Uint32(raw[28:])
		cd.codeLimit = uint64(be.Uint32(raw[32:]))
		hashSize := int(raw[36])
		cd.hashType = raw[37]
		if raw[39] != 12 {
			return nil, fmt.Errorf("page size 2^%d", raw[39])
		}
		if t := be.Uint32(raw[48:]); t != 0 {
			cd.team = cstr(raw[t:])
		}
		if cd.version >= 0x20400 {
			cd.execBase, cd.execLimit, cd.execFlags = be.Uint64(raw[64:]), be.Uint64(raw[72:]), be.Uint64(raw[80:])
		}
		sum := func(p []byte) []byte {
			if cd.hashType == 1 {
				s := sha1.Sum(p)
				return s[:]
			}
			s := sha256.Sum256(p)
			return s[:]
		}
		if len(sum(nil)) != hashSize {
			return nil, fmt.Errorf("hash type %d with size %d", cd.hashType, hashSize)
		}
		if cd.codeLimit != uint64(sig.dataOff) {
			return nil, fmt.Errorf("code limit %d, signature at %d", cd.codeLimit, sig.dataOff)
		}
		if want := (cd.codeLimit + 4095) / 4096; uint64(nCode) != want {
			return nil, fmt.Errorf("%d code slots, want %d", nCode, want)
		}
		for p := range uint64(nCode) {
			page := b[p*4096 : min(cd.codeLimit, (p+1)*4096)]
			h := raw[int(hashOff)+int(p)*hashSize:][:hashSize]
			if !bytes.Equal(sum(page), h) {
				return nil, fmt.Errorf("CD %#x: page %d hash mismatch", slot, p)
			}
			cd.pageHashes = append(cd.pageHashes, h)
		}
		for s := uint32(1); s <= cd.nSpecial; s++ {
			h := raw[int(hashOff)-int(s)*hashSize:][:hashSize]
			if blob, ok := sig.slots[s]; ok {
				if !bytes.Equal(sum(blob), h) {
					return nil, fmt.Errorf("CD %#x: special slot %d mismatch", slot, s)
				}
			} else if s != 1 && s != 3 && !bytes.Equal(h, make([]byte, hashSize)) {
				return nil, fmt.Errorf("CD %#x: special slot %d has a hash but no blob", slot, s)
			}
		}
		sig.cds = append(sig.cds, cd)
	}
	if len(sig.cds) == 0 {
		return nil, fmt.Errorf("no CodeDirectory")
	}
	return sig, nil
}

// verifyAny checks every slice of a thin or universal file.
func verifyAny(b []byte) ([]*checkedSig, error) {
	if ff, err := macho.NewFatFile(bytes.NewReader(b)); err == nil {
		var out []*checkedSig
		for _, a := range ff.Arches {
			s, err := verifyThin(b[a.Offset : a.Offset+a.Size])
			if err != nil {
				return nil, fmt.Errorf("%v slice: %w", a.Cpu, err)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := verifyThin(b)
	if err != nil {
		return nil, err
	}
	return []*checkedSig{s}, nil
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// changedOutside returns an error naming the first byte before the new signature
// that differs between the thin input and output and is not one of the load-command
// fields signing may change (found with debug/macho in the output).
func changedOutside(in, out []byte) error {
	f, err := macho.NewFile(bytes.NewReader(out))
	if err != nil {
		return err
	}
	allowed := map[int]bool{}
	allow := func(off, n int) {
		for i := range n {
			allowed[off+i] = true
		}
	}
	var codeLimit int
	is64 := f.Magic == macho.Magic64
	off := 28
	if is64 {
		off = 32
	}
	for _, l := range f.Loads {
		raw := l.Raw()
		switch f.ByteOrder.Uint32(raw) {
		case 0x1d:
			codeLimit = int(f.ByteOrder.Uint32(raw[8:]))
			allow(off+12, 4) // datasize
			if off+len(raw) > len(in) || !bytes.Equal(in[off:off+len(raw)], raw) {
				allow(off, 16) // a new load command
				allow(16, 8)   // ncmds, sizeofcmds
			}
		case 0x19:
			if cstr(raw[8:24]) == "__LINKEDIT" {
				allow(off+32, 8) // vmsize
				allow(off+48, 8) // filesize
			}
		case 0x1:
			if cstr(raw[8:24]) == "__LINKEDIT" {
				allow(off+28, 4)
				allow(off+36, 4)
			}
		}
		off += len(raw)
	}
	for i := 0; i < codeLimit; i++ {
		var a byte
		if i < len(in) {
			a = in[i]
		}
		if a != out[i] && !allowed[i] {
			return fmt.Errorf("byte %d changed (%#x -> %#x) outside the signature's fields", i, a, out[i])
		}
	}
	return nil
}
