package build

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/machine"
)

// TestDistListCached: with a cache directory, a second build with the same toolchain
// does not run go tool dist list, still refuses a target go does not support, and a
// cache file that is not a list is asked again and replaced.
func TestDistListCached(t *testing.T) {
	dir := module(t, "example.com/hello", map[string]string{"main.go": "package main\n\nfunc main() {}\n"})
	o := testOptions(t, dir)
	o.CacheDir = filepath.Join(t.TempDir(), "cache") // does not exist yet
	o.Targets = []Target{{"linux", "amd64"}, {"linux", "arm64"}}
	var log string
	o.Go, log = countingGo(t)
	run := func() ([]Step, error) {
		var steps []Step
		o.Trace = func(s Step) { steps = append(steps, s) }
		oo := o.withDefaults()
		_, _, err := list(context.Background(), oo, newTracer(oo.Trace))
		return steps, err
	}
	distRuns := func() int { return goCalls(t, log, "tool dist list") }

	if _, err := run(); err != nil {
		t.Fatal(err)
	}
	if n := distRuns(); n != 1 {
		t.Fatalf("first build: %d go tool dist list runs, want 1", n)
	}
	steps, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if n := distRuns(); n != 1 {
		t.Errorf("warm build: go tool dist list ran again (%d runs in all)", n)
	}
	for _, s := range steps {
		if s.Kind == StepDistList {
			t.Errorf("warm build traced %+v", s)
		}
	}

	// An unsupported target is refused from the cached list.
	o.Targets = []Target{{"linux", "amd64"}, {"plan10", "arm64"}}
	_, err = run()
	var pe *PlanError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "target plan10/arm64: go does not support it") {
		t.Errorf("unsupported target from the cache: %v", err)
	}
	if n := distRuns(); n != 1 {
		t.Errorf("go tool dist list ran again for an unsupported target (%d runs)", n)
	}

	// A damaged cache file is not a list: asked again, and replaced.
	o.Targets = []Target{{"linux", "amd64"}}
	files, _ := filepath.Glob(filepath.Join(o.CacheDir, "dist-list-*"))
	if len(files) != 1 {
		t.Fatalf("cache files %v, want one", files)
	}
	if err := os.WriteFile(files[0], []byte("linux/amd64 <script>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err != nil {
		t.Fatal(err)
	}
	if n := distRuns(); n != 2 {
		t.Errorf("damaged cache: %d go tool dist list runs in all, want 2", n)
	}
	if b, _ := os.ReadFile(files[0]); !bytes.Contains(b, []byte("linux/arm64\n")) {
		t.Errorf("damaged cache file not replaced: %q", b)
	}
}

// TestToolchainKey: the key of a toolchain changes with everything that can change
// go tool dist list's answer, so another toolchain is never answered from the cache.
func TestToolchainKey(t *testing.T) {
	o := Options{Machine: machine.Real(), Go: filepath.Join(t.TempDir(), "go")}
	if err := os.WriteFile(o.Go, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	goroot := filepath.Join(t.TempDir(), "go")
	dist := filepath.Join(goroot, "pkg", "tool", "linux_amd64", "dist")
	if err := os.MkdirAll(filepath.Dir(dist), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(goroot, "VERSION"), "go1.26.0\ntime 2026-01-01T00:00:00Z\n")
	write(dist, "dist one")
	os.MkdirAll(filepath.Join(goroot, "bin"), 0o755)
	os.MkdirAll(filepath.Join(goroot, "src", "cmd", "dist"), 0o755)
	write(filepath.Join(goroot, "bin", "go"), "go")
	buildGo := filepath.Join(goroot, "src", "cmd", "dist", "build.go")
	write(buildGo, "package main\n")
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(dist, mtime, mtime)
	key := func() string {
		t.Helper()
		k, err := toolchainKey(o, goroot)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	seen := map[string]string{key(): "first"}
	if k := key(); seen[k] != "first" {
		t.Fatal("the same toolchain has two keys")
	}
	for _, change := range []struct {
		what string
		do   func()
	}{
		{"VERSION", func() { write(filepath.Join(goroot, "VERSION"), "go1.26.1\ntime 2026-02-01T00:00:00Z\n") }},
		{"dist rebuilt (mtime)", func() { m := mtime.Add(time.Second); os.Chtimes(dist, m, m) }},
		{"dist of another size", func() { write(dist, "dist two!"); os.Chtimes(dist, mtime, mtime) }},
		{"dist replaced (same size and time, another file)", func() {
			tmp := dist + ".new"
			write(tmp, "dist 3!!!")
			os.Chtimes(tmp, mtime, mtime)
			if err := os.Rename(tmp, dist); err != nil {
				t.Fatal(err)
			}
		}},
		{"dist's sources edited", func() { write(buildGo, "package main // linux/amd64: false\n") }},
		{"the go command replaced", func() { write(filepath.Join(goroot, "bin", "go"), "another go") }},
		{"another go run in front of it", func() { write(o.Go, "#!/bin/sh\nexec go \"$@\"\n") }},
		{"a second host's tools", func() {
			os.MkdirAll(filepath.Join(goroot, "pkg", "tool", "linux_arm64"), 0o755)
			write(filepath.Join(goroot, "pkg", "tool", "linux_arm64", "dist"), "x")
		}},
	} {
		change.do()
		k := key()
		if prev, ok := seen[k]; ok {
			t.Errorf("%s: the key did not change (same as after %s)", change.what, prev)
		}
		seen[k] = change.what
	}
	// Another GOROOT with the same files is another toolchain.
	other := filepath.Join(t.TempDir(), "go")
	if err := os.Rename(goroot, other); err != nil {
		t.Fatal(err)
	}
	if k, err := toolchainKey(o, other); err != nil || seen[k] != "" {
		t.Errorf("moved GOROOT: key %v (%v), already seen for %q", k, err, seen[k])
	}
	// A toolchain that ships no dist builds it from src/cmd/dist (Go 1.24 and later).
	if err := os.RemoveAll(filepath.Join(other, "pkg")); err != nil {
		t.Fatal(err)
	}
	if _, err := toolchainKey(o, other); err != nil {
		t.Errorf("toolchain without pkg/tool/*/dist: %v", err)
	}
	noVersion := filepath.Join(t.TempDir(), "go")
	os.MkdirAll(filepath.Join(noVersion, "bin"), 0o755)
	write(filepath.Join(noVersion, "bin", "go"), "go")
	for _, bad := range []string{"", "relative/go", goroot /* gone */, noVersion} {
		if _, err := toolchainKey(o, bad); !errors.Is(err, errNoToolchainKey) {
			t.Errorf("GOROOT %q: %v, want errNoToolchainKey", bad, err)
		}
	}
}

// FuzzParseDistList: a list is accepted only when every line is one os/arch that
// ParseTargets reads the same, and the targets are the lines in order.
func FuzzParseDistList(f *testing.F) {
	f.Add([]byte("aix/ppc64\nandroid/386\nlinux/amd64\n"))
	f.Add([]byte("linux/amd64 <script>\n"))
	f.Add([]byte(""))
	f.Add([]byte("linux/amd64/extra\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, ok := parseDistList(b)
		if !ok {
			if ts != nil {
				t.Fatalf("refused, yet %v", ts)
			}
			return
		}
		lines := strings.Fields(string(b))
		if len(ts) == 0 || len(ts) != len(lines) {
			t.Fatalf("%d targets from %d lines", len(ts), len(lines))
		}
		for i, tg := range ts {
			if tg.String() != lines[i] {
				t.Fatalf("target %d is %s, the line %q", i, tg, lines[i])
			}
			p, err := ParseTargets([]string{lines[i]})
			if err != nil || len(p) != 1 || p[0] != tg {
				t.Fatalf("%q: ParseTargets %v %v, parseDistList %v", lines[i], p, err, tg)
			}
		}
	})
}
