package verdict

import (
	"context"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// TestJudgeCompat32 judges 32-bit executables on this machine, whose kernel a fake
// stands in for: the verdict is what its probe proved, or unknown with why.
func TestJudgeCompat32(t *testing.T) {
	enoexec := &fs.PathError{Op: "fork/exec", Path: "/tmp/probe", Err: syscall.ENOEXEC}
	for _, tc := range []struct {
		name    string
		cpu     string // the kernel's architecture
		binary  string // the executable's
		exec    func(context.Context, []byte) error
		binfmt  string // a handler file under /proc/sys/fs/binfmt_misc, for binary
		runs    Runs
		cause   Cause
		reason  string
		noProbe bool // the probe must not run
	}{
		{name: "386 refused", cpu: "amd64", binary: "386", exec: fail(enoexec), runs: No, cause: No32BitKernel,
			reason: "this kernel cannot execute 32-bit x86 programs (IA32 emulation is off: CONFIG_IA32_EMULATION or ia32_emulation=0)"},
		{name: "386 runs", cpu: "amd64", binary: "386", exec: fail(nil), runs: Native, cause: NoCause},
		{name: "386 unknown", cpu: "amd64", binary: "386", runs: Native, cause: Conditional,
			reason: "if this kernel executes 32-bit x86 programs, which is unknown: this machine runs no probe programs"},
		{name: "386 unwritable", cpu: "amd64", binary: "386", exec: fail(machine.ErrWriteProgram), runs: Native, cause: Conditional,
			reason: "which is unknown: the probe program could not be written"},
		{name: "arm refused", cpu: "arm64", binary: "arm", exec: fail(enoexec), runs: No, cause: No32BitKernel, reason: "no AArch32"},
		{name: "arm runs", cpu: "arm64", binary: "arm", exec: fail(nil), runs: Native, cause: NoCause},
		{name: "arm refused, qemu catches it", cpu: "arm64", binary: "arm", exec: fail(enoexec), binfmt: qemuARM, runs: Emulated, cause: Conditional, reason: "qemu-arm"},
		{name: "amd64 never probes", cpu: "amd64", binary: "amd64", exec: fail(enoexec), runs: Native, cause: NoCause, noProbe: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := fstest.MapFS{"proc/sys/kernel/random/boot_id": {Data: []byte("2a2378cd-fec0-4c43-8a2d-17df535ece4b\n")}}
			if tc.binfmt != "" {
				files["proc/sys/fs/binfmt_misc/qemu-arm"] = &fstest.MapFile{Data: []byte(tc.binfmt)}
			}
			m := machine.Fake(files, nil)
			m.GOARCH, m.Machine = tc.cpu, map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[tc.cpu]
			probed := 0
			if tc.exec != nil {
				m.Exec = func(ctx context.Context, prog []byte) error { probed++; return tc.exec(ctx, prog) }
			}
			h, err := host.Detect(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			s := elf(tc.binary, 4096)
			v := Judge(file(exe.FormatELF, s), nil, h)
			if v.Runs != tc.runs || v.Cause != tc.cause || !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("Judge = %+v (cause %v), want %s %v ~%q", v, v.Cause, tc.runs, tc.cause, tc.reason)
			}
			if tc.noProbe && probed != 0 || !tc.noProbe && tc.exec != nil && probed != 1 {
				t.Errorf("the probe ran %d times", probed)
			}
		})
	}
}

// qemuARM is the binfmt_misc entry Debian's qemu-user-static registers for arm.
const qemuARM = `enabled
interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P
flags: POCF
offset 0
magic 7f454c4601010100000000000000000002002800
mask ffffffffffffff00fffffffffffffffffeffffff
`

func fail(err error) func(context.Context, []byte) error {
	return func(context.Context, []byte) error { return err }
}
