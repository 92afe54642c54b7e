package toolchain

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestUseUninstallRace runs SetDefault and Uninstall of one version at the same time
// (issue 9, item 11: `use 1.27.3 & uninstall 1.27.3` left a default naming a removed
// version). Whichever wins, the default afterwards names an installed version or none.
func TestUseUninstallRace(t *testing.T) {
	s := newStore(t)
	fakeInstall(t, s, "1.26.2")
	for i := range 60 {
		fakeInstall(t, s, "1.27.3")
		if err := s.SetDefault("1.26.2"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.SetDefault("1.27.3") }()
		go func() { defer wg.Done(); s.Uninstall("1.27.3") }()
		wg.Wait()
		def, err := s.Default()
		if err != nil {
			t.Fatal(err)
		}
		if def != "" {
			if _, err := s.Lookup(def); err != nil {
				t.Fatalf("run %d: the default names go%s, which is not installed", i, def)
			}
		}
		if def == "" {
			if _, err := os.Lstat(filepath.Join(s.BinDir(), "go")); err == nil {
				t.Fatalf("run %d: no default but bin/go exists", i)
			}
		}
	}
}
