package testrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/verdict"
)

// Mode is how a target's tests run on this machine.
type Mode int

// Modes.
const (
	Native     Mode = iota + 1 // go test runs the test binaries itself
	Emulated                   // qemu-user: a binfmt_misc handler, or go test -exec qemu-ARCH
	Translated                 // Rosetta 2: go test -exec "arch -x86_64"
	Refused                    // they cannot run here; Plan.Err says why
)

var modeNames = [...]string{Native: "native", Emulated: "emulated", Translated: "translated", Refused: "refused"}

// String names the mode ("emulated").
func (m Mode) String() string {
	if m > 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText writes the mode's name.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Errors a refused plan's Err wraps, besides build.ErrNoToolchain (a cgo target
// without a C compiler, in build's words).
var (
	// ErrCannotRun: verdict.JudgePlanned says the test binary does not run here
	// (RefusedError has its cause).
	ErrCannotRun = errors.New("cannot run here")
	// ErrEmulatorCPU: no CPU model of the emulator has the features the level needs.
	ErrEmulatorCPU = errors.New("the emulated CPU lacks the level")
	// ErrLevel: the level setting is not one Go accepts.
	ErrLevel = errors.New("invalid CPU level")
)

// RefusedError is a verdict that the tests cannot run here.
type RefusedError struct {
	Verdict verdict.Verdict
}

func (e *RefusedError) Error() string { return e.Verdict.Reason }

// Unwrap makes every RefusedError match ErrCannotRun.
func (e *RefusedError) Unwrap() error { return ErrCannotRun }

// Plan is how one target's tests run here.
type Plan struct {
	Target build.Target `json:"target"`
	Mode   Mode         `json:"mode"`
	// How says what runs the test binaries: "native", "binfmt qemu-aarch64",
	// "/usr/bin/qemu-aarch64-static (go test -exec)", "arch -x86_64 (Rosetta 2)".
	How string `json:"how,omitempty"`
	// Verdict is verdict.JudgePlanned's judgement of the test binary.
	Verdict verdict.Verdict `json:"verdict"`
	// Exec is go test's -exec program and its arguments; empty when go test runs the
	// binaries itself.
	Exec []string `json:"exec,omitempty"`
	// Env is what go test runs with besides the machine's environment: GOOS, GOARCH,
	// CGO_ENABLED, the C toolchain, QEMU_CPU, QEMU_LD_PREFIX.
	Env []string `json:"env"`
	// Level is the CPU level setting the tests are built for (GOAMD64=v3), "" for the
	// default; Needs the features it requires beyond the base.
	Level string    `json:"level,omitempty"`
	Needs []Feature `json:"needs,omitempty"`
	// CPU is the qemu CPU model chosen (QEMU_CPU), "" for qemu's default.
	CPU string `json:"qemu_cpu,omitempty"`
	// Cgo is true when the tests are built with cgo; CToolchain is then build's
	// choice of C compiler.
	Cgo        bool              `json:"cgo"`
	CToolchain *build.CToolchain `json:"c_toolchain,omitempty"`
	// Notes are facts worth knowing that are not refusals (the verdict's condition,
	// how the CPU model was chosen).
	Notes []string `json:"notes,omitempty"`
	// Err says why a Refused target cannot run (errors.Is: ErrCannotRun,
	// build.ErrNoToolchain, ErrEmulatorCPU, ErrLevel); Reason is its text.
	Err    error  `json:"-"`
	Reason string `json:"reason,omitempty"`
}

// PlanEvent is the first event of a target in `gonative test --json`: how its tests run
// here, in go test's event style (capitalised fields, Action "plan") beside go test's
// own events, which carry the target too.
type PlanEvent struct {
	Time   time.Time
	Target string
	Action string // "plan"
	Mode   Mode
	How    string   `json:",omitempty"`
	Exec   []string `json:",omitempty"`
	CPU    string   `json:"QEMUCPU,omitempty"`
	Reason string   `json:",omitempty"`
	Notes  []string `json:",omitempty"`
}

// Event is p as the plan event at time now.
func (p Plan) Event(now time.Time) PlanEvent {
	return PlanEvent{Time: now, Target: p.Target.String(), Action: "plan", Mode: p.Mode, How: p.How,
		Exec: p.Exec, CPU: p.CPU, Reason: p.Reason, Notes: p.Notes}
}

// Prober runs the probe program prog under the emulator qemu with CPU model cpu
// ("" for qemu's default) and returns nil when it exited 0.
type Prober func(ctx context.Context, qemu, cpu string, prog []byte) error

// probeTimeout bounds one probe under an emulator: it exits at once; generous for a
// busy machine.
const probeTimeout = 20 * time.Second

// PlanTarget decides how t's tests run on o.Host (see Options).
func PlanTarget(ctx context.Context, o Options, t build.Target) Plan {
	o = o.withDefaults()
	p := Plan{Target: t}
	a, _ := arch.ByGOARCH(t.Arch)
	settings := map[string]string{}
	if a.Level != "" {
		if v := machine.Getenv(o.Machine, a.Level); v != "" {
			p.Level = a.Level + "=" + v
			settings[a.Level] = v
			fs, ok := Needs(t.Arch, v)
			if !ok {
				return refuse(p, fmt.Errorf("%w: %s=%s is not a value Go accepts", ErrLevel, a.Level, v))
			}
			p.Needs = fs
		}
	}
	p.Env = []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch}
	p.Cgo = o.cgoOn()
	h := o.Host
	planned := verdict.Planned{OS: t.OS, Arch: t.Arch, Settings: settings}
	if p.Cgo {
		r := build.Resolver{HostOS: o.Host.OS, HostArch: o.Host.Arch, Machine: o.Machine, CC: o.CC}
		tc, err := r.Resolve(t)
		if err != nil {
			return refuse(p, err)
		}
		p.CToolchain = &tc
		p.Env = append(p.Env, "CGO_ENABLED=1")
		if tc.CC != "" {
			p.Env = append(p.Env, "CC="+tc.CC, "CXX="+tc.CXX)
		}
		p.Env = append(p.Env, tc.Env...)
		if t.OS == "linux" {
			planned.Interpreter = a.GlibcLoader
		}
	} else {
		p.Env = append(p.Env, "CGO_ENABLED=0")
	}
	// qemu-user on PATH runs what no binfmt_misc handler does, through go test -exec:
	// judged as a handler would be.
	var onPath string
	native, _, _ := verdict.LinuxNative(t.Arch, h)
	if _, ok := h.Handler(t.Arch); t.OS == "linux" && h.OS == "linux" && !native && !ok && a.QEMU != "" {
		for _, name := range []string{"qemu-" + a.QEMU + "-static", "qemu-" + a.QEMU} {
			if path, err := o.Machine.LookPath(name); err == nil {
				onPath = path
				h.Binfmt = append(slices.Clone(h.Binfmt), host.Binfmt{Name: name + " on PATH", Arch: t.Arch, Interpreter: path, Enabled: true})
				break
			}
		}
	}
	// A dynamic test binary under qemu-user needs the target's loader and libc:
	// Debian's cross libc (libc6-dev-ARCH-cross) is the sysroot /usr/TRIPLET.
	if planned.Interpreter != "" && !native && h.QEMULDPrefix == "" {
		if tr := a.Triplet(); tr != "" && h.Exists != nil && h.Exists("/usr/"+tr+planned.Interpreter) {
			h.QEMULDPrefix = "/usr/" + tr
			p.Env = append(p.Env, "QEMU_LD_PREFIX="+h.QEMULDPrefix)
			p.Notes = append(p.Notes, "QEMU_LD_PREFIX="+h.QEMULDPrefix+": the target's loader and C library for the dynamically linked tests")
		}
	}
	v := verdict.JudgePlanned(planned, h)
	p.Verdict = v
	switch v.Runs {
	case verdict.Native:
		p.Mode, p.How = Native, "native"
	case verdict.Translated:
		p.Mode, p.How = Translated, "arch -x86_64 (Rosetta 2)"
		// arch(1) runs the x86_64 code of a binary translated, and its children too
		// (Apple, "About the Rosetta translation environment").
		p.Exec = []string{"arch", "-x86_64"}
	case verdict.Emulated:
		p.Mode, p.How = Emulated, v.Handler
		if b, ok := h.Handler(t.Arch); ok && h.OS == "linux" {
			p.How = "binfmt " + b.Name
		}
		if onPath != "" {
			p.How, p.Exec = onPath+" (go test -exec)", []string{onPath}
		}
	default:
		return refuse(p, &RefusedError{Verdict: v})
	}
	if v.Reason != "" {
		p.Notes = append(p.Notes, v.Reason)
	}
	if p.Mode == Emulated && len(p.Needs) > 0 {
		if b, ok := h.Handler(t.Arch); ok && isQEMU(b.Interpreter) {
			// Debian's handler is a link, /usr/libexec/qemu-binfmt/aarch64-binfmt-P,
			// that refuses to run unless the kernel starts it: ask the program it
			// names.
			qemu := b.Interpreter
			if r, err := o.Machine.EvalSymlinks(qemu); err == nil {
				qemu = r
			}
			return chooseCPU(ctx, o, p, qemu)
		}
	}
	return p
}

// isQEMU reports whether an interpreter is qemu-user (qemu-aarch64-static, Debian's
// /usr/libexec/qemu-binfmt/aarch64-binfmt-P link to it).
func isQEMU(interp string) bool {
	return !strings.Contains(interp, "rosetta") && (strings.Contains(filepath.Base(interp), "qemu") || strings.Contains(interp, "qemu-binfmt"))
}

// refuse makes p a refusal for err.
func refuse(p Plan, err error) Plan {
	p.Mode, p.Err, p.Reason, p.Exec = Refused, err, err.Error(), nil
	return p
}

// chooseCPU picks the qemu CPU model the tests run on when their level needs
// features beyond the base: the user's $QEMU_CPU if set, else "max" (every feature
// this qemu emulates) when `qemu -cpu help` lists it, proven by running a probe that
// executes one instruction of each feature. A model that fails the probe refuses the
// target; a probe that cannot run leaves it unknown, said in a note.
func chooseCPU(ctx context.Context, o Options, p Plan, qemu string) Plan {
	prog, ok := ProbeProgram(p.Target.Arch, p.Needs)
	if !ok {
		p.Notes = append(p.Notes, fmt.Sprintf("no probe proves that the emulated CPU has %s", featureList(p.Needs)))
		return p
	}
	cpu, user := machine.Getenv(o.Machine, "QEMU_CPU"), true
	if cpu == "" {
		user = false
		models, err := o.CPUModels(ctx, qemu)
		switch {
		case err != nil:
			p.Notes = append(p.Notes, fmt.Sprintf("%s -cpu help: %v; running on qemu's default CPU", qemu, err))
		case slices.Contains(models, "max"):
			cpu = "max"
		}
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := o.Probe(pctx, qemu, cpu, prog)
	name := cpu
	if name == "" {
		name = "qemu's default CPU"
	}
	var ee interface{ ExitCode() int }
	switch {
	case err == nil:
		p.CPU = cpu
		if cpu != "" && !user {
			p.Env = append(p.Env, "QEMU_CPU="+cpu)
		}
		p.Notes = append(p.Notes, fmt.Sprintf("QEMU_CPU=%s has %s (probed)", orDefault(cpu), featureList(p.Needs)))
		return p
	case errors.As(err, &ee) && ee.ExitCode() == -1 && ctx.Err() == nil && pctx.Err() == nil:
		// Killed by a signal: qemu-user passes the guest's SIGILL on as its own.
		why := fmt.Sprintf("%s needs %s, which %s lacks (a probe executing them was killed: %v)", p.Level, featureList(p.Needs), name, err)
		if user {
			why += "; unset QEMU_CPU or choose a model that has them (" + qemu + " -cpu help)"
		} else {
			why += "; a newer qemu-user may emulate them"
		}
		return refuse(p, fmt.Errorf("%w: %s", ErrEmulatorCPU, why))
	}
	p.CPU = cpu
	if cpu != "" && !user {
		p.Env = append(p.Env, "QEMU_CPU="+cpu)
	}
	p.Notes = append(p.Notes, fmt.Sprintf("whether %s has %s is unknown: the probe did not run (%v)", name, featureList(p.Needs), err))
	return p
}

func orDefault(cpu string) string {
	if cpu == "" {
		return "(default)"
	}
	return cpu
}

func featureList(fs []Feature) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// realCPUModels lists the CPU models of qemu (`qemu -cpu help`; qemu-user 7.2 exits 1
// after listing them).
func realCPUModels(m machine.Machine) func(ctx context.Context, qemu string) ([]string, error) {
	return func(ctx context.Context, qemu string) ([]string, error) {
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		out, _, err := m.Output(ctx, nil, qemu, "-cpu", "help")
		models := ParseCPUModels(string(out))
		if len(models) == 0 {
			if err == nil {
				err = errors.New("no CPU models listed")
			}
			return nil, err
		}
		return models, nil
	}
}

// realProbe writes prog into a fresh private directory (under an os.Root) and runs it
// under qemu with the CPU model cpu.
func realProbe(m machine.Machine) Prober {
	return func(ctx context.Context, qemu, cpu string, prog []byte) error {
		dir, err := os.MkdirTemp("", "gonative-cpu-probe-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		root, err := os.OpenRoot(dir)
		if err != nil {
			return err
		}
		f, err := root.OpenFile("probe", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
		if err == nil {
			_, err = f.Write(prog)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		root.Close()
		if err != nil {
			return err
		}
		var args []string
		if cpu != "" {
			args = append(args, "-cpu", cpu)
		}
		cmd := m.Command(ctx, qemu, append(args, filepath.Join(dir, "probe"))...)
		cmd.Env = RunEnv(cmd.Env, Plan{})
		return cmd.Run()
	}
}
