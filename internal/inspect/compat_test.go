package inspect

import (
	"context"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/verdict"
)

// TestFileCompat32 inspects a real GOARCH=386 executable on a linux/amd64 machine
// whose kernel (a fake) refuses or runs the 386 probe: the result's verdict, and its
// JSON report, are the probe's.
func TestFileCompat32(t *testing.T) {
	bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=386", "CGO_ENABLED=0"}, "-trimpath")
	for _, tc := range []struct {
		name  string
		err   error
		runs  verdict.Runs
		cause verdict.Cause
		json  string
	}{
		{"refused", &fs.PathError{Op: "fork/exec", Err: syscall.ENOEXEC}, verdict.No, verdict.No32BitKernel,
			`"runs":"no","reason":"this kernel cannot execute 32-bit x86 programs (IA32 emulation is off: CONFIG_IA32_EMULATION or ia32_emulation=0)"`},
		{"runs", nil, verdict.Native, verdict.NoCause, `"verdict":{"runs":"native","slice":0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := machine.Fake(nil, nil)
			m.Exec = func(context.Context, []byte) error { return tc.err }
			h, err := host.Detect(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			r := File(context.Background(), bin, true, Options{Host: h})
			if r.Verdict == nil || r.Verdict.Runs != tc.runs || r.Verdict.Cause != tc.cause {
				t.Fatalf("verdict %+v, want %s %v", r.Verdict, tc.runs, tc.cause)
			}
			b, err := r.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.json) {
				t.Errorf("JSON %s\nwant %s", b, tc.json)
			}
		})
	}
}
