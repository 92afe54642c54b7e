package build

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// Smoke is the result of running one output.
type Smoke struct {
	Ran    bool   `json:"ran"`
	OK     bool   `json:"ok"`
	How    string `json:"how,omitempty"` // "native", "qemu-aarch64-static", "binfmt qemu-aarch64", "Rosetta"
	Detail string `json:"detail,omitempty"`
	Output string `json:"output,omitempty"` // the first lines of what it printed
}

// smokeTimeout bounds one smoke run.
const smokeTimeout = 60 * time.Second

// Runner returns the command prefix that runs a program for target t on host h (empty
// for a direct run) and how ("native", "qemu-aarch64-static", "binfmt qemu-aarch64",
// "Rosetta"), or ok false and the reason it cannot run there. A dynamic (not static)
// program run by qemu-user finds its loader and libc in Debian's cross libc
// (-L /usr/TRIPLET). m's PATH has qemu-user.
func Runner(h host.Host, m machine.Machine, t Target, static bool) (prefix []string, how string, ok bool) {
	if t.OS != h.OS {
		return nil, fmt.Sprintf("a %s program does not run on %s", t.OS, h.OS), false
	}
	switch {
	case t.Arch == h.Arch:
		return nil, "native", true
	case t.OS == "darwin" && t.Arch == "universal":
		return nil, "native", true
	case t.OS == "darwin" && t.Arch == "amd64" && h.Arch == "arm64" && h.Rosetta:
		return nil, "Rosetta", true
	case t.OS == "linux":
		if a, _ := arch.ByGOARCH(t.Arch); a.QEMU != "" {
			q := a.QEMU
			for _, name := range []string{"qemu-" + q + "-static", "qemu-" + q} {
				if p, err := m.LookPath(name); err == nil {
					prefix = []string{p}
					// A dynamic program needs the target's loader and libc: Debian's
					// cross libc lives in /usr/TRIPLET (libc6-TARGET-cross).
					if tr := triplet(t.Arch); !static && tr != "" {
						prefix = append(prefix, "-L", "/usr/"+tr)
					}
					return prefix, name, true
				}
			}
		}
		if b, ok := h.Handler(t.Arch); ok && static {
			return nil, "binfmt " + b.Name, true
		}
		return nil, fmt.Sprintf("no qemu-user for %s (Debian: apt-get install qemu-user-static)", t.Arch), false
	}
	return nil, fmt.Sprintf("%s does not run on %s", t, h), false
}

// smoke runs out with o.SmokeArgs when this machine can run it.
func smoke(ctx context.Context, o Options, out *Output) *Smoke {
	os, arch, _ := strings.Cut(out.Target, "/")
	prefix, how, ok := Runner(o.Host, o.Machine, Target{os, arch}, out.Static)
	if !ok {
		return &Smoke{How: "skipped", Detail: how}
	}
	ctx, cancel := context.WithTimeout(ctx, smokeTimeout)
	defer cancel()
	p := out.Path
	if out.built != "" {
		p = out.built
	}
	path, err := filepath.Abs(p)
	if err != nil {
		return &Smoke{Ran: false, Detail: err.Error()}
	}
	argv := append(append(prefix, path), o.SmokeArgs...)
	cmd := o.Machine.Command(ctx, argv[0], argv[1:]...)
	cmd.Dir = o.Dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	s := &Smoke{Ran: true, OK: err == nil, How: how, Output: firstLines(buf.String(), 5)}
	if err != nil {
		s.Detail = fmt.Sprintf("%s: %v", strings.Join(argv, " "), err)
		if ctx.Err() != nil {
			s.Detail = fmt.Sprintf("%s: did not finish in %s", strings.Join(argv, " "), smokeTimeout)
		}
	}
	return s
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimRight(s, "\n"), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
