package host

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"github.com/gonative/gonative/internal/machine"
	"path"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// binfmtDir is where Linux lists binfmt_misc handlers.
const binfmtDir = "/proc/sys/fs/binfmt_misc"

// readBinfmt lists the binfmt_misc handlers that match ELF files, with the architecture
// each matches (decoded from its magic and mask, not guessed from its name).
func readBinfmt(p machine.Machine) []Binfmt {
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
	h.Arch = handlerArch(magic)
	return h, h.Arch != ""
}

// handlerArch decodes the ELF class, data encoding and e_machine (bytes 4, 5 and
// 18–19) that a handler's magic matches into a GOARCH name ("" when unknown).
func handlerArch(magic []byte) string {
	bits, order := 32, binary.ByteOrder(binary.LittleEndian)
	if magic[4] == 2 {
		bits = 64
	}
	name := "little"
	if magic[5] == 2 {
		order, name = binary.BigEndian, "big"
	}
	arch := exe.ELFArch(elf.Machine(order.Uint16(magic[18:20])), bits, name)
	if arch == "unknown" {
		return ""
	}
	return arch
}
