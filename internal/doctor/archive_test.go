package doctor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/machine"
)

// arMember formats one ar member (header, data, padding).
func arMember(name, data string) string {
	h := fmt.Sprintf("%-16s%-12s%-6s%-6s%-8s%-10d`\n", name, "0", "0", "0", "644", len(data))
	if len(data)%2 == 1 {
		data += "\n"
	}
	return h + data
}

func TestFirstObject(t *testing.T) {
	tests := []struct {
		name, ar string
		want     string // the member data found, or "error"
	}{
		{"gnu", arMagic + arMember("/", "symtab") + arMember("//", "long names/\n") + arMember("a.o/", "OBJECT"), "OBJECT"},
		{"bsd", arMagic + arMember("#1/20", "__.SYMDEF SORTED\x00\x00\x00\x00syms") + arMember("#1/4", "x.o\x00MACHO"), "MACHO"},
		{"odd padding", arMagic + arMember("/", "s") + arMember("b.o/", "OBJ"), "OBJ"},
		{"only symtab", arMagic + arMember("/", "symtab"), "error"},
		{"not ar", "hello world", "error"},
		{"bad size", arMagic + strings.Replace(arMember("a.o/", "OBJECT"), "6         ", "999999999 ", 1), "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := strings.NewReader(tt.ar)
			off, n, err := FirstObject(r, int64(len(tt.ar)))
			got := "error"
			if err == nil {
				got = tt.ar[off : off+n]
			}
			if got != tt.want {
				t.Errorf("FirstObject = %q (err %v), want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzFirstObject(f *testing.F) {
	f.Add(arMagic + arMember("/", "symtab") + arMember("a.o/", "OBJECT"))
	f.Add(arMagic + arMember("#1/20", "__.SYMDEF SORTED\x00\x00\x00\x00syms") + arMember("#1/4", "x.o\x00MACHO"))
	f.Add(arMagic)
	f.Fuzz(func(t *testing.T, s string) {
		off, n, err := FirstObject(strings.NewReader(s), int64(len(s)))
		if err == nil && (off < 0 || n < 0 || off+n > int64(len(s))) {
			t.Fatalf("member %d+%d outside %d bytes", off, n, len(s))
		}
	})
}

// TestArchiveArch builds real static libraries with gcc/ar (and the aarch64 cross
// compiler when present) and reads their architecture.
func TestArchiveArch(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "x.c")
	if err := os.WriteFile(src, []byte("int answer(void) { return 42; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cc, pkg, arch string }{
		{"gcc", "gcc", ""},
		{"aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", "arm64"},
	} {
		t.Run(tc.cc, func(t *testing.T) {
			cc := fixture.Need(t, tc.cc, tc.pkg)
			ar := fixture.Need(t, "ar", "binutils")
			obj := filepath.Join(dir, tc.cc+".o")
			lib := filepath.Join(dir, "lib"+tc.cc+".a")
			if out, err := exec.Command(cc, "-c", "-o", obj, src).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cc, err, out)
			}
			if out, err := exec.Command(ar, "rcs", lib, obj).CombinedOutput(); err != nil {
				t.Fatalf("ar: %v\n%s", err, out)
			}
			s := NewSession(machine.Real())
			archs, err := inspectLibrary(context.Background(), s, lib)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.arch
			if want == "" {
				// gcc here targets the machine's own arch, which is amd64 on the CI box;
				// under qemu the test binary is arm64 but gcc still builds x86-64.
				out, _ := exec.Command(cc, "-dumpmachine").Output()
				want = tripleArch(string(out))
			}
			if len(archs) != 1 || archs[0] != want {
				t.Errorf("archs of %s = %v, want [%s]", lib, archs, want)
			}
		})
	}
}
