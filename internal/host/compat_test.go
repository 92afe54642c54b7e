package host

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/machine"
)

// TestProbeProgram checks the hand-assembled probes with debug/elf, an independent
// reader: a 32-bit little-endian static executable of the right machine, under 1 KiB,
// whose entry point is the code in its one read+execute PT_LOAD segment.
func TestProbeProgram(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		machine elf.Machine
		code    []byte
	}{
		{"386", elf.EM_386, []byte{0xb8, 1, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80}},
		{"arm", elf.EM_ARM, []byte{0, 0, 0xa0, 0xe3, 1, 0x70, 0xa0, 0xe3, 0, 0, 0, 0xef}},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			prog, ok := ProbeProgram(tc.arch)
			if !ok || len(prog) > 1024 {
				t.Fatalf("ProbeProgram(%q): %d bytes, %v", tc.arch, len(prog), ok)
			}
			f, err := elf.NewFile(bytes.NewReader(prog))
			if err != nil {
				t.Fatal(err)
			}
			if f.Class != elf.ELFCLASS32 || f.Data != elf.ELFDATA2LSB || f.Type != elf.ET_EXEC || f.Machine != tc.machine {
				t.Errorf("header: %v %v %v %v", f.Class, f.Data, f.Type, f.Machine)
			}
			if len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_LOAD || f.Progs[0].Flags != elf.PF_R|elf.PF_X || f.Progs[0].Filesz != uint64(len(prog)) {
				t.Fatalf("program headers: %+v", f.Progs)
			}
			p := f.Progs[0]
			off := f.Entry - p.Vaddr
			if f.Entry < p.Vaddr || off >= p.Filesz || !bytes.Equal(prog[off:], tc.code) {
				t.Errorf("entry %#x does not start the exit code %x", f.Entry, tc.code)
			}
			if _, ok := ProbeProgram("mips"); ok {
				t.Error("a probe for mips")
			}
		})
	}
}

// TestProbeProgramRunsUnderQEMU runs the probes where an independent implementation
// of their ABI is installed (qemu-user): each exits 0.
func TestProbeProgramRunsUnderQEMU(t *testing.T) {
	for arch, emu := range map[string]string{"386": "qemu-i386-static", "arm": "qemu-arm-static"} {
		t.Run(arch, func(t *testing.T) {
			qemu, err := exec.LookPath(emu)
			if err != nil {
				t.Skipf("%s not installed (Debian package qemu-user-static)", emu)
			}
			prog, _ := ProbeProgram(arch)
			name := filepath.Join(t.TempDir(), "probe")
			if err := os.WriteFile(name, prog, 0o700); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(qemu, name).CombinedOutput(); err != nil {
				t.Fatalf("%s probe: %v %s", emu, err, out)
			}
		})
	}
}

// fakeKernel is a fake linux machine with a boot id whose probe programs do what run
// says, counted.
func fakeKernel(boot string, run func() error) (*machine.FakeMachine, *int) {
	n := new(int)
	m := machine.Fake(fstest.MapFS{"proc/sys/kernel/random/boot_id": {Data: []byte(boot + "\n")}}, nil)
	if run != nil {
		m.Exec = func(ctx context.Context, prog []byte) error {
			*n++
			if !bytes.HasPrefix(prog, []byte("\x7fELF")) {
				return errors.New("not an ELF probe")
			}
			return run()
		}
	}
	return m, n
}

func TestCompatProbeFact(t *testing.T) {
	enoexec := &fs.PathError{Op: "fork/exec", Path: "/tmp/x/probe", Err: syscall.ENOEXEC}
	for _, tc := range []struct {
		name        string
		arch        string
		run         func() error
		known, runs bool
		why         string
	}{
		{"runs", "386", func() error { return nil }, true, true, "ran here"},
		{"kernel refuses 386", "386", func() error { return enoexec }, true, false, "IA32 emulation is off: CONFIG_IA32_EMULATION or ia32_emulation=0"},
		{"kernel refuses arm", "arm", func() error { return enoexec }, true, false, "no AArch32"},
		{"no exec allowed", "386", nil, false, false, "runs no probe programs"},
		{"write failed", "386", func() error { return machine.ErrWriteProgram }, false, false, "could not be written"},
		{"noexec tmp", "386", func() error { return &fs.PathError{Op: "fork/exec", Err: syscall.EACCES} }, false, false, "noexec"},
		{"crashed", "arm", func() error { return &exec.ExitError{ProcessState: &os.ProcessState{}} }, false, false, "did not exit 0"},
		{"no probe", "mips", func() error { return nil }, false, false, "no probe program"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := fakeKernel("2a2378cd-fec0-4c43-8a2d-17df535ece4b", tc.run)
			f := NewCompatProbe(m, "").Fact(context.Background(), tc.arch)
			if f.Known != tc.known || f.Runs != tc.runs || !strings.Contains(f.Why, tc.why) || f.Arch != tc.arch {
				t.Errorf("Fact = %+v, want known %v runs %v why ~%q", f, tc.known, tc.runs, tc.why)
			}
			if strings.ContainsAny(f.Why, "\n\r") {
				t.Errorf("why is not one line: %q", f.Why)
			}
		})
	}
	if f := (*CompatProbe)(nil).Fact(context.Background(), "386"); f.Known {
		t.Errorf("nil probe knows: %+v", f)
	}
}

// TestCompatProbeCachePerBoot: a second run on the same boot reads the cache and runs
// nothing; another boot runs the probe again; an unknown answer is never cached.
func TestCompatProbeCachePerBoot(t *testing.T) {
	dir := t.TempDir()
	m, runs := fakeKernel("11111111-2222-3333-4444-555555555555", func() error { return syscall.ENOEXEC })
	first := NewCompatProbe(m, dir).Fact(context.Background(), "386")
	if *runs != 1 || !first.Known || first.Runs || first.Cached {
		t.Fatalf("first: %+v after %d runs", first, *runs)
	}
	p := NewCompatProbe(m, dir)
	second := p.Fact(context.Background(), "386")
	p.Fact(context.Background(), "386")
	if *runs != 1 || !second.Cached || second.Known != first.Known || second.Runs != first.Runs || second.Why != first.Why {
		t.Errorf("second: %+v after %d runs, want the cached %+v", second, *runs, first)
	}
	if fi, err := os.Stat(filepath.Join(dir, cacheName("386"))); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("cache file: %v, %v", fi, err)
	}
	other, runs2 := fakeKernel("99999999-2222-3333-4444-555555555555", func() error { return nil })
	if f := NewCompatProbe(other, dir).Fact(context.Background(), "386"); *runs2 != 1 || !f.Runs || f.Cached {
		t.Errorf("another boot: %+v after %d runs", f, *runs2)
	}
	unknownDir := t.TempDir()
	u, _ := fakeKernel("11111111-2222-3333-4444-555555555555", func() error { return machine.ErrWriteProgram })
	NewCompatProbe(u, unknownDir).Fact(context.Background(), "386")
	if es, _ := os.ReadDir(unknownDir); len(es) != 0 {
		t.Errorf("an unknown answer was cached: %v", es)
	}
}

// TestCompatProbeThisMachine runs the real probe and compares it with what the kernel
// does with a real 386 Go executable (GOARCH=386 go build), the ground truth.
func TestCompatProbeThisMachine(t *testing.T) {
	if !kernelIs(t, "linux", "amd64") {
		t.Skip("the 386 probe runs on a linux/amd64 kernel")
	}
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-i386"); err == nil {
		t.Skip("a qemu-i386 binfmt_misc handler would run both through qemu")
	}
	bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=386"})
	err := exec.Command(bin).Run()
	want := err == nil
	if err != nil && !errors.Is(err, syscall.ENOEXEC) {
		t.Fatalf("the real 386 executable neither ran nor was refused: %v", err)
	}
	f := NewCompatProbe(machine.Real(), "").Fact(context.Background(), "386")
	if !f.Known || f.Runs != want {
		t.Errorf("probe: %+v; the real 386 executable ran: %v (%v)", f, want, err)
	}
	t.Logf("this kernel executes 386: %v (%s)", f.Runs, f.Why)
}

// FuzzParseExecCache: whatever the bytes, a cache file is accepted only for this boot
// and arch, with a one-line reason, and what it says encodes and parses back the same.
func FuzzParseExecCache(f *testing.F) {
	const boot = "2a2378cd-fec0-4c43-8a2d-17df535ece4b"
	f.Add(EncodeExecCache(boot, ExecFact{Arch: "386", Known: true, Runs: true, Why: "a 32-bit x86 probe program ran here"}), "386")
	f.Add(EncodeExecCache(boot, ExecFact{Arch: "arm", Known: true, Why: RefusedWhy("arm")}), "arm")
	f.Add([]byte(`{"boot_id":"x","arch":"386","runs":true,"why":"w"}`), "386")
	f.Fuzz(func(t *testing.T, data []byte, arch string) {
		fact, ok := ParseExecCache(data, boot, arch)
		if !ok {
			return
		}
		if !fact.Known || !fact.Cached || fact.Arch != arch || fact.Why == "" || strings.ContainsAny(fact.Why, "\n\r") {
			t.Fatalf("accepted %q as %+v", data, fact)
		}
		again, ok := ParseExecCache(EncodeExecCache(boot, fact), boot, arch)
		if !ok || again != fact {
			t.Fatalf("round trip: %+v, %v; want %+v", again, ok, fact)
		}
		if _, ok := ParseExecCache(data, "00000000-0000-0000-0000-000000000000", arch); ok {
			t.Fatalf("accepted for another boot: %q", data)
		}
	})
}

// TestCompatProbeRefusedHere probes 32-bit Arm on a linux/amd64 kernel, which refuses
// it with ENOEXEC when no binfmt_misc handler catches it — as it refuses a real
// GOARCH=arm Go executable: the refused path, proven on this kernel.
func TestCompatProbeRefusedHere(t *testing.T) {
	if !kernelIs(t, "linux", "amd64") {
		t.Skip("needs a linux/amd64 kernel")
	}
	if h, _ := Detect(context.Background(), machine.Real()); len(h.Binfmt) > 0 {
		if _, ok := h.Handler("arm"); ok {
			t.Skip("a binfmt_misc handler runs arm here")
		}
	}
	bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm", "GOARM=7"})
	if err := exec.Command(bin).Run(); !errors.Is(err, syscall.ENOEXEC) {
		t.Fatalf("a real arm executable: %v, want ENOEXEC", err)
	}
	f := NewCompatProbe(machine.Real(), "").Fact(context.Background(), "arm")
	if !f.Known || f.Runs || f.Why != RefusedWhy("arm") {
		t.Errorf("probe: %+v, want refused", f)
	}
}

// kernelIs reports whether this machine's kernel and hardware are goos/goarch: the
// hardware's, not this test binary's (the linux/arm64 stage runs it under qemu-user on
// an amd64 kernel, which executes the probes all the same).
func kernelIs(t *testing.T, goos, goarch string) bool {
	t.Helper()
	h, err := Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	return h.OS == goos && h.Arch == goarch
}

// TestCompatProbeStopsWithDetect: a probe in progress stops when the context of the
// command that detected the host is done, though Fact's own context is not (a verdict
// has none to give): Ctrl-C reaches it.
func TestCompatProbeStopsWithDetect(t *testing.T) {
	m, _ := fakeKernel("11111111-2222-3333-4444-555555555555", nil)
	stopped := make(chan bool, 1)
	m.Exec = func(ctx context.Context, prog []byte) error {
		select {
		case <-ctx.Done():
			stopped <- true
			return ctx.Err()
		case <-time.After(time.Minute):
			stopped <- false
			return errors.New("the probe ran on after the command was cancelled")
		}
	}
	base, cancel := context.WithCancel(context.Background())
	p := NewCompatProbe(m, "")
	p.base = base
	time.AfterFunc(50*time.Millisecond, cancel)
	f := p.Fact(context.Background(), "386")
	if !<-stopped || f.Known {
		t.Errorf("Fact = %+v: the probe did not stop with the command's context", f)
	}
}
