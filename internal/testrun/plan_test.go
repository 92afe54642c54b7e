package testrun

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/verdict"
)

// exitErr is a probe killed by SIGILL, as an *exec.ExitError would say.
type exitErr struct{}

func (exitErr) Error() string { return "signal: illegal instruction" }
func (exitErr) ExitCode() int { return -1 }

func TestPlanTarget(t *testing.T) {
	// A Debian amd64 box: cross gcc, qemu-user on PATH, the arm64 cross libc.
	debian := fstest.MapFS{
		"usr/bin/aarch64-linux-gnu-gcc":                   {Mode: 0o755},
		"usr/bin/qemu-aarch64-static":                     {Mode: 0o755},
		"usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1": {},
	}
	exists := func(m machine.Machine) func(string) bool {
		return func(p string) bool { _, err := m.Stat(p); return err == nil }
	}
	linux := func(env map[string]string, binfmt bool) (machine.Machine, host.Host) {
		if env == nil {
			env = map[string]string{}
		}
		env["PATH"] = "/usr/bin"
		m := machine.Fake(debian, env)
		h := host.Host{OS: "linux", Arch: "amd64", Exists: exists(m),
			CPUFeatures: []string{"popcnt", "cx16", "lahf_lm", "pni", "ssse3", "sse4_1", "sse4_2"}}
		if binfmt {
			h.Binfmt = []host.Binfmt{{Name: "qemu-aarch64", Arch: "arm64", Interpreter: "/usr/bin/qemu-aarch64-static", Enabled: true}}
		}
		return m, h
	}
	mac := func(env map[string]string, rosetta bool) (machine.Machine, host.Host) {
		m := machine.Fake(nil, env)
		m.GOOS, m.GOARCH = "darwin", "arm64"
		return m, host.Host{OS: "darwin", Arch: "arm64", Rosetta: rosetta, OSVersion: "15.3"}
	}
	// The emulator's CPU: "max" has everything, the default nothing beyond v8.0.
	probe := func(_ context.Context, _, cpu string, _ []byte) error {
		if cpu == "max" {
			return nil
		}
		return exitErr{}
	}
	models := func(context.Context, string) ([]string, error) { return []string{"cortex-a53", "max"}, nil }
	tests := []struct {
		name      string
		m         func() (machine.Machine, host.Host)
		target    build.Target
		cgo       bool
		mode      Mode
		how, env  string // how contains, env holds
		exec      []string
		err       error
		reasonHas string
	}{
		{name: "native", m: func() (machine.Machine, host.Host) { return linux(nil, false) }, target: build.Target{OS: "linux", Arch: "amd64"},
			mode: Native, how: "native", env: "CGO_ENABLED=0"},
		{name: "binfmt", m: func() (machine.Machine, host.Host) { return linux(nil, true) }, target: build.Target{OS: "linux", Arch: "arm64"},
			mode: Emulated, how: "binfmt qemu-aarch64"},
		{name: "qemu on PATH", m: func() (machine.Machine, host.Host) { return linux(nil, false) }, target: build.Target{OS: "linux", Arch: "arm64"},
			mode: Emulated, how: "(go test -exec)", exec: []string{"/usr/bin/qemu-aarch64-static"}},
		{name: "no emulator", m: func() (machine.Machine, host.Host) { return linux(nil, false) }, target: build.Target{OS: "linux", Arch: "riscv64"},
			mode: Refused, err: ErrCannotRun, reasonHas: "no binfmt_misc handler for riscv64"},
		{name: "another OS", m: func() (machine.Machine, host.Host) { return linux(nil, true) }, target: build.Target{OS: "windows", Arch: "arm64"},
			mode: Refused, err: ErrCannotRun, reasonHas: "not Linux"},
		{name: "cgo sysroot", m: func() (machine.Machine, host.Host) { return linux(nil, true) }, target: build.Target{OS: "linux", Arch: "arm64"}, cgo: true,
			mode: Emulated, env: "QEMU_LD_PREFIX=/usr/aarch64-linux-gnu"},
		{name: "cgo compiler", m: func() (machine.Machine, host.Host) { return linux(nil, true) }, target: build.Target{OS: "linux", Arch: "arm64"}, cgo: true,
			mode: Emulated, env: "CC=aarch64-linux-gnu-gcc"},
		{name: "cgo from the environment", m: func() (machine.Machine, host.Host) { return linux(map[string]string{"CGO_ENABLED": "1"}, true) },
			target: build.Target{OS: "linux", Arch: "arm64"}, mode: Emulated, env: "CGO_ENABLED=1"},
		{name: "cgo without a compiler", m: func() (machine.Machine, host.Host) { return linux(nil, true) }, target: build.Target{OS: "windows", Arch: "amd64"}, cgo: true,
			mode: Refused, err: build.ErrNoToolchain, reasonHas: "install mingw-w64"},
		{name: "GOARM64=v8.1 on max", m: func() (machine.Machine, host.Host) { return linux(map[string]string{"GOARM64": "v8.1"}, true) },
			target: build.Target{OS: "linux", Arch: "arm64"}, mode: Emulated, env: "QEMU_CPU=max"},
		{name: "GOARM64=v8.1, QEMU_CPU without LSE", m: func() (machine.Machine, host.Host) {
			return linux(map[string]string{"GOARM64": "v8.1", "QEMU_CPU": "cortex-a53"}, true)
		}, target: build.Target{OS: "linux", Arch: "arm64"}, mode: Refused, err: ErrEmulatorCPU, reasonHas: "cortex-a53 lacks"},
		{name: "GOARM64 invalid", m: func() (machine.Machine, host.Host) { return linux(map[string]string{"GOARM64": "v7"}, true) },
			target: build.Target{OS: "linux", Arch: "arm64"}, mode: Refused, err: ErrLevel},
		{name: "GOAMD64=v3 without AVX2", m: func() (machine.Machine, host.Host) { return linux(map[string]string{"GOAMD64": "v3"}, false) },
			target: build.Target{OS: "linux", Arch: "amd64"}, mode: Refused, err: ErrCannotRun, reasonHas: "lacks avx"},
		{name: "GOAMD64=v2 native", m: func() (machine.Machine, host.Host) { return linux(map[string]string{"GOAMD64": "v2"}, false) },
			target: build.Target{OS: "linux", Arch: "amd64"}, mode: Native},
		// Apple Silicon, described: Rosetta 2 through arch -x86_64.
		{name: "Rosetta", m: func() (machine.Machine, host.Host) { return mac(nil, true) }, target: build.Target{OS: "darwin", Arch: "amd64"},
			mode: Translated, how: "Rosetta 2", exec: []string{"arch", "-x86_64"}},
		{name: "Rosetta, GOAMD64=v3", m: func() (machine.Machine, host.Host) { return mac(map[string]string{"GOAMD64": "v3"}, true) },
			target: build.Target{OS: "darwin", Arch: "amd64"}, mode: Refused, err: ErrCannotRun, reasonHas: "Rosetta's CPUID reports no AVX"},
		{name: "no Rosetta", m: func() (machine.Machine, host.Host) { return mac(nil, false) }, target: build.Target{OS: "darwin", Arch: "amd64"},
			mode: Refused, err: ErrCannotRun, reasonHas: "softwareupdate --install-rosetta"},
		{name: "Mac native", m: func() (machine.Machine, host.Host) { return mac(nil, true) }, target: build.Target{OS: "darwin", Arch: "arm64"}, mode: Native},
		{name: "Mac, linux target", m: func() (machine.Machine, host.Host) { return mac(nil, true) }, target: build.Target{OS: "linux", Arch: "arm64"},
			mode: Refused, err: ErrCannotRun, reasonHas: "not macOS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, h := tt.m()
			o := Options{Machine: m, Host: h, Probe: probe, CPUModels: models}
			if tt.cgo {
				o.Cgo = build.CgoOn
			}
			p := PlanTarget(context.Background(), o, tt.target)
			if p.Mode != tt.mode {
				t.Fatalf("mode %s (%s), want %s", p.Mode, p.Reason, tt.mode)
			}
			if !strings.Contains(p.How, tt.how) {
				t.Errorf("how %q, want it to hold %q", p.How, tt.how)
			}
			if tt.env != "" && !slices.Contains(p.Env, tt.env) {
				t.Errorf("env %q lacks %s", p.Env, tt.env)
			}
			if tt.exec != nil && !slices.Equal(p.Exec, tt.exec) {
				t.Errorf("exec %q, want %q", p.Exec, tt.exec)
			}
			if tt.err != nil && !errors.Is(p.Err, tt.err) {
				t.Errorf("err %v, want errors.Is %v", p.Err, tt.err)
			}
			if p.Mode == Refused && (p.Reason == "" || !strings.Contains(p.Reason, tt.reasonHas)) {
				t.Errorf("reason %q, want it to hold %q", p.Reason, tt.reasonHas)
			}
			var re *RefusedError
			if errors.As(p.Err, &re) && re.Verdict.Runs != verdict.No {
				t.Errorf("a refusal whose verdict runs: %+v", re.Verdict)
			}
		})
	}
}

// TestProbeUnknown: a probe that cannot run leaves the CPU's features unknown, said
// in a note, never a refusal.
func TestProbeUnknown(t *testing.T) {
	m := machine.Fake(fstest.MapFS{}, map[string]string{"GOARM64": "v8.1"})
	h := host.Host{OS: "linux", Arch: "amd64", Binfmt: []host.Binfmt{{Name: "qemu-aarch64", Arch: "arm64", Interpreter: "/usr/bin/qemu-aarch64-static", Enabled: true}}}
	o := Options{Machine: m, Host: h,
		Probe:     func(context.Context, string, string, []byte) error { return exec.ErrNotFound },
		CPUModels: func(context.Context, string) ([]string, error) { return []string{"max"}, nil }}
	p := PlanTarget(context.Background(), o, build.Target{OS: "linux", Arch: "arm64"})
	if p.Mode != Emulated || !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "is unknown") }) {
		t.Errorf("plan %s %q, want emulated with a note that the CPU is unknown", p.Mode, p.Notes)
	}
}

func TestGoTestArgs(t *testing.T) {
	o := Options{Packages: []string{"./a", "./b"}, GoTestFlags: []string{"-run", "X", "-args", "-flag"}, Machine: machine.Fake(nil, nil), Host: host.Host{OS: "linux", Arch: "amd64"}}
	got := GoTestArgs(o, Plan{Exec: []string{"/opt/my qemu/qemu-aarch64", "-cpu", "max"}})
	want := []string{"test", "-json", "-exec", "'/opt/my qemu/qemu-aarch64' -cpu max", "-run", "X", "./a", "./b", "-args", "-flag"}
	if !slices.Equal(got, want) {
		t.Errorf("GoTestArgs = %q\nwant %q", got, want)
	}
}

// TestRunEnv: an empty QEMU_CPU (which qemu-user refuses: "-cpu option cannot be
// empty") or QEMU_LD_PREFIX is dropped, as gonative treats it as unset.
func TestRunEnv(t *testing.T) {
	got := RunEnv([]string{"PATH=/bin", "QEMU_CPU=", "QEMU_LD_PREFIX=", "GOFLAGS="}, Plan{Env: []string{"GOARCH=arm64", "QEMU_CPU=max"}})
	want := []string{"PATH=/bin", "GOFLAGS=", "GOARCH=arm64", "QEMU_CPU=max"}
	if !slices.Equal(got, want) {
		t.Errorf("RunEnv = %q, want %q", got, want)
	}
}
