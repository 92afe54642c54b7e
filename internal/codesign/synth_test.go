package codesign

import (
	"encoding/binary"
	"math/rand/v2"
)

// synth describes a small hand-made Mach-O executable: a __TEXT segment with one
// section, a __LINKEDIT segment, optionally a minimum macOS version.
type synth struct {
	bits     int    // 32 or 64
	cpu      uint32 // Mach-O CPU type
	pad      int    // free bytes between the load commands and the first section
	minOS    uint32 // LC_VERSION_MIN_MACOSX's version (0: none)
	filetype uint32
	code     int // bytes of the section
	linkedit int // bytes of __LINKEDIT
	seed     uint64
}

// build writes the Mach-O synth describes.
func (s synth) build() []byte {
	le := binary.LittleEndian
	hdr, segSize, sectSize, segCmd := 32, 72, 80, uint32(0x19)
	if s.bits == 32 {
		hdr, segSize, sectSize, segCmd = 28, 56, 68, 0x1
	}
	ncmds, sizeofcmds := 2, segSize+sectSize+segSize
	if s.minOS != 0 {
		ncmds++
		sizeofcmds += 16
	}
	sectOff := hdr + sizeofcmds + s.pad
	textSize := (sectOff + s.code + 4095) &^ 4095
	b := make([]byte, textSize+s.linkedit)
	r := rand.New(rand.NewPCG(s.seed, 1))
	for i := sectOff; i < sectOff+s.code; i++ {
		b[i] = byte(r.Uint32())
	}
	for i := textSize; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	le.PutUint32(b, map[int]uint32{32: 0xfeedface, 64: 0xfeedfacf}[s.bits])
	le.PutUint32(b[4:], s.cpu)
	le.PutUint32(b[12:], s.filetype)
	le.PutUint32(b[16:], uint32(ncmds))
	le.PutUint32(b[20:], uint32(sizeofcmds))
	at := hdr
	seg := func(name string, vmaddr, fileoff, filesize uint64, nsects int) {
		c := b[at:]
		le.PutUint32(c, segCmd)
		le.PutUint32(c[4:], uint32(segSize+nsects*sectSize))
		copy(c[8:24], name)
		if s.bits == 64 {
			le.PutUint64(c[24:], vmaddr)
			le.PutUint64(c[32:], (filesize+0x3fff)&^0x3fff)
			le.PutUint64(c[40:], fileoff)
			le.PutUint64(c[48:], filesize)
			le.PutUint32(c[64:], uint32(nsects))
		} else {
			le.PutUint32(c[24:], uint32(vmaddr))
			le.PutUint32(c[28:], uint32((filesize+0x3fff)&^0x3fff))
			le.PutUint32(c[32:], uint32(fileoff))
			le.PutUint32(c[36:], uint32(filesize))
			le.PutUint32(c[48:], uint32(nsects))
		}
		at += segSize
	}
	seg("__TEXT", 0x100000000, 0, uint64(textSize), 1)
	sc := b[at:]
	copy(sc[0:16], "__text")
	copy(sc[16:32], "__TEXT")
	if s.bits == 64 {
		le.PutUint64(sc[32:], 0x100000000+uint64(sectOff))
		le.PutUint64(sc[40:], uint64(s.code))
		le.PutUint32(sc[48:], uint32(sectOff))
	} else {
		le.PutUint32(sc[32:], uint32(sectOff))
		le.PutUint32(sc[36:], uint32(s.code))
		le.PutUint32(sc[40:], uint32(sectOff))
	}
	at += sectSize
	seg("__LINKEDIT", 0x100000000+uint64(textSize), uint64(textSize), uint64(s.linkedit), 0)
	if s.minOS != 0 {
		le.PutUint32(b[at:], 0x24)
		le.PutUint32(b[at+4:], 16)
		le.PutUint32(b[at+8:], s.minOS)
		at += 16
	}
	return b
}

// fat builds a universal file of the members, each aligned to 2^align.
func fat(align uint32, members ...[]byte) []byte {
	be := binary.BigEndian
	hdr := 8 + 20*len(members)
	off := hdr
	var offs []int
	for _, m := range members {
		off = (off + 1<<align - 1) &^ (1<<align - 1)
		offs = append(offs, off)
		off += len(m)
	}
	b := make([]byte, off)
	be.PutUint32(b, 0xcafebabe)
	be.PutUint32(b[4:], uint32(len(members)))
	for i, m := range members {
		e := b[8+20*i:]
		be.PutUint32(e, binary.LittleEndian.Uint32(m[4:]))
		be.PutUint32(e[4:], binary.LittleEndian.Uint32(m[8:]))
		be.PutUint32(e[8:], uint32(offs[i]))
		be.PutUint32(e[12:], uint32(len(m)))
		be.PutUint32(e[16:], align)
		copy(b[offs[i]:], m)
	}
	return b
}
