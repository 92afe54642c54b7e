package build

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/arch"
)

// Target is one GOOS/GOARCH pair.
type Target struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

// String is "os/arch".
func (t Target) String() string { return t.OS + "/" + t.Arch }

// DefaultTargets are built when no --target is given.
var DefaultTargets = []Target{
	{"darwin", "arm64"}, {"darwin", "amd64"},
	{"linux", "arm64"}, {"linux", "amd64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+$`) })

// ParseTargets parses "os/arch" items, each possibly a comma-separated list, and
// drops duplicates.
func ParseTargets(items []string) ([]Target, error) {
	var ts []Target
	seen := map[Target]bool{}
	for _, item := range items {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			os, arch, ok := strings.Cut(s, "/")
			if !ok || !nameRE().MatchString(os) || !nameRE().MatchString(arch) {
				return nil, fmt.Errorf("target %q: want os/arch, such as linux/arm64", s)
			}
			t := Target{os, arch}
			if !seen[t] {
				seen[t] = true
				ts = append(ts, t)
			}
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no targets")
	}
	return ts, nil
}

// distListTimeout bounds `go tool dist list`.
const distListTimeout = 30 * time.Second

// DistList returns the platforms the go command o.Go supports (`go tool dist list`).
func DistList(ctx context.Context, o Options) ([]Target, error) {
	out, err := distList(ctx, o.withDefaults())
	if err != nil {
		return nil, err
	}
	var ts []Target
	for _, l := range strings.Fields(string(out)) {
		if os, arch, ok := strings.Cut(l, "/"); ok {
			ts = append(ts, Target{os, arch})
		}
	}
	return ts, nil
}

// distList runs `go tool dist list` and returns its output.
func distList(ctx context.Context, o Options) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, distListTimeout)
	defer cancel()
	out, err := goCmd(ctx, o, nil, "tool", "dist", "list")
	if err != nil {
		return nil, fmt.Errorf("list the platforms go supports: %w", err)
	}
	return out, nil
}

// checkTargets refuses, before anything runs, targets that the go command does not
// support (`go tool dist list`), naming the nearest ones it does.
func checkTargets(ctx context.Context, o Options) error {
	known, err := DistList(ctx, o)
	if err != nil {
		return &PlanError{Problems: []error{err}}
	}
	return targetsIn(o.Targets, known)
}

// targetsIn refuses the targets that are not among known, naming the nearest ones
// that are.
func targetsIn(targets, known []Target) error {
	var problems []error
	for _, t := range targets {
		if slices.Contains(known, t) {
			continue
		}
		var near []string
		for _, k := range known {
			if k.OS == t.OS || k.Arch == t.Arch {
				near = append(near, k.String())
			}
		}
		hint := "see `go tool dist list`"
		if len(near) > 0 {
			if len(near) > 8 {
				near = append(near[:8], "…")
			}
			hint = "supported with that OS or arch: " + strings.Join(near, ", ")
		}
		problems = append(problems, fmt.Errorf("target %s: go does not support it (%s)", t, hint))
	}
	if len(problems) > 0 {
		return &PlanError{Problems: problems}
	}
	return nil
}

// firstLine is the first line of b, at most 100 bytes of it.
func firstLine(b []byte) string {
	l, _, _ := strings.Cut(string(b), "\n")
	if len(l) > 100 {
		l = l[:100]
	}
	return l
}

// OutputName is the file name of a build of the program name for t:
// NAME_OS_ARCH, with .exe for Windows.
func OutputName(name string, t Target) string {
	n := name + "_" + t.OS + "_" + t.Arch
	if t.OS == "windows" {
		n += ".exe"
	}
	return n
}

// UniversalName is the file name of the darwin universal file of the program name.
func UniversalName(name string) string { return name + "_darwin_universal" }

var majorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^v[0-9]+$`) })

// ProgramName is the name of a main package's program: the last element of its
// import path, skipping a major-version suffix (example.com/tool/v2 is "tool").
func ProgramName(importPath string) string {
	base := path.Base(importPath)
	if majorRE().MatchString(base) {
		if d := path.Dir(importPath); d != "." && d != "/" {
			return path.Base(d)
		}
	}
	return base
}

// triplet is the GNU triplet of Debian's cross toolchains for a Linux GOARCH ("" when
// Debian has none), from the one architecture table.
func triplet(goarch string) string {
	a, _ := arch.ByGOARCH(goarch)
	return a.Triplet()
}

// zigArch is zig's name of a GOARCH, "" for one gonative does not build with zig.
func zigArch(goarch string) string {
	a, _ := arch.ByGOARCH(goarch)
	return a.Zig
}

// machoArch is clang's -arch name of a darwin GOARCH.
func machoArch(goarch string) string {
	a, _ := arch.ByGOARCH(goarch)
	return a.MachOName
}

// mingwTriplet is the GNU triplet of the mingw-w64 cross toolchain for a Windows
// GOARCH.
func mingwTriplet(goarch string) string {
	a, _ := arch.ByGOARCH(goarch)
	return a.MinGW
}
