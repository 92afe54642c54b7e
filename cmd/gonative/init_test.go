package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestStartupInit: the package initialisers of gonative's own packages allocate little
// (GODEBUG=inittrace=1): every command pays for them at start-up, and a cached
// inspect of a thousand files takes 15 ms in all. Regular expressions and templates
// are compiled on first use (sync.OnceValue); compiled in init they took 5,054
// allocations and about 1.5 ms.
func TestStartupInit(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	allocs, seen := 0, 0
	for _, l := range strings.Split(string(out), "\n") {
		// init github.com/gonative/gonative/internal/x @1.2 ms, 0.1 ms clock, 760 bytes, 6 allocs
		f := strings.Fields(l)
		if len(f) < 11 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/gonative/gonative/internal/") || f[10] != "allocs" {
			continue
		}
		n, err := strconv.Atoi(f[9])
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		allocs += n
		seen++
	}
	if seen == 0 {
		t.Fatalf("no init line of gonative's packages in:\n%s", out)
	}
	if allocs > 1500 {
		t.Errorf("gonative's %d package initialisers made %d allocations, want at most 1500: compile regular expressions and templates on first use", seen, allocs)
	}
	t.Logf("%d package initialisers, %d allocations", seen, allocs)
}
