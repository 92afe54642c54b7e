package doctor

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/machine"
)

// TestRealMachine runs every check on the machine the test runs on and compares the
// report with what is true here: the OS, whether this process is emulated (the test
// binary runs under qemu-user when GOARCH=arm64 on an amd64 box), and the go on PATH.
func TestRealMachine(t *testing.T) {
	r := Run(context.Background(), machine.Real(), Default().Checks(), Options{})
	if r.Host.OS != runtime.GOOS {
		t.Errorf("host OS = %s, want %s", r.Host.OS, runtime.GOOS)
	}
	byID := map[string][]Finding{}
	for _, f := range r.Findings {
		byID[f.Check] = append(byID[f.Check], f)
		if strings.HasSuffix(f.ID, ".crashed") || strings.HasSuffix(f.ID, ".timeout") {
			t.Errorf("%s: %s\n%s", f.ID, f.Title, strings.Join(f.Evidence, "\n"))
		}
	}
	for _, c := range r.Checks {
		t.Logf("%-16s %-8s %7.1fms %s", c.ID, c.Status, c.Duration, c.Summary)
	}
	// Emulated or native: compare the kernel's architecture with this process's.
	if runtime.GOOS == "linux" {
		b, err := os.ReadFile("/proc/sys/kernel/arch")
		if err == nil {
			kernelArch, _ := arch.ByUname(string(b))
			kernel := kernelArch.GOARCH
			arch := byID["host.arch"]
			if len(arch) != 1 {
				t.Fatalf("host.arch findings: %v", arch)
			}
			if kernel == runtime.GOARCH {
				if arch[0].Severity != Info || !strings.Contains(arch[0].Title, "natively") {
					t.Errorf("native process: host.arch = %s %q", arch[0].Severity, arch[0].Title)
				}
			} else if arch[0].Severity != Warning || !strings.Contains(arch[0].Title, "emulated") {
				t.Errorf("process %s on a %s kernel: host.arch = %s %q", runtime.GOARCH, kernel, arch[0].Severity, arch[0].Title)
			}
		}
	}
	// The go on PATH, read from its header, is the one `go env` describes.
	goPath, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	gos := NewSession(machine.Real()).GoBinaries(context.Background())
	if len(gos) == 0 || gos[0].Path != goPath {
		t.Fatalf("first go = %+v, want %s", gos, goPath)
	}
	out, err := exec.Command(goPath, "env", "GOHOSTARCH", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if gos[0].Arch != f[0] || gos[0].Version != f[1] {
		t.Errorf("go on PATH read as %s %s; go env says %s %s", gos[0].Arch, gos[0].Version, f[0], f[1])
	}
	if !strings.HasPrefix(gos[0].Version, "go1.") {
		t.Errorf("version %q", gos[0].Version)
	}
	// go env ran above: go.run says go runs, with the version go version printed.
	if run := byID["go.run"]; len(run) == 0 || run[0].Severity != Info || !strings.Contains(run[0].Title, gos[0].Version) {
		t.Errorf("go.run on a go that runs: %s", dump(run))
	}
}

// BenchmarkDoctor runs the whole offline doctor on this machine (the budget is 0.5 s).
func BenchmarkDoctor(b *testing.B) {
	checks := Default().Checks()
	m := machine.Real()
	for b.Loop() {
		r := Run(context.Background(), m, checks, Options{})
		if len(r.Checks) == 0 {
			b.Fatal("no checks ran")
		}
	}
}
