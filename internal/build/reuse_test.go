package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUpToDateNotLinked: a second build with nothing changed finds each output up to
// date (go build links nothing) and writes the same bytes and checksums; a changed
// source or flag links again; an output changed since it was recorded is never kept,
// in the output directory or in a separate reuse directory.
func TestUpToDateNotLinked(t *testing.T) {
	dir := module(t, "example.com/hello", map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello\") }\n"})
	targets := []Target{{"linux", "amd64"}, {"linux", "arm64"}}
	build := func(t *testing.T, o Options) (map[string]string, map[string]bool) {
		t.Helper()
		o.Targets = targets
		upToDate := map[string]bool{}
		o.Trace = func(s Step) {
			if s.Kind == StepBuild {
				upToDate[s.Target] = s.UpToDate
			}
		}
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		noProblems(t, res)
		sums := map[string]string{}
		for _, out := range res.Outputs {
			sums[out.Target] = out.SHA256
			if out.upToDate != upToDate[out.Target] {
				t.Errorf("%s: output up to date %v, trace %v", out.Target, out.upToDate, upToDate[out.Target])
			}
		}
		return sums, upToDate
	}
	all := func(m map[string]bool, want bool) bool {
		for _, tg := range targets {
			if m[tg.String()] != want {
				return false
			}
		}
		return true
	}

	t.Run("outdir", func(t *testing.T) {
		o := testOptions(t, dir)
		o.OutDir = t.TempDir()
		first, fresh := build(t, o)
		if !all(fresh, false) {
			t.Fatalf("first build up to date: %v", fresh)
		}
		again, same := build(t, o)
		if !all(same, true) {
			t.Errorf("nothing changed, yet linked again: %v", same)
		}
		for k, v := range first {
			if again[k] != v {
				t.Errorf("%s: sha256 %s, then %s", k, v, again[k])
			}
		}
		// An output changed since SHA256SUMS recorded it (its Go build ID intact:
		// go build alone would keep it) is never kept.
		p := filepath.Join(o.OutDir, "hello_linux_arm64")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)-1] ^= 0xff
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		fixed, kept := build(t, o)
		if kept["linux/arm64"] || fixed["linux/arm64"] != first["linux/arm64"] {
			t.Errorf("a changed output: up to date %v, sha256 %s, want the first build's %s", kept["linux/arm64"], fixed["linux/arm64"], first["linux/arm64"])
		}
		if !kept["linux/amd64"] {
			t.Error("the unchanged output was linked again")
		}
		// Other flags: another action ID, linked again.
		o.LDFlags = "-s -w"
		_, flags := build(t, o)
		if !all(flags, false) {
			t.Errorf("other -ldflags, yet up to date: %v", flags)
		}
	})

	t.Run("reusedir", func(t *testing.T) {
		o := testOptions(t, dir)
		o.ReuseDir = filepath.Join(t.TempDir(), "reuse")
		o.OutDir = t.TempDir()
		first, _ := build(t, o)
		o.OutDir = t.TempDir()
		_, same := build(t, o)
		if !all(same, true) {
			t.Errorf("second build into a new directory, same reuse directory: linked again %v", same)
		}
		sums := readSums(o.ReuseDir)
		if sums["hello_linux_amd64"] != first["linux/amd64"] || sums["hello_linux_arm64"] != first["linux/arm64"] {
			t.Errorf("reuse SHA256SUMS %v, want the outputs' %v", sums, first)
		}
		// A changed source: linked again, and the reuse directory follows.
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		o.OutDir = t.TempDir()
		changed, src := build(t, o)
		if !all(src, false) || changed["linux/amd64"] == first["linux/amd64"] {
			t.Errorf("changed source: up to date %v, sha256 %v (was %v)", src, changed, first)
		}
		if sums := readSums(o.ReuseDir); sums["hello_linux_amd64"] != changed["linux/amd64"] {
			t.Errorf("reuse SHA256SUMS not updated: %v", sums)
		}
		// A reuse file replaced behind SHA256SUMS's back is not kept.
		if err := os.WriteFile(filepath.Join(o.ReuseDir, "hello_linux_amd64"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		o.OutDir = t.TempDir()
		after, replaced := build(t, o)
		if replaced["linux/amd64"] || after["linux/amd64"] != changed["linux/amd64"] {
			t.Errorf("replaced reuse file: up to date %v, sha256 %s, want %s", replaced["linux/amd64"], after["linux/amd64"], changed["linux/amd64"])
		}
	})
}

// FuzzParseSums: every entry read is a line of the input (CR LF ends one too), with 64 lowercase
// hex digits and a name that stays in its directory.
func FuzzParseSums(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  hello_linux_amd64\n")
	f.Add("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef *a\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  a\n")
	f.Add("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  ../etc/passwd\n")
	f.Add("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  ..\n")
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	f.Fuzz(func(t *testing.T, in string) {
		sums := parseSums(strings.NewReader(in))
		for name, h := range sums {
			if !hexRE.MatchString(h) {
				t.Fatalf("%q: sum %q", name, h)
			}
			if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name {
				t.Fatalf("name %q leaves its directory", name)
			}
			n := 0
			for _, l := range strings.Split(in, "\n") {
				l = strings.TrimSuffix(l, "\r") // a CRLF line is read as its text
				if l == h+"  "+name || l == h+" *"+name {
					n++
				}
			}
			if n == 0 {
				t.Fatalf("%s %q is no line of the input", h, name)
			}
		}
	})
}

// TestLinkIntoStaysInRoot: the seed is a hard link to the output (no copy), made in
// the directory the root was opened on even when that path has since been swapped
// for a link to another directory.
func TestLinkIntoStaysInRoot(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	if err := os.WriteFile(out, []byte("program"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, elsewhere := filepath.Join(base, "reuse"), filepath.Join(base, "elsewhere")
	for _, d := range []string{dir, elsewhere} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	moved := filepath.Join(base, "reuse-moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, dir); err != nil {
		t.Fatal(err)
	}
	if err := linkInto(root, out, "app"); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skip("no linkat here: the seed is a copy")
		}
		t.Fatal(err)
	}
	a, errA := os.Stat(out)
	b, errB := os.Stat(filepath.Join(moved, "app"))
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		t.Errorf("the seed is not a link to the output in the root's directory: %v, %v", errA, errB)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("%s holds %d entries: the link followed the swapped path", elsewhere, len(ents))
	}
}
