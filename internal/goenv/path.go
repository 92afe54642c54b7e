package goenv

import (
	"cmp"
	"context"
	"github.com/gonative/gonative/internal/machine"
	"io/fs"
	"path"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// Binary is one executable found in a PATH directory, read from its bytes.
type Binary struct {
	// Path is where PATH finds it; Resolved is the file after symbolic links.
	Path     string `json:"path"`
	Resolved string `json:"resolved,omitempty"`
	// Index is the position of its directory in PATH (0 is searched first).
	Index int `json:"index"`
	// GOROOT is the Go root a go command at Resolved uses when GOROOT is not set:
	// the parent of its bin directory when that holds pkg/tool (cmd/go's findGOROOT).
	GOROOT string `json:"goroot,omitempty"`
	// OS, Arch and Version describe the binary's first slice (Version is the Go
	// version that built it); Archs lists every slice of a universal binary.
	OS      string   `json:"os,omitempty"`
	Arch    string   `json:"arch,omitempty"`
	Archs   []string `json:"archs,omitempty"`
	Version string   `json:"version,omitempty"`
	// Script is true for a text file starting with #! (a shim or wrapper).
	Script bool `json:"script,omitempty"`
	// File is the full inspection; Err says why it could not be read.
	File *exe.File `json:"-"`
	Err  string    `json:"error,omitempty"`
}

// Lookup is how FindAll reads a machine. Paths use forward slashes (or the host's
// separator on Windows); a test can describe any machine.
type Lookup struct {
	// PATH is the search path and GOOS the machine's OS (it decides the list
	// separator and the .exe suffix).
	PATH, GOOS string
	// Dir is the working directory: a shell searches an empty PATH entry as the
	// current directory and a relative entry from it ("" leaves them relative).
	Dir string
	// Machine is where the files are (nil: none is found).
	Machine machine.Machine
	// Inspect reads an executable's headers (exe.Inspect on a real machine).
	Inspect func(ctx context.Context, name string) (*exe.File, error)
}

// Dirs splits PATH into the directories a shell searches, in order (execvp(3)): an
// empty entry is the current directory, and a relative one is taken from it (Dir).
// This is the one PATH search of gonative: FindAll, Find, the toolchain's LookPath
// and the doctor's checks all use it.
func (l Lookup) Dirs() []string {
	sep := ":"
	if l.GOOS == "windows" {
		sep = ";"
	}
	var dirs []string
	for _, d := range strings.Split(l.PATH, sep) {
		switch {
		case d == "" || d == ".":
			d = cmp.Or(l.Dir, ".")
		case l.Dir != "" && !isAbsOS(l.GOOS, d):
			d = joinOS(l.GOOS, l.Dir, d)
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// names are the file names tried for name in each directory: on Windows the
// executable suffixes first (.exe, .bat, .cmd), as cmd.exe's PATHEXT does.
func (l Lookup) names(name string) []string {
	if l.GOOS == "windows" && path.Ext(strings.ToLower(name)) == "" {
		return []string{name + ".exe", name + ".bat", name + ".cmd", name}
	}
	return []string{name}
}

// Found is an executable Find found.
type Found struct {
	Path  string // where PATH finds it
	Index int    // the position of its directory in Dirs (0 is searched first)
}

// Find returns, in PATH order, every executable called name that a shell could run:
// in each directory the first of the names tried (see names) that is a regular
// file with an execute bit (any regular file on Windows). The first is the one a
// shell runs. denied is the first file of that name that is not executable ("" when
// none): a shell's exit status 126 when nothing else is found.
func (l Lookup) Find(name string) (found []Found, denied string) {
	if l.Machine == nil {
		return nil, ""
	}
	names := l.names(name)
	for i, dir := range l.Dirs() {
		for _, n := range names {
			p := joinOS(l.GOOS, dir, n)
			st, err := l.Machine.Stat(p)
			if err != nil || st.IsDir() {
				continue
			}
			if st.Mode().IsRegular() && (l.GOOS == "windows" || st.Mode().Perm()&0o111 != 0) {
				found = append(found, Found{p, i})
				break
			}
			if denied == "" {
				denied = p
			}
		}
	}
	return found, denied
}

// FindAll returns every executable called name in the PATH directories, in PATH order
// (the first is the one a shell runs), each read with Inspect. The same file reached
// through two directories is listed twice; compare Resolved.
func FindAll(ctx context.Context, name string, l Lookup) []Binary {
	found, _ := l.Find(name)
	var out []Binary
	for _, f := range found {
		if ctx.Err() != nil {
			break
		}
		out = append(out, Read(ctx, f.Path, f.Index, l))
	}
	return out
}

// isAbsOS reports whether p is absolute on goos.
func isAbsOS(goos, p string) bool {
	if goos == "windows" {
		p = strings.ReplaceAll(p, `\`, "/")
		return strings.HasPrefix(p, "/") || len(p) >= 3 && p[1] == ':' && p[2] == '/'
	}
	return strings.HasPrefix(p, "/")
}

// Read describes the executable at p (found in PATH entry index).
func Read(ctx context.Context, p string, index int, l Lookup) Binary {
	b := Binary{Path: p, Resolved: p, Index: index}
	if l.Machine == nil {
		return b
	}
	if r, err := l.Machine.EvalSymlinks(p); err == nil {
		b.Resolved = r
	}
	b.GOROOT = GOROOTOf(b.Resolved, l.Machine.Stat)
	if isScript(l.Machine, b.Resolved) {
		b.Script = true
		return b
	}
	if l.Inspect == nil {
		return b
	}
	f, err := l.Inspect(ctx, b.Resolved)
	if err != nil {
		b.Err = err.Error()
		return b
	}
	b.File = f
	b.Err = f.Error
	for i, s := range f.Slices {
		b.Archs = append(b.Archs, s.Arch)
		if i == 0 {
			b.OS, b.Arch = s.OS, s.Arch
		}
		if b.Version == "" && s.Go != nil {
			b.Version = s.Go.Version
		}
	}
	return b
}

// VersionFile returns the Go version a Go root's VERSION file names on its first
// line ("go1.26.8", or "devel ..." for a development tree), read with readFile; ""
// with the error when there is none. Later lines (time, build settings) are not part
// of the version.
func VersionFile(readFile func(string) ([]byte, error), goroot string) (string, error) {
	// A forward slash joins on every OS (Windows accepts it too).
	b, err := readFile(strings.TrimRight(goroot, `/\`) + "/VERSION")
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(first), nil
}

// GOROOTOf returns the Go root of a go command at the resolved path exe: the parent of
// its directory when that directory is named bin and the parent holds pkg/tool, as
// cmd/go's findGOROOT decides (cmd/go/internal/cfg/cfg.go); "" otherwise.
func GOROOTOf(exe string, stat func(string) (fs.FileInfo, error)) string {
	exe = strings.ReplaceAll(exe, `\`, "/")
	dir := path.Dir(exe)
	if path.Base(dir) != "bin" {
		return ""
	}
	root := path.Dir(dir)
	if stat != nil {
		if st, err := stat(path.Join(root, "pkg", "tool")); err != nil || !st.IsDir() {
			return ""
		}
	}
	return root
}

// Contains reports whether dir is one of PATH's directories (compared after cleaning).
func (l Lookup) Contains(dir string) (index int, ok bool) {
	want := path.Clean(strings.ReplaceAll(dir, `\`, "/"))
	for i, d := range l.Dirs() {
		if path.Clean(strings.ReplaceAll(d, `\`, "/")) == want {
			return i, true
		}
	}
	return -1, false
}

// isScript reports whether the file starts with "#!" (only its first two bytes are
// read, without blocking).
func isScript(m machine.Machine, name string) bool {
	f, err := m.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == 2 && string(b[:]) == "#!"
}
