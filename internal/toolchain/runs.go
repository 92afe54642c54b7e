package toolchain

import (
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/machine"
)

// PathGo is the go executable that a shell finds on PATH.
type PathGo struct {
	// Path is the file PATH finds ("" when none); Resolved is it with links followed.
	Path     string `json:"path,omitempty"`
	Resolved string `json:"resolved,omitempty"`
	// Version is its Go version ("1.26.8"): from the store for gonative's own, else
	// from $GOROOT/VERSION beside it; "" when unknown.
	Version string `json:"version,omitempty"`
	// Link is true when Path is the store's bin/go (the global default's link);
	// Pinned when it is versions/goX.Y.Z/bin/go (put first by the shell hook).
	Link   bool `json:"link,omitempty"`
	Pinned bool `json:"pinned,omitempty"`
}

// Managed reports whether the go PATH finds is one of gonative's.
func (g PathGo) Managed() bool { return g.Link || g.Pinned }

// orReal is m, or this machine when m is nil.
func orReal(m machine.Machine) machine.Machine {
	if m == nil {
		return machine.Real()
	}
	return m
}

// LookPath finds the executable name on path as a shell in dir does (goenv's PATH
// search: each entry in order, an empty or relative entry taken from dir, the first
// regular file with an execute bit wins; on Windows (goos) name.exe, .bat and .cmd
// are tried first and any file counts), on the machine m (nil: this one). It returns
// "" when there is none (LookExec says why).
func LookPath(name, path, dir, goos string, fsys machine.Machine) string {
	p, _ := LookExec(name, path, dir, goos, fsys)
	return p
}

// LookExec is LookPath with the reason it found nothing: an error wrapping
// fs.ErrPermission when a file of that name exists but is not executable (a shell's
// exit status 126), else exec.ErrNotFound (127).
func LookExec(name, path, dir, goos string, fsys machine.Machine) (string, error) {
	fsys = orReal(fsys)
	if goos == "" {
		goos = runtime.GOOS
	}
	found, denied := goenv.Lookup{PATH: path, GOOS: goos, Dir: dir, Machine: fsys}.Find(name)
	switch {
	case len(found) > 0:
		return found[0].Path, nil
	case denied != "":
		return "", fmt.Errorf("%s: %w", denied, fs.ErrPermission)
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

// FindGo describes the go that a shell in dir finds on path, on the machine fsys
// (nil: this one).
func (s Store) FindGo(path, dir string, fsys machine.Machine) PathGo {
	fsys = orReal(fsys)
	p := LookPath("go", path, dir, s.goos(), fsys)
	if p == "" {
		return PathGo{}
	}
	g := PathGo{Path: p, Resolved: p}
	if r, err := fsys.EvalSymlinks(p); err == nil {
		g.Resolved = r
	}
	clean := filepath.Clean(p)
	if filepath.Dir(clean) == filepath.Clean(s.BinDir()) {
		g.Link = true
	}
	for _, cand := range []string{clean, g.Resolved} {
		if v, ok := s.versionOf(cand); ok {
			g.Version = v
			if cand == clean && !g.Link {
				g.Pinned = true
			}
			break
		}
	}
	if g.Version == "" {
		// $GOROOT/VERSION of a go from elsewhere, where cmd/go finds its GOROOT.
		if root := goenv.GOROOTOf(g.Resolved, fsys.Stat); root != "" {
			if first, err := goenv.VersionFile(fsys.ReadFile, filepath.FromSlash(root)); err == nil {
				if v, ok := strings.CutPrefix(first, "go"); ok && strings.Contains(v, ".") {
					g.Version = v
				}
			}
		}
	}
	return g
}

// versionOf returns the version whose versions/goX.Y.Z/bin/go is p.
func (s Store) versionOf(p string) (string, bool) {
	rel, err := filepath.Rel(s.VersionsDir(), p)
	if err != nil {
		return "", false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) != 3 || parts[1] != "bin" || parts[2] != s.exe("go") {
		return "", false
	}
	v, ok := strings.CutPrefix(parts[0], "go")
	return v, ok && v != ""
}

// Pinned reports whether sel comes from a pin (GONATIVE_GO, .go-version,
// .tool-versions), which only the shell hook or `gonative exec` can honour; go.mod
// lines and GOTOOLCHAIN are cmd/go's own.
func (sel Selection) Pinned() bool {
	return sel.By == ByEnv || sel.By == ByGoVersion || sel.By == ByToolVersions
}

// Verdict compares gonative's choice with what a `go` call really runs.
type Verdict struct {
	// Runs is the go executable a `go` call here runs and RunsVersion its version
	// ("" unknown); both empty when there is no go at all.
	Runs        string `json:"runs,omitempty"`
	RunsVersion string `json:"runs_version,omitempty"`
	// OnPath is the go PATH finds (before any GOTOOLCHAIN switch).
	OnPath PathGo `json:"on_path"`
	// Agrees is true when what runs is gonative's choice.
	Agrees bool `json:"agrees"`
	// Problem says why gonative's choice does not run, Fix the one line that fixes it.
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// Check decides what a `go` call in in.Dir runs when the shell's PATH is path: the go
// PATH finds, then the go.work/go.mod and GOTOOLCHAIN switch cmd/go makes from it
// (Which with that go as the local toolchain), and compares it with sel, gonative's
// choice (Which). sel may be the zero Selection when gonative chooses nothing.
func Check(in WhichInput, sel Selection, path string) Verdict {
	fsys := orReal(in.Machine)
	g := in.Store.FindGo(path, in.Dir, fsys)
	v := Verdict{OnPath: g}
	envLine := `eval "$(gonative env)"`
	if g.Path == "" {
		if sel.Go == "" {
			v.Problem = "no go on PATH and none installed by gonative"
			v.Fix = "gonative install latest && " + envLine
			return v
		}
		v.Problem = "no go on PATH: gonative's links (" + in.Store.BinDir() + ") are not on it"
		v.Fix = envLine
		return v
	}
	// What cmd/go does from the go PATH finds: the module's lines may switch it.
	v.Runs, v.RunsVersion = g.Path, g.Version
	if g.Version != "" {
		local := in
		local.Local, local.LocalGo = g.Version, g.Path
		local.Machine = cmdGoView{fsys}
		if r, err := Which(local); err == nil && r.Version != "" && r.Version != g.Version {
			v.Runs, v.RunsVersion = r.Go, r.Version
		}
	}
	if sel.Go == "" {
		v.Problem = "gonative selects no Go here (nothing installed, no default): the go on PATH runs"
		v.Fix = "gonative install latest"
		return v
	}
	if v.RunsVersion != "" && v.RunsVersion == sel.Version && (sel.Installed || v.Runs != g.Path) {
		v.Agrees = true
		return v
	}
	if v.RunsVersion == "" && sameFile(fsys, v.Runs, sel.Go) {
		v.Agrees = true
		return v
	}
	runs := "a go of unknown version"
	if v.RunsVersion != "" {
		runs = "go" + v.RunsVersion
	}
	want := "go" + sel.Version
	if sel.Version == "" {
		want = sel.Go
	}
	switch {
	case !sel.Installed && sel.Version == "":
		v.Problem = fmt.Sprintf("%s: no such go executable, so %s runs instead", sel.Reason, runs)
		v.Fix = "unset " + GoEnv + "  # or set it to an existing go, or a version"
	case !sel.Installed && v.RunsVersion == sel.Version:
		v.Problem = fmt.Sprintf("%s (%s) is not installed by gonative; the %s that runs is %s", want, sel.Reason, runs, v.Runs)
		v.Fix = "gonative install " + sel.Version
	case !sel.Installed && sel.Pinned():
		v.Problem = fmt.Sprintf("%s (%s) is not installed, so %s runs instead", want, sel.Reason, runs)
		v.Fix = "gonative install " + sel.Version
	case !sel.Installed:
		v.Problem = fmt.Sprintf("%s (%s) is not installed by gonative; %s runs", want, sel.Reason, runs)
		v.Fix = "gonative install " + sel.Version
	case v.Runs != g.Path && g.Version == sel.Version:
		v.Problem = fmt.Sprintf("%s is %s, but cmd/go switches from it to %s (the go.work/go.mod lines here, under GOTOOLCHAIN)", sel.Reason, want, runs)
		v.Fix = "gonative use --local " + v.RunsVersion + "  # or lower the go/toolchain line"
	case sel.Pinned() && g.Managed():
		v.Problem = fmt.Sprintf("%s is %s but PATH still has %s (%s): the shell hook has not run here", sel.Reason, want, g.Path, onPath(g))
		v.Fix = envLine + "  # in ~/.bashrc or ~/.zshrc; or: gonative exec " + sel.Version + " -- go ..."
	case sel.Pinned():
		v.Problem = fmt.Sprintf("%s is %s but PATH finds %s (%s) first: the shell hook is not active", sel.Reason, want, g.Path, onPath(g))
		v.Fix = envLine + "  # in ~/.bashrc or ~/.zshrc"
	case !g.Managed():
		v.Problem = fmt.Sprintf("PATH finds %s (%s) before gonative's links, so %s (%s) does not run", g.Path, onPath(g), want, sel.Reason)
		if v.Runs != g.Path {
			v.Problem += fmt.Sprintf("; cmd/go switches from it to %s", runs)
		}
		v.Fix = "export PATH=\"" + in.Store.BinDir() + ":$PATH\"  # or: " + envLine
	default:
		v.Problem = fmt.Sprintf("a go call here runs %s (PATH finds %s, %s), not gonative's choice %s (%s)", runs, g.Path, onPath(g), want, sel.Reason)
		v.Fix = envLine
	}
	return v
}

// onPath is "go1.26.2" for g, or "unknown version".
func onPath(g PathGo) string {
	if g.Version == "" {
		return "unknown version"
	}
	return "go" + g.Version
}

func sameFile(fsys machine.Machine, a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ra, err1 := fsys.EvalSymlinks(a)
	rb, err2 := fsys.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// cmdGoView is a machine as cmd/go sees it: gonative's pins (GONATIVE_GO,
// .go-version, .tool-versions) are not there.
type cmdGoView struct{ machine.Machine }

func (v cmdGoView) LookupEnv(key string) (string, bool) {
	if key == GoEnv {
		return "", false // a pin is gonative's, not cmd/go's
	}
	return v.Machine.LookupEnv(key)
}

func (v cmdGoView) ReadFile(name string) ([]byte, error) {
	if b := filepath.Base(name); b == ByGoVersion || b == ".tool-versions" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return v.Machine.ReadFile(name)
}
