package host

import (
	"encoding/hex"
	"path"
	"strings"
)

// binfmtDir is where Linux lists binfmt_misc handlers.
const binfmtDir = "/proc/sys/fs/binfmt_misc"

// readBinfmt lists the binfmt_misc handlers that match ELF files, with the architecture
// each matches (decoded from its magic and mask, not guessed from its name).
func readBinfmt(p Probe) []Binfmt {
	entries, err := p.ReadDir(binfmtDir)
	if err != nil {
		return nil
	}
	var out []Binfmt
	for _, e := range entries {
		name := e.Name()
		if name == "register" || name == "status" || e.IsDir() {
			continue
		}
		b, err := p.ReadFile(path.Join(binfmtDir, name))
		if err != nil {
			continue
		}
		h, ok := ParseBinfmt(name, string(b))
		if ok {
			out = append(out, h)
		}
	}
	return out
}

// ParseBinfmt parses the text of /proc/sys/fs/binfmt_misc/NAME. ok is false when the
// handler does not match ELF files by magic.
func ParseBinfmt(name, text string) (h Binfmt, ok bool) {
	h.Name = name
	var magic, mask []byte
	offset := "0"
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "enabled":
			h.Enabled = true
		case line == "disabled":
			h.Enabled = false
		case strings.HasPrefix(line, "interpreter "):
			h.Interpreter = strings.TrimPrefix(line, "interpreter ")
		case strings.HasPrefix(line, "flags:"):
			h.Flags = strings.TrimSpace(strings.TrimPrefix(line, "flags:"))
		case strings.HasPrefix(line, "offset "):
			offset = strings.TrimPrefix(line, "offset ")
		case strings.HasPrefix(line, "magic "):
			magic, _ = hex.DecodeString(strings.TrimPrefix(line, "magic "))
		case strings.HasPrefix(line, "mask "):
			mask, _ = hex.DecodeString(strings.TrimPrefix(line, "mask "))
		}
	}
	if offset != "0" || len(magic) < 20 || string(magic[:4]) != "\x7fELF" {
		return h, false
	}
	if len(mask) >= 20 {
		for i := range magic[:20] {
			magic[i] &= mask[i]
		}
	}
	h.Arch = elfArch(magic[4], magic[5], magic[18], magic[19])
	return h, h.Arch != ""
}

// elfArch maps an ELF class, data encoding and e_machine (bytes 18–19) to a GOARCH.
func elfArch(class, data, m0, m1 byte) string {
	machine := uint16(m0) | uint16(m1)<<8
	if data == 2 { // big endian
		machine = uint16(m1) | uint16(m0)<<8
	}
	is64 := class == 2
	switch machine {
	case 3:
		return "386"
	case 62:
		return "amd64"
	case 40:
		return "arm"
	case 183:
		return "arm64"
	case 243:
		return "riscv64"
	case 21:
		if data == 2 {
			return "ppc64"
		}
		return "ppc64le"
	case 22:
		return "s390x"
	case 258:
		return "loong64"
	case 8:
		switch {
		case is64 && data == 2:
			return "mips64"
		case is64:
			return "mips64le"
		case data == 2:
			return "mips"
		}
		return "mipsle"
	}
	return ""
}
