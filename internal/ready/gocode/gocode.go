package gocode

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/ready"
)

// Finding ids of this package's rules (docs/ready-go.md has the table).
const (
	IDNoBuild       = "go.nobuild"
	IDArchOnly      = "go.arch-only"
	IDAsmFallback   = "go.asm-fallback"
	IDExcluded      = "go.excluded"
	IDNoCrossCC     = "cgo.no-cross-cc"
	IDNoTargetLib   = "cgo.no-target-lib"
	IDNoTargetHdr   = "cgo.no-target-header"
	IDIntelHomebrew = "cgo.intel-homebrew"
	IDNotNeeded     = "cgo.not-needed"
)

// Check is a ready.Checker: it judges the Go module at in.Dir for every target of
// in.Targets from `go list -deps -json` and `go vet` run per target (concurrently,
// as many at once as this machine has cores) through in.Machine, and the cgo
// toolchain internal/build would choose. A target's go list that cannot run is an
// error; the findings say which command proved each one.
func Check(ctx context.Context, in ready.Input) ([]finding.Finding, error) {
	rs, err := check(ctx, in, options{vet: true})
	if err != nil {
		return nil, err
	}
	fs := make([]finding.Finding, len(rs))
	for i, r := range rs {
		fs[i] = r.Finding
	}
	return fs, nil
}

// result is a finding with the target and package it is about, for tests.
type result struct {
	Target  build.Target
	Package string
	finding.Finding
}

// pkgTarget names a package of the module on one target.
type pkgTarget struct {
	t   build.Target
	pkg string
}

// state is what one run has learnt: each target's listing and vet run.
type state struct {
	in       ready.Input
	resolver build.Resolver
	lists    map[build.Target]*listing
	vets     map[build.Target]*vetRun
	cc       map[build.Target]ccResult
	// missing lists, for each package and target, the headers cgo.no-target-header
	// reported (filled by headers).
	missing map[pkgTarget][]string
}

// ccResult is the C toolchain for a target, or why there is none.
type ccResult struct {
	tc  build.CToolchain
	err error
}

// refTarget is the amd64 target of t's OS: the platform whose assembly t is compared with.
func refTarget(t build.Target) build.Target { return build.Target{OS: t.OS, Arch: "amd64"} }

// options are check's knobs for tests: the corpus test leaves go vet out for the
// modules whose cost it does not pay (their go vet results are in the truth's
// evidence instead).
type options struct {
	vet bool
}

func check(ctx context.Context, in ready.Input, opt options) ([]result, error) {
	if _, err := in.Machine.Stat(filepath.Join(in.Dir, "go.mod")); err != nil {
		return nil, nil // not a Go module: nothing for this checker
	}
	p := in.Machine.Platform()
	st := &state{
		in:       in,
		resolver: build.Resolver{HostOS: p.GOOS, HostArch: p.GOARCH, Machine: in.Machine},
		lists:    map[build.Target]*listing{},
		vets:     map[build.Target]*vetRun{},
		cc:       map[build.Target]ccResult{},
	}
	// Every target, and the amd64 of each OS for the assembly comparison.
	var listed []build.Target
	for _, t := range in.Targets {
		for _, u := range []build.Target{t, refTarget(t)} {
			if !slices.Contains(listed, u) {
				listed = append(listed, u)
			}
		}
	}
	for _, t := range in.Targets {
		tc, err := st.resolver.Resolve(t)
		st.cc[t] = ccResult{tc, err}
	}
	var mu sync.Mutex
	err := parallel(ctx, listed, func(ctx context.Context, t build.Target) error {
		l, err := list(ctx, in.Machine, in.Dir, t)
		if err != nil {
			return err
		}
		mu.Lock()
		st.lists[t] = l
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, in.Targets, func(ctx context.Context, t build.Target) error {
		c := st.cc[t]
		var pkgs []string
		for _, p := range ownPkgs(st.lists[t]) {
			// Without a C compiler go vet runs with cgo off, and a package made only of
			// cgo files has nothing left to check (cgo.no-cross-cc says so).
			cgoOnly := c.err != nil && len(p.GoFiles) == 0 && len(p.CgoFiles) > 0
			if opt.vet && p.Error == nil && len(p.DepsErrors) == 0 && !cgoOnly {
				pkgs = append(pkgs, p.ImportPath)
			}
		}
		v, err := vet(ctx, in.Machine, in.Dir, t, c.err == nil, c.tc.CC, pkgs)
		if err != nil {
			return err
		}
		mu.Lock()
		st.vets[t] = v
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	var rs []result
	for _, t := range in.Targets {
		rs = append(rs, st.noBuild(t)...)
		rs = append(rs, st.asmFallback(t)...)
		rs = append(rs, st.excluded(t)...)
		rs = append(rs, st.cgo(ctx, t)...)
		rs = append(rs, st.headers(ctx, t)...)
	}
	rs = append(rs, st.intelHomebrew()...)
	rs = append(rs, st.notNeeded()...)
	return explained(rs, st.missing), nil
}

// explained drops a go.nobuild result whose error is a header that a
// cgo.no-target-header result of the same package and target reports (missing: the
// headers of those results, as in "sys/io.h"): go vet stops at the first missing
// header, and the header's finding says where it is included and which package
// provides it. The compilers say it only in text: gcc "h: No such file", clang "'h'
// file not found".
func explained(rs []result, missing map[pkgTarget][]string) []result {
	return slices.DeleteFunc(rs, func(r result) bool {
		if r.ID != IDNoBuild {
			return false
		}
		for _, h := range missing[pkgTarget{r.Target, r.Package}] {
			for _, e := range r.Evidence {
				if strings.Contains(e, h+": No such file") || strings.Contains(e, "'"+h+"' file not found") {
					return true
				}
			}
		}
		return false
	})
}

// parallel runs f for every target, as many at once as the machine has cores, and
// returns the first error.
func parallel(ctx context.Context, ts []build.Target, f func(context.Context, build.Target) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			if errs[i] = f(ctx, t); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// rel is path relative to the repository, with forward slashes, or "" when path is
// outside it (a dependency in the module cache).
func (st *state) rel(path string) string {
	if !filepath.IsAbs(path) {
		path = filepath.Join(st.in.Dir, path)
	}
	r, err := filepath.Rel(st.in.Dir, path)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(r)
}

// goMod is a finding's place for a dependency: go.mod's require line of mod.
func (st *state) goMod(mod string) (string, int) {
	data, err := st.in.Machine.ReadFile(filepath.Join(st.in.Dir, "go.mod"))
	if err != nil {
		return "go.mod", 0
	}
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require"))
		if len(f) >= 2 && f[0] == mod {
			return "go.mod", i + 1
		}
	}
	return "go.mod", 0
}

// ownPkgs are the module's own packages of a listing, in go list's order.
func ownPkgs(l *listing) []*listedPkg {
	var ps []*listedPkg
	for _, p := range l.Pkgs {
		if p.own() {
			ps = append(ps, p)
		}
	}
	return ps
}
