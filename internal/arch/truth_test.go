package arch_test

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"os"
	"os/exec"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
)

// The tests of this file check the table against what independent tools say.

// output runs a command and returns its trimmed standard output, failing t when it
// does not succeed.
func output(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestGoArchitectures checks that the table holds every GOARCH of `go tool dist list`
// but wasm (no machine code gonative reads), and nothing else.
func TestGoArchitectures(t *testing.T) {
	var want []string
	for _, p := range strings.Fields(output(t, nil, "go", "tool", "dist", "list")) {
		_, goarch, _ := strings.Cut(p, "/")
		if goarch != "wasm" && !slices.Contains(want, goarch) {
			want = append(want, goarch)
		}
	}
	var got []string
	for _, a := range arch.All() {
		got = append(got, a.GOARCH)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the table's GOARCHes are %q; go tool dist list has %q", got, want)
	}
}

// TestGoLevels checks each CPU-level variable and its default against `go env`.
func TestGoLevels(t *testing.T) {
	for _, a := range arch.All() {
		if a.Level == "" {
			continue
		}
		got := output(t, []string{"GOOS=linux", "GOARCH=" + a.GOARCH, a.Level + "="}, "go", "env", a.Level)
		if a.GOARCH == "arm" && a.GOARCH == runtimeGOARCH(t) {
			continue // go built on arm defaults GOARM to its own machine's
		}
		if got != a.LevelDefault {
			t.Errorf("%s: GOARCH=%s go env %s = %q, table says %q", a.GOARCH, a.GOARCH, a.Level, got, a.LevelDefault)
		}
	}
}

func runtimeGOARCH(t *testing.T) string { return output(t, nil, "go", "env", "GOHOSTARCH") }

// TestDebian checks every Debian port against dpkg-architecture: its GNU triplet,
// multiarch directory, word size and byte order.
func TestDebian(t *testing.T) {
	dpkg := fixture.Need(t, "dpkg-architecture", "dpkg-dev")
	for _, a := range arch.All() {
		for _, d := range a.Debian {
			vars := map[string]string{}
			for _, l := range strings.Split(output(t, nil, dpkg, "-a", d.Name), "\n") {
				k, v, _ := strings.Cut(l, "=")
				vars[k] = v
			}
			var q []string
			for _, k := range []string{"DEB_HOST_GNU_TYPE", "DEB_HOST_MULTIARCH", "DEB_HOST_ARCH_BITS", "DEB_HOST_ARCH_ENDIAN"} {
				q = append(q, vars[k])
			}
			order := map[bool]string{true: "big", false: "little"}[a.BigEndian]
			want := []string{d.GNUType, d.Multiarch, strconv.Itoa(a.Bits), order}
			if !slices.Equal(q, want) {
				t.Errorf("%s: dpkg-architecture -a %s says %q, the table %q", a.GOARCH, d.Name, q, want)
			}
		}
	}
}

// TestQEMU checks that qemu-user has a binary of each qemu name (qemu-NAME-static,
// as Debian's qemu-user-static installs them).
func TestQEMU(t *testing.T) {
	fixture.Need(t, "qemu-aarch64-static", "qemu-user-static")
	for _, a := range arch.All() {
		if _, err := exec.LookPath("qemu-" + a.QEMU + "-static"); err != nil {
			t.Errorf("%s: no qemu-%s-static: %v", a.GOARCH, a.QEMU, err)
		}
	}
}

// TestGlibcLoaders reads the ELF header of each loader Debian installed here (the
// native one in /lib, a cross one in /usr/TRIPLET/lib) and checks it is of its row's
// architecture.
func TestGlibcLoaders(t *testing.T) {
	read := 0
	for _, a := range arch.All() {
		if a.GlibcLoader == "" {
			continue
		}
		for _, p := range []string{a.GlibcLoader, "/usr/" + a.Triplet() + "/lib/" + path.Base(a.GlibcLoader)} {
			f, err := elf.Open(p)
			if err != nil {
				continue // not installed here
			}
			got, ok := arch.ByELF(f.Machine, f.Class, f.Data)
			f.Close()
			read++
			if !ok || got.GOARCH != a.GOARCH {
				t.Errorf("%s (the %s loader) is %v %v %v: %q %v", p, a.GOARCH, f.Machine, f.Class, f.Data, got.GOARCH, ok)
			}
		}
	}
	if read == 0 {
		t.Skip("no glibc loader of the table is installed here")
	}
}

// TestGoLinker reads executables Go's own linker wrote (the fixtures, built for
// every target the tests use) and checks the machine numbers they carry.
func TestGoLinker(t *testing.T) {
	sw, trim := "-ldflags=-s -w", "-trimpath"
	for _, tc := range []struct {
		goos, goarch string
		flags        []string
	}{
		{"linux", "amd64", nil}, {"linux", "arm64", []string{trim}}, {"linux", "386", nil},
		{"linux", "arm", nil}, {"linux", "ppc64", nil}, {"linux", "riscv64", nil},
		{"linux", "s390x", []string{sw}}, {"linux", "loong64", []string{sw}},
		{"darwin", "arm64", []string{trim}}, {"darwin", "amd64", []string{trim}},
		{"windows", "amd64", []string{trim}}, {"windows", "arm64", []string{trim}}, {"windows", "386", []string{sw}},
	} {
		t.Run(tc.goos+"-"+tc.goarch, func(t *testing.T) {
			src := fixture.Hello
			switch tc.goarch {
			case "ppc64", "riscv64", "s390x", "loong64": // built for these tests only: the runtime alone
				src = fixture.Tiny
			}
			p := fixture.Go(t, src, []string{"GOOS=" + tc.goos, "GOARCH=" + tc.goarch}, tc.flags...)
			want, _ := arch.ByGOARCH(tc.goarch)
			var got arch.Arch
			var ok bool
			switch tc.goos {
			case "linux":
				f, err := elf.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				got, ok = arch.ByELF(f.Machine, f.Class, f.Data)
			case "darwin":
				f, err := macho.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				got, ok = arch.ByMachO(f.Cpu)
				if sub := f.SubCpu &^ 0xff000000; sub != want.MachOSubtype {
					t.Errorf("Mach-O subtype %d, table %d", sub, want.MachOSubtype)
				}
			case "windows":
				f, err := pe.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				got, ok = arch.ByPE(f.Machine)
			}
			if !ok || got.GOARCH != tc.goarch {
				t.Errorf("the %s/%s executable is looked up as %q %v", tc.goos, tc.goarch, got.GOARCH, ok)
			}
		})
	}
}

// TestExeAgrees checks that internal/exe, which reads executables with no internal
// import, names every ELF machine and Mach-O CPU of the table as the table does.
func TestExeAgrees(t *testing.T) {
	for _, a := range arch.All() {
		order := map[bool]string{true: "big", false: "little"}[a.BigEndian]
		if got := exe.ELFArch(a.ELF, a.Bits, order); got != a.GOARCH {
			t.Errorf("exe.ELFArch(%v, %d, %s) = %q, table %q", a.ELF, a.Bits, order, got, a.GOARCH)
		}
		if a.MachO == 0 {
			continue
		}
		goarch, name := exe.MachOCPU(uint32(a.MachO), a.MachOSubtype)
		if goarch != a.GOARCH || name != a.MachOName {
			t.Errorf("exe.MachOCPU(%v, %d) = %q %q, table %q %q", a.MachO, a.MachOSubtype, goarch, name, a.GOARCH, a.MachOName)
		}
	}
}
