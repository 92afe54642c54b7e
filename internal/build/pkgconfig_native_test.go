package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// TestPkgConfigNative is TestPkgConfigSysroot's native case: the host's pkg-config,
// through PKG_CONFIG_PATH, finds a C library built here; after the .pc file changes
// (a new -D, nothing else), the rebuild must see it although Go's build cache does not
// key cgo compiles on pkg-config's answer (golang/go#24544).
func TestPkgConfigNative(t *testing.T) {
	gcc := fixture.Need(t, "gcc", "gcc")
	ar := fixture.Need(t, "ar", "binutils")
	fixture.Need(t, "pkg-config", "pkg-config")
	// Native is the hardware's platform, also when this test binary runs emulated.
	hw, err := host.Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	lib := t.TempDir()
	src := filepath.Join(lib, "foo.c")
	os.WriteFile(filepath.Join(lib, "foo.h"), []byte("int foo_value(void);\n"), 0o644)
	os.WriteFile(src, []byte("int foo_value(void) { return 7; }\n"), 0o644)
	obj := filepath.Join(lib, "foo.o")
	if out, err := exec.Command(gcc, "-c", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := exec.Command(ar, "rcs", filepath.Join(lib, "libfoo.a"), obj).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pcDir := t.TempDir()
	pc := func(scale int) {
		s := "includedir=" + lib + "\nlibdir=" + lib + "\n\nName: foo\nDescription: test\nVersion: 1.0\n" +
			"Cflags: -I${includedir} -DFOO_SCALE=" + strconv.Itoa(scale) + "\nLibs: -L${libdir} -lfoo\n"
		if err := os.WriteFile(filepath.Join(pcDir, "foo.pc"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := module(t, "example.com/usefoo", map[string]string{"main.go": `package main

/*
#cgo pkg-config: foo
#include <foo.h>
*/
import "C"

import "fmt"

func main() { fmt.Println("foo", int(C.foo_value())*C.FOO_SCALE) }
`})
	o := testOptions(t, dir)
	o.Machine = machine.RealWith(testEnv("PKG_CONFIG_PATH="+pcDir, "GOOS=", "GOARCH="))
	o.Host = host.Host{OS: hw.OS, Arch: hw.Arch}
	o.Targets = []Target{{hw.OS, hw.Arch}}
	o.Smoke = true
	for _, want := range []struct {
		scale int
		out   string
	}{{1, "foo 7"}, {3, "foo 21"}, {1, "foo 7"}} {
		pc(want.scale)
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		noProblems(t, res)
		out := res.Outputs[0]
		if !out.Cgo || !out.CgoLinked {
			t.Errorf("FOO_SCALE=%d: cgo %v linked %v", want.scale, out.Cgo, out.CgoLinked)
		}
		if s := out.Smoke; s == nil || !s.OK || s.Output != want.out {
			t.Fatalf("FOO_SCALE=%d: smoke %+v, want %q", want.scale, s, want.out)
		}
	}
}
