package goenv

import (
	"github.com/gonative/gonative/internal/machine"
	"maps"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseEnvFile(t *testing.T) {
	got := ParseEnvFile([]byte("GOPROXY=https://p.example,direct\r\n# GOFLAGS=-x\nlower=x\n=novalue\n\nGOFLAGS=-mod=mod\nGOFLAGS=-trimpath\nCGO_CFLAGS=-O2 -g\nNOEQUALS"))
	want := map[string]string{"GOPROXY": "https://p.example,direct", "GOFLAGS": "-trimpath", "CGO_CFLAGS": "-O2 -g"}
	if !maps.Equal(got, want) {
		t.Errorf("ParseEnvFile = %v, want %v", got, want)
	}
}

func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("GOPROXY=direct\nGOFLAGS=-x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k := range ParseEnvFile(data) {
			if k == "" || k[0] < 'A' || k[0] > 'Z' {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}

func TestReadLayers(t *testing.T) {
	files := map[string]string{
		"/home/me/.config/go/env": "GOPROXY=https://user.example\nGOARCH=amd64\nGOTOOLCHAIN=local\n",
		"/usr/local/go/go.env":    "GOPROXY=https://proxy.example,direct\nGOSUMDB=sum.example\nGOTOOLCHAIN=auto\n",
	}
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[strings.TrimPrefix(name, "/")] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	m := machine.Fake(fsys, nil)
	m.Env = []string{"PATH=/bin", "GOPROXY=direct", "HOME=/home/me", "CGO_ENABLED=0", "GONATIVE_HOME=/x"}
	l := ReadLayers(LayerInput{
		Machine:  m,
		UserFile: UserEnvFile("linux", func(k string) string { return map[string]string{"HOME": "/home/me"}[k] }),
		GOROOT:   "/usr/local/go",
	})
	check := func(name, value string, src Source, hidden int) {
		t.Helper()
		s, ok := l.Vars[name]
		if !ok {
			t.Fatalf("%s not set", name)
		}
		if s.Value != value || s.Source != src || len(s.Hidden) != hidden {
			t.Errorf("%s = %+v, want %q from %s hiding %d", name, s, value, src, hidden)
		}
	}
	check("GOPROXY", "direct", SourceEnv, 2)
	check("GOARCH", "amd64", SourceUser, 0)
	check("GOTOOLCHAIN", "local", SourceUser, 1)
	check("GOSUMDB", "sum.example", SourceGOROOT, 0)
	check("CGO_ENABLED", "0", SourceEnv, 0)
	if l.Source("GOOS") != SourceDefault {
		t.Errorf("GOOS source = %s", l.Source("GOOS"))
	}
	if _, ok := l.Vars["PATH"]; ok {
		t.Error("PATH is not a Go setting")
	}
	if l.Vars["GOTOOLCHAIN"].File != "/home/me/.config/go/env" {
		t.Errorf("GOTOOLCHAIN file = %q", l.Vars["GOTOOLCHAIN"].File)
	}
	if want := []string{"CGO_ENABLED", "GOARCH", "GOPROXY", "GOSUMDB", "GOTOOLCHAIN"}; !reflect.DeepEqual(l.Names(), want) {
		t.Errorf("Names = %v", l.Names())
	}
}

func TestUserEnvFile(t *testing.T) {
	for _, tt := range []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"HOME": "/home/me"}, "/home/me/.config/go/env"},
		{"linux", map[string]string{"HOME": "/home/me", "XDG_CONFIG_HOME": "/cfg"}, "/cfg/go/env"},
		{"linux", map[string]string{"HOME": "/home/me", "XDG_CONFIG_HOME": "relative"}, "/home/me/.config/go/env"},
		{"darwin", map[string]string{"HOME": "/Users/me"}, "/Users/me/Library/Application Support/go/env"},
		{"windows", map[string]string{"AppData": `C:\Users\me\AppData\Roaming`}, `C:\Users\me\AppData\Roaming\go\env`},
		{"linux", map[string]string{"HOME": "/home/me", "GOENV": "/etc/goenv"}, "/etc/goenv"},
		{"linux", map[string]string{"HOME": "/home/me", "GOENV": "off"}, ""},
		{"linux", map[string]string{}, ""},
	} {
		if got := UserEnvFile(tt.goos, func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("UserEnvFile(%s, %v) = %q, want %q", tt.goos, tt.env, got, tt.want)
		}
	}
}
