package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/finding"
)

// Links shared by several checks.
const (
	linkRosetta   = "https://developer.apple.com/documentation/apple-silicon/about-the-rosetta-translation-environment"
	linkBinfmt    = "https://docs.kernel.org/admin-guide/binfmt-misc.html"
	linkDownloads = "https://go.dev/dl/"
	linkInstall   = "https://go.dev/doc/install"
)

func hostChecks() []Check {
	return []Check{
		{ID: "host.os", Area: AreaHost, Title: "operating system and version", Run: checkHostOS},
		{ID: "host.arch", Area: AreaHost, Title: "hardware architecture vs this process's (Rosetta, qemu)", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkHostArch},
		{ID: "host.terminal", Area: AreaHost, Title: "the shell or terminal runs translated (uname -m of a child)", Run: checkHostTerminal},
		{ID: "host.rosetta", Area: AreaHost, Title: "Rosetta 2 installed", OS: "darwin", Run: checkHostRosetta},
		{ID: "host.binfmt", Area: AreaHost, Title: "binfmt_misc handlers that run foreign binaries silently", OS: "linux", Run: checkHostBinfmt},
		{ID: "host.pagesize", Area: AreaHost, Title: "kernel page size", Run: checkHostPageSize},
		{ID: "host.userland", Area: AreaHost, Title: "32-bit userland on a 64-bit kernel", OS: "linux", Run: checkHostUserland},
	}
}

func checkHostOS(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	title := h.String()
	switch {
	case h.OS == "darwin" && h.OSVersion != "":
		title += ", macOS " + h.OSVersion
	case h.OSVersion != "":
		title += ", kernel " + h.OSVersion
	}
	switch {
	case h.Translated:
		title += " (this process under Rosetta)"
	case h.ProcessArch != "" && h.ProcessArch != h.Arch:
		title += " (this process emulated as " + h.ProcessArch + ")"
	}
	return []Finding{{Severity: Info, Title: title, Evidence: []string{fmt.Sprintf("hardware %s, process %s", h.Arch, h.ProcessArch)}}}
}

func checkHostArch(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	if h.Translated {
		return []Finding{{
			Severity: Warning,
			Title:    "gonative itself runs under Rosetta 2 (as amd64 on an arm64 Mac): whatever started it is probably translated too",
			Evidence: []string{"sysctl hw.optional.arm64 = 1", "sysctl sysctl.proc_translated = 1"},
			Fix: &Fix{Needs: finding.NeedsMacOS, Text: "Run a native (arm64) gonative from a native terminal. If the terminal has \"Open using Rosetta\" checked in Finder's Get Info, uncheck it; remove `arch -x86_64` from shell start-up files.",
				Commands: []string{"arch -arm64 gonative doctor"}},
			Links: []string{linkRosetta},
		}}
	}
	if h.OS == "linux" && h.Arch != h.ProcessArch {
		ev := []string{"hardware (/proc/sys/kernel/arch): " + h.Arch, "this process: " + h.ProcessArch}
		if b, ok := h.Handler(h.ProcessArch); ok {
			ev = append(ev, fmt.Sprintf("binfmt_misc handler %s runs %s ELF files through %s", b.Name, b.Arch, b.Interpreter))
		}
		return []Finding{{
			Severity: Warning,
			Title:    fmt.Sprintf("gonative runs emulated: the machine is %s, this process is %s", h.Arch, h.ProcessArch),
			Evidence: ev,
			Fix:      &Fix{Text: fmt.Sprintf("Run a native %s gonative; emulated processes see the emulated CPU.", h.Arch)},
			Links:    []string{linkBinfmt},
		}}
	}
	return []Finding{{Severity: Info, Title: fmt.Sprintf("%s hardware, this process runs natively", h.Arch)}}
}

func checkHostTerminal(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	hw := hardwareArch(ctx, s)
	if h.Translated || (h.OS == "linux" && h.ProcessArch != hw) {
		return nil // host.arch already says this process is not native
	}
	if h.OS == "darwin" && hw == "arm64" {
		if t, err := s.M.ParentTranslated(); err == nil && t {
			return []Finding{translatedTerminal("the parent process has P_TRANSLATED set (sysctl kern.proc.pid.<ppid>)")}
		}
	}
	out, err := s.Exec(ctx, nil, "uname", "-m")
	if err != nil {
		return []Finding{{Severity: Info, Title: "could not run uname -m", Evidence: []string{err.Error()}}}
	}
	machine := strings.TrimSpace(string(out))
	childArch, _ := arch.ByUname(machine)
	child := childArch.GOARCH
	if child == "" || child == hw {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("child processes run as %s", machine)}}
	}
	if h.OS == "darwin" && h.Arch == "arm64" && child == "amd64" {
		// A universal child (/usr/bin/uname) runs as x86_64 when its parents were
		// translated: Delve compares uname -m with runtime.GOARCH for the same reason
		// (go-delve/delve#3810). Unverified on hardware here.
		return []Finding{translatedTerminal("uname -m (child process): " + machine)}
	}
	ev := []string{"uname -m (child process): " + machine, "hardware: " + hw}
	if b, ok := h.Handler(child); ok {
		ev = append(ev, fmt.Sprintf("binfmt_misc handler %s: %s", b.Name, b.Interpreter))
	}
	return []Finding{{
		Severity: Warning,
		Title:    fmt.Sprintf("child processes report %s on %s hardware: the shell's uname is emulated or translated", machine, hw),
		Evidence: ev,
		Fix:      &Fix{Text: "Use a native shell and native core utilities."},
	}}
}

func checkHostRosetta(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	if h.Arch != "arm64" {
		return nil
	}
	if h.Rosetta {
		return []Finding{{Severity: Info, Title: "Rosetta 2 is installed: x86_64 binaries run translated, without a warning",
			Evidence: []string{"/Library/Apple/usr/libexec/oah/libRosettaRuntime exists"}}}
	}
	return []Finding{{Severity: Info, Title: "Rosetta 2 is not installed: x86_64-only binaries fail with \"bad CPU type in executable\"",
		Evidence: []string{"/Library/Apple/usr/libexec/oah/libRosettaRuntime is missing"},
		Links:    []string{linkRosetta}}}
}

func checkHostBinfmt(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	var fs []Finding
	for _, b := range h.Binfmt {
		if !b.Enabled || b.Arch == h.Arch {
			continue
		}
		fs = append(fs, Finding{
			ID:       "host.binfmt:" + b.Name,
			Severity: Info,
			Title:    fmt.Sprintf("%s ELF files run silently through %s (binfmt_misc %s)", b.Arch, b.Interpreter, b.Name),
			Evidence: []string{"/proc/sys/fs/binfmt_misc/" + b.Name, "flags: " + b.Flags},
			Links:    []string{linkBinfmt},
		})
	}
	if len(fs) == 0 {
		return []Finding{{Severity: Info, Title: "no binfmt_misc handler runs foreign ELF files: a foreign binary fails with \"Exec format error\""}}
	}
	return fs
}

func checkHostPageSize(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	if h.PageSize == 0 {
		return nil
	}
	title := fmt.Sprintf("page size %d KiB", h.PageSize/1024)
	if h.OS == "linux" && h.PageSize > 4096 {
		return []Finding{{Severity: Info, Title: title + ": ELF files whose segments are aligned to less (some C libraries and prebuilt binaries) fail to load; Go's own binaries load",
			Evidence: []string{"getpagesize() = " + strconv.Itoa(h.PageSize)}}}
	}
	return []Finding{{Severity: Info, Title: title}}
}

func checkHostUserland(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	f, err := s.Inspect(ctx, "/bin/sh")
	if err != nil || f == nil || len(f.Slices) == 0 {
		return nil
	}
	sl := f.Slices[0]
	kernel := h.Arch // the kernel's own architecture (host.Detect)
	if sl.Bits == 32 && (kernel == "arm64" || kernel == "amd64") {
		return []Finding{{
			Severity: Warning,
			Title:    fmt.Sprintf("32-bit userland (%s /bin/sh) on a 64-bit %s kernel: 64-bit Go binaries may fail with \"Exec format error\" or missing libraries", sl.Arch, kernel),
			Evidence: []string{fmt.Sprintf("/bin/sh: ELF %d-bit %s", sl.Bits, sl.Arch), "kernel: " + kernel},
			Fix:      &Fix{Text: "Use the Go build for the userland (linux-armv6l for 32-bit ARM) or, better, move to a 64-bit OS image."},
			Links:    []string{linkDownloads},
		}}
	}
	return []Finding{{Severity: Info, Title: fmt.Sprintf("userland is %d-bit %s", sl.Bits, sl.Arch)}}
}

// translatedTerminal is the finding for a shell, terminal or IDE running under Rosetta.
func translatedTerminal(evidence string) Finding {
	return Finding{
		Severity: Warning,
		Title:    "programs started from this shell run as x86_64 under Rosetta: the terminal, IDE or shell is translated",
		Evidence: []string{evidence, "hardware: arm64 (hw.optional.arm64 = 1)"},
		Fix:      &Fix{Text: "Uncheck \"Open using Rosetta\" for the terminal app (Finder → Get Info), install the Apple Silicon build of VS Code/iTerm, and remove `arch -x86_64` from shell start-up files. Universal tools (clang, make) otherwise build for x86_64, and Delve's debugserver fails."},
		Links:    []string{linkRosetta, "https://github.com/go-delve/delve/issues/3810"},
	}
}
