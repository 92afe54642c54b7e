package gocode

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
)

// cgoPkgs are the packages of t's graph that have cgo files, the standard library's
// left out (net and os/user have pure-Go fallbacks).
func cgoPkgs(l *listing) []*listedPkg {
	var ps []*listedPkg
	for _, p := range l.Pkgs {
		if !p.Standard && len(p.CgoFiles) > 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

// place is where a finding about package p goes: its first cgo file's `import "C"`
// line when it is in the repository, else go.mod's require line of its module.
func (st *state) place(p *listedPkg) (string, int) {
	if r := st.rel(p.Dir); r != "" && len(p.CgoFiles) > 0 {
		file := filepath.Join(p.Dir, p.CgoFiles[0])
		line := 0
		if data, err := st.in.Machine.ReadFile(file); err == nil {
			for i, l := range strings.Split(string(data), "\n") {
				if strings.TrimSpace(l) == `import "C"` {
					line = i + 1
					break
				}
			}
		}
		return st.rel(file), line
	}
	if p.Module != nil {
		return st.goMod(p.Module.Path)
	}
	return "go.mod", 0
}

// cgo reports, for target t: no C compiler for the target while packages need cgo;
// with one, the C libraries (-l flags and pkg-config packages) the compiler or
// pkg-config cannot find for the target, with the Debian package that provides them.
func (st *state) cgo(ctx context.Context, t build.Target) []result {
	ps := cgoPkgs(st.lists[t])
	if len(ps) == 0 {
		return nil
	}
	c := st.cc[t]
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.ImportPath
	}
	if c.err != nil {
		path, line := st.place(ps[0])
		f := finding.Finding{
			ID: IDNoCrossCC, Area: finding.AreaCgo, Severity: finding.Warning,
			Title: fmt.Sprintf("No C compiler for %s here, and %d package(s) use cgo", t, len(ps)),
			Path:  path, Line: line,
			Evidence: []string{
				"cgo packages (go list CgoFiles): " + strings.Join(names, ", "),
				oneLine(c.err.Error()),
				"go vet for this target ran with CGO_ENABLED=0: their cgo files were not checked",
			},
			Fix: noCCFix(t, c.err),
		}
		return []result{{t, ps[0].ImportPath, f}}
	}
	if t.OS != "linux" {
		return nil // library look-ups below are for ELF toolchains
	}
	var rs []result
	cc := strings.Fields(c.tc.CC)
	if len(cc) == 0 {
		cc = []string{"gcc"}
	}
	d, _ := build.Debian(t.Arch)
	for _, p := range ps {
		path, line := st.place(p)
		for _, lib := range libFlags(p.CgoLDFLAGS) {
			found, ev := st.findLib(ctx, cc, lib)
			if found {
				continue
			}
			rs = append(rs, result{t, p.ImportPath, st.missingLib(ctx, t, d, p, path, line, "-l"+lib, ev, "*/lib"+lib+".so")})
		}
		for _, pc := range p.CgoPkgConfig {
			if strings.HasPrefix(pc, "-") {
				continue
			}
			found, ev := st.findPC(ctx, c.tc, pc)
			if found {
				continue
			}
			rs = append(rs, result{t, p.ImportPath, st.missingLib(ctx, t, d, p, path, line, "pkg-config "+pc, ev, "*/pkgconfig/"+pc+".pc")})
		}
	}
	return rs
}

// noCCFix is the fix of a target without a C compiler.
func noCCFix(t build.Target, err error) *finding.Fix {
	if d, ok := build.Debian(t.Arch); ok && t.OS == "linux" {
		return &finding.Fix{
			Text:     fmt.Sprintf("Install the cross compiler %s-gcc (or put zig on PATH); or build %s with CGO_ENABLED=0 if the packages work without cgo.", d.Triplet, t),
			Commands: []string{"apt-get install -y " + d.CrossGCC()},
			Layer:    finding.LayerSystem, Needs: finding.NeedsRoot,
		}
	}
	_ = err
	return (&finding.Fix{Text: fmt.Sprintf("Build %s where its C toolchain is (a Mac, or a macOS CI runner, for darwin), give gonative build --cc/--sdk for it, or build with CGO_ENABLED=0 if the packages work without cgo.", t)}).Settle()
}

// libFlags are the library names of -l flags.
func libFlags(ldflags []string) []string {
	var libs []string
	for i, f := range ldflags {
		switch {
		case f == "-l" && i+1 < len(ldflags):
			libs = append(libs, ldflags[i+1])
		case strings.HasPrefix(f, "-l") && len(f) > 2:
			libs = append(libs, f[2:])
		}
	}
	slices.Sort(libs)
	return slices.Compact(libs)
}

// findLib asks the target's compiler where libNAME is (-print-file-name prints the
// bare name when its search path has no such file).
func (st *state) findLib(ctx context.Context, cc []string, lib string) (bool, string) {
	var tried []string
	for _, name := range []string{"lib" + lib + ".so", "lib" + lib + ".a"} {
		out, _, err := st.in.Machine.Output(ctx, nil, cc[0], append(cc[1:], "-print-file-name="+name)...)
		got := strings.TrimSpace(string(out))
		if err == nil && got != name && filepath.IsAbs(got) {
			return true, fmt.Sprintf("%s -print-file-name=%s: %s", strings.Join(cc, " "), name, oneLine(got))
		}
		tried = append(tried, fmt.Sprintf("%s -print-file-name=%s finds nothing", strings.Join(cc, " "), name))
	}
	return false, strings.Join(tried, "; ")
}

// findPC asks the target's pkg-config (internal/build's isolated setting) for pc.
func (st *state) findPC(ctx context.Context, tc build.CToolchain, pc string) (bool, string) {
	prog := "pkg-config"
	for _, kv := range tc.Env {
		if v, ok := strings.CutPrefix(kv, "PKG_CONFIG="); ok && v != "" {
			prog = v
		}
	}
	_, stderr, err := st.in.Machine.Output(ctx, tc.Env, prog, "--exists", "--print-errors", pc)
	if err == nil {
		return true, ""
	}
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) {
		return false, fmt.Sprintf("%s cannot run: %v", prog, err)
	}
	return false, fmt.Sprintf("%s --exists %s (%s): %s", prog, pc, strings.Join(tc.Env, " "), oneLine(firstLine(string(stderr))))
}

// missingLib is a cgo.no-target-lib finding; the fix names the target's Debian
// package when dpkg -S knows the host's package of the same file.
func (st *state) missingLib(ctx context.Context, t build.Target, d build.DebianToolchain, p *listedPkg, path string, line int, what, ev, pattern string) finding.Finding {
	f := finding.Finding{
		ID: IDNoTargetLib, Area: finding.AreaCgo, Severity: finding.Warning,
		Title: fmt.Sprintf("%s needs %s, which is not here for %s", p.ImportPath, what, t),
		Path:  path, Line: line,
		Evidence: []string{"go list: " + what + " in " + p.ImportPath + "'s #cgo flags", ev},
	}
	if ev, _, fix := st.debianFix(ctx, d, pattern); fix != nil {
		f.Evidence = append(f.Evidence, ev)
		f.Fix = fix
		return f
	}
	f.Fix = (&finding.Fix{Text: fmt.Sprintf("Install the %s development files for %s (Debian: the :%s package that holds the file %s), or build %s with CGO_ENABLED=0 if the package works without cgo.", what, t, d.Arch, strings.TrimPrefix(pattern, "*/"), t)}).Settle()
	return f
}

// debianFix asks dpkg's index, pattern by pattern, which of the host's packages holds
// a file matching it; for the first one known it returns the evidence ("dpkg -S …"),
// the host's file and the fix that installs that package for the target's Debian
// architecture d (multiarch). A nil fix when dpkg knows none.
func (st *state) debianFix(ctx context.Context, d build.DebianToolchain, patterns ...string) (ev, hostFile string, fix *finding.Fix) {
	if d.Arch == "" {
		return "", "", nil
	}
	for _, pattern := range patterns {
		pkg, file := st.dpkgProvider(ctx, pattern)
		if pkg == "" {
			continue
		}
		return fmt.Sprintf("dpkg -S %s: %s provides %s on this machine", pattern, pkg, oneLine(file)), file, &finding.Fix{
			Text:     fmt.Sprintf("Install the %s package of %s (Debian multiarch).", d.Arch, pkg),
			Commands: []string{"dpkg --add-architecture " + d.Arch, "apt-get update", "apt-get install -y " + pkg + ":" + d.Arch},
			Layer:    finding.LayerSystem, Needs: finding.NeedsRoot,
		}
	}
	return "", "", nil
}

// dpkgProvider asks dpkg's index which installed package holds a file matching
// pattern; it returns the package without its architecture and the file.
func (st *state) dpkgProvider(ctx context.Context, pattern string) (string, string) {
	if _, err := st.in.Machine.LookPath("dpkg"); err != nil {
		return "", ""
	}
	out, _, err := st.in.Machine.Output(ctx, nil, "dpkg", "-S", pattern)
	if err != nil {
		return "", ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		pkgs, file, ok := strings.Cut(line, ": ")
		if !ok || strings.Contains(pkgs, ",") || strings.Contains(pkgs, " ") {
			continue
		}
		pkg, _, _ := strings.Cut(pkgs, ":")
		if pkg != "" && debName().MatchString(pkg) {
			return pkg, strings.TrimSpace(file)
		}
	}
	return "", ""
}

var debName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`) })

// notNeeded reports, for a module with main packages, the targets whose only cgo
// users are the standard library's (net, os/user): CGO_ENABLED=0 builds them pure Go.
func (st *state) notNeeded() []result {
	var mains []string
	var ev []string
	var first build.Target
	for _, t := range st.in.Targets {
		l := st.lists[t]
		for _, p := range ownPkgs(l) {
			if p.Name == "main" && !slices.Contains(mains, p.ImportPath) {
				mains = append(mains, p.ImportPath)
			}
		}
		if len(cgoPkgs(l)) > 0 {
			continue
		}
		var std []string
		for _, p := range l.Pkgs {
			if p.Standard && len(p.CgoFiles) > 0 && p.ImportPath != "runtime/cgo" {
				std = append(std, p.ImportPath)
			}
		}
		if len(std) > 0 {
			if len(ev) == 0 {
				first = t
			}
			ev = append(ev, fmt.Sprintf("%s: only %s use cgo (go list -deps CgoFiles)", t, strings.Join(std, ", ")))
		}
	}
	if len(mains) == 0 || len(ev) == 0 {
		return nil
	}
	return []result{{first, "", finding.Finding{
		ID: IDNotNeeded, Area: finding.AreaCgo, Severity: finding.Info,
		Title:    "Only the standard library's net or os/user would use cgo: CGO_ENABLED=0 builds pure Go, with no C toolchain per target",
		Path:     "go.mod",
		Evidence: append(ev, "main packages: "+strings.Join(mains, ", ")),
		Fix: &finding.Fix{
			Text:     "Build with CGO_ENABLED=0 (or keep cgo and add -tags netgo,osusergo for the pure-Go resolver and user lookup): the binaries cross-compile for every target without a C compiler.",
			Commands: []string{"CGO_ENABLED=0 go build ./..."},
			Layer:    finding.LayerShell,
		},
	}}}
}
