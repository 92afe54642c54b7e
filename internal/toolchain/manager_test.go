package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/gonative/gonative/internal/machine"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// fakeManager is a Manager on a temporary store whose environment is env and whose
// `go env` answers nothing.
// onReal is this machine with env as its whole environment and, when read is not
// nil, read as its ReadFile.
func onReal(env map[string]string, read func(string) ([]byte, error)) machine.Machine {
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	return readsWith{machine.RealWith(environ), read}
}

type readsWith struct {
	machine.Machine
	read func(string) ([]byte, error)
}

func (m readsWith) ReadFile(name string) ([]byte, error) {
	if m.read != nil {
		return m.read(name)
	}
	return m.Machine.ReadFile(name)
}

func fakeManager(t *testing.T, env map[string]string) *Manager {
	t.Helper()
	dir := t.TempDir()
	return &Manager{
		Store:   Store{Root: filepath.Join(dir, "store")},
		GOOS:    "linux",
		GOARCH:  "arm64",
		Dir:     dir,
		Machine: onReal(env, nil),
		GoEnv:   func(context.Context, ...string) map[string]string { return nil },
	}
}

func TestManagerPathState(t *testing.T) {
	m := fakeManager(t, nil)
	bin := m.Store.BinDir()
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sep := string(os.PathListSeparator)
	for _, tc := range []struct {
		name string
		path string
		want PathState
	}{
		{"not on PATH", other, PathState{BinDir: bin}},
		{"on PATH, no go before it", bin + sep + "/nonexistent", PathState{BinDir: bin, OnPath: true}},
		{"on PATH, another go first", other + sep + bin, PathState{BinDir: bin, OnPath: true, Shadow: filepath.Join(other, "go")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.Machine = onReal(map[string]string{"PATH": tc.path}, nil)
			if got := m.PathState(); got != tc.want {
				t.Errorf("PathState() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestManagerModuleVersion(t *testing.T) {
	for _, tc := range []struct {
		name, gomod string
		want        string
		wantErr     error
	}{
		{"no module", "", "", ErrNoModule},
		{"go line", "module m\n\ngo 1.26.1\n", "1.26.1", nil},
		{"toolchain line wins", "module m\n\ngo 1.26.1\n\ntoolchain go1.27.3\n", "1.27.3", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fakeManager(t, nil)
			if tc.gomod != "" {
				if err := os.WriteFile(filepath.Join(m.Dir, "go.mod"), []byte(tc.gomod), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := m.ModuleVersion()
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("ModuleVersion() = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestManagerFetcher(t *testing.T) {
	m := fakeManager(t, map[string]string{"GOPROXY": "direct", "GOSUMDB": "off", DLURLEnv: "http://127.0.0.1:1/dl/"})
	f, err := m.Fetcher(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !f.SumDB.Off || f.DLURL != "http://127.0.0.1:1/dl/" || f.Store != m.Store {
		t.Errorf("Fetcher() = %+v, want GOSUMDB off, the environment's DL URL and the store", f)
	}
	tr, ok := f.Client.Transport.(*http.Transport)
	if !ok || tr.ResponseHeaderTimeout != ResponseHeaderTimeout || tr.TLSHandshakeTimeout != TLSHandshakeTimeout {
		t.Errorf("Fetcher's client transport %#v: want the time-outs set", f.Client.Transport)
	}
	m.Machine = onReal(map[string]string{"GOPROXY": "ftp://x"}, nil)
	if _, err := m.Fetcher(context.Background()); err == nil {
		t.Error("Fetcher with a malformed GOPROXY: no error")
	}
}

func TestManagerAsksGoForUnsetSettings(t *testing.T) {
	m := fakeManager(t, map[string]string{"GOPROXY": "off"})
	var asked []string
	m.GoEnv = func(_ context.Context, names ...string) map[string]string {
		asked = names
		return map[string]string{"GOMODCACHE": "/m"}
	}
	if in := m.WhichInput(context.Background(), false); in.GOMODCACHE != "" || asked != nil {
		t.Errorf("WhichInput(modCache=false) asked go env for %q, GOMODCACHE %q", asked, in.GOMODCACHE)
	}
	if in := m.WhichInput(context.Background(), true); in.GOMODCACHE != "/m" {
		t.Errorf("WhichInput(modCache=true).GOMODCACHE = %q, want go env's", in.GOMODCACHE)
	}
}

func TestReportsSpellVersions(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"list empty", NewListReport("/s", nil, nil, ""), `{"installed":[],"module_cache":[],"store":"/s"}`},
		{"remote empty", NewRemoteReport(Platform{OS: "linux", Arch: "arm64"}, "src", nil), `{"platform":{"os":"linux","arch":"arm64"},"source":"src","versions":[]}`},
		{"remote", NewRemoteReport(Platform{OS: "linux", Arch: "arm64"}, "src", []string{"1.27.3"}), `{"platform":{"os":"linux","arch":"arm64"},"source":"src","versions":["go1.27.3"]}`},
		{"which nothing selected", NewWhichReport(nil, Verdict{Runs: "/g", RunsVersion: "1.2"}), `{"runs":"/g","runs_version":"go1.2","on_path":{},"agrees":false}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
	sel := &Selection{Version: "1.27.3"}
	if r := NewWhichReport(sel, Verdict{}); r.Version != "go1.27.3" || sel.Version != "1.27.3" {
		t.Errorf("NewWhichReport: version %q, caller's selection %q: want go1.27.3 without changing the caller's", r.Version, sel.Version)
	}
}

func TestManagerGoEnvOnlyForUnset(t *testing.T) {
	m := fakeManager(t, map[string]string{"GOPROXY": "p"})
	var asked []string
	m.GoEnv = func(_ context.Context, names ...string) map[string]string {
		asked = names
		return map[string]string{"GOSUMDB": "s", "GOPROXY": "from go env"}
	}
	got := m.GoSettings(context.Background(), "GOPROXY", "GOSUMDB")
	if got["GOPROXY"] != "p" || got["GOSUMDB"] != "s" || len(asked) != 1 || asked[0] != "GOSUMDB" {
		t.Errorf("GoSettings = %v after asking go env for %q; want the environment's GOPROXY and go env's GOSUMDB only", got, asked)
	}
}
