package arch

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"slices"
	"strings"
	"testing"
)

func TestLookups(t *testing.T) {
	for _, tc := range []struct {
		name string
		get  func() (Arch, bool)
		want string // GOARCH, "" for none
	}{
		{"goarch arm64", func() (Arch, bool) { return ByGOARCH("arm64") }, "arm64"},
		{"goarch 386", func() (Arch, bool) { return ByGOARCH("386") }, "386"},
		{"goarch wasm", func() (Arch, bool) { return ByGOARCH("wasm") }, ""},
		{"goarch empty", func() (Arch, bool) { return ByGOARCH("") }, ""},
		{"uname aarch64", func() (Arch, bool) { return ByUname("aarch64\n") }, "arm64"},
		{"uname arm64 (macOS)", func() (Arch, bool) { return ByUname("arm64") }, "arm64"},
		{"uname aarch64_be", func() (Arch, bool) { return ByUname("aarch64_be") }, "arm64"},
		{"uname x86_64", func() (Arch, bool) { return ByUname(" x86_64 ") }, "amd64"},
		{"uname amd64 (BSD)", func() (Arch, bool) { return ByUname("amd64") }, "amd64"},
		{"uname i686", func() (Arch, bool) { return ByUname("i686") }, "386"},
		{"uname i386", func() (Arch, bool) { return ByUname("i386") }, "386"},
		{"uname x86", func() (Arch, bool) { return ByUname("x86") }, "386"},
		{"uname armv7l", func() (Arch, bool) { return ByUname("armv7l") }, "arm"},
		{"uname armv6l", func() (Arch, bool) { return ByUname("armv6l") }, "arm"},
		{"uname loongarch64", func() (Arch, bool) { return ByUname("loongarch64") }, "loong64"},
		{"uname mips", func() (Arch, bool) { return ByUname("mips") }, "mips"},
		{"uname mips64", func() (Arch, bool) { return ByUname("mips64") }, "mips64"},
		{"uname riscv64", func() (Arch, bool) { return ByUname("riscv64") }, "riscv64"},
		{"uname vax", func() (Arch, bool) { return ByUname("vax") }, ""},
		{"uname ppc64le", func() (Arch, bool) { return ByUname("ppc64le") }, "ppc64le"},
		{"uname sparc64", func() (Arch, bool) { return ByUname("sparc64") }, ""},
		{"uname empty", func() (Arch, bool) { return ByUname("") }, ""},
		{"elf aarch64", func() (Arch, bool) { return ByELF(elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB) }, "arm64"},
		{"elf aarch64 big-endian", func() (Arch, bool) { return ByELF(elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2MSB) }, ""},
		{"elf x32", func() (Arch, bool) { return ByELF(elf.EM_X86_64, elf.ELFCLASS32, elf.ELFDATA2LSB) }, ""},
		{"elf ppc64 big", func() (Arch, bool) { return ByELF(elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB) }, "ppc64"},
		{"elf ppc64 little", func() (Arch, bool) { return ByELF(elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB) }, "ppc64le"},
		{"elf mips32 little", func() (Arch, bool) { return ByELF(elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2LSB) }, "mipsle"},
		{"elf mips64 big", func() (Arch, bool) { return ByELF(elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB) }, "mips64"},
		{"elf s390x", func() (Arch, bool) { return ByELF(elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB) }, "s390x"},
		{"elf 386", func() (Arch, bool) { return ByELF(elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB) }, "386"},
		{"elf class none", func() (Arch, bool) { return ByELF(elf.EM_386, elf.ELFCLASSNONE, elf.ELFDATA2LSB) }, ""},
		{"elf data none", func() (Arch, bool) { return ByELF(elf.EM_386, elf.ELFCLASS32, elf.ELFDATANONE) }, ""},
		{"pe arm64", func() (Arch, bool) { return ByPE(pe.IMAGE_FILE_MACHINE_ARM64) }, "arm64"},
		{"pe armnt", func() (Arch, bool) { return ByPE(pe.IMAGE_FILE_MACHINE_ARMNT) }, "arm"},
		{"pe unknown", func() (Arch, bool) { return ByPE(pe.IMAGE_FILE_MACHINE_UNKNOWN) }, ""},
		{"macho arm64", func() (Arch, bool) { return ByMachO(macho.CpuArm64) }, "arm64"},
		{"macho x86_64", func() (Arch, bool) { return ByMachO(macho.CpuAmd64) }, "amd64"},
		{"macho ppc (no GOARCH)", func() (Arch, bool) { return ByMachO(macho.CpuPpc) }, ""},
		{"macho zero", func() (Arch, bool) { return ByMachO(0) }, ""},
	} {
		a, ok := tc.get()
		if ok != (tc.want != "") || a.GOARCH != tc.want {
			t.Errorf("%s: got %q %v, want %q", tc.name, a.GOARCH, ok, tc.want)
		}
	}
}

func TestFields(t *testing.T) {
	for _, tc := range []struct {
		goarch, triplet, qemu, machoName, homebrew, level string
	}{
		{"arm64", "aarch64-linux-gnu", "aarch64", "arm64", "/opt/homebrew", "GOARM64"},
		{"amd64", "x86_64-linux-gnu", "x86_64", "x86_64", "/usr/local", "GOAMD64"},
		{"386", "i686-linux-gnu", "i386", "i386", "", "GO386"},
		{"arm", "arm-linux-gnueabihf", "arm", "arm", "", "GOARM"},
		{"ppc64le", "powerpc64le-linux-gnu", "ppc64le", "", "", "GOPPC64"},
		{"mipsle", "mipsel-linux-gnu", "mipsel", "", "", "GOMIPS"},
		{"mips64le", "mips64el-linux-gnuabi64", "mips64el", "", "", "GOMIPS64"},
		{"loong64", "loongarch64-linux-gnu", "loongarch64", "", "", ""},
	} {
		a, ok := ByGOARCH(tc.goarch)
		got := [...]string{a.Triplet(), a.QEMU, a.MachOName, a.Homebrew, a.Level}
		want := [...]string{tc.triplet, tc.qemu, tc.machoName, tc.homebrew, tc.level}
		if !ok || got != want {
			t.Errorf("ByGOARCH(%s): triplet, qemu, Mach-O, Homebrew, level = %q %v, want %q", tc.goarch, got, ok, want)
		}
	}
	if a, _ := ByGOARCH("amd64"); a.MinGW != "x86_64-w64-mingw32" || a.Zig != "x86_64" || a.GlibcLoader != "/lib64/ld-linux-x86-64.so.2" {
		t.Errorf("amd64: mingw %q, zig %q, loader %q", a.MinGW, a.Zig, a.GlibcLoader)
	}
	if tr := (Arch{GOARCH: "wasm"}).Triplet(); tr != "" {
		t.Errorf("a port-less Arch has triplet %q", tr)
	}
}

// TestTableIsOneTable checks what makes every lookup unambiguous: each GOARCH, uname
// name, qemu name, Debian port, ELF (machine, class, order), PE machine and Mach-O CPU
// type stands in one row only.
func TestTableIsOneTable(t *testing.T) {
	seen := map[string]string{}
	once := func(kind, key, goarch string) {
		if key == "" {
			return
		}
		if prev, dup := seen[kind+" "+key]; dup {
			t.Errorf("%s %s is in the rows of %s and %s", kind, key, prev, goarch)
		}
		seen[kind+" "+key] = goarch
	}
	for _, a := range All() {
		once("GOARCH", a.GOARCH, a.GOARCH)
		for _, u := range a.Uname {
			once("uname", u, a.GOARCH)
		}
		once("qemu", a.QEMU, a.GOARCH)
		for _, d := range a.Debian {
			once("debian", d.Name, a.GOARCH)
			once("triplet", d.GNUType, a.GOARCH)
		}
		if a.ELF != 0 {
			once("elf", a.ELF.String()+string(rune('0'+a.Bits/32))+map[bool]string{true: "be", false: "le"}[a.BigEndian], a.GOARCH)
		}
		if a.PE != 0 {
			once("pe", string(rune(a.PE)), a.GOARCH)
		}
		if a.MachO != 0 {
			once("macho", a.MachO.String(), a.GOARCH)
		}
		if a.Bits != 32 && a.Bits != 64 {
			t.Errorf("%s: Bits %d", a.GOARCH, a.Bits)
		}
		if (a.Level == "") != (a.LevelDefault == "") {
			t.Errorf("%s: level %q with default %q", a.GOARCH, a.Level, a.LevelDefault)
		}
		if (a.MachO == 0) != (a.MachOName == "") {
			t.Errorf("%s: Mach-O CPU %v named %q", a.GOARCH, a.MachO, a.MachOName)
		}
	}
}

// TestLookupsCopy checks that a caller cannot change the table through what a lookup
// returns.
func TestLookupsCopy(t *testing.T) {
	a, _ := ByGOARCH("arm")
	a.Uname[0] = "changed"
	a.Debian[0].Name = "changed"
	All()[0].Uname[0] = "changed"
	if b, _ := ByGOARCH("arm"); b.Uname[0] != "armv7l" || b.Debian[0].Name != "armhf" {
		t.Errorf("the table changed through a lookup's result: %+v", b)
	}
	if c := All()[0]; c.Uname[0] != "x86_64" {
		t.Errorf("the table changed through All's result: %+v", c)
	}
}

// FuzzLookups checks every lookup against the table: a name or number finds the row
// that holds it, and only such a row, and the row found by GOARCH is the same row.
func FuzzLookups(f *testing.F) {
	f.Add("aarch64", uint16(elf.EM_AARCH64), uint8(elf.ELFCLASS64), uint8(elf.ELFDATA2LSB), uint32(macho.CpuArm64))
	f.Add(" i686\n", uint16(elf.EM_386), uint8(elf.ELFCLASS32), uint8(elf.ELFDATA2LSB), uint32(macho.Cpu386))
	f.Add("mips64", uint16(elf.EM_MIPS), uint8(elf.ELFCLASS64), uint8(elf.ELFDATA2MSB), uint32(macho.CpuPpc))
	f.Fuzz(func(t *testing.T, name string, machine uint16, class, data uint8, cpu uint32) {
		holds := func(match func(Arch) bool) (string, bool) {
			for _, a := range All() {
				if match(a) {
					return a.GOARCH, true
				}
			}
			return "", false
		}
		check := func(what string, a Arch, ok bool, match func(Arch) bool) {
			want, wantOK := holds(match)
			if ok != wantOK || a.GOARCH != want || (ok && !match(a)) {
				t.Errorf("%s: got %q %v, the table holds it in %q %v", what, a.GOARCH, ok, want, wantOK)
			}
			if b, okb := ByGOARCH(a.GOARCH); ok && (!okb || b.GOARCH != a.GOARCH) {
				t.Errorf("%s: %s is not found again by its GOARCH", what, a.GOARCH)
			}
		}
		a, ok := ByUname(name)
		check("uname "+name, a, ok, func(a Arch) bool { return slices.Contains(a.Uname, strings.TrimSpace(name)) })
		a, ok = ByGOARCH(name)
		check("goarch "+name, a, ok, func(a Arch) bool { return a.GOARCH == name })
		m, c, d := elf.Machine(machine), elf.Class(class), elf.Data(data)
		a, ok = ByELF(m, c, d)
		check("elf", a, ok, func(a Arch) bool {
			return a.ELF == m && ((c == elf.ELFCLASS32 && a.Bits == 32) || (c == elf.ELFCLASS64 && a.Bits == 64)) &&
				((d == elf.ELFDATA2LSB && !a.BigEndian) || (d == elf.ELFDATA2MSB && a.BigEndian))
		})
		a, ok = ByPE(machine)
		check("pe", a, ok, func(a Arch) bool { return a.PE != 0 && a.PE == machine })
		a, ok = ByMachO(macho.Cpu(cpu))
		check("macho", a, ok, func(a Arch) bool { return a.MachO != 0 && uint32(a.MachO) == cpu })
	})
}
