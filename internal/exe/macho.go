package exe

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
)

// Mach-O constants, from Apple's <mach-o/loader.h>, <mach-o/fat.h> and <mach/machine.h>
// (the same values as Go's debug/macho and cmd/internal/macho).
const (
	mhMagic    = 0xfeedface // 32-bit, in the file's byte order
	mhCigam    = 0xcefaedfe // 32-bit, byte-swapped
	mhMagic64  = 0xfeedfacf
	mhCigam64  = 0xcffaedfe
	fatMagic   = 0xcafebabe // universal, always big-endian
	fatMagic64 = 0xcafebabf // universal with 64-bit offsets and sizes

	mhObject  = 0x1
	mhExecute = 0x2
	mhCore    = 0x4
	mhDylib   = 0x6
	mhBundle  = 0x8
	mhDsym    = 0xa

	mhPIE = 0x200000

	lcSymtab            = 0x2
	lcDysymtab          = 0xb
	lcLoadDylib         = 0xc
	lcLoadDylinker      = 0xe
	lcCodeSignature     = 0x1d
	lcLazyLoadDylib     = 0x20
	lcVersionMinMacOSX  = 0x24
	lcVersionMinIPhone  = 0x25
	lcVersionMinTVOS    = 0x2f
	lcVersionMinWatchOS = 0x30
	lcBuildVersion      = 0x32
	lcLoadWeakDylib     = 0x80000018
	lcReexportDylib     = 0x8000001f
	lcLoadUpwardDylib   = 0x80000023

	// CPU types: debug/macho's, and arm64_32 (CPU_ARCH_ABI64_32), which it lacks.
	// internal/arch's table holds them too; its tests check that exe agrees.
	cpuArch64_32  = 0x02000000
	cpuTypeX86    = uint32(macho.Cpu386)
	cpuTypeX86_64 = uint32(macho.CpuAmd64)
	cpuTypeARM    = uint32(macho.CpuArm)
	cpuTypeARM64  = uint32(macho.CpuArm64)
	cpuARM64_32   = cpuTypeARM | cpuArch64_32
	cpuTypePPC    = uint32(macho.CpuPpc)
	cpuTypePPC64  = uint32(macho.CpuPpc64)

	// cpuSubtypeMask selects the capability bits of a CPU subtype (arm64e's
	// pointer-authentication ABI version lives there); the rest is the subtype.
	cpuSubtypeMask = 0xff000000
)

// Limits on what a header may ask us to read. Real files are far below them; hostile
// ones must not make us allocate or loop without bound.
const (
	maxLoadCommands = 16 << 20 // bytes of load commands read into memory
	maxLibraries    = 4096     // dylibs listed per slice
)

// isMachO reports whether magic starts a thin Mach-O file (32 or 64 bits, either byte
// order).
func isMachO(magic []byte) bool {
	if len(magic) < 4 {
		return false
	}
	switch binary.LittleEndian.Uint32(magic) {
	case mhMagic, mhCigam, mhMagic64, mhCigam64:
		return true
	}
	return false
}

// readMachO reads a thin Mach-O image of size bytes. It never panics: a malformed image
// gives a Slice with Error set and whatever was read before the problem.
func readMachO(ra io.ReaderAt, size int64) (s Slice) {
	s = Slice{Arch: "unknown", Kind: KindOther, Size: size, ra: ra}
	defer func() {
		if r := recover(); r != nil {
			s.setErr(fmt.Errorf("Mach-O: %w: %v", ErrInternal, r))
		}
	}()
	if err := parseMachO(ra, size, &s); err != nil {
		s.setErr(asFormatError("Mach-O", err))
	}
	return s
}

// MachOHeader is the raw mach_header of a Mach-O slice, with the alignment lipo gives
// the slice in a universal file: what writing a universal file needs.
type MachOHeader struct {
	CPUType    uint32
	CPUSubtype uint32
	FileType   uint32
	// P2Align is log2 of the alignment llvm-lipo gives the slice
	// (MachOUniversalWriter.cpp, calculateFileAlignment): for an object file the largest
	// section alignment of each segment command (at least 2^2), otherwise the number of
	// trailing zero bits of each segment's vmaddr; the smallest over the segments,
	// clamped to [2, 15]. For Go's binaries this is 2^14 for arm64 and 2^12 for x86-64,
	// as cctools lipo gives them.
	P2Align uint32
}

// maxP2Align is the largest slice alignment (2^15) lipo uses.
const maxP2Align = 15

// machoHeader is the part of mach_header(_64) we use.
type machoHeader struct {
	bo         binary.ByteOrder
	bits       int
	cpu        uint32
	subcpu     uint32
	filetype   uint32
	ncmds      uint32
	sizeofcmds uint32
	flags      uint32
}

func readMachOHeader(ra io.ReaderAt, size int64) (machoHeader, error) {
	var h machoHeader
	var b [32]byte
	if n, err := ra.ReadAt(b[:], 0); n < 28 {
		return h, readErr("Mach-O", "header", 0, 28, size, err)
	}
	switch binary.LittleEndian.Uint32(b[:]) {
	case mhMagic:
		h.bo, h.bits = binary.LittleEndian, 32
	case mhMagic64:
		h.bo, h.bits = binary.LittleEndian, 64
	case mhCigam:
		h.bo, h.bits = binary.BigEndian, 32
	case mhCigam64:
		h.bo, h.bits = binary.BigEndian, 64
	default:
		return h, errors.New("bad magic")
	}
	if h.bits == 64 && size < 32 {
		return h, truncated("Mach-O", "header", 0, 32, size)
	}
	h.cpu = h.bo.Uint32(b[4:])
	h.subcpu = h.bo.Uint32(b[8:])
	h.filetype = h.bo.Uint32(b[12:])
	h.ncmds = h.bo.Uint32(b[16:])
	h.sizeofcmds = h.bo.Uint32(b[20:])
	h.flags = h.bo.Uint32(b[24:])
	return h, nil
}

func parseMachO(ra io.ReaderAt, size int64, s *Slice) error {
	h, err := readMachOHeader(ra, size)
	if err != nil {
		return err
	}
	s.Bits = h.bits
	s.ByteOrder = "little"
	if h.bo == binary.BigEndian {
		s.ByteOrder = "big"
	}
	s.Arch, s.CPU = machoCPU(h.cpu, h.subcpu)
	s.MachO = &MachOHeader{CPUType: h.cpu, CPUSubtype: h.subcpu, FileType: h.filetype}
	p2min := uint32(maxP2Align)
	defer func() { s.MachO.P2Align = max(2, min(p2min, maxP2Align)) }()
	switch h.filetype {
	case mhExecute:
		s.Kind = KindExecutable
	case mhDylib:
		s.Kind = KindSharedLib
	case mhBundle:
		s.Kind = KindBundle
	case mhObject:
		s.Kind = KindObject
	case mhCore:
		s.Kind = KindCore
	case mhDsym:
		s.Kind = KindOther
		s.Notes = append(s.Notes, "MH_DSYM: debug symbols of another image")
	default:
		s.Kind = KindOther
		s.Notes = append(s.Notes, fmt.Sprintf("Mach-O file type %#x", h.filetype))
	}
	s.PIE = KnownFact(h.flags&mhPIE != 0)
	s.OS = "darwin"
	// Until a load command says otherwise the slice has no signature.
	s.Signature = &Signature{Problem: "no LC_CODE_SIGNATURE", Valid: KnownFact(false)}

	hdrSize := int64(28)
	if h.bits == 64 {
		hdrSize = 32
	}
	// Until the load commands are read, whether it is signed is unknown.
	unread := func(err error) error {
		s.Signature = &Signature{Problem: unknownPrefix + "the load commands could not be read", Valid: UnknownFact[bool]("the load commands could not be read")}
		s.Stripped = UnknownFact[bool]("the load commands could not be read")
		return err
	}
	if int64(h.sizeofcmds) > size-hdrSize {
		return unread(truncated("Mach-O", "load commands", hdrSize, int64(h.sizeofcmds), size))
	}
	if h.sizeofcmds > maxLoadCommands {
		return unread(fmt.Errorf("load commands take %d bytes, more than the %d this tool reads", h.sizeofcmds, maxLoadCommands))
	}
	if uint64(h.ncmds)*8 > uint64(h.sizeofcmds) {
		return unread(fmt.Errorf("%d load commands cannot fit in %d bytes", h.ncmds, h.sizeofcmds))
	}
	cmds := make([]byte, h.sizeofcmds)
	if n, err := ra.ReadAt(cmds, hdrSize); n < len(cmds) {
		return unread(readErr("Mach-O", "load commands", hdrSize, int64(len(cmds)), size, err))
	}

	var (
		haveSymtab, haveDysymtab bool
		nsyms, nlocal, nextdef   uint32
		platformSeen             bool
		sigOff, sigSize          uint32
		haveSig, namelessDylib   bool
		droppedLibs              int
		cmdErr                   error
	)
	for i, off := uint32(0), uint32(0); i < h.ncmds; i++ {
		if len(cmds)-int(off) < 8 {
			cmdErr = fmt.Errorf("load command %d truncated", i)
			break
		}
		c := cmds[off:]
		cmd, cmdsize := h.bo.Uint32(c), h.bo.Uint32(c[4:])
		if cmdsize < 8 || uint64(cmdsize) > uint64(len(c)) {
			cmdErr = fmt.Errorf("load command %d (%#x) has bad size %d", i, cmd, cmdsize)
			break
		}
		c = c[:cmdsize]
		off += cmdsize
		switch cmd {
		case 0x1, 0x19: // LC_SEGMENT, LC_SEGMENT_64
			hdr, sect, alignAt, addrAt, nsAt := 56, 68, 44, 24, 48
			if cmd == 0x19 {
				hdr, sect, alignAt, addrAt, nsAt = 72, 80, 52, 24, 64
			}
			if len(c) < hdr {
				break
			}
			var cur uint32
			if h.filetype == mhObject {
				ns := int(h.bo.Uint32(c[nsAt:]))
				cur = maxP2Align
				if ns > 0 {
					cur = 2
				}
				for j := 0; j < ns && hdr+sect*(j+1) <= len(c); j++ {
					cur = max(cur, h.bo.Uint32(c[hdr+sect*j+alignAt:]))
				}
			} else {
				var addr uint64
				if cmd == 0x19 {
					addr = h.bo.Uint64(c[addrAt:])
				} else {
					addr = uint64(h.bo.Uint32(c[addrAt:]))
				}
				cur = uint32(min(bits.TrailingZeros64(addr), maxP2Align))
				if addr == 0 && cmd == 0x1 {
					cur = maxP2Align
				}
			}
			p2min = min(p2min, cur)
		case lcSymtab:
			if len(c) >= 24 {
				haveSymtab = true
				nsyms = h.bo.Uint32(c[12:])
			}
		case lcDysymtab:
			if len(c) >= 24 {
				haveDysymtab = true
				nlocal = h.bo.Uint32(c[12:])
				nextdef = h.bo.Uint32(c[20:])
			}
		case lcLoadDylib, lcLoadWeakDylib, lcReexportDylib, lcLazyLoadDylib, lcLoadUpwardDylib:
			name := lcString(h.bo, c, 8)
			switch {
			case name == "":
				if !namelessDylib {
					namelessDylib = true
					s.Notes = append(s.Notes, fmt.Sprintf("load command %d: dylib without a name", i))
				}
				continue
			case len(s.Libraries) >= maxLibraries:
				droppedLibs++
				continue
			}
			lib := Library{Name: name, Weak: cmd == lcLoadWeakDylib}
			// macOS ships its libraries only under /usr/lib and /System/Library.
			lib.System = KnownFact(machoSystemLibrary(name))
			s.Libraries = append(s.Libraries, lib)
		case lcLoadDylinker:
			s.Interpreter = lcString(h.bo, c, 8)
		case lcCodeSignature:
			if len(c) >= 16 {
				haveSig = true
				sigOff, sigSize = h.bo.Uint32(c[8:]), h.bo.Uint32(c[12:])
			}
		case lcBuildVersion:
			if len(c) >= 24 && !platformSeen {
				platformSeen = true
				machoPlatform(s, h.bo.Uint32(c[8:]))
				s.MinOS = machoVersion(h.bo.Uint32(c[12:]))
				s.SDK = machoVersion(h.bo.Uint32(c[16:]))
			}
		case lcVersionMinMacOSX, lcVersionMinIPhone, lcVersionMinTVOS, lcVersionMinWatchOS:
			if len(c) >= 16 && !platformSeen {
				platformSeen = true
				switch cmd {
				case lcVersionMinMacOSX:
					s.OS = "darwin"
				case lcVersionMinIPhone:
					s.OS = "ios"
				case lcVersionMinTVOS:
					s.OS = "tvos"
				case lcVersionMinWatchOS:
					s.OS = "watchos"
				}
				s.MinOS = machoVersion(h.bo.Uint32(c[8:]))
				if sdk := h.bo.Uint32(c[12:]); sdk != 0 {
					s.SDK = machoVersion(sdk)
				}
			}
		}
	}
	if droppedLibs > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d more libraries are not listed", droppedLibs))
	}
	if !platformSeen && s.Kind.Runnable() {
		s.Notes = append(s.Notes, "no LC_BUILD_VERSION or LC_VERSION_MIN_* load command: OS assumed to be macOS")
	}
	// Stripped: strip(1) removes the local symbols (ld64's debug-map STABS are local
	// too) and, in an executable, every defined external symbol but
	// __mh_execute_header; Go's -s leaves only the undefined (imported) ones. A
	// library keeps its exports, an object its definitions. Without LC_DYSYMTAB, an
	// empty symbol table.
	switch {
	case cmdErr != nil && !haveSymtab:
		s.Stripped = UnknownFact[bool]("the load commands could not all be read")
	case !haveSymtab || nsyms == 0:
		s.Stripped = KnownFact(true)
	case haveDysymtab:
		switch s.Kind {
		case KindExecutable:
			s.Stripped = KnownFact(nlocal == 0 && nextdef <= 1)
		case KindObject:
			s.Stripped = KnownFact(nlocal == 0 && nextdef == 0)
		default:
			s.Stripped = KnownFact(nlocal == 0)
		}
	default:
		s.Stripped = KnownFact(false)
	}
	if s.Kind.Runnable() {
		s.Static = s.Interpreter == "" && len(s.Libraries) == 0
	}
	if haveSig {
		s.Signature = verifySignature(ra, size, sigOff, sigSize)
	}
	return cmdErr
}

// lcString returns the NUL-terminated string of a load command whose lc_str offset is
// at byte at of the command.
func lcString(bo binary.ByteOrder, c []byte, at int) string {
	if len(c) < at+4 {
		return ""
	}
	off := bo.Uint32(c[at:])
	if off < uint32(at+4) || off >= uint32(len(c)) {
		return ""
	}
	b := c[off:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// machoSystemLibrary reports whether a dylib is part of the OS. On macOS 11 and later
// these are in the dyld shared cache, not on disk.
func machoSystemLibrary(name string) bool {
	return strings.HasPrefix(name, "/usr/lib/") || strings.HasPrefix(name, "/System/Library/")
}

// machoVersion formats a Mach-O xxxx.yy.zz version (nibbles X<<16 | Y<<8 | Z).
func machoVersion(v uint32) string {
	x, y, z := v>>16, v>>8&0xff, v&0xff
	if z != 0 {
		return fmt.Sprintf("%d.%d.%d", x, y, z)
	}
	return fmt.Sprintf("%d.%d", x, y)
}

// machoPlatform sets s.OS from an LC_BUILD_VERSION platform (PLATFORM_* in
// <mach-o/loader.h>). Platforms Go has no GOOS for get a lowercase name of their own.
func machoPlatform(s *Slice, p uint32) {
	switch p {
	case 1:
		s.OS = "darwin"
	case 2:
		s.OS = "ios"
	case 3:
		s.OS = "tvos"
	case 4:
		s.OS = "watchos"
	case 5:
		s.OS = "bridgeos"
	case 6:
		s.OS = "ios"
		s.Notes = append(s.Notes, "platform Mac Catalyst: an iOS app built to run on macOS")
	case 7:
		s.OS = "ios"
		s.Notes = append(s.Notes, "platform iOS simulator")
	case 8:
		s.OS = "tvos"
		s.Notes = append(s.Notes, "platform tvOS simulator")
	case 9:
		s.OS = "watchos"
		s.Notes = append(s.Notes, "platform watchOS simulator")
	case 10:
		s.OS = "driverkit"
	case 11:
		s.OS = "visionos"
	case 12:
		s.OS = "visionos"
		s.Notes = append(s.Notes, "platform visionOS simulator")
	default:
		s.OS = ""
		s.Notes = append(s.Notes, fmt.Sprintf("unknown LC_BUILD_VERSION platform %d", p))
	}
}

// MachOCPU returns the GOARCH name ("unknown" when Go has none) and Apple's name of a
// Mach-O CPU type and subtype (x86_64, x86_64h, arm64, arm64e, i386, armv7 ...).
func MachOCPU(cpu, subcpu uint32) (arch, name string) { return machoCPU(cpu, subcpu) }

// ReadMachOHeader reads the mach_header of a thin Mach-O image of size bytes (P2Align
// is left 0: it needs the load commands, which Read reads). The error is a
// *FormatError, or wraps ErrNotExecutable when ra does not start with a thin Mach-O
// magic.
func ReadMachOHeader(ra io.ReaderAt, size int64) (*MachOHeader, error) {
	var magic [4]byte
	if n, _ := ra.ReadAt(magic[:], 0); n < 4 || !isMachO(magic[:]) {
		return nil, fmt.Errorf("%w (not a thin Mach-O file)", ErrNotExecutable)
	}
	h, err := readMachOHeader(ra, size)
	if err != nil {
		return nil, err
	}
	return &MachOHeader{CPUType: h.cpu, CPUSubtype: h.subcpu, FileType: h.filetype}, nil
}

// machoCPU returns the GOARCH name ("unknown" when Go has none) and Apple's name of a
// CPU type and subtype.
func machoCPU(cpu, subcpu uint32) (arch, name string) {
	sub := subcpu &^ cpuSubtypeMask
	switch cpu {
	case cpuTypeX86:
		return "386", "i386"
	case cpuTypeX86_64:
		if sub == 8 {
			return "amd64", "x86_64h"
		}
		return "amd64", "x86_64"
	case cpuTypeARM64:
		switch sub {
		case 1:
			return "arm64", "arm64v8"
		case 2:
			return "arm64", "arm64e"
		}
		return "arm64", "arm64"
	case cpuARM64_32:
		return "unknown", "arm64_32"
	case cpuTypeARM:
		names := [...]string{5: "armv4t", 6: "armv6", 7: "armv5", 8: "xscale", 9: "armv7",
			10: "armv7f", 11: "armv7s", 12: "armv7k", 13: "armv8", 14: "armv6m", 15: "armv7m", 16: "armv7em"}
		if sub < uint32(len(names)) && names[sub] != "" {
			return "arm", names[sub]
		}
		return "arm", "arm"
	case cpuTypePPC:
		return "ppc", "ppc"
	case cpuTypePPC64:
		return "ppc64", "ppc64"
	}
	return "unknown", fmt.Sprintf("cputype(%d,%d)", int32(cpu), int32(subcpu))
}
