// Package arch is the one table of the processor architectures gonative knows: for
// each GOARCH, the names and numbers other tools and formats give it — Debian's
// architectures with the GNU triplets of their cross toolchains and their multiarch
// directories, glibc's loader, the Mach-O CPU type, the ELF and PE machine,
// qemu-user's name, the names `uname -m` prints, zig's and mingw-w64's names, the
// Homebrew prefix and the environment variable that sets the CPU level.
//
// Every package that maps between these names looks them up here; none keeps a list
// of its own, except internal/exe, which imports no internal package and reads the
// machine numbers of executables itself (this package's tests check that it agrees).
// The package imports only the standard library. Its tests check the table against
// independent tools where this machine has them (go tool dist list, go env,
// dpkg-architecture, qemu-user, the loaders Debian installed, executables Go's linker
// wrote).
package arch

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"slices"
	"strings"
)

// An Arch is what gonative knows of one GOARCH. A field is empty (zero) where the
// architecture has no such name or number, or where gonative does not use it.
type Arch struct {
	// GOARCH is Go's name: amd64, arm64, 386, arm, ...
	GOARCH string
	// Bits is the word size: 32 or 64.
	Bits int
	// BigEndian is true for the big-endian architectures (s390x, ppc64, mips, mips64).
	BigEndian bool

	// Level is the environment variable that sets the CPU level Go compiles for
	// (GOAMD64, GOARM64, GOARM, GO386, ...), and LevelDefault its default value.
	Level, LevelDefault string

	// Uname lists the names `uname -m` prints for the architecture: Linux's first
	// (aarch64, x86_64), then the other kernels' and older names (arm64, amd64, i686).
	Uname []string
	// QEMU is qemu-user's name: the suffix of its binary (qemu-aarch64-static), of its
	// binfmt_misc handler (qemu-aarch64) and the directory in /etc/qemu-binfmt.
	QEMU string
	// Debian lists Debian's architectures ("ports") of the GOARCH, the one Go's
	// default settings match first (armhf before armel).
	Debian []DebianPort
	// GlibcLoader is glibc's dynamic loader (the ELF interpreter) as Debian installs
	// it and its toolchains write it into PT_INTERP; "" for arm, whose loader depends
	// on the float ABI (ld-linux-armhf.so.3 for armhf, ld-linux.so.3 for armel).
	GlibcLoader string
	// WordLibDir is the library directory of the word size on a Debian-style system,
	// searched after /lib and /usr/lib: "lib64" or "lib32".
	WordLibDir string
	// MinGW is the GNU triplet of the mingw-w64 cross toolchain for Windows
	// (x86_64-w64-mingw32-gcc).
	MinGW string
	// Zig is zig's name in `zig cc -target`, for the architectures gonative builds
	// with zig.
	Zig string

	// ELF is the ELF e_machine (with Bits and BigEndian it tells the GOARCH).
	ELF elf.Machine
	// PE is the PE/COFF machine (IMAGE_FILE_MACHINE_*) of the architecture's Windows
	// port.
	PE uint16
	// MachO is the Mach-O CPU type, MachOSubtype the subtype Go's linker and clang
	// write (CPU_SUBTYPE_*_ALL), and MachOName Apple's name of that subtype: clang's
	// -arch and lipo's name (x86_64, arm64, i386).
	MachO        macho.Cpu
	MachOSubtype uint32
	MachOName    string

	// Homebrew is the prefix Homebrew installs to on a Mac of this architecture.
	Homebrew string
}

// A DebianPort is one of Debian's architectures, as dpkg-architecture names it.
type DebianPort struct {
	// Name is dpkg's architecture: amd64, arm64, armhf, i386, ppc64el, ...
	Name string
	// GNUType is DEB_HOST_GNU_TYPE, the GNU triplet: the prefix of the cross tools
	// (aarch64-linux-gnu-gcc, in the package gcc-aarch64-linux-gnu) and the directory
	// /usr/TRIPLET the cross C library (libc6-arm64-cross) installs to.
	GNUType string
	// Multiarch is DEB_HOST_MULTIARCH, the directory of the architecture's libraries
	// in /lib and /usr/lib (i386-linux-gnu where GNUType is i686-linux-gnu).
	Multiarch string
}

// MachOCapabilityMask selects the capability bits of a Mach-O CPU subtype
// (CPU_SUBTYPE_MASK in mach/machine.h: arm64e's pointer-authentication ABI version
// lives there); the other bits are the subtype. debug/macho does not define it.
const MachOCapabilityMask = 0xff000000

// Homebrew's prefixes (docs.brew.sh/Installation): the Homebrew field of arm64 and of
// amd64.
const (
	HomebrewAppleSilicon = "/opt/homebrew" // Apple Silicon
	HomebrewIntel        = "/usr/local"    // Intel, and Rosetta 2 on Apple Silicon
)

// table is the one table. Nothing modifies it: lookups return copies.
var table = [...]Arch{
	{GOARCH: "amd64", Bits: 64, Level: "GOAMD64", LevelDefault: "v1",
		Uname: []string{"x86_64", "amd64"}, QEMU: "x86_64",
		Debian:      []DebianPort{{"amd64", "x86_64-linux-gnu", "x86_64-linux-gnu"}},
		GlibcLoader: "/lib64/ld-linux-x86-64.so.2", WordLibDir: "lib64", Zig: "x86_64",
		MinGW: "x86_64-w64-mingw32",
		ELF:   elf.EM_X86_64, PE: pe.IMAGE_FILE_MACHINE_AMD64,
		MachO: macho.CpuAmd64, MachOSubtype: 3, MachOName: "x86_64", Homebrew: HomebrewIntel},
	{GOARCH: "arm64", Bits: 64, Level: "GOARM64", LevelDefault: "v8.0",
		Uname: []string{"aarch64", "arm64", "aarch64_be"}, QEMU: "aarch64",
		Debian:      []DebianPort{{"arm64", "aarch64-linux-gnu", "aarch64-linux-gnu"}},
		GlibcLoader: "/lib/ld-linux-aarch64.so.1", WordLibDir: "lib64", Zig: "aarch64",
		MinGW: "aarch64-w64-mingw32",
		ELF:   elf.EM_AARCH64, PE: pe.IMAGE_FILE_MACHINE_ARM64,
		MachO: macho.CpuArm64, MachOSubtype: 0, MachOName: "arm64", Homebrew: HomebrewAppleSilicon},
	{GOARCH: "386", Bits: 32, Level: "GO386", LevelDefault: "sse2",
		Uname: []string{"i686", "i386", "i486", "i586", "x86"}, QEMU: "i386",
		Debian:      []DebianPort{{"i386", "i686-linux-gnu", "i386-linux-gnu"}},
		GlibcLoader: "/lib/ld-linux.so.2", WordLibDir: "lib32", Zig: "x86",
		MinGW: "i686-w64-mingw32",
		ELF:   elf.EM_386, PE: pe.IMAGE_FILE_MACHINE_I386,
		MachO: macho.Cpu386, MachOSubtype: 3, MachOName: "i386"},
	{GOARCH: "arm", Bits: 32, Level: "GOARM", LevelDefault: "7",
		Uname: []string{"armv7l", "armv5l", "armv6l", "armv7", "armv8l", "arm"}, QEMU: "arm",
		Debian: []DebianPort{
			{"armhf", "arm-linux-gnueabihf", "arm-linux-gnueabihf"},
			{"armel", "arm-linux-gnueabi", "arm-linux-gnueabi"},
		},
		WordLibDir: "lib32", Zig: "arm",
		ELF: elf.EM_ARM, PE: pe.IMAGE_FILE_MACHINE_ARMNT,
		MachO: macho.CpuArm, MachOSubtype: 0, MachOName: "arm"},
	{GOARCH: "riscv64", Bits: 64, Level: "GORISCV64", LevelDefault: "rva20u64",
		Uname: []string{"riscv64"}, QEMU: "riscv64",
		Debian:      []DebianPort{{"riscv64", "riscv64-linux-gnu", "riscv64-linux-gnu"}},
		GlibcLoader: "/lib/ld-linux-riscv64-lp64d.so.1", WordLibDir: "lib64", Zig: "riscv64",
		ELF: elf.EM_RISCV, PE: pe.IMAGE_FILE_MACHINE_RISCV64},
	{GOARCH: "ppc64le", Bits: 64, Level: "GOPPC64", LevelDefault: "power8",
		Uname: []string{"ppc64le"}, QEMU: "ppc64le",
		Debian:      []DebianPort{{"ppc64el", "powerpc64le-linux-gnu", "powerpc64le-linux-gnu"}},
		GlibcLoader: "/lib64/ld64.so.2", WordLibDir: "lib64", Zig: "powerpc64le",
		ELF: elf.EM_PPC64},
	{GOARCH: "ppc64", Bits: 64, BigEndian: true, Level: "GOPPC64", LevelDefault: "power8",
		Uname: []string{"ppc64"}, QEMU: "ppc64",
		Debian: []DebianPort{{"ppc64", "powerpc64-linux-gnu", "powerpc64-linux-gnu"}},
		ELF:    elf.EM_PPC64, MachO: macho.CpuPpc64, MachOSubtype: 0, MachOName: "ppc64"},
	{GOARCH: "s390x", Bits: 64, BigEndian: true,
		Uname: []string{"s390x"}, QEMU: "s390x",
		Debian:      []DebianPort{{"s390x", "s390x-linux-gnu", "s390x-linux-gnu"}},
		GlibcLoader: "/lib/ld64.so.1", WordLibDir: "lib64", Zig: "s390x",
		ELF: elf.EM_S390},
	{GOARCH: "loong64", Bits: 64,
		Uname: []string{"loongarch64"}, QEMU: "loongarch64",
		Debian:     []DebianPort{{"loong64", "loongarch64-linux-gnu", "loongarch64-linux-gnu"}},
		WordLibDir: "lib64",
		ELF:        elf.EM_LOONGARCH, PE: pe.IMAGE_FILE_MACHINE_LOONGARCH64},
	{GOARCH: "mips", Bits: 32, BigEndian: true, Level: "GOMIPS", LevelDefault: "hardfloat",
		Uname: []string{"mips"}, QEMU: "mips",
		Debian: []DebianPort{{"mips", "mips-linux-gnu", "mips-linux-gnu"}},
		ELF:    elf.EM_MIPS},
	{GOARCH: "mipsle", Bits: 32, Level: "GOMIPS", LevelDefault: "hardfloat",
		QEMU:   "mipsel",
		Debian: []DebianPort{{"mipsel", "mipsel-linux-gnu", "mipsel-linux-gnu"}},
		ELF:    elf.EM_MIPS},
	{GOARCH: "mips64", Bits: 64, BigEndian: true, Level: "GOMIPS64", LevelDefault: "hardfloat",
		Uname: []string{"mips64"}, QEMU: "mips64",
		Debian: []DebianPort{{"mips64", "mips64-linux-gnuabi64", "mips64-linux-gnuabi64"}},
		ELF:    elf.EM_MIPS},
	{GOARCH: "mips64le", Bits: 64, Level: "GOMIPS64", LevelDefault: "hardfloat",
		QEMU:   "mips64el",
		Debian: []DebianPort{{"mips64el", "mips64el-linux-gnuabi64", "mips64el-linux-gnuabi64"}},
		ELF:    elf.EM_MIPS},
}

// clone returns a copy of a that shares no memory with the table.
func (a Arch) clone() Arch {
	a.Uname = slices.Clone(a.Uname)
	a.Debian = slices.Clone(a.Debian)
	return a
}

// All returns every architecture of the table, amd64 and arm64 first.
func All() []Arch {
	out := make([]Arch, len(table))
	for i, a := range table {
		out[i] = a.clone()
	}
	return out
}

// find returns the first architecture of the table for which match is true.
func find(match func(*Arch) bool) (Arch, bool) {
	for i := range table {
		if match(&table[i]) {
			return table[i].clone(), true
		}
	}
	return Arch{}, false
}

// ByGOARCH returns the architecture Go calls goarch.
func ByGOARCH(goarch string) (Arch, bool) {
	return find(func(a *Arch) bool { return a.GOARCH == goarch })
}

// ByUname returns the architecture of a machine name as `uname -m` prints it
// (aarch64, arm64, x86_64, armv7l, i686, ...); white space around it is ignored. uname
// does not tell byte orders apart: mips and mips64 are the big-endian GOARCHes.
func ByUname(machine string) (Arch, bool) {
	machine = strings.TrimSpace(machine)
	return find(func(a *Arch) bool { return slices.Contains(a.Uname, machine) })
}

// ByELF returns the architecture of an ELF file's e_machine, class and data encoding.
func ByELF(m elf.Machine, class elf.Class, data elf.Data) (Arch, bool) {
	bits := map[elf.Class]int{elf.ELFCLASS32: 32, elf.ELFCLASS64: 64}[class]
	if data != elf.ELFDATA2LSB && data != elf.ELFDATA2MSB {
		return Arch{}, false
	}
	return find(func(a *Arch) bool {
		return a.ELF == m && a.Bits == bits && a.BigEndian == (data == elf.ELFDATA2MSB)
	})
}

// ByPE returns the architecture of a PE file's machine.
func ByPE(m uint16) (Arch, bool) {
	return find(func(a *Arch) bool { return m != 0 && a.PE == m })
}

// ByMachO returns the architecture of a Mach-O CPU type.
func ByMachO(cpu macho.Cpu) (Arch, bool) {
	return find(func(a *Arch) bool { return cpu != 0 && a.MachO == cpu })
}

// Triplet is the GNU triplet of Debian's cross toolchain for Linux on the
// architecture (the GNUType of its first Debian port), or "" when Debian has none.
func (a Arch) Triplet() string {
	if len(a.Debian) == 0 {
		return ""
	}
	return a.Debian[0].GNUType
}
