package exe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// PE limits: a PE has at most 96 sections (the loader's limit); the import tables
// are capped so a hostile file cannot make the reader loop for long.
const (
	peMaxSections = 96
	peMaxImports  = 4096
	peMaxName     = 256
)

// peSection is one entry of a PE section table.
type peSection struct {
	name           string
	virtualSize    uint32
	virtualAddress uint32
	rawSize        uint32
	rawOffset      uint32
}

// peHeader is what readPE and readGo need from a PE's headers.
type peHeader struct {
	machine         uint16
	characteristics uint16
	bits            int
	dllChars        uint16
	subsystem       uint16
	subsysVersion   string
	symbols         uint32 // COFF symbol table offset (0: none)
	nsymbols        uint32
	dirs            [][2]uint32 // data directories: RVA, size
	sections        []peSection
}

// readPE reads a PE image.
func readPE(ra io.ReaderAt, size int64) (s Slice) {
	s = Slice{Arch: "unknown", Kind: KindOther, Size: size, ra: ra, OS: "windows", ByteOrder: "little"}
	defer func() {
		if r := recover(); r != nil {
			s.Error = fmt.Sprintf("PE: malformed file (parser panic: %v)", r)
		}
	}()
	h, err := readPEHeader(ra, size)
	if err != nil {
		s.setErr(asFormatError("PE", err))
		s.PIE = UnknownFact[bool]("the PE headers could not be read")
		s.Stripped = UnknownFact[bool]("the PE headers could not be read")
		if h == nil {
			s.OS = ""
		}
		return s
	}
	s.Arch, s.CPU = peArch(h.machine)
	s.Bits = h.bits
	const (
		fileExecutable   = 0x0002
		fileDLL          = 0x2000
		dllDynamicBase   = 0x0040
		subsystemEFIMin  = 10
		subsystemEFIMax  = 13
		subsystemWindows = 2
		subsystemConsole = 3
	)
	switch {
	case h.characteristics&fileDLL != 0:
		s.Kind = KindSharedLib
	case h.characteristics&fileExecutable != 0:
		s.Kind = KindExecutable
	default:
		s.Kind = KindObject
	}
	s.PIE = KnownFact(h.dllChars&dllDynamicBase != 0 && s.Kind == KindExecutable)
	s.Stripped = KnownFact(h.symbols == 0 || h.nsymbols == 0)
	switch {
	case h.subsystem == subsystemConsole:
		s.Notes = append(s.Notes, "subsystem console "+h.subsysVersion)
	case h.subsystem == subsystemWindows:
		s.Notes = append(s.Notes, "subsystem windows (GUI) "+h.subsysVersion)
	case h.subsystem >= subsystemEFIMin && h.subsystem <= subsystemEFIMax:
		s.OS = "uefi"
		s.Notes = append(s.Notes, "EFI application or driver (subsystem "+fmt.Sprint(h.subsystem)+")")
	}

	var errs []error
	libs, err := peImports(ra, size, h, 1, 20, false) // IMAGE_DIRECTORY_ENTRY_IMPORT
	if err != nil {
		errs = append(errs, fmt.Errorf("import table: %w", err))
	}
	delayed, err := peImports(ra, size, h, 13, 32, true) // IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT
	if err != nil {
		errs = append(errs, fmt.Errorf("delay-load import table: %w", err))
	}
	s.Libraries = append(libs, delayed...)
	s.Static = len(s.Libraries) == 0
	if err := errors.Join(errs...); err != nil {
		s.setErr(asFormatError("PE", err))
	}
	return s
}

// readPEHeader reads the headers and section table of a PE image. A nil header
// means the file is not PE at all.
func readPEHeader(ra io.ReaderAt, size int64) (*peHeader, error) {
	var dos [64]byte
	if _, err := ra.ReadAt(dos[:], 0); err != nil {
		return nil, readErr("PE", "MS-DOS header", 0, 64, size, err)
	}
	lfanew := int64(binary.LittleEndian.Uint32(dos[0x3c:]))
	var sig [4 + 20]byte
	if lfanew+int64(len(sig)) > size {
		return nil, truncated("PE", "PE signature and COFF header", lfanew, int64(len(sig)), size)
	}
	if _, err := ra.ReadAt(sig[:], lfanew); err != nil {
		return nil, readErr("PE", "COFF header", lfanew, int64(len(sig)), size, err)
	}
	if !bytes.Equal(sig[:4], []byte("PE\x00\x00")) {
		return nil, errors.New("no PE signature (an MS-DOS executable?)")
	}
	coff := sig[4:]
	h := &peHeader{
		machine:         binary.LittleEndian.Uint16(coff[0:]),
		symbols:         binary.LittleEndian.Uint32(coff[8:]),
		nsymbols:        binary.LittleEndian.Uint32(coff[12:]),
		characteristics: binary.LittleEndian.Uint16(coff[18:]),
	}
	nsections := int(binary.LittleEndian.Uint16(coff[2:]))
	optSize := int64(binary.LittleEndian.Uint16(coff[16:]))
	optOff := lfanew + int64(len(sig))
	if optOff+optSize > size {
		return h, truncated("PE", "optional header", optOff, optSize, size)
	}
	opt := make([]byte, optSize)
	if _, err := ra.ReadAt(opt, optOff); err != nil {
		return h, readErr("PE", "optional header", optOff, optSize, size, err)
	}
	if len(opt) >= 2 {
		var dirsAt, countAt int
		switch binary.LittleEndian.Uint16(opt) {
		case 0x10b: // PE32
			h.bits, countAt, dirsAt = 32, 92, 96
		case 0x20b: // PE32+
			h.bits, countAt, dirsAt = 64, 108, 112
		default:
			return h, fmt.Errorf("unknown optional header magic %#x", binary.LittleEndian.Uint16(opt))
		}
		if len(opt) >= 72 {
			h.subsysVersion = fmt.Sprintf("%d.%d", binary.LittleEndian.Uint16(opt[48:]), binary.LittleEndian.Uint16(opt[50:]))
			h.subsystem = binary.LittleEndian.Uint16(opt[68:])
			h.dllChars = binary.LittleEndian.Uint16(opt[70:])
		}
		if len(opt) >= countAt+4 {
			n := int(binary.LittleEndian.Uint32(opt[countAt:]))
			for i := 0; i < n && i < 16 && dirsAt+8*i+8 <= len(opt); i++ {
				at := dirsAt + 8*i
				h.dirs = append(h.dirs, [2]uint32{binary.LittleEndian.Uint32(opt[at:]), binary.LittleEndian.Uint32(opt[at+4:])})
			}
		}
	}
	if nsections > peMaxSections {
		return h, fmt.Errorf("%d sections (more than the loader's %d)", nsections, peMaxSections)
	}
	secs := make([]byte, 40*nsections)
	if _, err := ra.ReadAt(secs, optOff+optSize); err != nil {
		return h, readErr("PE", fmt.Sprintf("section table (%d entries)", nsections), optOff+optSize, int64(len(secs)), size, err)
	}
	for i := range nsections {
		b := secs[40*i:]
		h.sections = append(h.sections, peSection{
			name:           string(bytes.TrimRight(b[:8], "\x00")),
			virtualSize:    binary.LittleEndian.Uint32(b[8:]),
			virtualAddress: binary.LittleEndian.Uint32(b[12:]),
			rawSize:        binary.LittleEndian.Uint32(b[16:]),
			rawOffset:      binary.LittleEndian.Uint32(b[20:]),
		})
	}
	return h, nil
}

// offset maps a relative virtual address to a file offset.
func (h *peHeader) offset(rva uint32) (int64, bool) {
	for _, s := range h.sections {
		n := max(s.virtualSize, s.rawSize)
		if rva >= s.virtualAddress && rva-s.virtualAddress < n {
			d := rva - s.virtualAddress
			if d >= s.rawSize {
				return 0, false // in the zero-filled tail
			}
			return int64(s.rawOffset) + int64(d), true
		}
	}
	return 0, false
}

// peImports lists the DLLs named by the import directory dir, whose descriptors are
// descSize bytes with the name's RVA at nameAt (4 for delay-load, 12 for imports).
func peImports(ra io.ReaderAt, size int64, h *peHeader, dir, descSize int, weak bool) ([]Library, error) {
	if dir >= len(h.dirs) || h.dirs[dir][0] == 0 {
		return nil, nil
	}
	nameAt := 12
	if weak {
		nameAt = 4
	}
	off, ok := h.offset(h.dirs[dir][0])
	if !ok {
		return nil, fmt.Errorf("RVA %#x not in any section", h.dirs[dir][0])
	}
	var libs []Library
	desc := make([]byte, descSize)
	for i := 0; ; i++ {
		if i == peMaxImports {
			return libs, fmt.Errorf("more than %d imported DLLs", peMaxImports)
		}
		at := off + int64(i*descSize)
		if at+int64(descSize) > size {
			return libs, errors.New("truncated")
		}
		if _, err := ra.ReadAt(desc, at); err != nil {
			return libs, eofAsUnexpected(err)
		}
		if allZero(desc) {
			return libs, nil
		}
		rva := binary.LittleEndian.Uint32(desc[nameAt:])
		noff, ok := h.offset(rva)
		if !ok {
			return libs, fmt.Errorf("DLL name RVA %#x not in any section", rva)
		}
		name, err := cString(ra, noff, peMaxName)
		if err != nil {
			return libs, err
		}
		lib := Library{Name: name, Weak: weak}
		if peSystemLibrary(name) {
			lib.System = KnownFact(true)
		} else {
			lib.System = UnknownFact[bool]("not on the known list of system DLLs: Windows ships many more")
		}
		libs = append(libs, lib)
	}
}

// cString reads a NUL-terminated string of at most max bytes at off.
func cString(ra io.ReaderAt, off int64, max int) (string, error) {
	if c, ok := ra.(*readCache); ok {
		return c.cString(off, max)
	}
	b := make([]byte, max)
	n, err := ra.ReadAt(b, off)
	b = b[:n]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i]), nil
	}
	if err != nil {
		return "", fmt.Errorf("read string at %d: %w", off, eofAsUnexpected(err))
	}
	return "", fmt.Errorf("string at %d longer than %d bytes", off, max)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// peSystemLibrary reports whether a DLL is part of Windows: the Win32 API, the
// API sets and the C runtimes that ship with Windows 10 and later.
func peSystemLibrary(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "api-ms-win-") || strings.HasPrefix(n, "ext-ms-") {
		return true
	}
	switch n {
	case "kernel32.dll", "kernelbase.dll", "ntdll.dll", "user32.dll", "gdi32.dll", "advapi32.dll",
		"shell32.dll", "ole32.dll", "oleaut32.dll", "ws2_32.dll", "winmm.dll", "msvcrt.dll",
		"ucrtbase.dll", "comctl32.dll", "comdlg32.dll", "crypt32.dll", "bcrypt.dll",
		"bcryptprimitives.dll", "secur32.dll", "sspicli.dll", "iphlpapi.dll", "dnsapi.dll",
		"netapi32.dll", "userenv.dll", "version.dll", "shlwapi.dll", "psapi.dll", "dbghelp.dll",
		"setupapi.dll", "rpcrt4.dll", "wintrust.dll", "winhttp.dll", "wininet.dll", "mswsock.dll",
		"powrprof.dll", "imm32.dll", "uxtheme.dll", "dwmapi.dll", "opengl32.dll", "d3d11.dll",
		"dxgi.dll", "winspool.drv", "ncrypt.dll", "normaliz.dll", "mpr.dll", "wtsapi32.dll",
		"cfgmgr32.dll", "synchronization.dll":
		return true
	}
	return false
}

// peArch maps IMAGE_FILE_MACHINE_* to a GOARCH name and the format's name.
func peArch(m uint16) (arch, name string) {
	switch m {
	case 0x8664:
		return "amd64", "AMD64"
	case 0xaa64:
		return "arm64", "ARM64"
	case 0xa641:
		return "arm64", "ARM64EC"
	case 0x14c:
		return "386", "I386"
	case 0x1c4:
		return "arm", "ARMNT"
	case 0x1c0:
		return "arm", "ARM"
	case 0x1c2:
		return "arm", "THUMB"
	case 0x5032:
		return "riscv", "RISCV32"
	case 0x5064:
		return "riscv64", "RISCV64"
	case 0x6264:
		return "loong64", "LOONGARCH64"
	case 0x200:
		return "ia64", "IA64"
	}
	return "unknown", fmt.Sprintf("%#x", m)
}
