// Package doctor diagnoses a machine's Go setup: the hardware and translation, every go
// on PATH, the layered Go settings, the cgo toolchain, Homebrew and installed tools.
//
// A Check reads the machine through a Session (which caches what several checks
// share, such as `go env -json`) and returns Findings, each with an id, a severity, the
// evidence, a fix and links. Run executes checks concurrently, each with a time-out,
// and turns a panicking check into a finding instead of a crash. The package returns
// data; internal/cli renders it.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/finding"
)

// SchemaVersion is the version of the JSON report; it changes when a field changes
// meaning or disappears.
const SchemaVersion = 1

// Severity orders findings (internal/finding: one scale for doctor and netcheck).
type Severity = finding.Severity

// Severities, least severe first. Unknown is an area's status (never a finding's)
// when it could not be judged: go cannot run, so the checks lacked go's own answers
// (see markUnjudged).
const (
	OK      = finding.OK
	Info    = finding.Info
	Warning = finding.Warning
	Error   = finding.Error
	Unknown = finding.Unknown
)

// Area groups checks in the summary (internal/finding: one vocabulary with netcheck).
type Area = finding.Area

// Areas, in report order.
const (
	AreaHost     = finding.AreaHost
	AreaGo       = finding.AreaGo
	AreaSettings = finding.AreaSettings
	AreaCgo      = finding.AreaCgo
	AreaHomebrew = finding.AreaHomebrew
	AreaTools    = finding.AreaTools
	AreaNetwork  = finding.AreaNetwork
)

// Fix says how to make a finding go away (internal/finding).
type Fix = finding.Fix

// Finding is one thing a check found (internal/finding: the one shape doctor,
// netcheck and image report). Run sets its Check; its Area stays empty (the check's
// area groups it).
type Finding = finding.Finding

// Check is one diagnosis.
type Check struct {
	ID    string
	Area  Area
	Title string
	// OS limits the check to machines with this GOOS ("" for all).
	OS string
	// Network is true for checks that use the network (none built in: netcheck adds
	// its own with Registry.Add); the doctor itself is offline.
	Network bool
	// FixNeeds lists what some of the check's fixes need beyond a shell on this
	// machine (finding.Fix.Needs): those fixes cannot be executed as printed here, and
	// --list-checks says so. Fixes without commands (a person acts) are not listed.
	FixNeeds []finding.Needs
	// Run returns the check's findings; it reads the machine only through s.
	Run func(ctx context.Context, s *Session) []Finding
}

// CheckInfo is what --list-checks says about a check (its JSON is that list's).
type CheckInfo struct {
	ID    string `json:"id"`
	Area  Area   `json:"area"`
	Title string `json:"title"`
	OS    string `json:"os,omitempty"`
	// FixNeeds: what some fixes of the check need beyond a shell here.
	FixNeeds []finding.Needs `json:"fix_needs,omitempty"`
}

// Info describes c for a list of checks.
func (c Check) Info() CheckInfo {
	return CheckInfo{ID: c.ID, Area: c.Area, Title: c.Title, OS: c.OS, FixNeeds: c.FixNeeds}
}

// Registry is an ordered set of checks. Default returns the built-in ones; other
// packages (netcheck) add theirs with Add.
type Registry struct {
	checks []Check
}

// Add registers checks; an id already registered is an error.
func (r *Registry) Add(checks ...Check) error {
	for _, c := range checks {
		if c.ID == "" || c.Run == nil {
			return fmt.Errorf("doctor: check %q has no id or no Run", c.ID)
		}
		if _, ok := r.Lookup(c.ID); ok {
			return fmt.Errorf("doctor: check %q registered twice", c.ID)
		}
		r.checks = append(r.checks, c)
	}
	return nil
}

// Checks returns the registered checks in order.
func (r *Registry) Checks() []Check { return slices.Clone(r.checks) }

// Lookup returns the check with id.
func (r *Registry) Lookup(id string) (Check, bool) {
	for _, c := range r.checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// Select returns the checks whose id equals one of ids or starts with it followed by a
// dot ("go" selects go.arch, go.shadow...). An id matching nothing is an error.
func (r *Registry) Select(ids ...string) ([]Check, error) {
	if len(ids) == 0 {
		return r.Checks(), nil
	}
	var out []Check
	for _, id := range ids {
		n := 0
		for _, c := range r.checks {
			if (c.ID == id || strings.HasPrefix(c.ID, id+".") || string(c.Area) == id) && !slices.ContainsFunc(out, func(o Check) bool { return o.ID == c.ID }) {
				out = append(out, c)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("no check %q (gonative doctor --list-checks lists them)", id)
		}
	}
	return out, nil
}

// Default returns a registry with every built-in check.
func Default() *Registry {
	r := &Registry{}
	for _, group := range [][]Check{hostChecks(), goChecks(), goRunChecks(), ideChecks(), settingsChecks(), moreSettingsChecks(), cgoChecks(), brewChecks(), toolsChecks(), netChecks()} {
		if err := r.Add(group...); err != nil {
			panic(err) // a programming error in this package's own list
		}
	}
	return r
}

var errNoGo = errors.New("no go on PATH")

// archName is a GOARCH with the name users see in uname -m and file(1).
func archName(goarch string) string {
	switch goarch {
	case "amd64":
		return "amd64 (x86-64, Intel)"
	case "arm64":
		return "arm64 (AArch64)"
	case "":
		return "unknown"
	}
	return goarch
}
