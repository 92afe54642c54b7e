package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReferenceCurrent fails when docs/reference is not what the cobra commands give:
// a command, flag or help text changed without `go run ./internal/cli/gendoc`.
func TestReferenceCurrent(t *testing.T) {
	got := t.TempDir()
	if err := generate(got); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "..", filepath.FromSlash(Dir))
	want, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	gen, _ := filepath.Glob(filepath.Join(got, "*.md"))
	names := func(paths []string) []string {
		var ns []string
		for _, p := range paths {
			ns = append(ns, filepath.Base(p))
		}
		return ns
	}
	const fix = "docs/reference is not current: run go run ./internal/cli/gendoc"
	if !slices.Equal(names(want), names(gen)) {
		t.Fatalf("%s\ncommitted pages: %q\ngenerated pages: %q", fix, names(want), names(gen))
	}
	for _, n := range names(gen) {
		a, err := os.ReadFile(filepath.Join(committed, n))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(got, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: %s differs", fix, n)
		}
	}
}

// TestGenerateReplaces checks that a page of a command that no longer exists is
// removed, and that the pages carry no date (the same commands give the same bytes).
func TestGenerateReplaces(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "gonative_gone.md")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale page still there: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "gonative.md"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("Auto generated")) {
		t.Errorf("gonative.md carries the generation date:\n%s", b)
	}
}
