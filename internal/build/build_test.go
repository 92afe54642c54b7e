package build

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/gonative/gonative/internal/machine"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
)

// module writes a Go module named path with files into a temp dir.
func module(t *testing.T, path string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module " + path + "\n\ngo 1.21\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testEnv is the environment of the go commands tests run: the Go on PATH, no GOFLAGS
// from the caller, no workspace.
func testEnv(extra ...string) []string {
	return append(os.Environ(), append([]string{"GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off"}, extra...)...)
}

// onPath is m whose PATH has only the programs keep accepts (go runs all the same).
func onPath(m machine.Machine, keep func(string) bool) machine.Machine { return pathOnly{m, keep} }

type pathOnly struct {
	machine.Machine
	keep func(string) bool
}

func (m pathOnly) LookPath(name string) (string, error) {
	if !m.keep(name) {
		return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	return m.Machine.LookPath(name)
}

func testOptions(t *testing.T, dir string) Options {
	fixture.Need(t, "go", "golang-go")
	return Options{
		Dir:      dir,
		Machine:  machine.RealWith(testEnv()),
		TrimPath: true,
		Host:     host.Host{OS: runtime.GOOS, Arch: runtime.GOARCH},
	}
}

func noProblems(t *testing.T, res *Result) {
	t.Helper()
	for _, o := range res.Outputs {
		if o.Error != "" || len(o.Problems) > 0 {
			t.Errorf("%s: error %q problems %q", o.Target, o.Error, o.Problems)
		}
	}
}

func TestBuildDefaultTargets(t *testing.T) {
	dir := module(t, "example.com/tools/hello/v2", map[string]string{"main.go": fixture.Hello})
	o := testOptions(t, dir)
	o.Universal = true
	o.Smoke = true
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	noProblems(t, res)
	want := []string{"hello_darwin_arm64", "hello_darwin_amd64", "hello_linux_arm64", "hello_linux_amd64",
		"hello_windows_amd64.exe", "hello_windows_arm64.exe", "hello_darwin_universal"}
	if len(res.Outputs) != len(want) {
		t.Fatalf("%d outputs, want %d", len(res.Outputs), len(want))
	}
	for i, o := range res.Outputs {
		if filepath.Base(o.Path) != want[i] {
			t.Errorf("output %d is %s, want %s", i, filepath.Base(o.Path), want[i])
		}
		if o.Cgo || o.CgoLinked {
			t.Errorf("%s: cgo on for a pure-Go program", o.Target)
		}
		if o.Target == "linux/"+runtime.GOARCH && (o.Smoke == nil || !o.Smoke.OK || o.Smoke.How != "native") {
			t.Errorf("%s: smoke %+v", o.Target, o.Smoke)
		}
		if o.Target == "darwin/arm64" && o.Signature != "valid (ad hoc)" {
			t.Errorf("darwin/arm64 signature %q", o.Signature)
		}
	}
	// SHA256SUMS is sha256sum's format: sha256sum -c accepts it.
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sum, "-c", "SHA256SUMS")
		cmd.Dir = filepath.Join(dir, "dist")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
	var m struct {
		Outputs []struct {
			Target, Path, SHA256 string
			Size                 int64
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "dist", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Outputs) != len(want) || m.Outputs[6].Target != "darwin/universal" || m.Outputs[0].Path != want[0] || m.Outputs[0].Size == 0 {
		t.Errorf("manifest: %+v", m.Outputs)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "dist", ".*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// optionalCgo is a program with a cgo implementation and a pure-Go fallback, like
// go-sqlite3's stub: it builds either way, so only gonative can notice cgo was lost.
var optionalCgo = map[string]string{
	"main.go": `package main

import "fmt"

func main() { fmt.Println("answer", answer()) }
`,
	"cgo.go": `//go:build cgo

package main

/*
static int answer(void) { return 42; }
*/
import "C"

func answer() int { return int(C.answer()) }
`,
	"nocgo.go": `//go:build !cgo

package main

func answer() int { return -1 }
`,
}

func TestCgoTargets(t *testing.T) {
	dir := module(t, "example.com/answer", optionalCgo)
	// A Linux amd64 host with no compilers but Debian's arm64 cross gcc.
	lookPath := onPath(machine.RealWith(testEnv()), func(tool string) bool {
		return tool == "aarch64-linux-gnu-gcc" || strings.HasPrefix(tool, "qemu-")
	})
	t.Run("darwin refused before building", func(t *testing.T) {
		o := testOptions(t, dir)
		o.Host = host.Host{OS: "linux", Arch: "amd64"}
		o.Machine = lookPath
		o.Targets = []Target{{"linux", "amd64"}, {"darwin", "arm64"}}
		_, err := Build(context.Background(), o)
		var pe *PlanError
		if !errors.As(err, &pe) || !errors.Is(pe.Problems[0], ErrNoToolchain) {
			t.Fatalf("err = %v, want a PlanError", err)
		}
		for _, w := range []string{"darwin/arm64 needs cgo (example.com/answer has cgo files)", "Apple's SDK", "macOS CI runner", "--sdk darwin/arm64=", "--cgo=off"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error lacks %q:\n%v", w, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
			t.Error("dist written although nothing could be built")
		}
	})
	t.Run("cgo=off honoured", func(t *testing.T) {
		o := testOptions(t, dir)
		o.Host = host.Host{OS: "linux", Arch: "amd64"}
		o.Machine = lookPath
		o.Targets = []Target{{"darwin", "arm64"}, {"windows", "amd64"}}
		o.Cgo = CgoOff
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		noProblems(t, res)
		for _, out := range res.Outputs {
			if out.Cgo || out.CgoLinked {
				t.Errorf("%s: cgo on despite --cgo=off", out.Target)
			}
			if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "cgo off as asked (--cgo=off) although example.com/answer has cgo files") {
				t.Errorf("%s: notes %q", out.Target, out.Notes)
			}
		}
	})
	t.Run("linux/arm64 with the cross gcc", func(t *testing.T) {
		fixture.Need(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
		fixture.Need(t, "qemu-aarch64-static", "qemu-user-static")
		o := testOptions(t, dir)
		o.Host = host.Host{OS: "linux", Arch: "amd64"}
		o.Machine = lookPath
		o.Targets = []Target{{"linux", "arm64"}}
		o.Smoke = true
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		noProblems(t, res)
		out := res.Outputs[0]
		if !out.Cgo || !out.CgoLinked || out.CToolchain == nil || out.CToolchain.CC != "aarch64-linux-gnu-gcc" {
			t.Errorf("cgo %v linked %v toolchain %+v", out.Cgo, out.CgoLinked, out.CToolchain)
		}
		if out.Interpreter != "/lib/ld-linux-aarch64.so.1" || out.GLIBC == "" {
			t.Errorf("interpreter %q glibc %q", out.Interpreter, out.GLIBC)
		}
		if out.Smoke == nil || !out.Smoke.OK || !strings.Contains(out.Smoke.Output, "answer 42") {
			t.Errorf("smoke: %+v", out.Smoke)
		}
	})
}

// TestPkgConfigSysroot links a C library found through pkg-config in a sysroot built
// here, runs the result under qemu, then changes the .pc file and checks the rebuild
// sees it (Go's cache alone would not).
func TestPkgConfigSysroot(t *testing.T) {
	gcc := fixture.Need(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
	fixture.Need(t, "aarch64-linux-gnu-ar", "binutils-aarch64-linux-gnu")
	fixture.Need(t, "pkg-config", "pkg-config")
	fixture.Need(t, "qemu-aarch64-static", "qemu-user-static")
	sys := t.TempDir()
	for _, d := range []string{"usr/include", "usr/lib/pkgconfig", "src"} {
		os.MkdirAll(filepath.Join(sys, d), 0o755)
	}
	os.WriteFile(filepath.Join(sys, "usr/include/foo.h"), []byte("int foo_value(void);\n"), 0o644)
	os.WriteFile(filepath.Join(sys, "src/foo.c"), []byte("int foo_value(void) { return 7; }\n"), 0o644)
	obj := filepath.Join(sys, "src/foo.o")
	if out, err := exec.Command(gcc, "-c", "-o", obj, filepath.Join(sys, "src/foo.c")).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := exec.Command("aarch64-linux-gnu-ar", "rcs", filepath.Join(sys, "usr/lib/libfoo.a"), obj).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pc := func(scale int) {
		s := "prefix=/usr\nincludedir=${prefix}/include\nlibdir=${prefix}/lib\n\nName: foo\nDescription: test\nVersion: 1.0\n" +
			"Cflags: -I${includedir} -DFOO_SCALE=" + string(rune('0'+scale)) + "\nLibs: -L${libdir} -lfoo\n"
		os.WriteFile(filepath.Join(sys, "usr/lib/pkgconfig/foo.pc"), []byte(s), 0o644)
	}
	pc(1)
	// A host foo.pc on PKG_CONFIG_PATH that must not be used.
	hostPC := t.TempDir()
	os.WriteFile(filepath.Join(hostPC, "foo.pc"), []byte("Name: foo\nDescription: host\nVersion: 9\nCflags: -DFOO_SCALE=9 -I/usr/include/host-only\nLibs: -lhostfoo\n"), 0o644)

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
	o.Machine = machine.RealWith(testEnv("PKG_CONFIG_PATH=" + hostPC))
	o.Host = host.Host{OS: "linux", Arch: "amd64"}
	o.Targets = []Target{{"linux", "arm64"}}
	o.SDK = map[string]string{"linux/arm64": sys}
	o.Smoke = true
	for _, want := range []struct {
		scale int
		out   string
	}{{1, "foo 7"}, {3, "foo 21"}} {
		pc(want.scale)
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		noProblems(t, res)
		if s := res.Outputs[0].Smoke; s == nil || !s.OK || s.Output != want.out {
			t.Fatalf("FOO_SCALE=%d: smoke %+v, want %q", want.scale, s, want.out)
		}
	}
}

func TestNeedsCgoIgnoresStandardLibrary(t *testing.T) {
	dir := module(t, "example.com/web", map[string]string{"main.go": `package main

import (
	"net/http"
	"os/user"
)

func main() { _, _ = user.Current(); _ = http.DefaultClient }
`})
	o := testOptions(t, dir).withDefaults()
	n, err := needsCgo(context.Background(), o, ".", Target{"linux", "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Packages) != 0 {
		t.Errorf("net and os/user made it need cgo: %v", n.Packages)
	}
}

func TestPlanErrors(t *testing.T) {
	dir := module(t, "example.com/lib", map[string]string{"lib.go": "package lib\n"})
	o := testOptions(t, dir)
	if _, err := Build(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no main package") {
		t.Errorf("library: %v", err)
	}
	o.Packages = []string{"./nope"}
	if _, err := Build(context.Background(), o); err == nil {
		t.Error("missing package: no error")
	}
}

// TestSQLiteIntegration is the seed's real case: github.com/mattn/go-sqlite3 for
// linux/arm64 with Debian's cross gcc, run under qemu. It downloads the module through
// GOPROXY and compiles SQLite, so it runs only with GONATIVE_INTEGRATION=1.
func TestSQLiteIntegration(t *testing.T) {
	if os.Getenv("GONATIVE_INTEGRATION") == "" {
		t.Skip("set GONATIVE_INTEGRATION=1 to build github.com/mattn/go-sqlite3 for linux/arm64 (downloads it, compiles SQLite)")
	}
	fixture.Need(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
	fixture.Need(t, "qemu-aarch64-static", "qemu-user-static")
	dir := module(t, "example.com/sqlitedemo", map[string]string{"main.go": `package main

import (
	"database/sql"
	"fmt"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		panic(err)
	}
	var v string
	if err := db.QueryRow("select sqlite_version()").Scan(&v); err != nil {
		panic(err)
	}
	fmt.Println("sqlite", v)
}
`})
	get := exec.Command("go", "get", "github.com/mattn/go-sqlite3@v1.14.32")
	get.Dir, get.Env = dir, testEnv()
	if out, err := get.CombinedOutput(); err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	o := testOptions(t, dir)
	// SQLite's C (8 MB) at -O0: what is checked (the cross compiler chosen, cgo linked,
	// the program runs under qemu) does not depend on gcc's optimisation, and -O2 -g,
	// cgo's default, made this test 60 CPU-s cold against 24 (issue 25).
	o.Machine = machine.RealWith(testEnv("CGO_CFLAGS=-O0"))
	o.Targets = []Target{{"linux", "arm64"}}
	o.Smoke = true
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	noProblems(t, res)
	out := res.Outputs[0]
	t.Logf("built in %.1fs: %s glibc %s; smoke: %s", out.Elapsed, out.Interpreter, out.GLIBC, out.Smoke.Output)
	if !out.CgoLinked || !strings.HasPrefix(out.Smoke.Output, "sqlite 3.") {
		t.Errorf("cgo linked %v, smoke %+v", out.CgoLinked, out.Smoke)
	}
	// Without cgo, go-sqlite3 builds its stub: gonative refuses unless --cgo=off.
	o.Machine = onPath(o.Machine, func(string) bool { return false })
	o.Host = host.Host{OS: "linux", Arch: "amd64"}
	if _, err := Build(context.Background(), o); !errors.Is(err, ErrNoToolchain) {
		t.Errorf("without a cross compiler: %v", err)
	}
}

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
		err  bool
	}{
		{[]string{"linux/arm64"}, "linux/arm64", false},
		{[]string{"linux/arm64,darwin/arm64", "linux/arm64"}, "linux/arm64 darwin/arm64", false},
		{[]string{" windows/amd64 , "}, "windows/amd64", false},
		{[]string{"linux"}, "", true},
		{[]string{"linux/arm64/v8"}, "", true},
		{[]string{""}, "", true},
		{[]string{"Linux/ARM64"}, "", true},
	} {
		ts, err := ParseTargets(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		var s []string
		for _, x := range ts {
			s = append(s, x.String())
		}
		if got := strings.Join(s, " "); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParseTargets(f *testing.F) {
	f.Add("linux/arm64,darwin/amd64")
	f.Add("/")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTargets([]string{s})
		if err != nil {
			return
		}
		for _, x := range ts {
			if x.OS == "" || x.Arch == "" || strings.Contains(x.String(), ",") {
				t.Fatalf("bad target %+v from %q", x, s)
			}
		}
	})
}

func TestProgramName(t *testing.T) {
	for in, want := range map[string]string{
		"example.com/tool":           "tool",
		"example.com/tool/v2":        "tool",
		"example.com/x/cmd/gonative": "gonative",
		"hello":                      "hello",
		"v2":                         "v2",
	} {
		if got := ProgramName(in); got != want {
			t.Errorf("ProgramName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	// tools is a machine whose PATH has only the named programs, in /usr/bin.
	tools := func(names ...string) machine.Machine {
		fsys := fstest.MapFS{"usr/bin": {Mode: fs.ModeDir | 0o755}}
		for _, n := range names {
			fsys["usr/bin/"+n] = &fstest.MapFile{Mode: 0o755}
		}
		return machine.Fake(fsys, map[string]string{"PATH": "/usr/bin"})
	}
	for _, tc := range []struct {
		name     string
		r        Resolver
		t        Target
		cc       string
		pkg      string // a PKG_CONFIG* setting that must be there
		errWants string
	}{
		{"native linux", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools()}, Target{"linux", "amd64"}, "", "", ""},
		{"debian cross", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("aarch64-linux-gnu-gcc")}, Target{"linux", "arm64"}, "aarch64-linux-gnu-gcc", "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/aarch64-linux-gnu/lib/pkgconfig", ""},
		{"triplet pkg-config", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-pkg-config")}, Target{"linux", "arm64"}, "aarch64-linux-gnu-gcc", "PKG_CONFIG=aarch64-linux-gnu-pkg-config", ""},
		{"arm", Resolver{HostOS: "linux", HostArch: "arm64", Machine: tools("arm-linux-gnueabihf-gcc")}, Target{"linux", "arm"}, "arm-linux-gnueabihf-gcc", "", ""},
		{"amd64 from arm64", Resolver{HostOS: "linux", HostArch: "arm64", Machine: tools("x86_64-linux-gnu-gcc")}, Target{"linux", "amd64"}, "x86_64-linux-gnu-gcc", "", ""},
		{"zig linux", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("zig")}, Target{"linux", "arm64"}, "zig cc -target aarch64-linux-gnu", "", ""},
		{"zig windows", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("zig")}, Target{"windows", "arm64"}, "zig cc -target aarch64-windows-gnu", "", ""},
		{"mingw", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("x86_64-w64-mingw32-gcc")}, Target{"windows", "amd64"}, "x86_64-w64-mingw32-gcc", "", ""},
		{"mac arm64 for amd64", Resolver{HostOS: "darwin", HostArch: "arm64", Machine: tools("clang")}, Target{"darwin", "amd64"}, "clang -arch x86_64", "", ""},
		{"mac amd64 for arm64", Resolver{HostOS: "darwin", HostArch: "amd64", Machine: tools("clang")}, Target{"darwin", "arm64"}, "clang -arch arm64", "", ""},
		{"override", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools(), CC: map[string]string{"darwin/arm64": "oa64-clang"}}, Target{"darwin", "arm64"}, "oa64-clang", "", ""},
		{"sysroot", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("aarch64-linux-gnu-gcc"), SDK: map[string]string{"": "/sr"}}, Target{"linux", "arm64"}, "aarch64-linux-gnu-gcc", "PKG_CONFIG_SYSROOT_DIR=/sr", ""},
		{"darwin from linux", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("zig", "clang")}, Target{"darwin", "arm64"}, "", "", "Apple's SDK"},
		{"darwin from linux with SDK", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools("zig"), SDK: map[string]string{"darwin/arm64": "/sdk"}}, Target{"darwin", "arm64"}, "zig cc -target aarch64-macos -isysroot /sdk -F/sdk/System/Library/Frameworks", "", ""},
		{"no cross gcc", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools()}, Target{"linux", "arm64"}, "", "", "apt-get install gcc-aarch64-linux-gnu"},
		{"no mingw", Resolver{HostOS: "linux", HostArch: "amd64", Machine: tools()}, Target{"windows", "arm64"}, "", "", "mingw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcn, err := tc.r.Resolve(tc.t)
			if tc.errWants != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errWants) || !errors.Is(err, ErrNoToolchain) {
					t.Fatalf("err = %v, want %q", err, tc.errWants)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tcn.CC != tc.cc {
				t.Errorf("CC = %q, want %q", tcn.CC, tc.cc)
			}
			if tc.pkg != "" && !strings.Contains(strings.Join(tcn.Env, "\n"), tc.pkg) {
				t.Errorf("env %q lacks %q", tcn.Env, tc.pkg)
			}
			for _, kv := range tcn.Env {
				dirs, ok := strings.CutPrefix(kv, "PKG_CONFIG_LIBDIR=")
				if !ok {
					continue
				}
				for _, d := range strings.Split(dirs, ":") {
					switch d {
					case "/usr/lib/pkgconfig", "/usr/share/pkgconfig", "/usr/local/lib/pkgconfig", "/usr/lib/" + triplet(tc.r.HostArch) + "/pkgconfig":
						t.Errorf("host pkg-config directory %s in %q", d, kv)
					}
				}
			}
		})
	}
}

func TestVerifyFindsMismatches(t *testing.T) {
	ctx := context.Background()
	amd := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"})
	for _, tc := range []struct {
		name string
		path string
		t    Target
		cgo  cgoWant
		want string
	}{
		{"arch", amd, Target{"linux", "arm64"}, cgoNo, "architecture is amd64, want arm64"},
		{"format", amd, Target{"darwin", "amd64"}, cgoNo, "format is elf, want macho"},
		{"cgo lost", amd, Target{"linux", "amd64"}, cgoYes, "built with cgo but runtime/cgo is not linked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &Output{}
			verify(ctx, tc.path, tc.t, tc.cgo, out)
			if !strings.Contains(strings.Join(out.Problems, "\n"), tc.want) {
				t.Errorf("problems %q, want %q", out.Problems, tc.want)
			}
		})
	}
	// A darwin/arm64 program whose signed bytes changed is caught.
	arm := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath")
	b, err := os.ReadFile(arm)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0xff
	bad := filepath.Join(t.TempDir(), "edited")
	os.WriteFile(bad, b, 0o755)
	out := &Output{}
	verify(ctx, bad, Target{"darwin", "arm64"}, cgoNo, out)
	if !strings.Contains(strings.Join(out.Problems, "\n"), "darwin/arm64 needs a valid code signature") {
		t.Errorf("edited binary: problems %q, signature %q", out.Problems, out.Signature)
	}
}
