package host

import (
	"context"
	"github.com/gonative/gonative/internal/machine"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/exe"
)

// Libraries tells the system's shared libraries from the others on a Linux machine: a
// library that the distribution's package manager owns is a system library (dpkg's file
// lists where dpkg is installed, else rpm -qf where rpm is, else any library found in
// a standard library directory). Only the others must ship with a program. It is safe
// for concurrent use.
type Libraries struct {
	m        machine.Machine
	cacheDir string // where the dpkg index is kept between runs ("": nowhere)

	once  sync.Once
	dpkg  *pathSet // owned library paths, from /var/lib/dpkg/info/*.list
	rpm   bool     // rpm is installed: ask it per path
	mu    sync.Mutex
	cache map[libKey]*libAnswer
}

// libKey names one question to Libraries.System: a soname, the GOARCH of the slice
// that needs it and its extra directories joined by ":" (usually none, so that a
// key costs no allocation).
type libKey struct{ soname, arch, extra string }

// libAnswer is the answer to one question, looked up once: concurrent askers of the
// same question wait for the first instead of stat-ing the same paths again.
type libAnswer struct {
	once   sync.Once
	system bool
}

// NewLibraries returns the library index of the machine m. When cacheDir
// is not empty, the index of dpkg's file lists is kept there between runs (see
// DpkgIndexFile), so that a run reads one small file instead of every list.
func NewLibraries(m machine.Machine, cacheDir string) *Libraries {
	return &Libraries{m: m, cacheDir: cacheDir, cache: map[libKey]*libAnswer{}}
}

// Preload starts reading the package manager's index in the background, so that the
// first question does not wait for it.
func (l *Libraries) Preload() {
	if l != nil {
		go l.load()
	}
}

// LibDirs lists the standard directories the dynamic loader searches for a GOARCH's
// libraries on a Debian-style system: the multiarch ones (of each Debian port of the
// GOARCH), then /lib and /usr/lib, then the 64- or 32-bit ones. Container images are
// laid out the same way.
func LibDirs(goarch string) []string {
	return slices.Clone(libDirs(goarch))
}

// libDirsByArch keeps LibDirs' answer per GOARCH: the list never changes, and a
// lookup asks for it once per library.
var libDirsByArch sync.Map // GOARCH -> []string

// libDirs is LibDirs without the copy: the caller must not change the slice.
func libDirs(goarch string) []string {
	if d, ok := libDirsByArch.Load(goarch); ok {
		return d.([]string)
	}
	d, _ := libDirsByArch.LoadOrStore(goarch, makeLibDirs(goarch))
	return d.([]string)
}

func makeLibDirs(goarch string) []string {
	a, _ := arch.ByGOARCH(goarch)
	var dirs []string
	for _, d := range a.Debian {
		dirs = append(dirs, "/lib/"+d.Multiarch, "/usr/lib/"+d.Multiarch)
	}
	dirs = append(dirs, "/lib", "/usr/lib")
	if a.WordLibDir != "" {
		dirs = append(dirs, "/"+a.WordLibDir, "/usr/"+a.WordLibDir)
	}
	return dirs
}

func (l *Libraries) load() {
	l.once.Do(func() {
		if owned, err := l.dpkgIndex(); err == nil {
			l.dpkg = owned
			return
		}
		if _, err := l.m.Stat("/var/lib/rpm"); err == nil {
			if _, err := l.m.LookPath("rpm"); err == nil {
				l.rpm = true
			}
		}
	})
}

// System reports whether the library soname, needed by a slice of arch whose
// DT_RUNPATH lists extra directories (already expanded), is a system library of this
// machine.
func (l *Libraries) System(soname, arch string, extra ...string) bool {
	if l == nil || soname == "" {
		return false
	}
	key := libKey{soname: soname, arch: arch}
	if len(extra) > 0 {
		key.extra = strings.Join(extra, ":")
	}
	l.mu.Lock()
	a := l.cache[key]
	if a == nil {
		a = new(libAnswer)
		l.cache[key] = a
	}
	l.mu.Unlock()
	a.once.Do(func() { a.system = l.lookup(soname, arch, extra) })
	return a.system
}

func (l *Libraries) lookup(soname, arch string, extra []string) bool {
	if strings.Contains(soname, "/") {
		return false // a path, not a soname: the loader does not search for it
	}
	l.load()
	for _, d := range extra {
		if sys, ok := l.inDir(d, soname); ok {
			return sys
		}
	}
	for _, d := range libDirs(arch) {
		if sys, ok := l.inDir(d, soname); ok {
			return sys
		}
	}
	return false
}

// inDir looks for soname in the directory d: ok is false when the search must go on
// to the next directory, else system is the answer.
func (l *Libraries) inDir(d, soname string) (system, ok bool) {
	if !path.IsAbs(d) {
		return false, false
	}
	p := path.Join(d, soname)
	// A path no package owns (under either of its merged-/usr names: canonPath)
	// needs no stat.
	if l.dpkg != nil && !l.dpkg.has(p) {
		return false, false
	}
	if _, err := l.m.Stat(p); err != nil {
		return false, false
	}
	switch {
	case l.dpkg != nil:
		return true, true // owned, and there
	case l.rpm:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := l.m.Command(ctx, "rpm", "-qf", "--quiet", p)
		cmd.WaitDelay = time.Second
		if cmd.Run() == nil {
			return true, true
		}
		return false, false
	default:
		return true, true // no package manager to ask: a standard directory is the system's
	}
}

// Marked returns, by slice, the libraries of f's slices with Library.System settled
// where the bytes left it unknown, for the Linux ELF slices: whether this machine's
// package manager owns them. A slice it does not mark keeps its own list; f is not
// changed. nil when l is nil or f is not ELF.
func (l *Libraries) Marked(f *exe.File) [][]exe.Library {
	if l == nil || f.Format != exe.FormatELF {
		return nil
	}
	out := make([][]exe.Library, len(f.Slices))
	var origin string // the directory of f, after links, once a DT_RUNPATH names it
	for i := range f.Slices {
		s := &f.Slices[i]
		out[i] = s.Libraries
		if s.OS != "linux" && s.OS != "" || len(s.Libraries) == 0 {
			continue
		}
		var extra []string
		for _, d := range s.RunPath {
			// $ORIGIN is the directory of the file (ld.so(8)): resolved only for a
			// directory that names it (a link walk costs a stat per path element).
			if strings.Contains(d, "$ORIGIN") || strings.Contains(d, "${ORIGIN}") {
				if origin == "" {
					origin = path.Dir(filepathToSlash(f.Path))
				}
				d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", origin)
			}
			if path.IsAbs(d) {
				extra = append(extra, path.Clean(d))
			}
		}
		libs := slices.Clone(s.Libraries)
		for j := range libs {
			if lib := &libs[j]; !lib.System.Known {
				lib.System = exe.KnownFact(l.System(lib.Name, s.Arch, extra...))
			}
		}
		out[i] = libs
	}
	return out
}

// filepathToSlash returns the real absolute path of p: $ORIGIN is the directory of
// the file itself, after symbolic links (the kernel's /proc/self/exe).
func filepathToSlash(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return filepath.ToSlash(p)
}
