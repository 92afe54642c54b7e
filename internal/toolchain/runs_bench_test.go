package toolchain

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWhichCheck is what the shell hook and `gonative which` do once per
// directory change: Which (pins, go.mod, GOTOOLCHAIN) and Check (PATH resolved as the
// shell does, then cmd/go's switch), in a module five directories deep, with three
// versions installed and gonative's links after two other PATH entries.
func BenchmarkWhichCheck(b *testing.B) {
	st := newStore(b)
	for _, v := range []string{"1.25.4", "1.26.2", "1.27.3"} {
		bin := filepath.Join(st.GOROOT(v), "bin")
		os.MkdirAll(bin, 0o755)
		os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\n"), 0o755)
	}
	if err := st.SetDefault("1.26.2"); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.GOROOT("1.26.2"), "go.env"), []byte("GOTOOLCHAIN=auto\n"), 0o644)
	root := b.TempDir()
	dir := filepath.Join(root, "a", "b", "c", "d", "e")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(root, "a", "go.mod"), []byte("module m\n\ngo 1.26\n\ntoolchain go1.27.3\n"), 0o644)
	path := "/nonexistent/bin:" + root + ":" + st.BinDir() + ":/usr/bin:/bin"
	in := WhichInput{Dir: dir, Machine: onReal(nil, nil), Store: st, Platform: linuxAMD64}
	for b.Loop() {
		sel, err := Which(in)
		if err != nil {
			b.Fatal(err)
		}
		if v := Check(in, sel, path); !v.Agrees {
			b.Fatalf("Check = %+v", v)
		}
	}
}
