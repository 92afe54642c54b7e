package doctor

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/finding"
)

func cgoChecks() []Check {
	return []Check{
		{ID: "cgo.cc", Area: AreaCgo, Title: "the C compiler's target (cc -dumpmachine)", Run: checkCgoCC},
		{ID: "cgo.xcode", Area: AreaCgo, Title: "Xcode command line tools (xcode-select -p)", OS: "darwin", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkCgoXcode},
		{ID: "cgo.pkgconfig", Area: AreaCgo, Title: "pkg-config binary and search path", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkCgoPkgConfig},
		{ID: "cgo.libs", Area: AreaCgo, Title: "architecture of the libraries CGO_LDFLAGS and pkg-config link", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkCgoLibs},
	}
}

// cgoOff reports whether cgo is explicitly off, so that cgo checks have nothing to say.
func cgoOff(ctx context.Context, s *Session) bool { return s.Setting(ctx, "CGO_ENABLED") == "0" }

// tripleArch maps a target triple's first component (x86_64-linux-gnu,
// arm64-apple-darwin23.5.0) to a GOARCH.
func tripleArch(triple string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(triple), "-")
	a, _ := arch.ByUname(first)
	return a.GOARCH
}

func checkCgoCC(ctx context.Context, s *Session) []Finding {
	if cgoOff(ctx, s) {
		return nil
	}
	cc := ccCommand(ctx, s)
	ccPath, ok := findOnPath(ctx, s, cc)
	if !ok {
		return nil // env.cgo says so
	}
	out, err := s.Exec(ctx, nil, ccPath, "-dumpmachine")
	if err != nil {
		return []Finding{{Severity: Info, Title: "could not run " + cc + " -dumpmachine", Evidence: []string{err.Error()}}}
	}
	triple := strings.TrimSpace(string(out))
	ta := tripleArch(triple)
	goarch := s.Value(ctx, "GOARCH")
	ev := []string{fmt.Sprintf("%s -dumpmachine: %s", ccPath, triple), "GOARCH=" + goarch}
	if ta == "" || ta == goarch {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("%s targets %s", cc, triple), Evidence: ev}}
	}
	h := s.Host(ctx)
	if h.OS == "darwin" {
		// Apple clang builds for any arch with -arch, which cmd/go passes; its default
		// triple follows the arch it runs as, so x86_64 on Apple Silicon means clang (and
		// probably the shell) runs translated.
		if h.Arch == "arm64" && ta == "amd64" {
			return []Finding{{Severity: Warning, Title: fmt.Sprintf("%s runs as x86_64 (%s) on this arm64 Mac: it, or the shell that started it, is translated by Rosetta", cc, triple),
				Evidence: ev, Fix: &Fix{Text: "Run a native terminal; check host.terminal."}}}
		}
		return []Finding{{Severity: Info, Title: fmt.Sprintf("%s targets %s by default; cmd/go passes -arch for GOARCH=%s", cc, triple, goarch), Evidence: ev}}
	}
	return []Finding{{Severity: Warning,
		Title:    fmt.Sprintf("the C compiler %s targets %s but GOARCH=%s: cgo builds fail to link", cc, triple, goarch),
		Evidence: ev,
		Fix: &Fix{Needs: finding.NeedsPerson, Text: "Point CC at a cross compiler for the target, or build with CGO_ENABLED=0.",
			Commands: []string{fmt.Sprintf("CC=%s GOARCH=%s go build", crossCC(goarch), goarch)}},
		Links: []string{"https://pkg.go.dev/cmd/cgo"}}}
}

// crossCC is Debian's cross C compiler for a Linux GOARCH (TRIPLET-gcc).
func crossCC(goarch string) string {
	if a, _ := arch.ByGOARCH(goarch); a.Triplet() != "" {
		return a.Triplet() + "-gcc"
	}
	return goarch + "-linux-gnu-gcc"
}

func checkCgoXcode(ctx context.Context, s *Session) []Finding {
	out, err := s.Exec(ctx, nil, "xcode-select", "-p")
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		for _, d := range []string{"/Library/Developer/CommandLineTools", "/Applications/Xcode.app/Contents/Developer"} {
			if _, serr := s.M.Stat(d); serr == nil {
				dir, err = d, nil
				break
			}
		}
	}
	if err != nil || dir == "" {
		return []Finding{{Severity: Warning,
			Title:    "the Xcode command line tools are not installed: no C compiler, so cgo is off, and Delve has no debugserver",
			Evidence: []string{"xcode-select -p failed; /Library/Developer/CommandLineTools is missing"},
			Fix:      &Fix{Needs: finding.NeedsMacOS, Text: "Install them.", Commands: []string{"xcode-select --install"}},
			Links:    []string{"https://github.com/go-delve/delve/blob/master/Documentation/installation/osx/install.md"}}}
	}
	return []Finding{{Severity: Info, Title: "Xcode command line tools at " + dir}}
}

// pkgConfig returns the pkg-config command the go command runs (PKG_CONFIG or
// pkg-config) and where it is.
func pkgConfig(ctx context.Context, s *Session) (name, at string, ok bool) {
	name = s.Setting(ctx, "PKG_CONFIG")
	if name == "" {
		name = "pkg-config"
	}
	at, ok = findOnPath(ctx, s, name)
	return name, at, ok
}

func checkCgoPkgConfig(ctx context.Context, s *Session) []Finding {
	if cgoOff(ctx, s) {
		return nil
	}
	name, at, ok := pkgConfig(ctx, s)
	if !ok {
		return []Finding{{Severity: Info, Title: name + " is not on PATH: packages with #cgo pkg-config lines do not build"}}
	}
	ev := []string{name + " at " + at}
	if out, err := s.Exec(ctx, nil, at, "--variable", "pc_path", "pkg-config"); err == nil {
		ev = append(ev, "default search path: "+strings.TrimSpace(string(out)))
	}
	pcp := s.Getenv("PKG_CONFIG_PATH")
	if pcp != "" {
		ev = append(ev, "PKG_CONFIG_PATH="+pcp)
	}
	h := s.Host(ctx)
	if h.OS == "darwin" && hardwareArch(ctx, s) == "arm64" && s.Value(ctx, "GOARCH") == "arm64" {
		var fs []Finding
		if strings.HasPrefix(at, "/usr/local/") {
			fs = append(fs, Finding{ID: "cgo.pkgconfig:intel", Severity: Warning,
				Title:    fmt.Sprintf("%s comes from /usr/local (Intel Homebrew): it hands arm64 builds -L/usr/local/lib, where the libraries are x86_64", at),
				Evidence: ev,
				Fix:      &Fix{Needs: finding.NeedsMacOS, Text: "Use Apple Silicon Homebrew's pkgconf and put /opt/homebrew/bin first on PATH.", Commands: []string{"/opt/homebrew/bin/brew install pkgconf", `eval "$(/opt/homebrew/bin/brew shellenv)"`}},
				Links:    []string{"https://docs.brew.sh/Installation"}})
		}
		for _, d := range strings.Split(pcp, ":") {
			if strings.HasPrefix(d, "/usr/local/") {
				fs = append(fs, Finding{ID: "cgo.pkgconfig:path", Severity: Warning,
					Title:    "PKG_CONFIG_PATH includes " + d + ": pkg-config can pick Intel (/usr/local) libraries for arm64 builds",
					Evidence: ev,
					Fix:      &Fix{Text: "Remove /usr/local entries from PKG_CONFIG_PATH (Apple Silicon Homebrew's pkg-config knows /opt/homebrew)."}})
				break
			}
		}
		if len(fs) > 0 {
			return fs
		}
	}
	return []Finding{{Severity: Info, Title: name + " at " + at, Evidence: ev}}
}

// libDir is a directory the linker searches, and why.
type libDir struct {
	dir, from string
}

// libDirs returns the -L directories of CGO_LDFLAGS and of every package pkg-config
// knows.
func libDirs(ctx context.Context, s *Session) []libDir {
	var dirs []libDir
	add := func(d, from string) {
		d = path.Clean(d)
		if !slices.ContainsFunc(dirs, func(x libDir) bool { return x.dir == d }) {
			dirs = append(dirs, libDir{d, from})
		}
	}
	fields, _ := splitQuoted(s.Setting(ctx, "CGO_LDFLAGS"))
	for i, f := range fields {
		if d, ok := strings.CutPrefix(f, "-L"); ok {
			if d == "" && i+1 < len(fields) {
				d = fields[i+1]
			}
			if d != "" {
				add(d, "CGO_LDFLAGS")
			}
		}
	}
	_, at, ok := pkgConfig(ctx, s)
	if !ok {
		return dirs
	}
	out, err := s.Exec(ctx, nil, at, "--list-all")
	if err != nil {
		return dirs
	}
	var pkgs []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			pkgs = append(pkgs, f[0])
		}
	}
	if len(pkgs) > 200 {
		pkgs = pkgs[:200]
	}
	if len(pkgs) == 0 {
		return dirs
	}
	out, err = s.Exec(ctx, nil, at, append([]string{"--libs-only-L"}, pkgs...)...)
	if err != nil {
		// One broken .pc file fails the whole call; ask per package instead, briefly.
		for _, p := range pkgs[:min(len(pkgs), 20)] {
			if o, err := s.Exec(ctx, nil, at, "--libs-only-L", p); err == nil {
				out = append(out, ' ')
				out = append(out, o...)
			}
		}
	}
	for _, f := range strings.Fields(string(out)) {
		if d, ok := strings.CutPrefix(f, "-L"); ok && d != "" {
			add(d, "pkg-config")
		}
	}
	return dirs
}

// isLibrary reports whether a file name looks like a library the linker reads.
func isLibrary(name string) bool {
	return strings.HasPrefix(name, "lib") && (strings.HasSuffix(name, ".dylib") || strings.HasSuffix(name, ".a") ||
		strings.HasSuffix(name, ".so") || strings.Contains(name, ".so."))
}

// inspectLibrary reads a library's architectures; for a static archive, those of its
// first object file.
func inspectLibrary(ctx context.Context, s *Session, p string) ([]string, error) {
	if strings.HasSuffix(p, ".a") {
		if archs, ok, err := archiveArchs(ctx, s, p); ok {
			return archs, err
		}
	}
	f, err := s.Inspect(ctx, p)
	if err != nil {
		return nil, err
	}
	var archs []string
	for _, sl := range f.Slices {
		archs = append(archs, sl.Arch)
	}
	return archs, nil
}

// archiveArchs reads the first object of an ar archive; ok is false when the file is
// not an ar archive (a universal .a starts with the fat header and Inspect reads it).
func archiveArchs(ctx context.Context, s *Session, p string) ([]string, bool, error) {
	f, err := s.M.Open(p)
	if err != nil {
		return nil, true, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, true, err
	}
	var ra io.ReaderAt = f
	size := st.Size()
	var magic [8]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil || string(magic[:]) != arMagic {
		return nil, false, nil
	}
	off, n, err := FirstObject(ra, size)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", p, err)
	}
	obj := exe.Read(ctx, io.NewSectionReader(ra, off, n), n, exe.Options{})
	var archs []string
	for _, sl := range obj.Slices {
		archs = append(archs, sl.Arch)
	}
	return archs, true, nil
}

func checkCgoLibs(ctx context.Context, s *Session) []Finding {
	if cgoOff(ctx, s) {
		return nil
	}
	goarch := s.Value(ctx, "GOARCH")
	dirs := libDirs(ctx, s)
	if len(dirs) == 0 {
		return []Finding{{Severity: Info, Title: "no extra library directories (CGO_LDFLAGS and pkg-config add none)"}}
	}
	var fs []Finding
	checked := 0
	for _, d := range dirs {
		entries, err := s.M.ReadDir(d.dir)
		if err != nil {
			continue
		}
		var wrong []string
		archsSeen := map[string]bool{}
		n := 0
		for _, e := range entries {
			if n >= 40 || ctx.Err() != nil {
				break
			}
			if e.IsDir() || !isLibrary(e.Name()) {
				continue
			}
			n++
			archs, err := inspectLibrary(ctx, s, path.Join(d.dir, e.Name()))
			if err != nil || len(archs) == 0 || slices.Contains(archs, "unknown") {
				continue
			}
			checked++
			for _, a := range archs {
				archsSeen[a] = true
			}
			if !slices.Contains(archs, goarch) {
				wrong = append(wrong, fmt.Sprintf("%s: %s", e.Name(), strings.Join(archs, "+")))
			}
		}
		// A directory that also holds libraries for GOARCH is multi-architecture
		// (valgrind's, a 32-bit and a 64-bit copy side by side): the linker skips the
		// incompatible ones. Only a directory with nothing for GOARCH breaks links.
		if len(wrong) == 0 || archsSeen[goarch] {
			continue
		}
		var seen []string
		for a := range archsSeen {
			seen = append(seen, a)
		}
		sort.Strings(seen)
		title := fmt.Sprintf("%s (from %s) holds %d libraries built for %s, not GOARCH=%s: cgo links fail (\"ignoring file …, building for macOS-%s but attempting to link with file built for …\")",
			d.dir, d.from, len(wrong), strings.Join(seen, "+"), goarch, goarch)
		if s.Host(ctx).OS != "darwin" {
			title = fmt.Sprintf("%s (from %s) holds %d libraries built for %s, not GOARCH=%s: cgo links fail (\"skipping incompatible …\", \"undefined reference\")",
				d.dir, d.from, len(wrong), strings.Join(seen, "+"), goarch)
		}
		if len(wrong) > 5 {
			wrong = append(wrong[:5], fmt.Sprintf("… and %d more", len(wrong)-5))
		}
		fix := &Fix{Text: "Make Go and the libraries the same architecture: install the libraries for " + goarch + " and point CGO_LDFLAGS/PKG_CONFIG_PATH at them."}
		if s.Host(ctx).OS == "darwin" && goarch == "arm64" {
			fix = &Fix{Needs: finding.NeedsMacOS, Text: "Use Apple Silicon Homebrew's libraries (/opt/homebrew) and remove the Intel ones from the link path.",
				Commands: []string{"/opt/homebrew/bin/brew install pkgconf", `export CGO_LDFLAGS="-L/opt/homebrew/lib" CGO_CFLAGS="-I/opt/homebrew/include"`}}
		}
		fs = append(fs, Finding{ID: "cgo.libs:" + d.dir, Severity: Error, Title: title, Evidence: wrong, Fix: fix,
			Links: []string{"https://github.com/golang/go/issues/46724"}})
	}
	if len(fs) == 0 {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("%d libraries in %d linker directories match GOARCH=%s", checked, len(dirs), goarch)}}
	}
	return fs
}
