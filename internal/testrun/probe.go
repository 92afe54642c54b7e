package testrun

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Feature is a CPU feature a test binary's level needs and a probe proves.
type Feature string

// Features the probes prove, named as Linux /proc/cpuinfo names them.
const (
	FeatureLSE    Feature = "atomics" // arm64 LSE atomics (GOARM64=v8.1 and later, ",lse")
	FeatureCrypto Feature = "crypto"  // arm64 AES, PMULL, SHA1, SHA256 (GOARM64 ",crypto")
	FeaturePOPCNT Feature = "popcnt"  // x86-64-v2 (GOAMD64=v2)
	FeatureAVX2   Feature = "avx2"    // x86-64-v3 (GOAMD64=v3)
	FeatureAVX512 Feature = "avx512f" // x86-64-v4 (GOAMD64=v4)
)

// Needs returns the features a level setting of goarch requires beyond the
// architecture's base (GOARM64=v8.1 needs LSE atomics, GOAMD64=v3 AVX2 ...), in a
// fixed order; none for the base level or an architecture without probes. ok is false
// for a value Go would reject.
func Needs(goarch, level string) (fs []Feature, ok bool) {
	switch goarch {
	case "amd64":
		switch level {
		case "", "v1":
			return nil, true
		case "v2":
			return []Feature{FeaturePOPCNT}, true
		case "v3":
			return []Feature{FeaturePOPCNT, FeatureAVX2}, true
		case "v4":
			return []Feature{FeaturePOPCNT, FeatureAVX2, FeatureAVX512}, true
		}
		return nil, false
	case "arm64":
		if level == "" {
			return nil, true
		}
		parts := strings.Split(level, ",")
		v := parts[0]
		if len(v) != 4 || v[0] != 'v' || v[2] != '.' || (v[1] != '8' && v[1] != '9') || v[3] < '0' || v[3] > '9' || (v[1] == '9' && v[3] > '5') {
			return nil, false
		}
		lse := v != "v8.0"
		crypto := false
		for _, p := range parts[1:] {
			switch p {
			case "lse":
				lse = true
			case "crypto":
				crypto = true
			default:
				return nil, false
			}
		}
		if lse {
			fs = append(fs, FeatureLSE)
		}
		if crypto {
			fs = append(fs, FeatureCrypto)
		}
		return fs, true
	}
	return nil, true
}

// Instruction encodings of the probes, little-endian.
var (
	// arm64: ldaddal w1, w0, [sp] (LSE); aese v0.16b, v1.16b; pmull v0.1q, v1.1d,
	// v2.1d; sha1c q0, s1, v2.4s; sha256h q0, q1, v2.4s (crypto); then exit(0): mov x0,
	// #0; mov x8, #93 (exit); svc #0.
	arm64Insn = map[Feature][]uint32{
		FeatureLSE:    {0xb8e103e0},
		FeatureCrypto: {0x4e284820, 0x0ee2e020, 0x5e020020, 0x5e024020},
	}
	arm64Exit = []uint32{0xd2800000, 0xd2800ba8, 0xd4000001}
	// x86-64: popcnt eax, eax; vpaddd ymm0, ymm0, ymm0; vpaddd zmm0, zmm0, zmm0; then
	// exit(0): mov eax, 60 (exit); xor edi, edi; syscall.
	amd64Insn = map[Feature][]byte{
		FeaturePOPCNT: {0xf3, 0x0f, 0xb8, 0xc0},
		FeatureAVX2:   {0xc5, 0xfd, 0xfe, 0xc0},
		FeatureAVX512: {0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc0},
	}
	amd64Exit = []byte{0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05}
)

// ProbeProgram returns a static Linux ELF executable of goarch that executes one
// instruction of every feature in fs and exits 0: killed by SIGILL where the CPU (or
// the emulated one) lacks one. It is assembled here by hand; false when goarch or a
// feature has no probe.
func ProbeProgram(goarch string, fs []Feature) ([]byte, bool) {
	var code bytes.Buffer
	var machine uint16
	switch goarch {
	case "arm64":
		machine = 183 // EM_AARCH64
		for _, f := range fs {
			insn, ok := arm64Insn[f]
			if !ok {
				return nil, false
			}
			binary.Write(&code, binary.LittleEndian, insn)
		}
		binary.Write(&code, binary.LittleEndian, arm64Exit)
	case "amd64":
		machine = 62 // EM_X86_64
		for _, f := range fs {
			insn, ok := amd64Insn[f]
			if !ok {
				return nil, false
			}
			code.Write(insn)
		}
		code.Write(amd64Exit)
	default:
		return nil, false
	}
	return elf64Exec(machine, code.Bytes()), true
}

// elf64Exec assembles a little-endian ELF64 executable: the 64-byte file header, one
// PT_LOAD program header (56 bytes) mapping the whole file read+execute at a 64 KiB
// aligned base (any page size), and code right after them, where execution starts.
func elf64Exec(machine uint16, code []byte) []byte {
	const ehsize, phsize, base = 64, 56, 0x400000
	size := uint64(ehsize + phsize + len(code))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint16(2))                      // e_type ET_EXEC
	le(machine)                        // e_machine
	le(uint32(1))                      // e_version
	le(uint64(base + ehsize + phsize)) // e_entry
	le(uint64(ehsize))                 // e_phoff
	le(uint64(0))                      // e_shoff
	le(uint32(0))                      // e_flags
	le(uint16(ehsize))                 // e_ehsize
	le(uint16(phsize))                 // e_phentsize
	le(uint16(1))                      // e_phnum
	le(uint16(0))                      // e_shentsize
	le(uint16(0))                      // e_shnum
	le(uint16(0))                      // e_shstrndx
	le(uint32(1))                      // p_type PT_LOAD
	le(uint32(5))                      // p_flags PF_R|PF_X
	le(uint64(0))                      // p_offset
	le(uint64(base))                   // p_vaddr
	le(uint64(base))                   // p_paddr
	le(size)                           // p_filesz
	le(size)                           // p_memsz
	le(uint64(0x10000))                // p_align
	b.Write(code)
	return b.Bytes()
}

// ParseCPUModels reads the models that `qemu-ARCH -cpu help` lists: the first word
// of each indented line after "Available CPUs:" (x86's lines are "x86 NAME ...").
func ParseCPUModels(help string) []string {
	var models []string
	in := false
	for _, line := range strings.Split(help, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Available CPUs") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if line == "" || (line[0] != ' ' && line[0] != '\t' && !strings.HasPrefix(line, "x86 ")) {
			if len(models) > 0 {
				break
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "x86" {
			f = f[1:]
		}
		if len(f) > 0 && !strings.ContainsAny(f[0], ":=") {
			models = append(models, f[0])
		}
	}
	return models
}
