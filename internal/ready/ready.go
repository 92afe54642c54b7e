// Package ready decides whether a repository is ready for arm64: it runs checkers
// (Go code and cgo per target, Dockerfiles, CI files, build scripts; each in its own
// package under internal/ready) over one repository and returns their findings, each
// with its file and line, its evidence and its fix, in one Report.
//
// The checkers are handed in by the caller (internal/cli), so this package imports
// none of them and they may import it for Input.
package ready

import (
	"cmp"
	"context"
	"slices"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
)

// Input is what every checker is handed: the repository and the targets asked for.
type Input struct {
	// Machine is the one way to reach the machine (files, environment, programs).
	Machine machine.Machine
	// Dir is the repository's root, an absolute path. Findings' paths are relative
	// to it, with forward slashes.
	Dir string
	// Targets are the platforms the repository should be ready for.
	Targets []build.Target
	// Online allows checks that read a registry (base images' platforms).
	Online bool
}

// A Checker looks at one kind of file (or the Go code) and returns its findings.
// A checker that cannot judge returns a finding saying so, not an error; an error
// stops the run (the context ended, the directory cannot be read).
type Checker func(ctx context.Context, in Input) ([]finding.Finding, error)

// Report is the result of a run.
type Report struct {
	Dir      string            `json:"dir"`
	Targets  []build.Target    `json:"targets"`
	Findings []finding.Finding `json:"findings"`
}

// Run runs every checker and returns the findings sorted by path, line and id.
func Run(ctx context.Context, in Input, checkers []Checker) (Report, error) {
	r := Report{Dir: in.Dir, Targets: in.Targets, Findings: []finding.Finding{}}
	for _, c := range checkers {
		fs, err := c(ctx, in)
		if err != nil {
			return Report{}, err
		}
		r.Findings = append(r.Findings, fs...)
	}
	slices.SortStableFunc(r.Findings, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.ID, b.ID))
	})
	return r, nil
}

// Rule describes one kind of finding a checker reports: SARIF's reportingDescriptor.
type Rule struct {
	// ID is the finding's ID (before any ':' qualifier).
	ID string `json:"id"`
	// Title is a one-line description.
	Title string `json:"title"`
	// Anchor is the rule's section of docs/ready.md ("dockerfile-platform-constant").
	Anchor string `json:"anchor"`
}

// Found reports whether the run found something to fix: a warning or an error
// (gonative ready exits 3). Info findings (what was not judged, and why) are not.
func (r Report) Found() bool {
	return finding.Worst(r.Findings).Worse(finding.Info)
}
