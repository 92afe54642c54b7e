package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeModule writes a program that prints a line and exits, or with "serve" never
// exits (as a server does).
func writeModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/tool\n\ngo 1.21\n",
		"main.go": `package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		time.Sleep(time.Hour)
	}
	fmt.Println("done")
}
`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func needRun(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a program twice: not with -short")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler (Debian: gcc)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
}

// TestRunProgressCountsEveryStep: every step that takes time (the check, each build,
// the launcher's, each warm-up and measured run) is announced before it starts, the
// count moves by one per step, and it ends at its total.
func TestRunProgressCountsEveryStep(t *testing.T) {
	needRun(t)
	var events []Event
	_, err := Run(context.Background(), Options{Dir: writeModule(t), Count: 2, Warmup: 1, DNS: false,
		Progress: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 1 + 2
	wantTotal := 1 + 3 + 2*rounds // check, two builds and the launcher's, each round's two runs
	var steps []string
	for i, e := range events {
		if e.Total != wantTotal {
			t.Fatalf("event %d: total %d, want %d (%+v)", i, e.Total, wantTotal, e)
		}
		if i < len(events)-1 {
			if e.Done != i {
				t.Errorf("event %d (%s) announced with %d done, want %d", i, e.Step, e.Done, i)
			}
			steps = append(steps, string(e.Phase)+": "+e.Step)
		}
	}
	last := events[len(events)-1]
	if last.Done != last.Total {
		t.Errorf("the last event says %d/%d", last.Done, last.Total)
	}
	want := []string{
		"build: check . for cgo", "build: build CGO_ENABLED=0", "build: build CGO_ENABLED=1", "build: build the launcher",
		"warm-up: warm-up 1/1 CGO_ENABLED=0", "warm-up: warm-up 1/1 CGO_ENABLED=1",
		"measure: run 1/2 CGO_ENABLED=1", "measure: run 1/2 CGO_ENABLED=0",
		"measure: run 2/2 CGO_ENABLED=0", "measure: run 2/2 CGO_ENABLED=1",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
}

// TestRunTimeoutNamesHTTP: the run workload on a program that never exits (a server)
// fails with a *TimeoutError that says to use --http.
func TestRunTimeoutNamesHTTP(t *testing.T) {
	needRun(t)
	_, err := Run(context.Background(), Options{Dir: writeModule(t), Args: []string{"serve"}, Count: 1, Warmup: -1,
		DNS: false, Timeout: 2 * time.Second})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *TimeoutError", err)
	}
	if te.Workload != WorkloadRun || te.After != 2*time.Second {
		t.Errorf("%+v", te)
	}
	if !strings.Contains(err.Error(), "--http ADDR/PATH") {
		t.Errorf("the error does not name --http: %v", err)
	}
}
