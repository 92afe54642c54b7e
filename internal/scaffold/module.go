// Package scaffold writes the files that keep a Go project native on every platform: a
// multi-platform Dockerfile that cross-compiles instead of emulating, a devcontainer,
// and a CI workflow on native runners. The files come from embedded templates filled
// with what the module says about itself (go.mod's go and toolchain lines, its main
// packages, whether go.sum exists and whether any package needs cgo).
//
// Nothing here prints: Render returns the files, Plan compares them with what is on
// disk, and Apply writes them atomically.
package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
	"golang.org/x/mod/modfile"
)

// Module is what the templates need to know about a Go module.
type Module struct {
	Dir       string    // the module's root directory
	Path      string    // the module path
	Go        string    // go.mod's go line, such as "1.22" or "1.22.3"
	Toolchain string    // go.mod's toolchain line, such as "go1.23.4"; "" when absent
	HasSum    bool      // go.sum exists beside go.mod
	Programs  []Program // the main packages, in go list order
}

// Program is a main package of the module.
type Program struct {
	Package   string   // import path
	Name      string   // the program's name (the binary's file name)
	Dir       string   // the package as a go build argument: "." or "./cmd/name"
	Cgo       []string // non-standard packages of its graph with cgo files, on Linux
	PkgConfig []string // pkg-config names their #cgo directives ask for
}

// NeedsCgo reports whether any program's graph has non-standard packages with cgo
// files on Linux.
func (m *Module) NeedsCgo() bool {
	for _, p := range m.Programs {
		if len(p.Cgo) > 0 {
			return true
		}
	}
	return false
}

// CgoPackages lists, once each, the packages with cgo files of every program.
func (m *Module) CgoPackages() []string {
	var out []string
	for _, p := range m.Programs {
		for _, c := range p.Cgo {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// PkgConfig lists, once each, the pkg-config names the cgo directives ask for.
func (m *Module) PkgConfig() []string {
	var out []string
	for _, p := range m.Programs {
		for _, c := range p.PkgConfig {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// GoVersion is the Go release the generated files build with: the toolchain line's
// version when there is one (the module asks for that exact Go), else the go line's
// language version (1.22.3 → 1.22: the newest patch release of that Go, with its
// security fixes).
func (m *Module) GoVersion() string {
	if v, ok := strings.CutPrefix(m.Toolchain, "go"); ok && v != "" && !strings.Contains(v, "-") {
		return v
	}
	parts := strings.SplitN(m.Go, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return m.Go
}

// Name is the short name of the module: its last path element.
func (m *Module) Name() string {
	if len(m.Programs) > 0 && m.Programs[0].Dir == "." {
		return m.Programs[0].Name
	}
	return build.ProgramName(m.Path)
}

// ErrNoModule is returned by ReadModule for a directory without go.mod.
var ErrNoModule = errors.New("no go.mod")

// ReadOptions says how ReadModule runs the go command.
type ReadOptions struct {
	Go  string   // the go command; default "go"
	Env []string // its environment; default os.Environ()
}

// linuxTargets are the platforms whose package graphs decide whether cgo is needed:
// the images are built for them.
var linuxTargets = []build.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}

// ReadModule reads the module rooted at dir: go.mod with x/mod's parser, whether go.sum
// exists, and, through `go list` as gonative build sees them, its main packages and the
// packages of their graphs with cgo files for linux/amd64 and linux/arm64. A module
// without main packages is not an error: Programs is empty.
func ReadModule(ctx context.Context, dir string, o ReadOptions) (*Module, error) {
	gomod := filepath.Join(dir, "go.mod")
	data, err := readRegular(gomod)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: run gonative init in a module's root (or create one with go mod init)", ErrNoModule, dir)
	}
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil, err
	}
	m := &Module{Dir: dir}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return nil, fmt.Errorf("%s: no module line", gomod)
	}
	m.Path = f.Module.Mod.Path
	if f.Go == nil {
		return nil, fmt.Errorf("%s: no go line, so the Go version to build with is unknown: add one (go mod edit -go=%s)", gomod, "1.N")
	}
	m.Go = f.Go.Version
	if f.Toolchain != nil {
		m.Toolchain = f.Toolchain.Name
	}
	switch fi, err := os.Lstat(filepath.Join(dir, "go.sum")); {
	case err == nil && fi.Mode().IsRegular():
		m.HasSum = true
	case err == nil:
		return nil, fmt.Errorf("%s: not a regular file (%s)", filepath.Join(dir, "go.sum"), fi.Mode().Type())
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}

	var onMachine machine.Machine // build's default: this machine
	if o.Env != nil {
		onMachine = machine.RealWith(o.Env)
	}
	byPkg := map[string]int{}
	ps, err := build.Programs(ctx, build.Options{Dir: dir, Packages: []string{"./..."}, Targets: linuxTargets, Go: o.Go, Machine: onMachine})
	if errors.Is(err, build.ErrNoMain) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	for _, p := range ps {
		i, ok := byPkg[p.ImportPath]
		if !ok {
			i = len(m.Programs)
			byPkg[p.ImportPath] = i
			m.Programs = append(m.Programs, Program{Package: p.ImportPath, Name: p.Name, Dir: pkgDir(m.Path, p.ImportPath)})
		}
		q := &m.Programs[i]
		for _, c := range p.Cgo {
			if !slices.Contains(q.Cgo, c) {
				q.Cgo = append(q.Cgo, c)
			}
		}
		for _, c := range p.PkgConfig {
			if !slices.Contains(q.PkgConfig, c) {
				q.PkgConfig = append(q.PkgConfig, c)
			}
		}
	}
	return m, nil
}

// pkgDir is the package's directory relative to the module root, as go build takes it.
func pkgDir(modPath, importPath string) string {
	if importPath == modPath {
		return "."
	}
	if rel, ok := strings.CutPrefix(importPath, modPath+"/"); ok {
		return "./" + rel
	}
	return importPath
}

// readRegular reads a regular file of at most 16 MiB through one non-blocking,
// type-checked open; anything else (a FIFO, a device, a directory, even one swapped in
// after a look) is an error that names it, so a read never hangs.
func readRegular(name string) ([]byte, error) {
	return atomicfile.ReadFile(name, 16<<20)
}
