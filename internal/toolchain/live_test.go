package toolchain

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
)

// TestLiveInstall installs the real go1.27.3 for this platform through the configured
// GOPROXY (`go env GOPROXY`), verified against the configured GOSUMDB, and runs its
// go version. It needs GONATIVE_INTEGRATION=1 and skips without network.
func TestLiveInstall(t *testing.T) {
	if os.Getenv("GONATIVE_INTEGRATION") == "" {
		t.Skip("set GONATIVE_INTEGRATION=1 to install the real go1.27.3 through GOPROXY (~70 MB)")
	}
	out, err := exec.Command("go", "env", "GOPROXY", "GOSUMDB").Output()
	if err != nil {
		t.Skipf("no go command to read GOPROXY: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("go env: %q", out)
	}
	proxies, err := goenv.ParseGOPROXY(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	db, err := goenv.ParseGOSUMDB(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	const v = "1.27.3"
	p := here
	// Quick reachability check of the first proxy.
	for _, px := range proxies {
		if px.IsDirect() || px.IsOff() || px.IsFile() {
			continue
		}
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get(px.URL + "/golang.org/toolchain/@v/" + ModuleVersion(v, p) + ".info")
		if err != nil {
			t.Skipf("offline: %v", err)
		}
		resp.Body.Close()
		break
	}
	st := Store{Root: filepath.Join(t.TempDir(), "home")}
	f := &Fetcher{Proxies: proxies, SumDB: db, Store: st}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := Install(ctx, st, f, v, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified == "" {
		t.Errorf("not verified: %+v", res)
	}
	got, err := exec.Command(filepath.Join(st.BinDir(), "go"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("go version: %v\n%s", err, got)
	}
	if want := "go version go" + v + " " + p.String(); strings.TrimSpace(string(got)) != want {
		t.Errorf("go version = %q, want %q", got, want)
	}
	goroot, _ := exec.Command(filepath.Join(st.BinDir(), "go"), "env", "GOROOT").Output()
	if strings.TrimSpace(string(goroot)) != st.GOROOT(v) {
		t.Errorf("GOROOT through the link = %q, want %q", goroot, st.GOROOT(v))
	}
	t.Logf("installed %s verified by %s (%s)", res.GOROOT, res.Verified, res.Hash)
}
