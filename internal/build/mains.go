package build

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
)

// A pattern with "..." matches, on each target, only the packages that have files for
// it (go help packages): a main package whose files are all for linux/arm64 is not
// matched at all on linux/amd64. So when the patterns hold one and there are several
// targets, the main packages of every target but the first are listed too (go list
// without -deps, beside the first target's graph), and each main package is built for
// the targets that see it.

// hasWildcard reports whether a pattern can match other packages on other targets.
func hasWildcard(patterns []string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return strings.Contains(p, "...") })
}

// listMains returns the main packages the patterns match on target t.
func listMains(ctx context.Context, o Options, t Target) ([]mainPkg, error) {
	args := []string{"list", "-e", "-json=ImportPath,Name,DepOnly,Error"}
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	out, err := goCmd(ctx, o, []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch, "CGO_ENABLED=1"}, append(args, o.Packages...)...)
	if err != nil {
		return nil, err
	}
	_, roots, err := parseGraph(out)
	if err != nil {
		return nil, err
	}
	return mainsOf(roots, o.Packages)
}

// otherMains starts listMains for every target after the first, when the patterns
// hold a wildcard; wait returns their main packages by target.
func otherMains(ctx context.Context, o Options) (wait func() (map[Target][]mainPkg, error)) {
	if len(o.Targets) < 2 || !hasWildcard(o.Packages) {
		return func() (map[Target][]mainPkg, error) { return nil, nil }
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	byTarget := map[Target][]mainPkg{}
	var errs []error
	for _, t := range o.Targets[1:] {
		wg.Go(func() {
			ms, err := listMains(ctx, o, t)
			if errors.Is(err, ErrNoMain) {
				ms, err = nil, nil
			}
			mu.Lock()
			defer mu.Unlock()
			byTarget[t] = ms
			errs = append(errs, err)
		})
	}
	return func() (map[Target][]mainPkg, error) {
		wg.Wait()
		return byTarget, errors.Join(errs...)
	}
}

// mergeMains joins the first target's main packages with the other targets' (nil
// when they were not listed: every target sees the same ones): a package seen by
// every target has no Only; another lists the targets that see it, in their order.
func mergeMains(targets []Target, first []mainPkg, others map[Target][]mainPkg) []mainPkg {
	if others == nil {
		return first
	}
	byTarget := map[Target][]mainPkg{targets[0]: first}
	for t, ms := range others {
		byTarget[t] = ms
	}
	var all []mainPkg
	seen := map[string][]Target{}
	for _, t := range targets {
		for _, m := range byTarget[t] {
			if _, ok := seen[m.ImportPath]; !ok {
				all = append(all, m)
			}
			seen[m.ImportPath] = append(seen[m.ImportPath], t)
		}
	}
	for i, m := range all {
		if ts := seen[m.ImportPath]; len(ts) < len(targets) {
			all[i].Only = ts
		}
	}
	return all
}

// on reports whether target t builds main package m.
func (m mainPkg) on(t Target) bool {
	return m.Only == nil || slices.Contains(m.Only, t)
}
