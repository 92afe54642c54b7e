package build

import (
	"context"
	"errors"
)

// Program is a main package and what its import graph needs from cgo on one target.
type Program struct {
	ImportPath string   // the main package
	Name       string   // the program name (ProgramName)
	Cgo        []string // non-standard packages of its graph with cgo files
	PkgConfig  []string // pkg-config names their #cgo directives ask for
}

// Programs lists the main packages among o.Packages (default ".") as target t sees them,
// each with the packages of its graph that have cgo files: the same analysis Build
// plans with, from one `go list -deps` for t (a second one only for a main package
// whose graph that list could not close).
func Programs(ctx context.Context, o Options, t Target) ([]Program, error) {
	o.Targets = []Target{t}
	o = o.withDefaults()
	mains, g, err := loadGraph(ctx, o)
	if err != nil {
		return nil, err
	}
	ps := make([]Program, 0, len(mains))
	for _, m := range mains {
		n, known := g.needs(m.ImportPath, t, true)
		if !known {
			if n, err = needsCgo(ctx, o, m.ImportPath, t); err != nil {
				return nil, err
			}
		}
		ps = append(ps, Program{ImportPath: m.ImportPath, Name: m.Name, Cgo: n.Packages, PkgConfig: n.PkgConfig})
	}
	return ps, nil
}

// ErrNoMain is returned when the packages hold no main package.
var ErrNoMain = errors.New("no main package")
