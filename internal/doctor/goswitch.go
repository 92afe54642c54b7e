package doctor

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/netcheck"
	"github.com/gonative/gonative/internal/redact"
	"github.com/gonative/gonative/internal/toolchain"
)

// switchTarget is the toolchain the go command switches to here (GOTOOLCHAIN, the
// go.mod go or toolchain line), with the active go and the module file; ok is false
// when go runs the local toolchain or that cannot be told (go.toolchain says why).
func switchTarget(ctx context.Context, s *Session) (c goenv.Choice, g goenv.Binary, mod goenv.ModFile, ok bool) {
	g, ok = s.ActiveGo(ctx)
	if !ok {
		return c, g, mod, false
	}
	raw, _ := s.Layers(ctx).Get("GOTOOLCHAIN")
	gt, err := goenv.ParseGOTOOLCHAIN(raw)
	if err != nil {
		return c, g, mod, false // go.toolchain reports an invalid GOTOOLCHAIN
	}
	local := strings.TrimPrefix(g.Version, "go")
	if local == "" {
		local = strings.TrimPrefix(readVersionFile(s, g.GOROOT), "go")
	}
	if mod, err = modFileHere(s); err != nil {
		return c, g, mod, false // go.toolchain reports an unreadable go.mod
	}
	c, err = goenv.Choose(gt, local, mod)
	return c, g, mod, err == nil && c.Toolchain != "local"
}

// switchPlatform is the platform of the toolchain go downloads: the local go's.
func switchPlatform(ctx context.Context, s *Session, g goenv.Binary) toolchain.Platform {
	plat := toolchain.Platform{OS: g.OS, Arch: g.Arch}
	if plat.OS == "" || plat.Arch == "" {
		plat = toolchain.Platform{OS: s.Value(ctx, "GOHOSTOS"), Arch: s.Value(ctx, "GOHOSTARCH")}
	}
	return plat
}

func checkGoSwitch(ctx context.Context, s *Session) []Finding {
	c, g, mod, ok := switchTarget(ctx, s)
	if !ok {
		return nil
	}
	l := s.Layers(ctx)
	raw, _ := l.Get("GOTOOLCHAIN")
	ev := []string{"chosen by " + c.Reason}
	if st, ok := l.Vars["GOTOOLCHAIN"]; ok {
		ev = append(ev, where(st))
	}
	// Where cmd/go looks, in its order (cmd/go/internal/toolchain/select.go, Exec):
	// PATH, then the module cache (a download is skipped when it is there).
	onPath, found := findOnPath(ctx, s, c.Toolchain)
	if found {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("the go command switches to %s, found on PATH at %s", c.Toolchain, onPath), Evidence: ev}}
	}
	ev = append(ev, c.Toolchain+" is not on PATH")
	plat := switchPlatform(ctx, s, g)
	if c.Version != "" && !c.PathOnly {
		if mc := modCache(ctx, s); mc != "" {
			dir := path.Join(mc, toolchain.ModulePath+"@"+toolchain.ModuleVersion(strings.TrimPrefix(c.Toolchain, "go"), plat))
			if _, err := s.M.Stat(path.Join(dir, "bin", "go")); err == nil {
				return []Finding{{Severity: Info, Title: fmt.Sprintf("the go command switches to %s, already in the module cache (%s)", c.Toolchain, dir), Evidence: ev}}
			}
			ev = append(ev, "not in the module cache: "+dir)
		}
	}
	var store string
	if home, err := toolchain.DefaultHome(s.GOOS(ctx), s.Getenv); err == nil && c.Version != "" {
		st := toolchain.Store{Root: home, GOOS: s.GOOS(ctx)}
		if _, err := s.M.Stat(st.GoExe(c.Version)); err == nil {
			store = st.GoExe(c.Version)
		} else {
			ev = append(ev, "not installed by gonative: "+st.GOROOT(c.Version))
		}
	}
	fix := switchFix(ctx, s, l, c, mod)
	links := []string{"https://go.dev/doc/toolchain"}
	if store != "" {
		// Installed, but cmd/go only looks on PATH for goX.Y.Z.
		sev := Info
		if c.PathOnly {
			sev = Error
		}
		return []Finding{{Severity: sev,
			Title:    fmt.Sprintf("the go command switches to %s, installed by gonative at %s but not on PATH as %s, so go does not find it and downloads it instead", c.Toolchain, store, c.Toolchain),
			Evidence: ev,
			Fix:      &Fix{Text: "Put gonative's bin directory (which holds goX.Y.Z links) on PATH, and add the same line to your shell start-up file.", Commands: []string{`eval "$(gonative env)"`}, Layer: finding.LayerShell},
			Links:    links}}
	}
	switch {
	case c.PathOnly:
		return []Finding{{Severity: Error, StopsGo: true,
			Title:    fmt.Sprintf("the go command must switch to %s (%s) but GOTOOLCHAIN=%s only looks on PATH, where there is none: every go command here fails (\"cannot find %q in PATH\")", c.Toolchain, c.Reason, raw, c.Toolchain),
			Evidence: ev, Fix: fix, Links: links}}
	case goenv.IsLangVersion(c.Version) && goenv.CompareVersions(c.Version, "1.21") >= 0:
		fix = &Fix{Text: fmt.Sprintf("Name a release (%s.0 or a later patch) instead. %s", c.Toolchain, fix.Text), Commands: fix.Commands[1:], Layer: fix.Layer} // without the install: what is left runs here
		return []Finding{{Severity: Error, StopsGo: true,
			Title:    fmt.Sprintf("the go command switches to %s (%s), which is a language version, not a release (%s.0, %s.1 …): no such toolchain exists and every go command fails (\"invalid toolchain: %s is a language version but not a toolchain version\")", c.Toolchain, c.Reason, c.Toolchain, c.Toolchain, c.Toolchain),
			Evidence: ev, Fix: fix, Links: links}}
	}
	list, _ := goenv.ParseGOPROXY(s.Value(ctx, "GOPROXY"))
	if len(list) == 0 || list[0].IsOff() {
		return []Finding{{Severity: Error, StopsGo: true,
			Title:    fmt.Sprintf("the go command switches to %s (%s), which is not installed, and GOPROXY=off forbids downloading it: every go command here fails", c.Toolchain, c.Reason),
			Evidence: append(ev, "GOPROXY="+redact.Text(s.Value(ctx, "GOPROXY"))), Fix: fix, Links: links}}
	}
	every := "every go command"
	if c.File != "" {
		every = "every go command in this module"
	}
	if s.Online && c.Version != "" {
		// doctor --online: ask the proxies, as cmd/go does before downloading.
		nf := netcheck.Toolchain(ctx, NetcheckOptions(ctx, s))
		ev = append(ev, nf.Evidence...)
		switch nf.Severity {
		case Info:
			return []Finding{{Severity: Info, Title: fmt.Sprintf("the go command switches to %s (%s), which is not installed: %s first downloads it for %s; %s", c.Toolchain, c.Reason, every, plat, nf.Title), Evidence: ev, Links: links}}
		case Error:
			return []Finding{{Severity: Error, StopsGo: true, Title: fmt.Sprintf("the go command switches to %s (%s), which is not installed, and %s", c.Toolchain, c.Reason, nf.Title), Evidence: ev, Fix: fix, Links: links}}
		}
	}
	return []Finding{{Severity: Warning,
		Title: fmt.Sprintf("the go command switches to %s (%s), which is not installed (not on PATH, in the module cache or in gonative's store): %s first downloads it for %s; whether %s exists is unknown offline (gonative doctor --online and gonative netcheck ask GOPROXY), and if it does not, %s fails (\"toolchain not available\")",
			c.Toolchain, c.Reason, every, plat, c.Toolchain, every),
		Evidence: ev, Fix: fix, Links: links}}
}

// switchFix says how to stop switching to c: install it, or remove what chose it.
func switchFix(ctx context.Context, s *Session, l goenv.Layers, c goenv.Choice, mod goenv.ModFile) *Fix {
	install := "gonative install " + c.Version
	if c.File != "" && mod.File != "" {
		// go mod edit switches first too, unless GOTOOLCHAIN=local.
		edit := "GOTOOLCHAIN=local go mod edit -toolchain=none"
		line := "toolchain line"
		if strings.HasPrefix(c.Reason, "go line") {
			edit = "GOTOOLCHAIN=local go mod edit -go=" + strings.TrimPrefix(localGo(ctx, s), "go")
			line = "go line (if the module does not need it)"
		}
		return &Fix{Needs: finding.NeedsNetwork, Text: fmt.Sprintf("Install %s if it exists, or lower the %s of %s to a Go you have.", c.Toolchain, line, mod.File),
			Commands: []string{install, edit}}
	}
	if st, ok := l.Vars["GOTOOLCHAIN"]; ok {
		// go env -u GOTOOLCHAIN itself switches first, so it runs with GOTOOLCHAIN=local.
		t, cmds := removeFix(st, false)
		return &Fix{Needs: finding.NeedsNetwork, Text: fmt.Sprintf("Install %s if it exists, or stop asking for it. %s", c.Toolchain, t), Commands: append([]string{install}, cmds...)}
	}
	return &Fix{Needs: finding.NeedsNetwork, Text: "Install " + c.Toolchain + " if it exists.", Commands: []string{install}}
}

func localGo(ctx context.Context, s *Session) string {
	if g, ok := s.ActiveGo(ctx); ok {
		return g.Version
	}
	return ""
}

// modCache is GOMODCACHE: go env's answer, the layers, else GOPATH[0]/pkg/mod.
func modCache(ctx context.Context, s *Session) string {
	if v := s.Value(ctx, "GOMODCACHE"); v != "" {
		return v
	}
	if gp := s.GOPATHs(ctx); len(gp) > 0 {
		return path.Join(gp[0], "pkg", "mod")
	}
	return ""
}
