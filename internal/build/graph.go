package build

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/atomicfile"
)

// listedPkg is one package of `go list -deps -json` for the first target.
type listedPkg struct {
	ImportPath, Name, Dir string
	Standard, DepOnly     bool
	GoFiles, CgoFiles     []string
	IgnoredGoFiles        []string
	CgoPkgConfig, Deps    []string
	Error                 *struct{ Err string }
}

// graph is the import graph of the packages as the first target sees them with cgo
// on, from one go list: it names the main packages and answers, without running go
// again, what the other targets need from cgo whenever the answer is certain.
type graph struct {
	first  Target
	tags   []string
	pkgs   map[string]*listedPkg
	goroot string // GOROOT, from the standard packages' directories ("" if unknown)
	// exact is set when go/build, asked the first target's question, chose exactly
	// the files go list chose: only then is it trusted with the other targets.
	exact bool

	mu      sync.Mutex
	imports map[string][]string // file path → its imports (nil slice: unreadable)
}

// graphFields are the fields loadGraph asks go list for.
const graphFields = "ImportPath,Name,Dir,Standard,DepOnly,GoFiles,CgoFiles,IgnoredGoFiles,CgoPkgConfig,Deps,Error"

// loadGraph runs one `go list -e -deps` of the packages for the first target, with
// cgo on (a main package made only of cgo files must be found even when the caller's
// environment says CGO_ENABLED=0), and returns its main packages and its graph.
func loadGraph(ctx context.Context, o Options) ([]mainPkg, *graph, error) {
	args := []string{"list", "-e", "-deps", "-json=" + graphFields}
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	t := o.Targets[0]
	others := otherMains(ctx, o)
	out, err := goCmd(ctx, o, []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch, "CGO_ENABLED=1"}, append(args, o.Packages...)...)
	byTarget, oerr := others()
	if err != nil {
		return nil, nil, err
	}
	if oerr != nil {
		return nil, nil, oerr
	}
	g, roots, err := parseGraph(out)
	if err != nil {
		return nil, nil, err
	}
	g.first = t
	if o.Tags != "" {
		g.tags = strings.Split(o.Tags, ",")
	}
	mains, err := mainsOf(roots, o.Packages)
	if errors.Is(err, ErrNoMain) && byTarget != nil {
		mains, err = nil, nil // another target may see some
	}
	if err != nil {
		return nil, nil, err
	}
	if mains = mergeMains(o.Targets, mains, byTarget); len(mains) == 0 {
		return nil, nil, fmt.Errorf("%w in %s", ErrNoMain, strings.Join(o.Packages, " "))
	}
	g.exact = g.checkExact(o)
	return mains, g, nil
}

// parseGraph reads go list's stream of JSON objects: the graph, and the packages that
// were asked for (not DepOnly) in order.
func parseGraph(out []byte) (*graph, []*listedPkg, error) {
	g := &graph{pkgs: map[string]*listedPkg{}, imports: map[string][]string{}}
	var roots []*listedPkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPkg)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("go list: %w", err)
		}
		g.pkgs[p.ImportPath] = p
		if !p.DepOnly {
			roots = append(roots, p)
		}
		if p.ImportPath == "runtime" && p.Standard && p.Dir != "" {
			g.goroot = filepath.Dir(filepath.Dir(p.Dir))
		}
	}
	return g, roots, nil
}

// mainsOf picks the main packages among the packages asked for.
func mainsOf(roots []*listedPkg, patterns []string) ([]mainPkg, error) {
	var mains []mainPkg
	names := map[string]string{}
	for _, p := range roots {
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		if p.Name != "main" {
			continue
		}
		n := ProgramName(p.ImportPath)
		if other, ok := names[n]; ok {
			return nil, fmt.Errorf("main packages %s and %s would both be named %s", other, p.ImportPath, n)
		}
		names[n] = p.ImportPath
		mains = append(mains, mainPkg{ImportPath: p.ImportPath, Name: n})
	}
	if len(mains) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoMain, strings.Join(patterns, " "))
	}
	return mains, nil
}

// closure returns the non-standard packages of pkg's graph, pkg first; ok is false
// when a package of it could not be loaded.
func (g *graph) closure(pkg string) (ps []*listedPkg, ok bool) {
	root := g.pkgs[pkg]
	if root == nil {
		return nil, false
	}
	for _, ip := range append([]string{pkg}, root.Deps...) {
		p := g.pkgs[ip]
		if p == nil || p.Error != nil {
			return nil, false
		}
		if !p.Standard {
			ps = append(ps, p)
		}
	}
	return ps, true
}

// context is go/build's view of target t with cgo on, as go list sees it; ok is false
// when this Go's release tags cannot be known.
func (g *graph) context(t Target) (build.Context, bool) {
	c := build.Default
	c.GOOS, c.GOARCH, c.CgoEnabled = t.OS, t.Arch, true
	c.BuildTags = g.tags
	c.Dir = ""
	tags, ok := releaseTags(g.goroot)
	c.ReleaseTags = tags
	return c, ok
}

// releaseTags reads GOROOT/VERSION ("go1.26.0") and returns go1.1 … go1.26.
func releaseTags(goroot string) ([]string, bool) {
	if goroot == "" {
		return nil, false
	}
	f, err := os.Open(filepath.Join(goroot, "VERSION"))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	v, ok := strings.CutPrefix(strings.TrimSpace(line), "go1.")
	if !ok {
		return nil, false
	}
	minor, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(minor)
	if err != nil || n < 1 || n > 1000 {
		return nil, false
	}
	var tags []string
	for i := 1; i <= n; i++ {
		tags = append(tags, "go1."+strconv.Itoa(i))
	}
	return tags, true
}

// checkExact reports whether go/build, for the first target, picks for every
// non-standard package exactly the files go list picked, and whether nothing in the
// environment (GOFLAGS, GOEXPERIMENT) changes what go sees behind go/build's back.
func (g *graph) checkExact(o Options) bool {
	env := o.Machine.Environ()
	if envValue(env, "GOFLAGS") != "" || envValue(env, "GOEXPERIMENT") != "" {
		return false
	}
	c, ok := g.context(g.first)
	if !ok {
		return false
	}
	for _, p := range g.pkgs {
		if p.Standard {
			continue
		}
		if p.Error != nil {
			return false
		}
		want := append(slices.Clone(p.GoFiles), p.CgoFiles...)
		var got []string
		for _, name := range sourceFiles(p) {
			if m, err := c.MatchFile(p.Dir, name); err != nil {
				return false
			} else if m {
				got = append(got, name)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			return false
		}
	}
	return true
}

// sourceFiles are a package's non-test Go files, whatever their build constraints.
func sourceFiles(p *listedPkg) []string {
	var fs []string
	for _, n := range slices.Concat(p.GoFiles, p.CgoFiles, p.IgnoredGoFiles) {
		if !strings.HasSuffix(n, "_test.go") {
			fs = append(fs, n)
		}
	}
	return fs
}

// needs answers what pkg's graph needs from cgo on target t without running go, when
// that is certain: on the first target always; on another when go/build is exact
// (checkExact) and the files that target adds import nothing outside the graph and
// the standard library. withPkgConfig asks for the pkg-config names too, which only
// go list knows: a target whose graph has cgo files is then not known.
func (g *graph) needs(pkg string, t Target, withPkgConfig bool) (cgoNeeds, bool) {
	ps, ok := g.closure(pkg)
	if !ok {
		return cgoNeeds{}, false
	}
	var n cgoNeeds
	if t == g.first {
		for _, p := range ps {
			if len(p.CgoFiles) > 0 {
				n.Packages = append(n.Packages, p.ImportPath)
				n.PkgConfig = appendNew(n.PkgConfig, p.CgoPkgConfig)
			}
		}
		return n, true
	}
	if !g.exact {
		return cgoNeeds{}, false
	}
	c, ok := g.context(t)
	if !ok {
		return cgoNeeds{}, false
	}
	for _, p := range ps {
		cgo, ok := g.usesCgo(c, p)
		if !ok {
			return cgoNeeds{}, false
		}
		if cgo {
			if withPkgConfig {
				return cgoNeeds{}, false
			}
			n.Packages = append(n.Packages, p.ImportPath)
		}
	}
	return n, true
}

// usesCgo reports whether package p, built by c, has cgo files; ok is false when one
// of its files for c cannot be read or imports a package outside what is known.
func (g *graph) usesCgo(c build.Context, p *listedPkg) (cgo, ok bool) {
	for _, name := range sourceFiles(p) {
		m, err := c.MatchFile(p.Dir, name)
		if err != nil {
			return false, false
		}
		if !m {
			continue
		}
		imps, ok := g.fileImports(filepath.Join(p.Dir, name))
		if !ok {
			return false, false
		}
		for _, imp := range imps {
			switch {
			case imp == "C":
				cgo = true
			case g.pkgs[imp] != nil, g.isStandard(imp):
			default:
				return false, false
			}
		}
	}
	return cgo, true
}

// isStandard reports whether path is a standard package of this GOROOT.
func (g *graph) isStandard(path string) bool {
	if g.goroot == "" || path == "" || strings.Contains(path, "..") || filepath.IsAbs(path) {
		return false
	}
	fi, err := os.Stat(filepath.Join(g.goroot, "src", filepath.FromSlash(path)))
	return err == nil && fi.IsDir()
}

// fileImports returns the import paths of a Go file, parsed once.
func (g *graph) fileImports(path string) ([]string, bool) {
	g.mu.Lock()
	imps, seen := g.imports[path]
	g.mu.Unlock()
	if seen {
		return imps, imps != nil
	}
	imps = parseImports(path)
	g.mu.Lock()
	g.imports[path] = imps
	g.mu.Unlock()
	return imps, imps != nil
}

// parseImports returns a file's imports; nil when it cannot be read or parsed (an
// empty list is non-nil).
func parseImports(path string) []string {
	src, err := readRegular(path, 16<<20)
	if err != nil {
		return nil
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	imps := []string{}
	for _, s := range f.Imports {
		if p, err := strconv.Unquote(s.Path.Value); err == nil {
			imps = append(imps, p)
		} else {
			return nil
		}
	}
	return imps
}

// readRegular reads at most max bytes of a regular file, refusing anything else
// (a named pipe is never waited on: atomicfile.OpenInput).
func readRegular(path string, max int64) ([]byte, error) {
	f, fi, err := atomicfile.OpenInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
}

// appendNew appends the items of add that are not in s yet, and not flags.
func appendNew(s, add []string) []string {
	for _, a := range add {
		if !strings.HasPrefix(a, "-") && !slices.Contains(s, a) {
			s = append(s, a)
		}
	}
	return s
}
