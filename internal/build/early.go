package build

import (
	"context"
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// With --cgo=off the go build commands depend on nothing go list answers but the main
// package's import path, and when the patterns are one package without "..." the
// module's go.mod says it. So Build starts those builds at once, beside go list, and
// the plan adopts each one whose command is exactly the command it would run; the
// others are stopped, and their outputs removed, before any other build starts. Then
// go list and the plan (0.3-0.4 s on a cold build cache) are no longer before the
// first compile. A wrong guess costs only the CPU the stopped builds used: what is
// built is always what the plan says.

// earlyBuilds are the go builds started before the plan; nil when there are none.
type earlyBuilds []*earlyBuild

// earlyBuild is one go build started before the plan.
type earlyBuild struct {
	cmd    buildCmd
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{} // closed when run is set
	run    buildRun
}

// startEarly starts, when the plan can be told before go list answers, the go build of
// every target (see above), holding sem as any build does.
func startEarly(ctx context.Context, o Options, tmp string, sums map[string]string, reuse string, sem chan struct{}, tr *tracer) earlyBuilds {
	if o.Cgo != CgoOff || !onePackage(o.Packages) {
		return nil
	}
	path, ok := importPathOf(o.Dir, o.Packages[0])
	if !ok {
		return nil
	}
	m := mainPkg{ImportPath: path, Name: ProgramName(path)}
	var e earlyBuilds
	for _, t := range o.Targets {
		c := command(o, &job{pkg: m, target: t, env: targetEnv(t, false)}, tmp)
		bctx, cancel := context.WithCancel(ctx)
		b := &earlyBuild{cmd: c, start: time.Now(), cancel: cancel, done: make(chan struct{})}
		e = append(e, b)
		go func() {
			defer close(b.done)
			name := filepath.Base(c.out)
			b.run = goBuild(bctx, o, c, t.String(), sums[name], reuse, sem, tr)
		}()
	}
	return e
}

// onePackage reports whether the patterns name one package, the same on every target.
func onePackage(patterns []string) bool {
	return len(patterns) == 1 && !hasWildcard(patterns)
}

// adopt gives each job the early build whose command is its own (job.early); it
// stops the others and removes what they wrote, before it returns.
func (e earlyBuilds) adopt(o Options, jobs []*job, tmp string) {
	if len(e) == 0 {
		return
	}
	byCmd := map[string]*earlyBuild{}
	for _, b := range e {
		byCmd[b.cmd.key()] = b
	}
	for _, j := range jobs {
		k := command(o, j, tmp).key()
		j.early = byCmd[k]
		delete(byCmd, k)
	}
	for _, b := range byCmd {
		b.cancel()
		<-b.done
		os.Remove(b.cmd.out)
	}
}

// stop stops every early build still running and waits for it.
func (e earlyBuilds) stop() {
	for _, b := range e {
		b.cancel()
		<-b.done
	}
}

// importPathOf is the import path go gives the package that pattern names, run in
// dir, when the go.mod of the module holding it says so: a relative pattern is that
// module's path joined with the directory's path in it; any other pattern that is not
// a meta-package (all, std, cmd, tool, work) or a version query is its own path.
func importPathOf(dir, pattern string) (string, bool) {
	if !build.IsLocalImport(pattern) && !filepath.IsAbs(pattern) {
		switch pattern {
		case "all", "std", "cmd", "tool", "work":
			return "", false
		}
		if pattern == "" || strings.ContainsAny(pattern, "@\\ ") {
			return "", false
		}
		return pattern, true
	}
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(dir, pattern)
	}
	abs, err := filepath.Abs(pattern)
	if err != nil {
		return "", false
	}
	for root := abs; ; root = filepath.Dir(root) {
		if data, err := readRegular(filepath.Join(root, "go.mod"), 1<<20); err == nil {
			mod := modfile.ModulePath(data)
			rel, err := filepath.Rel(root, abs)
			if mod == "" || err != nil {
				return "", false
			}
			if rel == "." {
				return mod, true
			}
			return mod + "/" + filepath.ToSlash(rel), true
		}
		if filepath.Dir(root) == root {
			return "", false
		}
	}
}

// mkdirAll is os.MkdirAll that returns the outermost directory it made ("" when dir
// was there), for removeMade.
func mkdirAll(dir string) (made string, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		made = d
		if filepath.Dir(d) == d {
			break
		}
	}
	return made, os.MkdirAll(dir, 0o755)
}

// removeMade removes dir and its parents up to made, the directories mkdirAll made,
// each only when empty.
func removeMade(dir, made string) {
	if made == "" {
		return
	}
	for d := dir; ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == made || filepath.Dir(d) == d {
			return
		}
	}
}
