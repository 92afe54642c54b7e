package build

import (
	"context"
	"errors"
)

// Program is a main package and what its import graph needs from cgo on one target.
type Program struct {
	Target     Target   // the target it was listed for
	ImportPath string   // the main package
	Name       string   // the program name (ProgramName)
	Cgo        []string // non-standard packages of its graph with cgo files
	PkgConfig  []string // pkg-config names their #cgo directives ask for
}

// Programs lists the main packages among o.Packages (default ".") for each target of
// o.Targets in turn, each with the packages of its graph that have cgo files: the same
// analysis Build plans with, from one `go list -deps` for the first target. Another
// target is answered from that graph where go/build picks the files go list would;
// a main package the graph cannot answer for gets a go list of its own.
func Programs(ctx context.Context, o Options) ([]Program, error) {
	o = o.withDefaults()
	mains, g, err := loadGraph(ctx, o)
	if err != nil {
		return nil, err
	}
	ps := make([]Program, 0, len(mains)*len(o.Targets))
	for _, t := range o.Targets {
		for _, m := range mains {
			if !m.on(t) {
				continue
			}
			n, known := g.needs(m.ImportPath, t, true)
			if !known {
				if n, err = needsCgo(ctx, o, m.ImportPath, t); err != nil {
					return nil, err
				}
			}
			ps = append(ps, Program{Target: t, ImportPath: m.ImportPath, Name: m.Name, Cgo: n.Packages, PkgConfig: n.PkgConfig})
		}
	}
	return ps, nil
}

// ErrNoMain is returned when the packages hold no main package.
var ErrNoMain = errors.New("no main package")
