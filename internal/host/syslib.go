package host

import (
	"context"
	"github.com/gonative/gonative/internal/machine"
	"path"
	"path/filepath"
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
	dpkg  map[string]bool // owned library paths, from /var/lib/dpkg/info/*.list
	rpm   bool            // rpm is installed: ask it per path
	mu    sync.Mutex
	cache map[string]bool // soname + "\x00" + arch -> system
}

// NewLibraries returns the library index of the machine m. When cacheDir
// is not empty, the index of dpkg's file lists is kept there between runs (see
// DpkgIndexFile), so that a run reads one small file instead of every list.
func NewLibraries(m machine.Machine, cacheDir string) *Libraries {
	return &Libraries{m: m, cacheDir: cacheDir, cache: map[string]bool{}}
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
	key := soname + "\x00" + arch + "\x00" + strings.Join(extra, ":")
	l.mu.Lock()
	v, ok := l.cache[key]
	l.mu.Unlock()
	if ok {
		return v
	}
	v = l.lookup(soname, arch, extra)
	l.mu.Lock()
	l.cache[key] = v
	l.mu.Unlock()
	return v
}

func (l *Libraries) lookup(soname, arch string, extra []string) bool {
	if strings.Contains(soname, "/") {
		return false // a path, not a soname: the loader does not search for it
	}
	l.load()
	for _, d := range append(extra, LibDirs(arch)...) {
		if !path.IsAbs(d) {
			continue
		}
		p := path.Join(d, soname)
		// With merged /usr, /lib is a link to /usr/lib and a package lists the path
		// it ships, under either name. A path no package owns needs no stat.
		if l.dpkg != nil && !l.dpkg[p] && !l.dpkg[strings.TrimPrefix(p, "/usr")] && !l.dpkg["/usr"+p] {
			continue
		}
		if _, err := l.m.Stat(p); err != nil {
			continue
		}
		switch {
		case l.dpkg != nil:
			return true // owned, and there
		case l.rpm:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			cmd := l.m.Command(ctx, "rpm", "-qf", "--quiet", p)
			cmd.WaitDelay = time.Second
			err := cmd.Run()
			cancel()
			if err == nil {
				return true
			}
		default:
			return true // no package manager to ask: a standard directory is the system's
		}
	}
	return false
}

// Mark settles Library.System for the libraries of f's Linux ELF slices that the
// bytes left unknown: whether this machine's package manager owns them.
func (l *Libraries) Mark(f *exe.File) {
	if l == nil || f.Format != exe.FormatELF {
		return
	}
	for i := range f.Slices {
		s := &f.Slices[i]
		if s.OS != "linux" && s.OS != "" {
			continue
		}
		var extra []string
		for _, d := range s.RunPath {
			// $ORIGIN is the directory of the file (ld.so(8)).
			d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", path.Dir(filepathToSlash(f.Path)))
			if path.IsAbs(d) {
				extra = append(extra, path.Clean(d))
			}
		}
		for j := range s.Libraries {
			if lib := &s.Libraries[j]; !lib.System.Known {
				lib.System = exe.KnownFact(l.System(lib.Name, s.Arch, extra...))
			}
		}
	}
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
