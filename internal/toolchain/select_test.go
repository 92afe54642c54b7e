package toolchain

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeInstall puts a minimal toolchain into the store without a source.
func fakeInstall(t *testing.T, st Store, v string) {
	t.Helper()
	bin := filepath.Join(st.GOROOT(v), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGoScript(v, here)), 0o755)
}

func TestWhich(t *testing.T) {
	st := newStore(t)
	for _, v := range []string{"1.25.4", "1.26.1", "1.26.2", "1.27.3"} {
		fakeInstall(t, st, v)
	}
	if err := st.SetDefault("1.26.1"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.GOROOT("1.26.1"), "go.env"), []byte("GOTOOLCHAIN=auto\n"), 0o644)
	files := map[string]string{
		"/p/pinned/.go-version":  "1.25.4\n",
		"/p/pinned/go.mod":       "module x\ngo 1.27.3\n",
		"/p/tv/.tool-versions":   "nodejs 20\ngolang 1.26\n",
		"/p/lang/.go-version":    "# comment\ngo1.26\n",
		"/p/missing/.go-version": "1.24.0\n",
		"/p/mod/go.mod":          "module m\ngo 1.26.0\ntoolchain go1.27.3\n",
		"/p/modgo/go.mod":        "module m\ngo 1.27\n",
		"/p/old/go.mod":          "module m\ngo 1.21\n",
		"/p/def/go.mod":          "module m\ngo 1.20\ntoolchain default\n",
		"/p/ws/go.work":          "go 1.27.3\nuse ./a\n",
		"/p/ws/a/go.mod":         "module a\ngo 1.25\n",
		"/p/notinst/go.mod":      "module m\ngo 1.28.1\n",
		"/home/.config/go/env":   "",
		"/p/userenv/go.mod":      "module m\ngo 1.27.3\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[filepath.ToSlash(p)]; ok {
			return []byte(s), nil
		}
		return os.ReadFile(p) // the store is real
	}
	tests := []struct {
		name, dir string
		env       map[string]string
		userEnv   string
		version   string
		by        string
		reason    string
		installed bool
	}{
		{"env", "/p/pinned", map[string]string{"GONATIVE_GO": "1.27.3"}, "", "1.27.3", ByEnv, "GONATIVE_GO=1.27.3", true},
		{"go-version over go.mod", "/p/pinned/sub", nil, "", "1.25.4", ByGoVersion, "/p/pinned/.go-version", true},
		{"tool-versions lang", "/p/tv", nil, "", "1.26.2", ByToolVersions, ".tool-versions", true},
		{"go-version lang", "/p/lang/x/y", nil, "", "1.26.2", ByGoVersion, ".go-version", true},
		{"pin not installed", "/p/missing", nil, "", "1.24.0", ByGoVersion, ".go-version", false},
		{"toolchain line (auto from go.env)", "/p/mod", nil, "", "1.27.3", ByModule, "toolchain line in", true},
		{"go line lang gets .0", "/p/modgo", nil, "", "1.27.0", ByModule, "go line in", false},
		{"older go line: default", "/p/old", nil, "", "1.26.1", ByDefault, "asks for nothing newer", true},
		{"toolchain default", "/p/def", nil, "", "1.26.1", ByDefault, "global default", true},
		{"go.work over go.mod", "/p/ws/a", nil, "", "1.27.3", ByModule, "/p/ws/go.work", true},
		{"GOWORK=off", "/p/ws/a", map[string]string{"GOWORK": "off"}, "", "1.26.1", ByDefault, "global default", true},
		{"GOTOOLCHAIN=local", "/p/mod", map[string]string{"GOTOOLCHAIN": "local"}, "", "1.26.1", ByDefault, "global default", true},
		{"go env -w GOTOOLCHAIN=local", "/p/userenv", nil, "GOTOOLCHAIN=local\n", "1.26.1", ByDefault, "global default", true},
		{"GOTOOLCHAIN=go1.27.3", "/p/old", map[string]string{"GOTOOLCHAIN": "go1.27.3"}, "", "1.27.3", ByGOTOOLCHAIN, "GOTOOLCHAIN=go1.27.3", true},
		{"GOTOOLCHAIN=go1.27.3 without go.mod", "/elsewhere", map[string]string{"GOTOOLCHAIN": "go1.27.3"}, "", "1.27.3", ByGOTOOLCHAIN, "GOTOOLCHAIN=go1.27.3 (from the environment)", true},
		{"not installed: module cache", "/p/notinst", nil, "", "1.28.1", ByModule, "go line", false},
		{"path mode not installed", "/p/notinst", map[string]string{"GOTOOLCHAIN": "path"}, "", "1.28.1", ByModule, "go line", false},
		{"no module: default", "/elsewhere", nil, "", "1.26.1", ByDefault, "global default", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files["/home/.config/go/env"] = tt.userEnv
			sel, err := Which(WhichInput{
				Dir:         filepath.FromSlash(tt.dir),
				Machine:     onReal(tt.env, read),
				Store:       st,
				Platform:    linuxAMD64,
				GOMODCACHE:  "/modcache",
				UserEnvFile: filepath.FromSlash("/home/.config/go/env"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if sel.Version != tt.version || sel.By != tt.by || !strings.Contains(filepath.ToSlash(sel.Reason), tt.reason) || sel.Installed != tt.installed {
				t.Errorf("Which = %+v; want %s by %s (%q) installed=%v", sel, tt.version, tt.by, tt.reason, tt.installed)
			}
			if tt.installed && sel.Go != st.GoExe(sel.Version) {
				t.Errorf("Go = %s, want %s", sel.Go, st.GoExe(sel.Version))
			}
			if !tt.installed && sel.Note == "" {
				t.Error("no note for a missing toolchain")
			}
		})
	}
	// No default and nothing selected.
	st2 := newStore(t)
	_, err := Which(WhichInput{Dir: "/elsewhere", Machine: onReal(nil, read), Store: st2})
	if err == nil || !strings.Contains(err.Error(), "gonative install") {
		t.Errorf("empty store: %v", err)
	}
}

func TestQuery(t *testing.T) {
	avail := []string{"1.26.0", "1.26.1", "1.27rc1", "1.27rc2", "1.27.0", "1.27.3", "1.28rc1", "1.20", "1.20.1"}
	tests := []struct {
		arg, want string
		ok        bool
	}{
		{"1.27.3", "1.27.3", true},
		{"go1.27.3", "1.27.3", true},
		{"1.27", "1.27.3", true},
		{"1.28", "1.28rc1", true},
		{"latest", "1.27.3", true},
		{"1.20", "1.20", true},
		{"1.27.4", "", false},
		{"1.29", "", false},
		{"1.28rc1", "1.28rc1", true},
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.arg)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := q.Resolve(avail)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s → %q %v, want %q %v", tt.arg, got, ok, tt.want, tt.ok)
		}
	}
	for _, bad := range []string{"", "1", "x1.2", "go", "1.27.3.4", "../1.2"} {
		if _, err := ParseQuery(bad); err == nil {
			t.Errorf("ParseQuery(%q) accepted", bad)
		}
	}
}

func TestParseArchiveName(t *testing.T) {
	tests := []struct {
		name, v, plat, format string
	}{
		{"v0.0.1-go1.27.3.darwin-arm64.zip", "1.27.3", "darwin/arm64", "zip"},
		{"go1.27.3.linux-amd64.tar.gz", "1.27.3", "linux/amd64", "tar.gz"},
		{"go1.22rc1.windows-amd64.zip", "1.22rc1", "windows/amd64", "zip"},
	}
	for _, tt := range tests {
		v, p, f, err := parseArchiveName(tt.name)
		if err != nil || v != tt.v || p.String() != tt.plat || f != tt.format {
			t.Errorf("%s → %s %s %s %v", tt.name, v, p, f, err)
		}
	}
	for _, bad := range []string{"go.zip", "go1.27.3.tar.xz", "v0.0.1-go1.27.3.zip", "random.zip"} {
		if _, _, _, err := parseArchiveName(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCachedToolchains(t *testing.T) {
	mc := t.TempDir()
	mv := ModuleVersion("1.27.3", linuxAMD64)
	dir := filepath.Join(mc, "golang.org", "toolchain@"+mv)
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "go"), []byte("x"), 0o555)
	dl := filepath.Join(mc, "cache", "download", "golang.org", "toolchain", "@v")
	os.MkdirAll(dl, 0o755)
	for _, ext := range []string{".zip", ".ziphash", ".info", ".mod", ".lock"} {
		os.WriteFile(filepath.Join(dl, mv+ext), []byte("data"), 0o444)
	}
	os.WriteFile(filepath.Join(dl, ModuleVersion("1.26.0", linuxAMD64)+".zip"), []byte("z"), 0o444)
	os.WriteFile(filepath.Join(dl, "list"), []byte("x"), 0o444)
	// The module cache makes its directories read-only.
	os.Chmod(filepath.Join(dir, "bin"), 0o555)
	os.Chmod(dir, 0o555)
	cs, err := CachedToolchains(mc)
	if err != nil || len(cs) != 2 {
		t.Fatalf("CachedToolchains = %+v, %v", cs, err)
	}
	if cs[0].Version != "1.27.3" || cs[0].Dir != dir || len(cs[0].Files) != 5 || cs[1].Version != "1.26.0" || cs[1].Dir != "" {
		t.Errorf("got %+v", cs)
	}
	for _, c := range cs {
		if err := c.Remove(); err != nil {
			t.Fatal(err)
		}
	}
	if cs, _ := CachedToolchains(mc); len(cs) != 0 {
		t.Errorf("left after Remove: %+v", cs)
	}
	if _, err := os.Stat(filepath.Join(dl, "list")); err != nil {
		t.Error("removed an unrelated file")
	}
}

func TestDefaultHome(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"HOME": "/h"}, "/h/.local/share/gonative"},
		{"linux", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "/x"}, "/x/gonative"},
		{"darwin", map[string]string{"HOME": "/h"}, "/h/Library/Application Support/gonative"},
		{"linux", map[string]string{"HOME": "/h", "GONATIVE_HOME": "/g"}, "/g"},
	}
	for _, tt := range tests {
		got, err := DefaultHome(tt.goos, env(tt.env))
		if err != nil || filepath.ToSlash(got) != tt.want {
			t.Errorf("DefaultHome(%s, %v) = %q, %v", tt.goos, tt.env, got, err)
		}
	}
	if _, err := DefaultHome("linux", env(nil)); err == nil {
		t.Error("no home accepted")
	}
}

func FuzzParseArchiveName(f *testing.F) {
	f.Add("v0.0.1-go1.27.3.darwin-arm64.zip")
	f.Fuzz(func(t *testing.T, name string) {
		v, p, _, err := parseArchiveName(name)
		if err == nil && (v == "" || p.OS == "" || p.Arch == "") {
			t.Fatalf("%q: %q %v", name, v, p)
		}
	})
}

func FuzzParseToolVersions(f *testing.F) {
	f.Add("golang 1.27.3\nnodejs 20\n")
	f.Fuzz(func(t *testing.T, s string) {
		ParseToolVersions([]byte(s))
		ParseGoVersionFile([]byte(s))
	})
}

func TestDiskError(t *testing.T) {
	err := diskError(&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC})
	if !strings.Contains(err.Error(), "disk is full") || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("ENOSPC: %v", err)
	}
	err = diskError(&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission})
	if !strings.Contains(err.Error(), "GONATIVE_HOME") {
		t.Errorf("EPERM: %v", err)
	}
}

// TestWritePin checks that a pin written by WritePin is the one findPin reads back.
func TestWritePin(t *testing.T) {
	dir := t.TempDir()
	file, err := WritePin(dir, "1.27.3")
	if err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	got, v := findPin(sub, os.ReadFile)
	if got != file || v != "1.27.3" {
		t.Fatalf("findPin = %s, %s; want %s, 1.27.3", got, v, file)
	}
}
