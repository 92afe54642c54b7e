package netcheck

import (
	"context"
	"encoding/json"
	"github.com/gonative/gonative/internal/machine"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
)

// TestLive runs netcheck against this machine's configured GOPROXY and GOSUMDB (the
// settings `go env` reports) for golang.org/x/mod@latest. It runs only with
// GONATIVE_INTEGRATION=1 and skips when nothing answers (offline).
func TestLive(t *testing.T) {
	if os.Getenv("GONATIVE_INTEGRATION") != "1" {
		t.Skip("set GONATIVE_INTEGRATION=1 to probe the configured GOPROXY (needs the network)")
	}
	out, err := exec.Command("go", "env", "-json").Output()
	if err != nil {
		t.Skipf("go env: %v (install Go)", err)
	}
	vars := map[string]string{}
	if err := json.Unmarshal(out, &vars); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Env: Env{GOOS: runtime.GOOS,
			Value:   func(n string) (string, bool) { v, ok := vars[n]; return v, ok },
			Source:  func(string) goenv.Source { return goenv.SourceDefault },
			Machine: machine.Real()},
		Module: DefaultModule, Version: "latest", Timeout: 15 * time.Second,
	}
	r := Run(context.Background(), opts)
	answered := false
	for _, rq := range r.Requests {
		if rq.Status != 0 {
			answered = true
		}
	}
	if !answered {
		t.Skipf("offline: no request to %s was answered", vars["GOPROXY"])
	}
	for _, f := range r.Findings {
		t.Logf("%s %s: %s", f.Severity, f.ID, f.Title)
	}
	if r.Worst() == Error {
		t.Fatalf("netcheck found errors with the configured GOPROXY")
	}
	for _, id := range []string{"proxy.ok", "sumdb.ok"} {
		if _, ok := find(r, id); !ok {
			t.Errorf("no %s finding", id)
		}
	}
	if r.Resolved == "" || len(r.Endpoints) == 0 || !r.Endpoints[0].Verified {
		t.Errorf("resolved %q, endpoints %+v", r.Resolved, r.Endpoints)
	}
}
