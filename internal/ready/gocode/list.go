package gocode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
)

// listFields are the fields of `go list -json` the rules read.
const listFields = "ImportPath,Dir,Name,Standard,DepOnly,Module,GoFiles,CgoFiles,SFiles,IgnoredGoFiles,TestGoFiles,XTestGoFiles,CgoPkgConfig,CgoLDFLAGS,CgoCFLAGS,CgoCPPFLAGS,Error,DepsErrors"

// listedPkg is one package as `go list -deps -json` describes it for one target.
type listedPkg struct {
	ImportPath string
	Dir        string
	Name       string
	Standard   bool
	// DepOnly is set for a package listed only as a dependency (not matched by ./...).
	DepOnly bool
	Module  *listedModule

	GoFiles, CgoFiles, SFiles []string
	IgnoredGoFiles            []string
	TestGoFiles, XTestGoFiles []string
	CgoPkgConfig, CgoLDFLAGS  []string
	// CgoCFLAGS and CgoCPPFLAGS are the target's #cgo flags (go list evaluates the
	// constraints and makes ${SRCDIR} and relative -I directories absolute).
	CgoCFLAGS, CgoCPPFLAGS []string

	Error      *listError
	DepsErrors []*listError
}

// listedModule is a package's module.
type listedModule struct {
	Path     string
	Version  string
	Main     bool
	Indirect bool
	Dir      string
}

// listError is go list's error for a package.
type listError struct {
	ImportStack []string
	Pos         string
	Err         string
}

// listing is one target's `go list -deps` of the module's packages.
type listing struct {
	Target build.Target
	Pkgs   []*listedPkg
	byPath map[string]*listedPkg
}

// own reports whether p is one of the module's own packages (matched by ./...).
func (p *listedPkg) own() bool { return !p.DepOnly && !p.Standard && p.Module != nil && p.Module.Main }

// direct reports whether p belongs to a module the main module requires directly.
func (p *listedPkg) direct() bool {
	return p.DepOnly && !p.Standard && p.Module != nil && !p.Module.Main && !p.Module.Indirect
}

// ErrGo is wrapped by the error of a go command that did not run or whose output is
// not what it documents.
var ErrGo = errors.New("go command failed")

// goEnv is the environment a target's go commands run with.
func goEnv(t build.Target, cgo bool, cc string) []string {
	env := []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch, "CGO_ENABLED=0"}
	if cgo {
		env[2] = "CGO_ENABLED=1"
		if cc != "" {
			env = append(env, "CC="+cc)
		}
	}
	return env
}

// goTimeout bounds one go command: go list and go vet may download modules the
// module cache lacks (through the user's GOPROXY), and a first go vet for a target
// compiles its standard library; ten minutes is generous for both on a slow machine.
const goTimeout = 10 * time.Minute

// runGo runs the go command in dir through the machine, with env added; it ends
// (with its whole process tree) when ctx ends or after goTimeout.
func runGo(ctx context.Context, m machine.Machine, dir string, env []string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, goTimeout)
	defer cancel()
	cmd := m.Command(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// list runs `go list -e -deps -json` on the module's packages for t, with cgo on so
// cgo files are seen whether or not a C compiler is here.
func list(ctx context.Context, m machine.Machine, dir string, t build.Target) (*listing, error) {
	out, stderr, err := runGo(ctx, m, dir, goEnv(t, true, ""), "list", "-e", "-deps", "-json="+listFields, "./...")
	if err != nil {
		return nil, fmt.Errorf("%w: GOOS=%s GOARCH=%s go list -e -deps ./... in %s: %v: %s", ErrGo, t.OS, t.Arch, dir, err, oneLine(string(stderr)))
	}
	l, err := parseList(out)
	if err != nil {
		return nil, fmt.Errorf("%w: go list for %s: %v", ErrGo, t, err)
	}
	l.Target = t
	return l, nil
}

// parseList decodes the stream of JSON objects go list prints.
func parseList(out []byte) (*listing, error) {
	l := &listing{byPath: map[string]*listedPkg{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPkg)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if p.ImportPath == "" {
			return nil, errors.New("a package without an import path")
		}
		l.Pkgs = append(l.Pkgs, p)
		l.byPath[p.ImportPath] = p
	}
	return l, nil
}

// oneLine quotes text from outside on one line, at most 300 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
