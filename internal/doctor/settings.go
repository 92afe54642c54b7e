package doctor

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/redact"
)

const linkEnv = "https://pkg.go.dev/cmd/go#hdr-Environment_variables"

func settingsChecks() []Check {
	return []Check{
		{ID: "env.layers", Area: AreaSettings, Title: "every Go setting and the layer that set it", Run: checkEnvLayers},
		{ID: "env.goarm", Area: AreaSettings, Title: "GOARM set while GOARCH is arm64 (ignored)", Run: checkEnvGOARM},
		{ID: "env.level", Area: AreaSettings, Title: "GOARM64 and GOAMD64 values", Run: checkEnvLevel},
		{ID: "env.target", Area: AreaSettings, Title: "persisted GOOS/GOARCH", Run: checkEnvTarget},
		{ID: "env.goflags", Area: AreaSettings, Title: "GOFLAGS entries go accepts (what go version says; cmd/go's flag values)", Run: checkEnvGOFLAGS},
		{ID: "env.cgo", Area: AreaSettings, Title: "CGO_ENABLED and whether a C compiler exists", FixNeeds: []finding.Needs{finding.NeedsMacOS, finding.NeedsRoot}, Run: checkEnvCgo},
		{ID: "env.path", Area: AreaSettings, Title: "GOBIN and GOPATH/bin on PATH", Run: checkEnvPath},
		{ID: "env.proxy", Area: AreaSettings, Title: "GOPROXY, GOSUMDB, GOPRIVATE, GONOSUMDB, GOINSECURE (parsed offline)", Run: checkEnvProxy},
	}
}

// where describes a setting's layer for evidence.
func where(st goenv.Setting) string {
	w := fmt.Sprintf("%s=%s (%s", st.Name, redact.Setting(st.Name, st.Value), st.Source)
	if st.File != "" {
		w += ": " + st.File
	}
	return w + ")"
}

// resetFix is a fix that takes st out of the layer that set it (goenv.ResetLines):
// unset in the shell for the environment, go env -u for the go env file. A value
// exported by a line of a shell start-up file (goenv.ProfileLine) is removed
// from that file too. A value from $GOROOT/go.env cannot be reset by a command; the
// fix then says so and needs a person.
func resetFix(sess *Session, text string, st goenv.Setting) *Fix {
	f := &Fix{Text: text, Commands: goenv.ResetLines(st.Source, st.Name), Layer: layerOf(st.Source)}
	switch {
	case st.Source == goenv.SourceEnv:
		if file, n, line, ok := goenv.ProfileLine(sess.Getenv("HOME"), st.Name, sess.M.ReadFile); ok {
			f.Text += fmt.Sprintf(" It is set in %s (line %d: %s): that line goes too (sed keeps a copy as %s.bak).", file, n, printable(line), file)
			f.Commands = append(f.Commands, goenv.ProfileRemoveLine(file, st.Name))
			f.Layer = finding.LayerProfile
		} else {
			f.Text += " Remove it from your shell start-up file too (~/.profile, ~/.bashrc, ~/.zshrc)."
		}
	case len(f.Commands) == 0:
		f.Text += fmt.Sprintf(" %s is set in %s, which ships with the toolchain: override it with go env -w %s=… or edit that file.", st.Name, where(st), st.Name)
		f.Needs = finding.NeedsPerson
	}
	return f
}

// settingFix is resetFix for the layer that sets name; when no layer does (the value
// is go's computed default), there is nothing to reset and a person decides.
func settingFix(ctx context.Context, s *Session, name, text string) *Fix {
	if st, ok := s.Layers(ctx).Vars[name]; ok {
		return resetFix(s, text, st)
	}
	return &Fix{Text: text, Needs: finding.NeedsPerson}
}

// layerOf is the fix layer that changes a setting from src.
func layerOf(src goenv.Source) finding.Layer {
	switch src {
	case goenv.SourceEnv:
		return finding.LayerShell
	case goenv.SourceUser:
		return finding.LayerGoEnv
	case goenv.SourceGOROOT:
		return finding.LayerGOROOT
	}
	return ""
}

func checkEnvLayers(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	var ev []string
	var fs []Finding
	for _, name := range l.Names() {
		st := l.Vars[name]
		ev = append(ev, where(st))
		for _, h := range st.Hidden {
			if h.Source == goenv.SourceUser && st.Source == goenv.SourceEnv && h.Value != st.Value {
				fs = append(fs, Finding{ID: "env.layers:" + name, Severity: Warning,
					Title:    fmt.Sprintf("%s=%s from the environment overrides %s=%s written with go env -w: the go env -w value has no effect", name, st.Value, name, h.Value),
					Evidence: []string{where(st), where(h)},
					// go env -u first: with the environment's value still set it runs
					// even when the file's value would stop go (GOTOOLCHAIN=go1.99.0).
					Fix:   &Fix{Text: "Keep the setting in one place.", Commands: []string{"go env -u " + name, "unset " + name}},
					Links: []string{linkEnv}})
			}
		}
	}
	file := l.UserFile
	if file == "" {
		file = "none (GOENV=off)"
	}
	ev = append(ev, "go env -w file: "+file)
	if l.GOROOTFile != "" {
		ev = append(ev, "toolchain defaults: "+l.GOROOTFile)
	}
	n := 0
	for _, name := range l.Names() {
		if l.Vars[name].Source != goenv.SourceGOROOT {
			n++
		}
	}
	return append([]Finding{{Severity: Info, Title: fmt.Sprintf("Go settings: %d set in the environment or with go env -w", n), Evidence: ev}}, fs...)
}

func checkEnvGOARM(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	st, ok := l.Vars["GOARM"]
	if !ok || st.Value == "" {
		return nil
	}
	goarch := s.Value(ctx, "GOARCH")
	if goarch == "arm" {
		return []Finding{{Severity: Info, Title: "GOARM=" + st.Value + " applies to GOARCH=arm builds", Evidence: []string{where(st)}}}
	}
	return []Finding{{Severity: Warning,
		Title:    fmt.Sprintf("GOARM=%s is set but GOARCH=%s: GOARM applies only to 32-bit arm, so it changes nothing (arm64 uses GOARM64)", st.Value, goarch),
		Evidence: []string{where(st), "GOARCH=" + goarch},
		Fix:      resetFix(s, "Remove GOARM; to target an arm64 level, set GOARM64 (v8.0 … v9.5, optionally ,lse ,crypto).", st),
		Links:    []string{"https://go.dev/wiki/MinimumRequirements#arm64", linkEnv}}}
}

// ValidGOARM64 reports whether v is a valid GOARM64 value: v8.0–v8.9 or v9.0–v9.5,
// optionally followed by ",lse" and/or ",crypto" (cmd/internal/buildcfg, goarm64()).
func ValidGOARM64(v string) bool {
	level, opts, _ := strings.Cut(v, ",")
	ok := false
	if strings.HasPrefix(level, "v8.") && len(level) == 4 && level[3] >= '0' && level[3] <= '9' {
		ok = true
	}
	if strings.HasPrefix(level, "v9.") && len(level) == 4 && level[3] >= '0' && level[3] <= '5' {
		ok = true
	}
	if !ok {
		return false
	}
	if opts == "" {
		return !strings.HasSuffix(v, ",")
	}
	for _, o := range strings.Split(opts, ",") {
		if o != "lse" && o != "crypto" {
			return false
		}
	}
	return true
}

// ValidGOAMD64 reports whether v is v1, v2, v3 or v4 (cmd/internal/buildcfg, goamd64()).
func ValidGOAMD64(v string) bool { return v == "v1" || v == "v2" || v == "v3" || v == "v4" }

func checkEnvLevel(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	var fs []Finding
	if st, ok := l.Vars["GOARM64"]; ok && st.Value != "" && !ValidGOARM64(st.Value) {
		fs = append(fs, Finding{ID: "env.level:GOARM64", Severity: Error,
			Title:    fmt.Sprintf("GOARM64=%s is invalid: every arm64 build fails (want v8.0 … v8.9 or v9.0 … v9.5, optionally ,lse ,crypto)", st.Value),
			Evidence: []string{where(st)},
			Fix:      resetFix(s, "Use a valid level such as v8.0 (the default) or v8.2,crypto, or remove it.", st),
			Links:    []string{"https://go.dev/wiki/MinimumRequirements#arm64"}})
	}
	if st, ok := l.Vars["GOAMD64"]; ok && st.Value != "" {
		if !ValidGOAMD64(st.Value) {
			fs = append(fs, Finding{ID: "env.level:GOAMD64", Severity: Error,
				Title:    fmt.Sprintf("GOAMD64=%s is invalid: every amd64 build fails (want v1, v2, v3 or v4)", st.Value),
				Evidence: []string{where(st)},
				Fix:      resetFix(s, "Use v1 (the default) … v4, or remove it.", st),
				Links:    []string{"https://go.dev/wiki/MinimumRequirements#amd64"}})
		} else if (st.Value == "v3" || st.Value == "v4") && s.Host(ctx).OS == "darwin" {
			fs = append(fs, Finding{ID: "env.level:rosetta", Severity: Warning,
				Title:    fmt.Sprintf("GOAMD64=%s: amd64 binaries built with it refuse to start under Rosetta 2, whose CPUID reports no AVX2/AVX-512", st.Value),
				Evidence: []string{where(st), "Go's internal/cpu/cpu_x86_darwin.go: Rosetta does not report AVX"},
				Fix:      resetFix(s, "Use GOAMD64=v1 or v2 for binaries that may run on Apple Silicon under Rosetta.", st),
				Links:    []string{linkRosetta}})
		}
	}
	return fs
}

func checkEnvTarget(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	h := s.Host(ctx)
	hw := hardwareArch(ctx, s)
	var fs []Finding
	for _, name := range []string{"GOOS", "GOARCH"} {
		st, ok := l.Vars[name]
		if !ok || st.Value == "" || st.Source == goenv.SourceGOROOT {
			continue
		}
		native := h.OS
		if name == "GOARCH" {
			native = hw
		}
		if st.Value == native {
			fs = append(fs, Finding{ID: "env.target:" + name, Severity: Info,
				Title:    fmt.Sprintf("%s=%s is set (by %s); it matches this machine", name, st.Value, st.Source),
				Evidence: []string{where(st)}})
			continue
		}
		fs = append(fs, Finding{ID: "env.target:" + name, Severity: Warning,
			Title:    fmt.Sprintf("%s=%s is set persistently (by %s): every build targets %s instead of this %s machine, and go run/go test run foreign binaries", name, st.Value, st.Source, st.Value, native),
			Evidence: []string{where(st), "machine: " + h.OS + "/" + hw},
			Fix:      resetFix(s, fmt.Sprintf("Set %s per command (%s=%s go build) instead of persistently.", name, name, st.Value), st),
			Links:    []string{linkEnv}})
	}
	return fs
}

// GOFLAGSProblems returns what is wrong with a GOFLAGS value, following cmd/go
// (cmd/go/internal/base/goflags.go): the value is split into space-separated fields
// (Go 1.19+ also accepts quoted fields, cmd/internal/quoted), each must be a flag
// ("-x" or "-flag=value"); a flag followed by a separate value ("-mod vendor")
// leaves "vendor", a non-flag, which is fatal. When every field is a flag, the values
// of the build flags cmd/go declares are checked as it checks them (goFlagValueProblem).
func GOFLAGSProblems(value string) []string {
	fields, err := splitQuoted(value)
	if err != nil {
		return []string{err.Error()}
	}
	var probs []string
	for _, f := range fields {
		if !strings.HasPrefix(f, "-") || f == "-" || f == "--" || strings.HasPrefix(f, "---") || strings.HasPrefix(f, "-=") || strings.HasPrefix(f, "--=") {
			probs = append(probs, fmt.Sprintf("non-flag %q (write -flag=value, not -flag value)", f))
		}
	}
	if len(probs) > 0 {
		return probs // fatal before any value is looked at
	}
	for _, f := range fields {
		if p := goFlagValueProblem(f); p != "" {
			probs = append(probs, p)
		}
	}
	return probs
}

// splitQuoted splits s into fields separated by spaces, where a field may be quoted
// with ' or " (cmd/internal/quoted.Split).
func splitQuoted(s string) ([]string, error) {
	var fields []string
	for len(s) > 0 {
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		if len(s) == 0 {
			break
		}
		if s[0] == '"' || s[0] == '\'' {
			q := s[0]
			i := strings.IndexByte(s[1:], q)
			if i < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			fields = append(fields, s[1:1+i])
			s = s[i+2:]
			continue
		}
		i := 0
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		fields = append(fields, s[:i])
		s = s[i:]
	}
	return fields, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func checkEnvGOFLAGS(ctx context.Context, s *Session) []Finding {
	st, ok := s.Layers(ctx).Vars["GOFLAGS"]
	if !ok || strings.TrimSpace(st.Value) == "" {
		return nil
	}
	// go env ignores a bad GOFLAGS on purpose, so go env -u GOFLAGS always works.
	fix := resetFix(s, "Write each flag as -flag=value with a value go accepts, or remove GOFLAGS.", st)
	// What go itself says (go version parses GOFLAGS: unknown flags, non-flags).
	for _, f := range s.GoRun(ctx).Failures {
		if strings.Contains(f.Message, "$GOFLAGS") {
			return []Finding{{Severity: Error,
				Title:    fmt.Sprintf("GOFLAGS=%q is rejected by go: every go command fails (%q)", st.Value, printable(strings.SplitN(f.Message, "\n", 2)[0])),
				Evidence: []string{where(st), "go said: " + printable(f.Message)},
				Fix:      fix, Links: []string{linkEnv}}}
		}
	}
	if probs := GOFLAGSProblems(st.Value); len(probs) > 0 {
		title := fmt.Sprintf("GOFLAGS=%q is malformed: every go command fails (\"go: parsing $GOFLAGS: …\")", st.Value)
		if !slices.ContainsFunc(probs, func(p string) bool { return strings.HasPrefix(p, "non-flag") || strings.HasPrefix(p, "unterminated") }) {
			title = fmt.Sprintf("GOFLAGS=%q holds a value go rejects: go build, test, run, list and install fail (%s)", st.Value, probs[0])
		}
		return []Finding{{Severity: Error, Title: title, Evidence: append([]string{where(st)}, probs...), Fix: fix, Links: []string{linkEnv}}}
	}
	return []Finding{{Severity: Info, Title: fmt.Sprintf("GOFLAGS=%q applies to every go command", st.Value), Evidence: []string{where(st)}}}
}

// compilerFix says how to get a working C compiler: when CC is set in a layer and
// names a program that is not there, take it out of that layer (go then uses its
// default, gcc or clang) or correct it; else install the platform's compilers.
func compilerFix(ctx context.Context, s *Session, cc string) *Fix {
	if st, ok := s.Layers(ctx).Vars["CC"]; ok && st.Source != goenv.SourceGOROOT {
		def := s.defaultValue(ctx, "CC")
		return resetFix(s, fmt.Sprintf("CC names %s, which is not on PATH: remove the setting (go then uses %s) or set it to a compiler that exists.", cc, orDash(def)), st)
	}
	if s.Host(ctx).OS == "darwin" {
		return &Fix{Text: "Install the Xcode command line tools.", Commands: []string{"xcode-select --install"}, Layer: finding.LayerSystem, Needs: finding.NeedsMacOS}
	}
	return &Fix{Text: "Install a C compiler (build-essential on Debian/Ubuntu, gcc on Fedora, build-base on Alpine).",
		Commands: []string{"sudo apt-get install build-essential"}, Layer: finding.LayerSystem, Needs: finding.NeedsRoot}
}

// ccCommand returns the C compiler command (first word of CC).
func ccCommand(ctx context.Context, s *Session) string {
	cc := strings.Fields(s.Setting(ctx, "CC"))
	if len(cc) == 0 {
		return s.defaultValue(ctx, "CC")
	}
	return cc[0]
}

// findOnPath returns the first executable name on the machine's PATH (or name itself
// when it is a path that exists).
func findOnPath(ctx context.Context, s *Session, name string) (string, bool) {
	if strings.Contains(name, "/") {
		_, err := s.M.Stat(name)
		return name, err == nil
	}
	if found, _ := s.Lookup().Find(name); len(found) > 0 {
		return found[0].Path, true
	}
	return "", false
}

func checkEnvCgo(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	cc := ccCommand(ctx, s)
	ccPath, haveCC := findOnPath(ctx, s, cc)
	st, set := l.Vars["CGO_ENABLED"]
	eff := s.Value(ctx, "CGO_ENABLED")
	ev := []string{"CC: " + cc}
	if haveCC {
		ev = append(ev, cc+" found at "+ccPath)
	} else {
		ev = append(ev, cc+" not found on PATH")
	}
	if set {
		ev = append(ev, where(st))
	} else {
		ev = append(ev, "CGO_ENABLED not set (go env: "+orDash(eff)+")")
	}
	ccFix := compilerFix(ctx, s, cc)
	switch {
	case set && st.Value == "1" && !haveCC:
		return []Finding{{Severity: Error, Title: fmt.Sprintf("CGO_ENABLED=1 but the C compiler %s is not on PATH: every build of a package that uses cgo fails", cc),
			Evidence: ev, Fix: ccFix, Links: []string{"https://go.dev/doc/go1.20#cgo"}}}
	case !set && !haveCC:
		if ccFix.Layer == finding.LayerSystem {
			// No CC setting to correct: installing needs root or a Mac; turning cgo
			// off explicitly is the fix a shell can run.
			ccFix = &Fix{Text: ccFix.Text + " Or, if cgo should be off, say so explicitly.", Commands: []string{"go env -w CGO_ENABLED=0"}, Layer: finding.LayerGoEnv}
		}
		return []Finding{{Severity: Warning,
			Title:    fmt.Sprintf("no C compiler (%s): since Go 1.20 cgo is then off by default, so os/user reads only /etc/passwd, DNS ignores nsswitch, and cgo packages (go-sqlite3) build as stubs", cc),
			Evidence: ev, Fix: ccFix, Links: []string{"https://go.dev/doc/go1.20#cgo"}}}
	case set && st.Value == "0":
		return []Finding{{Severity: Info, Title: "cgo is off (CGO_ENABLED=0 from " + string(st.Source) + ")", Evidence: ev}}
	}
	return []Finding{{Severity: Info, Title: "cgo is available: " + cc + " at " + ccPath, Evidence: ev}}
}

func checkEnvPath(ctx context.Context, s *Session) []Finding {
	l := s.Lookup()
	var dirs []string
	if gobin := s.Value(ctx, "GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	} else if gp := s.GOPATHs(ctx); len(gp) > 0 {
		dirs = append(dirs, path.Join(gp[0], "bin"))
	}
	var fs []Finding
	for _, d := range dirs {
		if _, ok := l.Contains(d); ok {
			fs = append(fs, Finding{Severity: Info, Title: "go install puts tools in " + d + ", which is on PATH"})
			continue
		}
		if _, err := s.M.Stat(d); errors.Is(err, iofs.ErrNotExist) {
			// A fresh machine: nothing is installed there yet, so nothing is missed.
			fs = append(fs, Finding{Severity: Info,
				Title:    fmt.Sprintf("go install will put tools in %s, which does not exist yet (the first go install creates it) and is not on PATH: add it now so that they are found", d),
				Evidence: []string{"PATH=" + l.PATH},
				Fix:      &Fix{Text: "Add it to PATH in your shell start-up file.", Commands: []string{fmt.Sprintf("export PATH=\"$PATH:%s\"", d)}},
				Links:    []string{"https://go.dev/doc/code#Command"}})
			continue
		}
		fs = append(fs, Finding{Severity: Warning,
			Title:    fmt.Sprintf("go install puts tools in %s, which is not on PATH: installed tools (gopls, dlv) are not found, or older copies elsewhere run", d),
			Evidence: []string{"PATH=" + l.PATH},
			Fix:      &Fix{Text: "Add it to PATH in your shell start-up file.", Commands: []string{fmt.Sprintf("export PATH=\"$PATH:%s\"", d)}},
			Links:    []string{"https://go.dev/doc/code#Command"}})
	}
	return fs
}

func checkEnvProxy(ctx context.Context, s *Session) []Finding {
	var fs []Finding
	proxyVal := s.Value(ctx, "GOPROXY")
	list, err := goenv.ParseGOPROXY(proxyVal)
	ev := []string{"GOPROXY=" + redact.Text(proxyVal)}
	switch {
	case err != nil:
		fs = append(fs, Finding{ID: "env.proxy:goproxy", Severity: Error, Title: "GOPROXY is invalid: " + err.Error(), Evidence: ev,
			Fix: settingFix(ctx, s, "GOPROXY", "Fix or remove GOPROXY."), Links: []string{"https://go.dev/ref/mod#goproxy-protocol"}})
	case len(list) > 0 && list[0].IsOff():
		fs = append(fs, Finding{ID: "env.proxy:off", Severity: Warning, Title: "GOPROXY=off: every module download fails (\"module lookup disabled by GOPROXY=off\")", Evidence: ev,
			Fix:   settingFix(ctx, s, "GOPROXY", "Nothing is wrong if you work offline on purpose; otherwise restore the default."),
			Links: []string{"https://go.dev/ref/mod#goproxy-protocol"}})
	case len(list) > 0:
		var chain []string
		for i, p := range list {
			c := redact.URL(p.URL)
			if i < len(list)-1 {
				if p.FallBackOnError {
					c += " (on any error →)"
				} else {
					c += " (only on 404/410 →)"
				}
			}
			chain = append(chain, c)
		}
		fs = append(fs, Finding{ID: "env.proxy:chain", Severity: Info, Title: "module downloads: " + strings.Join(chain, " "), Evidence: ev})
		raw := 0
		for _, e := range strings.FieldsFunc(proxyVal, func(r rune) bool { return r == ',' || r == '|' }) {
			if strings.TrimSpace(e) != "" {
				raw++
			}
		}
		if raw > len(list) {
			fs = append(fs, Finding{ID: "env.proxy:after-direct", Severity: Warning,
				Title: "GOPROXY has entries after direct (or off): the go command ignores them", Evidence: ev,
				Fix:   &Fix{Text: "Put direct last; use '|' instead of ',' to fall back on any error."},
				Links: []string{"https://go.dev/ref/mod#goproxy-protocol"}})
		}
	}
	sumVal := s.Value(ctx, "GOSUMDB")
	if sumVal != "" {
		db, err := goenv.ParseGOSUMDB(sumVal)
		switch {
		case err != nil:
			fs = append(fs, Finding{ID: "env.proxy:gosumdb", Severity: Error, Title: "GOSUMDB is invalid: " + err.Error(), Evidence: []string{"GOSUMDB=" + sumVal},
				Fix: settingFix(ctx, s, "GOSUMDB", "Fix or remove GOSUMDB."), Links: []string{"https://go.dev/ref/mod#checksum-database"}})
		case db.Off:
			fs = append(fs, Finding{ID: "env.proxy:sumdb-off", Severity: Warning,
				Title:    "GOSUMDB=off: downloaded modules are not checked against the checksum database, and toolchain downloads fail",
				Evidence: []string{"GOSUMDB=off"},
				Fix:      settingFix(ctx, s, "GOSUMDB", "Turn it back on; exclude private modules with GOPRIVATE (or GONOSUMDB) instead, such as go env -w GOPRIVATE=example.com/yourcorp/*."),
				Links:    []string{"https://go.dev/ref/mod#private-modules"}})
		}
	}
	for _, name := range []string{"GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE"} {
		v := s.Value(ctx, name)
		if v == "" {
			continue
		}
		var bad []string
		for _, pat := range strings.Split(v, ",") {
			pat = strings.TrimSpace(pat)
			if pat == "" {
				continue
			}
			if _, err := path.Match(pat, ""); err != nil {
				bad = append(bad, pat)
			}
		}
		if len(bad) > 0 {
			fs = append(fs, Finding{ID: "env.proxy:" + strings.ToLower(name), Severity: Warning,
				Title:    fmt.Sprintf("%s has malformed patterns %s: they match nothing", name, strings.Join(bad, ", ")),
				Evidence: []string{name + "=" + v}, Fix: &Fix{Text: "Use comma-separated path.Match globs such as example.com/corp/*."}, Links: []string{"https://go.dev/ref/mod#private-modules"}})
		}
		if name == "GOINSECURE" {
			fs = append(fs, Finding{ID: "env.proxy:goinsecure", Severity: Info,
				Title:    "GOINSECURE=" + v + ": those modules are fetched without TLS verification (it does not turn off checksum checks)",
				Evidence: []string{name + "=" + v}})
		}
	}
	if !slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity.Worse(Info) }) && len(fs) == 0 {
		fs = append(fs, Finding{Severity: Info, Title: "module proxy settings parse"})
	}
	return fs
}
