package ciconf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/ready"
)

// Limits of what Check reads: a repository's files are hostile input.
const (
	maxFileSize = 1 << 20 // bytes of one CI file or script
	maxEntries  = 50000   // directory entries walked
	maxDepth    = 24      // directory levels walked
)

// skipDirs are directories whose files are not the repository's own build: other
// modules' copies, test inputs, version control.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true, "testdata": true, ".hg": true}

// Check is ready's checker of CI files and build scripts: GitHub Actions workflows
// (.github/workflows/*.yml and *.yaml), .gitlab-ci.yml, Makefiles (Makefile,
// makefile, GNUmakefile, *.mk), shell scripts (*.sh, and files with a sh or bash
// shebang at the root or under scripts/). It reads files through in.Machine and
// judges runner retirements by in.Machine.Now().
func Check(ctx context.Context, in ready.Input) ([]finding.Finding, error) {
	c := &checker{in: in}
	if err := c.collect(ctx); err != nil {
		return nil, err
	}
	var out []finding.Finding
	out = append(out, c.github()...)
	out = append(out, c.gitlab()...)
	for _, f := range c.scripts {
		out = append(out, c.script(f)...)
	}
	out = append(out, c.notes...)
	return out, nil
}

var _ ready.Checker = Check

type checker struct {
	in        ready.Input
	workflows []*file // .github/workflows
	gitlabCI  *file
	scripts   []*file
	notes     []finding.Finding // files that could not be judged
}

// target reports whether os/arch is one of the targets.
func (c *checker) target(goos, goarch string) bool {
	for _, t := range c.in.Targets {
		if t == (build.Target{OS: goos, Arch: goarch}) {
			return true
		}
	}
	return false
}

// collect finds and reads the files the checks look at.
func (c *checker) collect(ctx context.Context) error {
	m := c.in.Machine
	entries, err := m.ReadDir(filepath.Join(c.in.Dir, ".github", "workflows"))
	if err == nil {
		for _, e := range entries {
			if e.Type().IsRegular() && (strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")) {
				if f := c.read(".github/workflows/" + e.Name()); f != nil {
					c.workflows = append(c.workflows, f)
				}
			}
		}
	}
	if st, err := m.Lstat(filepath.Join(c.in.Dir, ".gitlab-ci.yml")); err == nil && st.Mode().IsRegular() {
		c.gitlabCI = c.read(".gitlab-ci.yml")
	}
	seen := 0
	var walk func(rel string, depth int) error
	walk = func(rel string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := m.ReadDir(filepath.Join(c.in.Dir, filepath.FromSlash(rel)))
		if err != nil {
			if rel == "" {
				return fmt.Errorf("ready: reading %s: %w", c.in.Dir, err)
			}
			return nil
		}
		for _, e := range entries {
			if seen++; seen > maxEntries {
				return nil
			}
			p := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				if !skipDirs[e.Name()] && depth < maxDepth && !(rel == "" && e.Name() == ".github") {
					if err := walk(p, depth+1); err != nil {
						return err
					}
				}
			case e.Type().IsRegular() && c.isScript(rel, e.Name()):
				byName := isMakefile(e.Name()) || strings.HasSuffix(e.Name(), ".sh")
				if !byName && c.tooLarge(p) {
					continue // a large file without a suffix is no script: not worth a note
				}
				if f := c.read(p); f != nil && c.scriptKind(f) != notScript {
					c.scripts = append(c.scripts, f)
				}
			}
		}
		return nil
	}
	return walk("", 0)
}

// isScript reports whether a file may be a Makefile or a shell script by its name
// and place (a file without a suffix at the root or under scripts/ is read for its
// shebang).
func (c *checker) isScript(dir, name string) bool {
	if isMakefile(name) || strings.HasSuffix(name, ".sh") {
		return true
	}
	underScripts := dir == "scripts" || strings.HasPrefix(dir, "scripts/")
	return (dir == "" || underScripts) && !strings.Contains(name, ".")
}

func isMakefile(name string) bool {
	return name == "Makefile" || name == "makefile" || name == "GNUmakefile" || strings.HasSuffix(name, ".mk")
}

// tooLarge reports whether a file is over the size Check reads.
func (c *checker) tooLarge(rel string) bool {
	st, err := c.in.Machine.Lstat(filepath.Join(c.in.Dir, filepath.FromSlash(rel)))
	return err != nil || st.Size() > maxFileSize
}

// read reads one file of the repository (a regular file, bounded); a file it cannot
// judge is a note, not an error.
func (c *checker) read(rel string) *file {
	name := filepath.Join(c.in.Dir, filepath.FromSlash(rel))
	st, err := c.in.Machine.Lstat(name)
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	if st.Size() > maxFileSize {
		c.note(rel, fmt.Sprintf("not read: %d bytes, over the %d-byte limit", st.Size(), maxFileSize))
		return nil
	}
	b, err := c.in.Machine.ReadFile(name)
	if err != nil {
		if !errorsIsNotExist(err) {
			c.note(rel, "not read: "+err.Error())
		}
		return nil
	}
	return newFile(rel, b)
}

func errorsIsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// note records a file the checks could not judge.
func (c *checker) note(rel, why string) {
	area := finding.AreaScripts
	if strings.HasPrefix(rel, ".github/") || rel == ".gitlab-ci.yml" {
		area = finding.AreaCI
	}
	c.notes = append(c.notes, finding.Finding{
		ID: string(area) + ".unreadable", Area: area, Severity: finding.Info,
		Title: "Not checked: " + why, Path: rel,
	})
}
