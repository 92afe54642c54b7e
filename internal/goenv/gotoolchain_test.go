package goenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/machine"
)

func TestParseGOTOOLCHAIN(t *testing.T) {
	tests := []struct {
		in, min, mode, err string
	}{
		{"", "local", "", ""},
		{"local", "local", "", ""},
		{"auto", "local", "auto", ""},
		{"path", "local", "path", ""},
		{"local+auto", "local", "auto", ""},
		{"go1.27.3", "go1.27.3", "", ""},
		{"go1.27.3+auto", "go1.27.3", "auto", ""},
		{"go1.27.3+path", "go1.27.3", "path", ""},
		{"go1.22rc1", "go1.22rc1", "", ""},
		{"go1.27.3+never", "", "", "only version suffixes"},
		{"bash", "", "", "invalid GOTOOLCHAIN"},
		{"bash+auto", "", "", "invalid minimum toolchain"},
		{"go1.2/x", "", "", "invalid GOTOOLCHAIN"},
	}
	for _, tt := range tests {
		got, err := ParseGOTOOLCHAIN(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseGOTOOLCHAIN(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.Min != tt.min || got.Mode != tt.mode {
			t.Errorf("ParseGOTOOLCHAIN(%q) = %+v, %v; want %s %s", tt.in, got, err, tt.min, tt.mode)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	order := []string{"1.20", "1.21", "1.21rc1", "1.21rc2", "1.21.0", "1.21.1", "1.22beta1", "1.22rc1", "1.22.0", "1.27.3", "1.100.0"}
	for i := 1; i < len(order); i++ {
		if CompareVersions(order[i-1], order[i]) >= 0 {
			t.Errorf("%s should sort before %s", order[i-1], order[i])
		}
	}
}

func TestChoose(t *testing.T) {
	mod := func(g, tc string) ModFile { return ModFile{File: "/p/go.mod", Go: g, Toolchain: tc} }
	tests := []struct {
		gt     string
		mod    ModFile
		want   string
		reason string
	}{
		{"local", mod("1.30", "go1.30.1"), "local", "GOTOOLCHAIN=local"},
		{"", mod("1.30", ""), "local", "unset"},
		{"auto", mod("1.25", ""), "local", "nothing newer"},
		{"auto", mod("1.27", ""), "go1.27.0", "go line"},
		{"auto", mod("1.20", ""), "local", ""},
		{"auto", mod("1.27.1", "go1.27.3"), "go1.27.3", "toolchain line"},
		{"auto", mod("1.28rc1", "go1.27.3"), "go1.28rc1", "go line"},
		{"auto", mod("1.27.1", "default"), "local", "toolchain default"},
		{"go1.27.3+auto", mod("1.27.1", "default"), "go1.27.3", "toolchain default"},
		{"go1.27.3+auto", mod("1.26", "go1.26.1"), "go1.27.3", "GOTOOLCHAIN=go1.27.3+auto"},
		{"go1.27.3", mod("1.30", ""), "go1.27.3", "GOTOOLCHAIN=go1.27.3"},
		{"path", mod("1.27.3", ""), "go1.27.3", "go line"},
		{"auto", mod("1.26.8", ""), "local", ""},
		{"auto", ModFile{}, "local", ""},
	}
	for _, tt := range tests {
		gt, err := ParseGOTOOLCHAIN(tt.gt)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Choose(gt, "1.26.8", tt.mod)
		if err != nil || c.Toolchain != tt.want || !strings.Contains(c.Reason, tt.reason) {
			t.Errorf("Choose(%q, %+v) = %+v, %v; want %s (%s)", tt.gt, tt.mod, c, err, tt.want, tt.reason)
		}
	}
	if _, err := Choose(GOTOOLCHAIN{Raw: "auto", Min: "local", Mode: ModeAuto}, "1.26.8", mod("1.20", "bogus")); err == nil {
		t.Error("invalid toolchain line accepted")
	}
}

func TestFindModFile(t *testing.T) {
	files := map[string]string{
		"/w/go.work":       "go 1.27\n\ntoolchain go1.27.3\n\nuse ./m\n",
		"/w/m/go.mod":      "module m\n\ngo 1.26\n",
		"/x/go.mod":        "module x\n\ngo 1.25.1\ntoolchain go1.26.2\n",
		"/y/go.mod":        "module y\ngo 1.24\nthis does not parse\n",
		"/alt/custom.work": "go 1.28\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[filepath.ToSlash(p)]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	tests := []struct {
		dir, gowork, file, goLine, tc string
	}{
		{"/w/m/sub", "", "/w/go.work", "1.27", "go1.27.3"},
		{"/w/m", "off", "/w/m/go.mod", "1.26", ""},
		{"/w/m", "/alt/custom.work", "/alt/custom.work", "1.28", ""},
		{"/x/a/b", "", "/x/go.mod", "1.25.1", "go1.26.2"},
		{"/y", "", "/y/go.mod", "1.24", ""},
		{"/none", "", "", "", ""},
	}
	for _, tt := range tests {
		m, err := FindModFile(filepath.FromSlash(tt.dir), tt.gowork, read)
		if err != nil || filepath.ToSlash(m.File) != tt.file || m.Go != tt.goLine || m.Toolchain != tt.tc {
			t.Errorf("FindModFile(%s, %q) = %+v, %v", tt.dir, tt.gowork, m, err)
		}
	}
}

func FuzzParseModFile(f *testing.F) {
	f.Add("go.mod", "module m\ngo 1.27\ntoolchain go1.27.3\n")
	f.Add("go.work", "go 1.27\nuse .\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		if name != "go.work" {
			name = "go.mod"
		}
		ParseModFile(name, []byte(data))
	})
}

func FuzzParseGOTOOLCHAIN(f *testing.F) {
	f.Add("go1.27.3+auto")
	f.Fuzz(func(t *testing.T, s string) {
		gt, err := ParseGOTOOLCHAIN(s)
		if err != nil {
			return
		}
		if _, err := Choose(gt, "1.26.8", ModFile{File: "go.mod", Go: "1.27"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFindModFileSkipsDirectory: a directory named go.mod is not a module root, as
// cmd/go's search (a regular file) has it; the search goes on to the parent's go.mod,
// read through the real machine, whose non-blocking reads refuse a directory.
func TestFindModFileSkipsDirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/m\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	child := filepath.Join(root, "child")
	if err := os.MkdirAll(filepath.Join(child, "go.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	mf, err := FindModFile(child, "", machine.Real().ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "go.mod"); mf.File != want || mf.Go != "1.26" {
		t.Errorf("FindModFile = %+v, want %s with go 1.26", mf, want)
	}
}
