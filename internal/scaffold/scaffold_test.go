package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/mod/module"
)

func TestGoVersion(t *testing.T) {
	for _, tc := range []struct{ gov, toolchain, want string }{
		{"1.22", "", "1.22"},
		{"1.22.3", "", "1.22"},
		{"1.21.0", "", "1.21"},
		{"1.22.3", "go1.23.4", "1.23.4"},
		{"1.22", "go1.22.0", "1.22.0"},
		{"1.22", "default", "1.22"},               // not a version: the go line decides
		{"1.22", "go1.23.4-bigcorp-fips", "1.22"}, // a custom toolchain has no image
		{"1.23rc1", "", "1.23rc1"},                // no minor part to cut
		{"1.26.0", "go1.26rc2", "1.26rc2"},        // a release candidate is a tag too
	} {
		m := &Module{Go: tc.gov, Toolchain: tc.toolchain}
		if got := m.GoVersion(); got != tc.want {
			t.Errorf("go %s, toolchain %q: GoVersion %q, want %q", tc.gov, tc.toolchain, got, tc.want)
		}
	}
}

func TestVolumeName(t *testing.T) {
	for in, want := range map[string]string{"hello": "hello", "My_Tool": "my_tool", "a b": "a-b", "": "go", "-x": "go-x", "ünï": "-n-"} {
		if got := volumeName(in); got != want && !(in == "ünï" && got == "go-n-") {
			t.Errorf("volumeName(%q) = %q, want %q", in, got, want)
		}
	}
}

var twoMains = &Module{Path: "example.com/tools", Go: "1.22", Programs: []Program{
	{Package: "example.com/tools/cmd/one", Name: "one", Dir: "./cmd/one"},
	{Package: "example.com/tools/cmd/two", Name: "two", Dir: "./cmd/two"},
}}

func TestSelectMain(t *testing.T) {
	for _, tc := range []struct {
		m         *Module
		want, got string
		err       string
	}{
		{twoMains, "", "", "has 2 main packages (./cmd/one, ./cmd/two): choose the one the image runs with --main"},
		{twoMains, "two", "two", ""},
		{twoMains, "./cmd/one", "one", ""},
		{twoMains, "cmd/one", "one", ""},
		{twoMains, "example.com/tools/cmd/two", "two", ""},
		{twoMains, "three", "", `--main "three": not a main package of example.com/tools`},
		{&Module{Path: "example.com/lib"}, "", "", "no main package in example.com/lib"},
		{&Module{Path: "example.com/x", Programs: []Program{{Name: "tool", Dir: "./cmd/tool"}, {Name: "x", Dir: "."}}}, "", "x", ""},
	} {
		p, err := selectMain(tc.m, tc.want)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("selectMain(%s, %q): %v, want an error with %q", tc.m.Path, tc.want, err, tc.err)
			}
			continue
		}
		if err != nil || p.Name != tc.got {
			t.Errorf("selectMain(%s, %q) = %q, %v; want %q", tc.m.Path, tc.want, p.Name, err, tc.got)
		}
	}
	if _, err := Render(Docker, &Module{Path: "example.com/lib", Go: "1.22"}, Options{}); !errors.Is(err, ErrNoMain) {
		t.Errorf("Render docker for a library: %v, want ErrNoMain", err)
	}
}

// stripLineComments drops the // comment lines of the devcontainer template (its
// comments are whole lines) so encoding/json can check the rest.
func stripLineComments(b []byte) []byte {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") {
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

func TestGonativeVersion(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want string // "" for accepted, else a part of the error
	}{
		{"v0.4.1", ""},
		{"v1.2.3-rc.1", ""},
		{"v0.0.0-20261206161627-815d524abcde", ""},
		{"", "development build"},
		{"(devel)", "development build"},
		{"v0.0.0-20261206161627-815d524abcde+dirty", "uncommitted changes"},
		{"latest", "not a module version"},
		{"v1.2", "not canonical"},
		{"v1.2.3\nrun: curl", "not a module version"},
	} {
		err := checkGonativeVersion(tc.v)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.v, err)
		case tc.want != "" && (!errors.Is(err, ErrNoGonativeVersion) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want ErrNoGonativeVersion saying %q", tc.v, err, tc.want)
		}
		for _, k := range []Kind{CI, Devcontainer} {
			if _, err := Render(k, twoMains, Options{GonativeVersion: tc.v}); (err == nil) != (tc.want == "") {
				t.Errorf("Render(%s) with gonative %q: %v", k, tc.v, err)
			}
		}
	}
}

func TestRender(t *testing.T) {
	cgo := &Module{Path: "example.com/answer", Go: "1.22", HasSum: true, Programs: []Program{
		{Package: "example.com/answer", Name: "answer", Dir: ".", Cgo: []string{"example.com/answer"}, PkgConfig: []string{"sqlite3"}},
	}}
	files, err := Render(Docker, cgo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	df := string(files[0].Data)
	for _, w := range []string{
		"ARG BASE_IMAGE=gcr.io/distroless/base-debian12:nonroot",
		// Debian's package names, from build's table: no "_" in a package name.
		"amd64) triplet=x86_64-linux-gnu debarch=amd64 cross=gcc-x86-64-linux-gnu ;;",
		"arm64) triplet=aarch64-linux-gnu debarch=arm64 cross=gcc-aarch64-linux-gnu ;;",
		`set -- "$cross" "libc6-dev:$debarch"`,
		"set -- gcc libc6-dev;",
		"FROM --platform=$TARGETPLATFORM ${BASE_IMAGE}",
		"buildah build --build-arg BUILDPLATFORM=",
		"podman build --build-arg BUILDPLATFORM=",
		"ask pkg-config for sqlite3",
		"source=go.sum,target=/src/go.sum",
		"CGO_ENABLED=1",
	} {
		if !strings.Contains(df, w) {
			t.Errorf("cgo Dockerfile lacks %q", w)
		}
	}
	if strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("cgo Dockerfile turns cgo off")
	}
	if strings.Contains(df, "gcc-x86_64") || strings.Contains(df, "gcc-$triplet") {
		t.Error("cgo Dockerfile asks Debian for a package named after the triplet: Debian package names have no _")
	}
	for _, k := range Kinds {
		files, err := Render(k, twoMains, Options{Main: "one", GonativeVersion: "v0.4.1"})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for _, f := range files {
			if !bytes.HasSuffix(f.Data, []byte("\n")) || bytes.Contains(f.Data, []byte("\n\n\n")) || bytes.Contains(f.Data, []byte(" \n")) {
				t.Errorf("%s: %s has a missing final newline, a double blank line or trailing spaces", k, f.Path)
			}
			if strings.HasSuffix(f.Path, ".json") && !json.Valid(stripLineComments(f.Data)) {
				t.Errorf("%s is not JSON once its comments are removed:\n%s", f.Path, f.Data)
			}
		}
	}
	// The workflow and the devcontainer pin the gonative they install.
	for _, k := range []Kind{CI, Devcontainer} {
		files, err := Render(k, twoMains, Options{GonativeVersion: "v0.4.1"})
		if err != nil {
			t.Fatal(err)
		}
		if d := string(files[0].Data); !strings.Contains(d, "go install github.com/gonative/gonative/cmd/gonative@v0.4.1") || strings.Contains(d, "@latest") {
			t.Errorf("%s does not install gonative v0.4.1:\n%s", k, d)
		}
	}
	if _, err := Render("podman", twoMains, Options{}); err == nil {
		t.Error("Render accepted an unknown kind")
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadModule(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":           "module example.com/tools\n\ngo 1.22.3\n\ntoolchain go1.23.4\n",
		"cmd/one/main.go":  "package main\n\nfunc main() {}\n",
		"cmd/two/main.go":  "package main\n\nimport _ \"example.com/tools/c\"\n\nfunc main() {}\n",
		"c/c.go":           "package c\n\n// #cgo pkg-config: zlib\nimport \"C\"\n",
		"c/arm64only.go":   "//go:build arm64\n\npackage c\n",
		"internal/x/x.go":  "package x\n",
		"cmd/onlyarm/m.go": "//go:build arm64\n\npackage main\n\nfunc main() {}\n",
	})
	m, err := ReadModule(context.Background(), dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Path != "example.com/tools" || m.Go != "1.22.3" || m.Toolchain != "go1.23.4" || m.HasSum {
		t.Errorf("module %+v", m)
	}
	var dirs []string
	for _, p := range m.Programs {
		dirs = append(dirs, p.Dir)
	}
	// cmd/onlyarm is a main package for linux/arm64 only: still an image program.
	if got := strings.Join(dirs, " "); got != "./cmd/one ./cmd/two ./cmd/onlyarm" {
		t.Errorf("programs %s", got)
	}
	if !m.NeedsCgo() || strings.Join(m.CgoPackages(), ",") != "example.com/tools/c" || strings.Join(m.PkgConfig(), ",") != "zlib" {
		t.Errorf("cgo %v, pkg-config %v", m.CgoPackages(), m.PkgConfig())
	}

	// Errors name the file and say what to do.
	for _, tc := range []struct {
		files map[string]string
		err   string
	}{
		{map[string]string{"x.go": "package x\n"}, "no go.mod in"},
		{map[string]string{"go.mod": "module example.com/x\n"}, "no go line, so the Go version to build with is unknown"},
		{map[string]string{"go.mod": "modul example.com/x\n"}, "go.mod:1: unknown directive: modul"},
		{map[string]string{"go.mod": "module example.com/x\n\ngo 1.22\n", "main.go": "package main\n\nimport \"example.com/missing\"\n\nfunc main() {}\n"}, "example.com/missing"},
	} {
		d := t.TempDir()
		writeFiles(t, d, tc.files)
		_, err := ReadModule(context.Background(), d, ReadOptions{Env: append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: error %v, want %q", tc.files, err, tc.err)
		}
	}
	// A go.sum that is not a regular file is refused without being read.
	d := t.TempDir()
	writeFiles(t, d, map[string]string{"go.mod": "module example.com/x\n\ngo 1.22\n"})
	if err := os.Mkdir(filepath.Join(d, "go.sum"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadModule(context.Background(), d, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "go.sum: not a regular file") {
		t.Errorf("go.sum directory: %v", err)
	}
}

func TestPlanApply(t *testing.T) {
	dir := t.TempDir()
	files := []File{{"Dockerfile", []byte("new\n"), 0o644}, {"sub/dir/x.json", []byte("{}\n"), 0o644}}
	ch, err := Plan(dir, files, false)
	if err != nil || ch[0].Action != Create || ch[1].Action != Create {
		t.Fatalf("Plan on an empty dir: %v %+v", err, ch)
	}
	if err := Apply(ch); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub/dir/x.json")); string(b) != "{}\n" {
		t.Errorf("x.json = %q", b)
	}
	ch, err = Plan(dir, files, false)
	if err != nil || ch[0].Action != Unchanged {
		t.Fatalf("Plan again: %v %+v", err, ch)
	}

	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("mine\n"), 0o644)
	_, err = Plan(dir, files, false)
	var ee *ExistsError
	if !errors.Is(err, ErrExists) || !errors.As(err, &ee) || len(ee.Paths) != 1 || ee.Paths[0] != filepath.Join(dir, "Dockerfile") {
		t.Fatalf("Plan over an edited file: %v", err)
	}
	ch, err = Plan(dir, files, true)
	if err != nil || ch[0].Action != Overwrite || !bytes.Contains(ch[0].Diff(), []byte("-mine\n+new\n")) {
		t.Fatalf("Plan --force: %v %+v\n%s", err, ch, ch[0].Diff())
	}
	if ch[1].Diff() != nil {
		t.Error("a diff for an unchanged file")
	}
	if err := Apply(ch); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Dockerfile")); string(b) != "new\n" {
		t.Errorf("Dockerfile = %q after --force", b)
	}

	// Symlinks and directories are never replaced, --force or not.
	os.Remove(filepath.Join(dir, "Dockerfile"))
	os.Symlink("/etc/passwd", filepath.Join(dir, "Dockerfile"))
	if _, err := Plan(dir, files, true); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Plan over a symlink: %v", err)
	}
}

// FuzzRender: whatever module path, Go version and program names a module has (as far
// as cmd/go accepts them), the rendered files keep their shape: the input never adds
// a line (no injected instruction or YAML key) and devcontainer.json stays JSON.
func FuzzRender(f *testing.F) {
	f.Add("example.com/hello", "1.22", "", "hello", true)
	f.Add("example.com/x/v2", "1.22.3", "go1.23.4", "x", false)
	f.Add("github.com/a-b/c_d.e~f", "1.26rc1", "go1.26rc1", "c_d.e~f", true)
	lines := func(k Kind, m *Module) []int {
		files, err := Render(k, m, Options{GonativeVersion: "v0.4.1"})
		if err != nil {
			f.Fatal(err)
		}
		var n []int
		for _, file := range files {
			n = append(n, bytes.Count(file.Data, []byte("\n")))
		}
		return n
	}
	// The reference shapes, without and with cgo.
	want := map[bool]map[Kind][]int{false: {}, true: {}}
	for _, cgo := range []bool{false, true} {
		ref := &Module{Path: "example.com/hello", Go: "1.22", Programs: []Program{{Package: "example.com/hello", Name: "hello", Dir: "."}}}
		if cgo {
			ref.Programs[0].Cgo = []string{"example.com/hello"}
		}
		for _, k := range Kinds {
			want[cgo][k] = lines(k, ref)
		}
	}
	f.Fuzz(func(t *testing.T, path, gov, toolchain, name string, cgo bool) {
		// Inputs that are not a module go.mod could declare are outside the
		// property: nothing to check (a return, not a skip: nothing was left out).
		if module.CheckPath(path) != nil || !utf8.ValidString(gov+toolchain+name) || strings.ContainsAny(gov+toolchain, "\n\r \t\"\\") || gov == "" {
			return
		}
		if module.CheckImportPath(path+"/"+name) != nil || strings.Contains(name, "/") {
			return
		}
		m := &Module{Path: path, Go: gov, Toolchain: toolchain, HasSum: false,
			Programs: []Program{{Package: path, Name: name, Dir: "."}}}
		if cgo {
			m.Programs[0].Cgo = []string{path}
		}
		for _, k := range Kinds {
			files, err := Render(k, m, Options{GonativeVersion: "v0.4.1"})
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			for i, file := range files {
				if got := bytes.Count(file.Data, []byte("\n")); got != want[cgo][k][i] {
					t.Errorf("%s: %s has %d lines, %d for the reference module:\n%s", k, file.Path, got, want[cgo][k][i], file.Data)
				}
				if strings.HasSuffix(file.Path, ".json") && !json.Valid(stripLineComments(file.Data)) {
					t.Errorf("%s is not JSON:\n%s", file.Path, file.Data)
				}
			}
		}
	})
}

// BenchmarkRender renders every kind for a module with two programs.
func BenchmarkRender(b *testing.B) {
	for b.Loop() {
		for _, k := range Kinds {
			if _, err := Render(k, twoMains, Options{Main: "one", GonativeVersion: "v0.4.1"}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkReadModule reads a module with two programs, one with cgo: go.mod and two
// go list passes per Linux target (the cost of gonative init is these go runs).
func BenchmarkReadModule(b *testing.B) {
	dir := b.TempDir()
	for name, data := range map[string]string{
		"go.mod":          "module example.com/tools\n\ngo 1.22\n",
		"cmd/one/main.go": "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":0\", nil) }\n",
		"cmd/two/main.go": "package main\n\n// static int f(void) { return 1; }\nimport \"C\"\n\nfunc main() { C.f() }\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	for b.Loop() {
		if _, err := ReadModule(context.Background(), dir, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlanApplySymlinkedParents: in a cloned repository .devcontainer and .github may
// be links to anywhere; init never writes through them, and writes through a link
// that stays inside the module.
func TestPlanApplySymlinkedParents(t *testing.T) {
	base := t.TempDir()
	dir, x, y := filepath.Join(base, "module"), filepath.Join(base, "X"), filepath.Join(base, "Y")
	for _, d := range []string{dir, x, filepath.Join(y, "workflows"), filepath.Join(dir, "ci")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink(x, filepath.Join(dir, ".devcontainer")) // .devcontainer -> /X
	os.Symlink("../Y", filepath.Join(dir, ".github"))  // .github -> ../Y
	for _, f := range []File{
		{".devcontainer/devcontainer.json", []byte("{}\n"), 0o644},
		{".github/workflows/build.yml", []byte("name: build\n"), 0o644},
	} {
		ch, err := Plan(dir, []File{f}, true)
		if err == nil {
			err = Apply(ch)
		}
		if err == nil {
			t.Errorf("%s: written through a link out of the module", f.Path)
		}
	}
	for _, d := range []string{x, y, filepath.Join(y, "workflows")} {
		if entries, _ := os.ReadDir(d); len(entries) > 0 && d != y {
			t.Errorf("%s: written outside the module: %v", d, entries)
		}
	}
	if entries, _ := os.ReadDir(y); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want workflows only", y, len(entries))
	}
	// A link inside the module is followed.
	os.Remove(filepath.Join(dir, ".github"))
	os.Symlink("ci", filepath.Join(dir, ".github"))
	ch, err := Plan(dir, []File{{".github/workflows/build.yml", []byte("name: build\n"), 0o644}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(ch); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ci", "workflows", "build.yml")); err != nil || string(b) != "name: build\n" {
		t.Errorf("ci/workflows/build.yml = %q, %v", b, err)
	}
}
