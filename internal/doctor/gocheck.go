package doctor

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/toolchain"
)

func goChecks() []Check {
	return []Check{
		{ID: "go.arch", Area: AreaGo, Title: "the go on PATH matches the hardware (read from its header)", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoArch},
		{ID: "go.shadow", Area: AreaGo, Title: "every go on PATH; which one shadows the others", Run: checkGoShadow},
		{ID: "go.hostarch", Area: AreaGo, Title: "go env GOHOSTARCH vs the hardware and the binary", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoHostArch},
		{ID: "go.goroot", Area: AreaGo, Title: "GOROOT exported or go env -w'd, disagreeing with the binary", Run: checkGoGOROOT},
		{ID: "go.version", Area: AreaGo, Title: "go version vs $GOROOT/VERSION vs the compiler's version", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoVersion},
		{ID: "go.toolchain", Area: AreaGo, Title: "GOTOOLCHAIN and go.mod: which Go will actually run", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoToolchain},
	}
}

// hardwareArch is the machine's own architecture: the kernel's on Linux (not what an
// emulator reports), hw.optional.arm64 on macOS (host.Detect).
func hardwareArch(ctx context.Context, s *Session) string {
	return s.Host(ctx).Arch
}

// describe is "go1.26.8 darwin/amd64" for a binary.
func describe(b goenv.Binary) string {
	var parts []string
	if b.Version != "" {
		parts = append(parts, b.Version)
	}
	switch {
	case b.Script:
		parts = append(parts, "script (a shim or wrapper)")
	case len(b.Archs) > 1:
		parts = append(parts, b.OS+"/"+strings.Join(b.Archs, "+")+" (universal)")
	case b.Arch != "":
		parts = append(parts, b.OS+"/"+b.Arch)
	case b.Err != "":
		parts = append(parts, "unreadable: "+b.Err)
	}
	return strings.Join(parts, " ")
}

func evidenceOf(b goenv.Binary) []string {
	ev := []string{fmt.Sprintf("%s: %s", b.Path, describe(b))}
	if b.Resolved != b.Path {
		ev = append(ev, b.Path+" → "+b.Resolved)
	}
	if b.GOROOT != "" {
		ev = append(ev, "its GOROOT: "+b.GOROOT)
	}
	return ev
}

// runVerdict says how a binary runs on the machine: natively, or else how (translated,
// emulated) or why not, with the severity of that for a toolchain.
type runVerdict struct {
	Native   bool
	Severity Severity
	How      string // "under Rosetta 2", "through qemu-x86_64 (binfmt_misc)", "does not run"
	Fix      string
}

func verdictFor(ctx context.Context, s *Session, goos string, archs []string) runVerdict {
	h := s.Host(ctx)
	hw := hardwareArch(ctx, s)
	known := slices.DeleteFunc(slices.Clone(archs), func(a string) bool { return a == "" || a == "unknown" })
	if len(known) == 0 {
		return runVerdict{Native: true} // nothing to judge: the header was not understood
	}
	archs = known
	if slices.Contains(archs, hw) {
		if goos == "" || goos == h.OS {
			return runVerdict{Native: true}
		}
	}
	if goos != "" && goos != h.OS {
		return runVerdict{Severity: Error, How: fmt.Sprintf("is built for %s and does not run on %s", goos, h.OS)}
	}
	arch := archs[0]
	switch {
	case h.OS == "darwin" && hw == "arm64" && arch == "amd64":
		if !h.Rosetta && !h.Assumed {
			return runVerdict{Severity: Error, How: "does not run: Rosetta 2 is not installed (\"bad CPU type in executable\")",
				Fix: "softwareupdate --install-rosetta --agree-to-license"}
		}
		return runVerdict{Severity: Error, How: "runs translated under Rosetta 2"}
	case h.OS == "linux":
		if b, ok := h.Handler(arch); ok {
			return runVerdict{Severity: Error, How: fmt.Sprintf("runs emulated through %s (binfmt_misc %s)", b.Interpreter, b.Name)}
		}
		if hw == "arm64" && arch == "arm" || hw == "amd64" && arch == "386" {
			return runVerdict{Severity: Warning, How: "runs as a 32-bit program on a 64-bit kernel"}
		}
		return runVerdict{Severity: Error, How: "does not run (\"Exec format error\")"}
	}
	return runVerdict{Severity: Error, How: fmt.Sprintf("is %s, not %s", arch, hw)}
}

func checkGoArch(ctx context.Context, s *Session) []Finding {
	g, ok := s.ActiveGo(ctx)
	if !ok {
		ev := []string{"PATH=" + s.Getenv("PATH")}
		fix := &Fix{Text: "Install a native Go and put its bin directory on PATH.", Commands: []string{"gonative install", `eval "$(gonative env)"`}, Layer: finding.LayerShell, Needs: finding.NeedsNetwork}
		if bin, ok := storeGo(ctx, s); ok {
			// gonative install fails outside a module and installs nothing new: the
			// toolchain is there, only PATH lacks it.
			ev = append(ev, "installed by gonative: "+bin)
			fix = &Fix{Text: "A Go installed by gonative is not on PATH: put gonative's bin directory first (and add the same line to your shell start-up file).",
				Commands: []string{`eval "$(gonative env)"`}, Layer: finding.LayerShell}
		}
		return []Finding{{Severity: Error, Title: "no go on PATH", Evidence: ev, Fix: fix, Links: []string{linkInstall}}}
	}
	if g.Script || len(g.Archs) == 0 {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("go at %s is %s; its real binary is judged by go.hostarch", g.Path, describe(g)), Evidence: evidenceOf(g)}}
	}
	hw := hardwareArch(ctx, s)
	v := verdictFor(ctx, s, g.OS, g.Archs)
	if v.Native {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("%s at %s, native", describe(g), g.Path), Evidence: evidenceOf(g)}}
	}
	ev := append(evidenceOf(g), "hardware: "+hw)
	h := s.Host(ctx)
	fix := &Fix{Needs: finding.NeedsNetwork, Text: fmt.Sprintf("Install the %s/%s Go and remove this one; then reinstall the tools in GOBIN (gonative doctor tools.arch lists them).", h.OS, hw),
		Commands: []string{"gonative install"}}
	if g.GOROOT != "" {
		fix.Commands = append(fix.Commands, "sudo rm -rf "+g.GOROOT)
	}
	if strings.HasPrefix(g.Resolved, "/usr/local/Cellar/") || strings.HasPrefix(g.Resolved, "/usr/local/Homebrew/") {
		fix.Commands = []string{"arch -x86_64 /usr/local/bin/brew uninstall go", "/opt/homebrew/bin/brew install go"}
	}
	if v.Fix != "" {
		fix.Commands = append(fix.Commands, v.Fix)
	}
	title := fmt.Sprintf("go on your PATH (%s) is %s and %s on this %s machine", g.Path, describe(g), v.How, hw)
	if h.OS == "darwin" && v.How == "runs translated under Rosetta 2" {
		title += ": builds default to GOARCH=amd64, are slower, and Go's preemption has hit Rosetta bugs (golang/go#42700, #68485)"
		fix.Text += " Until then, if Go programs hang or assert under Rosetta, GODEBUG=asyncpreemptoff=1 is the known stopgap."
	}
	return []Finding{{Severity: v.Severity, Title: title, Evidence: ev, Fix: fix,
		Links: []string{linkDownloads, "https://github.com/golang/go/issues/44733"}}}
}

// gonativeStore is gonative's toolchain store on the machine (GONATIVE_HOME or the
// default), or false when it cannot be located.
func gonativeStore(ctx context.Context, s *Session) (toolchain.Store, bool) {
	goos := s.GOOS(ctx)
	root, err := toolchain.DefaultHome(goos, s.Getenv)
	if err != nil {
		return toolchain.Store{}, false
	}
	return toolchain.Store{Root: root, GOOS: goos}, true
}

// managedGo reports whether the go at p is one of gonative's: its bin/ links or a
// GOROOT in its versions/.
func managedGo(st toolchain.Store, p string) bool {
	p = path.Clean(strings.ReplaceAll(p, `\`, "/"))
	bin := path.Clean(strings.ReplaceAll(st.BinDir(), `\`, "/"))
	versions := path.Clean(strings.ReplaceAll(st.VersionsDir(), `\`, "/"))
	return path.Dir(p) == bin || strings.HasPrefix(p, versions+"/")
}

func checkGoShadow(ctx context.Context, s *Session) []Finding {
	gos := s.GoBinaries(ctx)
	if len(gos) == 0 {
		return nil
	}
	first := gos[0]
	var shadowed []goenv.Binary
	for _, g := range gos[1:] {
		if g.Resolved == first.Resolved || slices.ContainsFunc(shadowed, func(o goenv.Binary) bool { return o.Resolved == g.Resolved }) {
			continue
		}
		shadowed = append(shadowed, g)
	}
	if len(shadowed) == 0 {
		return []Finding{{Severity: Info, Title: "one go on PATH: " + first.Path, Evidence: evidenceOf(first)}}
	}
	st, haveStore := gonativeStore(ctx, s)
	if haveStore && managedGo(st, first.Path) {
		// gonative's go first on PATH is what `eval "$(gonative env)"` (and its shell
		// hook) sets up: the others are shadowed on purpose.
		var others []string
		ev := evidenceOf(first)
		for _, g := range shadowed {
			others = append(others, fmt.Sprintf("%s (%s)", g.Path, describe(g)))
			ev = append(ev, evidenceOf(g)...)
		}
		return []Finding{{
			ID:       "go.shadow:gonative",
			Severity: Info,
			Title: fmt.Sprintf("gonative's go is first on PATH (%s, %s), as `gonative env` sets it up; it shadows %s on purpose (gonative which says which go runs here and why)",
				first.Path, describe(first), strings.Join(others, ", ")),
			Evidence: ev,
		}}
	}
	var fs []Finding
	for _, g := range shadowed {
		sev := Warning
		if g.Version == first.Version && slices.Equal(g.Archs, first.Archs) && g.Version != "" {
			sev = Info
		}
		ev := append(evidenceOf(first), evidenceOf(g)...)
		if haveStore && managedGo(st, g.Path) {
			// gonative's links are on PATH, but after another go: use, pins and the
			// shell hook have no effect.
			fs = append(fs, Finding{
				ID:       "go.shadow:" + g.Path,
				Severity: Warning,
				Title: fmt.Sprintf("go on your PATH resolves to %s (%s), which comes before gonative's %s (%s): gonative use and its pins do not apply in this shell",
					first.Path, describe(first), g.Path, describe(g)),
				Evidence: ev,
				Fix: &Fix{Text: "Put gonative's bin directory first on PATH: add the line below to your shell start-up file (~/.zshrc, ~/.bashrc) after anything else that changes PATH, or remove the other Go.",
					Commands: []string{`eval "$(gonative env)"`}},
				Links: []string{"https://github.com/golang/vscode-go/blob/master/docs/advanced.md"},
			})
			continue
		}
		dir := path.Dir(g.Path)
		fs = append(fs, Finding{
			ID:       "go.shadow:" + g.Path,
			Severity: sev,
			Title: fmt.Sprintf("go on your PATH resolves to %s (%s), which shadows %s (%s); IDEs and scripts with another PATH run the other one",
				first.Path, describe(first), g.Path, describe(g)),
			Evidence: ev,
			Fix: &Fix{Text: fmt.Sprintf("Keep one Go on PATH: remove the one you do not use, or put the one you want first. To use %s, add %s to the front of your PATH.", g.Path, dir),
				Commands: []string{fmt.Sprintf("export PATH=%s:$PATH", dir)}},
			Links: []string{"https://github.com/golang/vscode-go/blob/master/docs/advanced.md"},
		})
	}
	return fs
}

func checkGoHostArch(ctx context.Context, s *Session) []Finding {
	g, ok := s.ActiveGo(ctx)
	if !ok {
		return nil
	}
	env, err := s.GoEnv(ctx)
	if err != nil {
		title := "could not run go env; judged from the binary's header only"
		if s.GoRun(ctx).CannotRun() {
			title = "go cannot run (go.run says why); judged from the binary's header only"
		}
		return []Finding{{Severity: Info, Title: title, Evidence: []string{err.Error()}}}
	}
	ha, hos := env["GOHOSTARCH"], env["GOHOSTOS"]
	hw := hardwareArch(ctx, s)
	ev := []string{"go env GOHOSTOS/GOHOSTARCH: " + hos + "/" + ha, "hardware: " + hw}
	if g.Arch != "" {
		ev = append(ev, fmt.Sprintf("header of %s: %s", g.Resolved, strings.Join(g.Archs, "+")))
	}
	var fs []Finding
	if ha != "" && ha != hw {
		v := verdictFor(ctx, s, hos, []string{ha})
		fs = append(fs, Finding{ID: "go.hostarch", Severity: v.Severity,
			Title:    fmt.Sprintf("the go command runs as %s on %s hardware (GOHOSTARCH=%s): it %s and builds for %s by default", ha, hw, ha, v.How, ha),
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsNetwork, Text: "Install a native Go and put it first on PATH.", Commands: []string{"gonative install"}},
			Links:    []string{linkDownloads}})
	}
	if ha != "" && len(g.Archs) > 0 && !slices.Contains(g.Archs, ha) {
		fs = append(fs, Finding{ID: "go.hostarch:wrapper", Severity: Warning,
			Title:    fmt.Sprintf("%s is %s but go env says GOHOSTARCH=%s: it is a wrapper that runs another go", g.Path, strings.Join(g.Archs, "+"), ha),
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsPerson, Text: "Find out what the wrapper runs (a version manager's shim, GOTOOLCHAIN switching) and make that go native.", Commands: []string{"go env GOROOT", "gonative which"}}})
	}
	if len(fs) == 0 {
		return []Finding{{Severity: Info, Title: "GOHOSTARCH=" + ha + " matches the hardware", Evidence: ev}}
	}
	return fs
}

func checkGoGOROOT(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	set, ok := l.Vars["GOROOT"]
	g, haveGo := s.ActiveGo(ctx)
	if !ok || set.Value == "" {
		if haveGo && g.GOROOT != "" {
			return []Finding{{Severity: Info, Title: "GOROOT is not set; go finds its own: " + g.GOROOT}}
		}
		return nil
	}
	where := string(set.Source)
	if set.File != "" {
		where += " (" + set.File + ")"
	}
	ev := []string{fmt.Sprintf("GOROOT=%s set by %s", set.Value, where)}
	fix := resetFix(s, "Do not set GOROOT: the go command derives it from its own location, and a fixed GOROOT breaks as soon as PATH finds another go (a mismatched compiler: \"compile: version … does not match go tool version …\").", set)
	links := []string{linkInstall, "https://github.com/golang/go/issues/34214"}
	if _, err := s.M.Stat(path.Join(set.Value, "pkg", "tool")); err != nil {
		return []Finding{{Severity: Error, Title: fmt.Sprintf("GOROOT=%s is not a Go installation (no pkg/tool): every go command fails", set.Value),
			Evidence: ev, Fix: fix, Links: links}}
	}
	if haveGo && g.GOROOT != "" && path.Clean(g.GOROOT) != path.Clean(set.Value) {
		ev = append(ev, evidenceOf(g)...)
		if ver := readVersionFile(s, set.Value); ver != "" {
			ev = append(ev, fmt.Sprintf("%s/VERSION: %s", set.Value, ver))
		}
		return []Finding{{Severity: Error,
			Title:    fmt.Sprintf("GOROOT=%s (from %s) disagrees with the go on PATH, whose own GOROOT is %s: it builds with another toolchain's compiler and library", set.Value, set.Source, g.GOROOT),
			Evidence: ev, Fix: fix, Links: links}}
	}
	return []Finding{{Severity: Warning, Title: fmt.Sprintf("GOROOT is set (by %s); it matches the go on PATH today but breaks when another go comes first", set.Source),
		Evidence: ev, Fix: fix, Links: links}}
}

// readVersionFile returns the first line of $GOROOT/VERSION ("go1.26.8").
func readVersionFile(s *Session, goroot string) string {
	v, _ := goenv.VersionFile(s.M.ReadFile, goroot)
	return v
}

func checkGoVersion(ctx context.Context, s *Session) []Finding {
	g, ok := s.ActiveGo(ctx)
	if !ok {
		return nil
	}
	goroot := s.Value(ctx, "GOROOT")
	if goroot == "" {
		goroot = g.GOROOT
	}
	if goroot == "" {
		return nil
	}
	type src struct{ what, version string }
	var srcs []src
	if g.Version != "" {
		srcs = append(srcs, src{"go binary " + g.Resolved, g.Version})
	}
	if v := readVersionFile(s, goroot); v != "" {
		srcs = append(srcs, src{goroot + "/VERSION", v})
	}
	hostOS, hostArch := s.Value(ctx, "GOHOSTOS"), s.Value(ctx, "GOHOSTARCH")
	compile := path.Join(goroot, "pkg", "tool", hostOS+"_"+hostArch, "compile")
	if s.GOOS(ctx) == "windows" {
		compile += ".exe"
	}
	if f, err := s.Inspect(ctx, compile); err == nil && f != nil && len(f.Slices) > 0 && f.Slices[0].Go != nil && f.Slices[0].Go.Version != "" {
		srcs = append(srcs, src{compile, f.Slices[0].Go.Version})
	} else if out, err := s.Exec(ctx, noSwitch, g.Path, "tool", "compile", "-V"); err == nil {
		// "compile version go1.26.8"
		f := strings.Fields(string(out))
		if len(f) >= 3 {
			srcs = append(srcs, src{"go tool compile -V", f[2]})
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	// Compare the versions without suffixes such as " X:boringcrypto".
	first, _, _ := strings.Cut(srcs[0].version, " ")
	var ev []string
	mismatch := false
	for _, x := range srcs {
		ev = append(ev, x.what+": "+x.version)
		if base, _, _ := strings.Cut(x.version, " "); base != first {
			mismatch = true
		}
	}
	if mismatch {
		return []Finding{{Severity: Error,
			Title:    "the go command, its GOROOT and its compiler are different versions (\"compile: version … does not match go tool version …\")",
			Evidence: ev,
			Fix: &Fix{Needs: finding.NeedsNetwork, Text: "Unset GOROOT, and reinstall Go into an empty directory: never untar a release over an existing one.",
				Commands: []string{"unset GOROOT", "go env -u GOROOT", "gonative install"}},
			Links: []string{linkInstall, "https://github.com/golang/go/issues/26933"}}}
	}
	return []Finding{{Severity: Info, Title: srcs[0].version + " everywhere (binary, VERSION, compiler)", Evidence: ev}}
}

func checkGoToolchain(ctx context.Context, s *Session) []Finding {
	g, ok := s.ActiveGo(ctx)
	if !ok {
		return nil
	}
	l := s.Layers(ctx)
	raw, _ := l.Get("GOTOOLCHAIN")
	set, isSet := l.Vars["GOTOOLCHAIN"]
	src := "not set anywhere"
	if isSet {
		src = string(set.Source)
		if set.File != "" {
			src += " (" + set.File + ")"
		}
	}
	ev := []string{fmt.Sprintf("GOTOOLCHAIN=%q: %s", raw, src)}
	gt, err := goenv.ParseGOTOOLCHAIN(raw)
	if err != nil {
		// go env -u GOTOOLCHAIN fails too while the value is invalid (removeFix).
		text, cmds := removeFix(set, false)
		return []Finding{{Severity: Error, StopsGo: true, Title: err.Error() + ": every go command fails", Evidence: ev,
			Fix:   &Fix{Text: "Set GOTOOLCHAIN to local, auto, path, goX.Y.Z, or goX.Y.Z+auto. " + text, Commands: cmds},
			Links: []string{"https://go.dev/doc/toolchain"}}}
	}
	local := strings.TrimPrefix(g.Version, "go")
	if local == "" {
		local = strings.TrimPrefix(readVersionFile(s, g.GOROOT), "go")
	}
	dir := "/"
	if d, err := s.M.Getwd(); err == nil {
		dir = d
	}
	mod, err := goenv.FindModFile(dir, s.Getenv("GOWORK"), s.M.ReadFile)
	if err != nil {
		return []Finding{{Severity: Warning, Title: "cannot read " + mod.File + ": " + err.Error()}}
	}
	if mod.File != "" {
		ev = append(ev, fmt.Sprintf("%s: go %s, toolchain %s", mod.File, orDash(mod.Go), orDash(mod.Toolchain)))
	}
	ev = append(ev, "local go: go"+local)
	c, err := goenv.Choose(gt, local, mod)
	if err != nil {
		return []Finding{{Severity: Error, Title: err.Error(), Evidence: ev}}
	}
	var fs []Finding
	needs := mod.Go != "" && goenv.CompareVersions(mod.Go, local) > 0
	switch {
	case c.Toolchain == "local" && needs:
		fs = append(fs, Finding{Severity: Error,
			Title:    fmt.Sprintf("%s requires go >= %s but go%s runs and GOTOOLCHAIN=%s forbids switching: every go command in this module fails", mod.File, mod.Go, local, orDash(raw)),
			Evidence: ev,
			Fix: &Fix{Needs: finding.NeedsNetwork, Text: "Install a newer Go, or allow switching (the toolchain is then downloaded through GOPROXY and checked against GOSUMDB).",
				Commands: []string{"gonative install " + mod.Go, "go env -w GOTOOLCHAIN=auto"}},
			Links: []string{"https://go.dev/doc/toolchain"}})
	case c.Toolchain == "local":
		fs = append(fs, Finding{Severity: Info, Title: fmt.Sprintf("go%s runs: %s", local, c.Reason), Evidence: ev})
	default:
		how := "downloads it through GOPROXY (verified against GOSUMDB) if it is not cached"
		if c.PathOnly {
			how = "looks for " + c.Toolchain + " on PATH"
		}
		sev := Info
		if !verdictFor(ctx, s, g.OS, g.Archs).Native {
			// A translated or emulated go downloads toolchains for its own arch.
			sev = Warning
			how += ", for " + g.OS + "/" + g.Arch + " (the local go's platform, not the hardware's)"
		}
		fs = append(fs, Finding{Severity: sev,
			Title:    fmt.Sprintf("the go command switches to %s, not the go%s on PATH (%s); it %s", c.Toolchain, local, c.Reason, how),
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsNetwork, Text: "Nothing is wrong if you meant it. To run the local Go instead: set GOTOOLCHAIN=local, or install " + c.Toolchain + " natively.", Commands: []string{"gonative install " + c.Version}},
			Links:    []string{"https://go.dev/doc/toolchain"}})
	}
	// A distribution that pins GOTOOLCHAIN=local in $GOROOT/go.env (Fedora does) makes
	// `go.mod requires go >= …` fail instead of switching (research row 17).
	if isSet && set.Source == goenv.SourceGOROOT && gt.Min == "local" && gt.Mode == goenv.ModeFixed {
		fs = append(fs, Finding{ID: "go.toolchain:goenv", Severity: Info,
			Title:    "this Go's $GOROOT/go.env sets GOTOOLCHAIN=local: modules that need a newer Go fail with \"go.mod requires go >= …\" instead of switching",
			Evidence: ev,
			Fix:      &Fix{Text: "Install the newer Go, or allow switching.", Commands: []string{"go env -w GOTOOLCHAIN=auto"}},
			Links:    []string{"https://go.dev/doc/toolchain"}})
	}
	if gt.Mode == goenv.ModeAuto && s.Value(ctx, "GOSUMDB") == "off" {
		fs = append(fs, Finding{ID: "go.toolchain:sumdb", Severity: Warning,
			Title:    "GOTOOLCHAIN allows downloads but GOSUMDB=off: toolchain downloads are always checked against the checksum database and fail",
			Evidence: []string{"GOSUMDB=off", "GOTOOLCHAIN=" + raw},
			Fix:      settingFix(ctx, s, "GOSUMDB", "Keep GOSUMDB on; exclude private modules with GOPRIVATE instead."),
			Links:    []string{"https://go.dev/doc/toolchain"}})
	}
	return fs
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// storeGo returns the go in gonative's bin directory (the default toolchain's link),
// when gonative installed one.
func storeGo(ctx context.Context, s *Session) (string, bool) {
	home, err := toolchain.DefaultHome(s.GOOS(ctx), s.Getenv)
	if err != nil {
		return "", false
	}
	bin := path.Join(filepath.ToSlash(toolchain.Store{Root: home, GOOS: s.GOOS(ctx)}.BinDir()), "go")
	if s.GOOS(ctx) == "windows" {
		bin += ".exe"
	}
	if _, err := s.M.Stat(bin); err != nil {
		return "", false
	}
	return bin, true
}
