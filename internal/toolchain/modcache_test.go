package toolchain

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/machine"
)

// TestInstallReusesModuleCache checks install takes the module zip cmd/go left in the
// module cache instead of downloading it again, verified against the checksum
// database; a cached zip whose bytes the database does not vouch for is not
// installed, and the toolchain is downloaded instead.
func TestInstallReusesModuleCache(t *testing.T) {
	mv := ModuleVersion("1.27.3", here)
	for _, tc := range []struct {
		name      string
		cached    func(t *testing.T) []byte
		proxyHas  bool
		wantCache bool
	}{
		{"verified cache, no download", func(t *testing.T) []byte { return fakeModuleZip(t, "1.27.3", here) }, false, true},
		{"tampered cache, downloaded", func(t *testing.T) []byte {
			return zipOf(t, ModulePath+"@"+mv+"/", map[string]string{"bin/go": "#!/bin/sh\necho pwned\n"})
		}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld(t)
			w.addToolchain("1.27.3", here)
			if !tc.proxyHas {
				w.mu.Lock()
				delete(w.zips, mv)
				w.mu.Unlock()
			}
			modcache := t.TempDir()
			dl := filepath.Join(modcache, "cache", "download", "golang.org", "toolchain", "@v")
			if err := os.MkdirAll(dl, 0o755); err != nil {
				t.Fatal(err)
			}
			zip := filepath.Join(dl, mv+".zip")
			if err := os.WriteFile(zip, tc.cached(t), 0o444); err != nil {
				t.Fatal(err)
			}
			st := newStore(t)
			m := &Manager{Store: st, Machine: machine.RealWith([]string{"GOMODCACHE=" + modcache})}
			q, _ := ParseQuery("1.27.3")
			res, err := m.Install(context.Background(), w.fetcher(t, st), q, here)
			if err != nil {
				t.Fatal(err)
			}
			if res.FromModuleCache != tc.wantCache || res.Verified != "checksum database sum.fake.test" {
				t.Errorf("result = %+v, want FromModuleCache %v and verified", res, tc.wantCache)
			}
			if tc.wantCache && res.Source != zip {
				t.Errorf("source = %q, want the cached zip %q", res.Source, zip)
			}
			if got := runGo(t, filepath.Join(st.BinDir(), "go")); got != "go version go1.27.3 "+here.String() {
				t.Errorf("bin/go version = %q", got)
			}
			if _, err := os.Stat(zip); err != nil {
				t.Errorf("the module cache's zip was touched: %v", err)
			}
		})
	}
}
