package codesign

import (
	"encoding/binary"
	"fmt"
)

// Mach-O constants, from <mach-o/loader.h>.
const (
	mhMagic   = 0xfeedface
	mhMagic64 = 0xfeedfacf
	mhCigam   = 0xcefaedfe
	mhCigam64 = 0xcffaedfe

	mhObject  = 0x1
	mhExecute = 0x2

	lcSegment          = 0x1
	lcSegment64        = 0x19
	lcCodeSignature    = 0x1d
	lcVersionMinMacOSX = 0x24
	lcVersionMinIPhone = 0x25
	lcBuildVersion     = 0x32

	platformMacOS = 1
	platformIOS   = 2

	cpuTypeARM64 = 0x0100000c

	sectionTypeMask   = 0xff
	sZerofill         = 0x1
	sGBZerofill       = 0xc
	sThreadLocalZero  = 0x12
	codeSignatureSize = 16 // LC_CODE_SIGNATURE (linkedit_data_command)
)

// segment is what the signer needs of one LC_SEGMENT(_64).
type segment struct {
	cmdOff   int // of its load command in the slice
	name     string
	vmsize   uint64
	fileoff  uint64
	filesize uint64
}

// image is a thin Mach-O slice, parsed as far as signing needs.
type image struct {
	bits       int // 32 or 64
	cpu        uint32
	filetype   uint32
	ncmds      uint32
	sizeofcmds uint32
	hdrSize    int

	text, linkedit *segment
	// sigCmdOff is the offset of LC_CODE_SIGNATURE's load command, or -1.
	sigCmdOff int
	sigOff    uint32
	sigSize   uint32
	// contentStart is the lowest file offset of section or segment content after the
	// header: the load commands may grow up to it.
	contentStart uint64
	// platform and minOS are from LC_BUILD_VERSION or LC_VERSION_MIN_* (0: none).
	platform uint32
	minOS    uint32
}

// parseImage reads the header and load commands of the thin Mach-O b.
func parseImage(b []byte) (*image, error) {
	if len(b) < 28 {
		return nil, fmt.Errorf("%w (%d bytes, too short for a Mach-O header)", ErrNotMachO, len(b))
	}
	le := binary.LittleEndian
	im := &image{sigCmdOff: -1, contentStart: uint64(len(b))}
	switch le.Uint32(b) {
	case mhMagic:
		im.bits, im.hdrSize = 32, 28
	case mhMagic64:
		im.bits, im.hdrSize = 64, 32
	case mhCigam, mhCigam64:
		return nil, fmt.Errorf("%w: a big-endian Mach-O (PowerPC) is not signed", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w (it starts with %#08x, not a Mach-O or universal magic)", ErrNotMachO, binary.BigEndian.Uint32(b))
	}
	if len(b) < im.hdrSize {
		return nil, fmt.Errorf("%w: the header is truncated", ErrMalformed)
	}
	im.cpu = le.Uint32(b[4:])
	im.filetype = le.Uint32(b[12:])
	im.ncmds = le.Uint32(b[16:])
	im.sizeofcmds = le.Uint32(b[20:])
	end := uint64(im.hdrSize) + uint64(im.sizeofcmds)
	if end > uint64(len(b)) {
		return nil, fmt.Errorf("%w: load commands (%d bytes) run past the end of the file", ErrMalformed, im.sizeofcmds)
	}
	off := im.hdrSize
	for i := range im.ncmds {
		if uint64(off)+8 > end {
			return nil, fmt.Errorf("%w: load command %d is outside sizeofcmds", ErrMalformed, i)
		}
		cmd, size := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		if size < 8 || uint64(off)+uint64(size) > end {
			return nil, fmt.Errorf("%w: load command %d (%#x) has size %d", ErrMalformed, i, cmd, size)
		}
		c := b[off : off+int(size)]
		if err := im.loadCommand(off, cmd, c); err != nil {
			return nil, fmt.Errorf("%w: load command %d (%#x): %v", ErrMalformed, i, cmd, err)
		}
		off += int(size)
	}
	if im.contentStart < end {
		return nil, fmt.Errorf("%w: content at %d overlaps the load commands (which end at %d)", ErrMalformed, im.contentStart, end)
	}
	return im, nil
}

// loadCommand records what signing needs of the load command c at off.
func (im *image) loadCommand(off int, cmd uint32, c []byte) error {
	le := binary.LittleEndian
	switch cmd {
	case lcSegment64, lcSegment:
		var s segment
		var nsects uint32
		var sects []byte
		var sectSize, sectOffAt, sectFlagsAt int
		if cmd == lcSegment64 {
			if len(c) < 72 {
				return fmt.Errorf("%d bytes", len(c))
			}
			s = segment{vmsize: le.Uint64(c[32:]), fileoff: le.Uint64(c[40:]), filesize: le.Uint64(c[48:])}
			nsects, sects, sectSize, sectOffAt, sectFlagsAt = le.Uint32(c[64:]), c[72:], 80, 48, 64
		} else {
			if len(c) < 56 {
				return fmt.Errorf("%d bytes", len(c))
			}
			s = segment{vmsize: uint64(le.Uint32(c[28:])), fileoff: uint64(le.Uint32(c[32:])), filesize: uint64(le.Uint32(c[36:]))}
			nsects, sects, sectSize, sectOffAt, sectFlagsAt = le.Uint32(c[48:]), c[56:], 68, 40, 56
		}
		s.cmdOff = off
		s.name = cString(c[8:24])
		if uint64(nsects)*uint64(sectSize) > uint64(len(sects)) {
			return fmt.Errorf("%d sections do not fit", nsects)
		}
		if s.filesize > 0 && s.fileoff > 0 {
			im.contentStart = min(im.contentStart, s.fileoff)
		}
		for i := range int(nsects) {
			sc := sects[i*sectSize:]
			t := le.Uint32(sc[sectFlagsAt:]) & sectionTypeMask
			if o := uint64(le.Uint32(sc[sectOffAt:])); o > 0 && t != sZerofill && t != sGBZerofill && t != sThreadLocalZero {
				im.contentStart = min(im.contentStart, o)
			}
		}
		switch s.name {
		case "__TEXT":
			im.text = &s
		case "__LINKEDIT":
			im.linkedit = &s
		}
	case lcCodeSignature:
		if len(c) < codeSignatureSize {
			return fmt.Errorf("%d bytes", len(c))
		}
		im.sigCmdOff = off
		im.sigOff, im.sigSize = le.Uint32(c[8:]), le.Uint32(c[12:])
	case lcBuildVersion:
		if len(c) >= 16 && im.platform == 0 {
			im.platform, im.minOS = le.Uint32(c[8:]), le.Uint32(c[12:])
		}
	case lcVersionMinMacOSX, lcVersionMinIPhone:
		if len(c) >= 12 && im.platform == 0 {
			im.platform, im.minOS = platformMacOS, le.Uint32(c[8:])
			if cmd == lcVersionMinIPhone {
				im.platform = platformIOS
			}
		}
	}
	return nil
}

// cString is b up to its first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// segmentPage is the page size the kernel maps a slice's segments with: 16 KiB for
// arm64, 4 KiB for the others.
func (im *image) segmentPage() uint64 {
	if im.cpu == cpuTypeARM64 {
		return 0x4000
	}
	return 0x1000
}

// needsSHA1 reports whether the slice's minimum OS predates SHA-256 code directories,
// so that a SHA-1 CodeDirectory must come first and the SHA-256 one is an alternate:
// macOS before 10.11.4 and iOS before 11 (the rule of Apple's codesign and of
// rcodesign, the apple-codesign crate's digest selection). No minimum OS recorded:
// SHA-256 only, as codesign for a current SDK.
func (im *image) needsSHA1() bool {
	switch im.platform {
	case platformMacOS:
		return im.minOS != 0 && im.minOS < 0x000a0b04
	case platformIOS:
		return im.minOS != 0 && im.minOS < 0x000b0000
	}
	return false
}
