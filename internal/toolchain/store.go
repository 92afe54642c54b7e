package toolchain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/goenv"
)

// HomeEnv names the variable that sets the store's root.
const HomeEnv = "GONATIVE_HOME"

// DefaultHome returns the store's root: $GONATIVE_HOME, else "gonative" in the user's
// data directory: $XDG_DATA_HOME or ~/.local/share on Linux and other Unix systems,
// ~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows.
func DefaultHome(goos string, getenv func(string) string) (string, error) {
	if h := getenv(HomeEnv); h != "" {
		return filepath.Abs(h)
	}
	home := getenv("HOME")
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "gonative"), nil
		}
		home = getenv("USERPROFILE")
	case "darwin", "ios":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", "gonative"), nil
		}
	default:
		if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "gonative"), nil
		}
		if home != "" {
			return filepath.Join(home, ".local", "share", "gonative"), nil
		}
	}
	if home == "" {
		return "", fmt.Errorf("cannot find a home directory for the toolchain store: set %s", HomeEnv)
	}
	return filepath.Join(home, ".gonative"), nil
}

// Store is the directory that holds installed toolchains:
//
//	ROOT/versions/go1.27.3/   one complete GOROOT per version (renamed in whole)
//	ROOT/bin/                 go, gofmt (the default) and go1.27.3 (each version): links
//	ROOT/default              the global default version
//	ROOT/tmp/                 downloads and staging directories (never listed)
//	ROOT/locks/               one lock file per version
//	ROOT/sumdb/               the checksum database client's state
type Store struct {
	Root string
	// GOOS is the operating system links are made for (runtime.GOOS when empty):
	// executables get ".exe" on Windows.
	GOOS string
}

// Meta is what the store records about an installed toolchain, in GOROOT/.gonative.json.
type Meta struct {
	Version  string    `json:"version"`
	Platform Platform  `json:"platform"`
	Source   string    `json:"source"`             // where it came from
	Hash     string    `json:"hash,omitempty"`     // h1: (module zip) or sha256: (archive)
	Verified string    `json:"verified,omitempty"` // how the hash was checked, or "" when it was not
	Time     time.Time `json:"time"`
}

const metaFile = ".gonative.json"

// Installed is one installed toolchain.
type Installed struct {
	Meta
	GOROOT  string `json:"goroot"`
	Go      string `json:"go"` // the go executable
	Default bool   `json:"default,omitempty"`
}

func (s Store) goos() string {
	if s.GOOS != "" {
		return s.GOOS
	}
	return runtime.GOOS
}

func (s Store) exe(name string) string {
	if s.goos() == "windows" {
		return name + ".exe"
	}
	return name
}

// VersionsDir holds one GOROOT per version.
func (s Store) VersionsDir() string { return filepath.Join(s.Root, "versions") }

// BinDir is the directory to put on PATH: go, gofmt and goX.Y.Z links.
func (s Store) BinDir() string { return filepath.Join(s.Root, "bin") }

// TmpDir holds downloads and staging directories.
func (s Store) TmpDir() string { return filepath.Join(s.Root, "tmp") }

// GOROOT returns the directory version v ("1.27.3") is installed in.
func (s Store) GOROOT(v string) string { return filepath.Join(s.VersionsDir(), "go"+v) }

// GoExe returns the go executable of version v.
func (s Store) GoExe(v string) string { return filepath.Join(s.GOROOT(v), "bin", s.exe("go")) }

// Lookup returns the installed toolchain v, or an error wrapping fs.ErrNotExist.
func (s Store) Lookup(v string) (Installed, error) {
	root := s.GOROOT(v)
	if _, err := os.Stat(filepath.Join(root, "bin", s.exe("go"))); err != nil {
		return Installed{}, fmt.Errorf("go%s is not installed: %w", v, fs.ErrNotExist)
	}
	in := Installed{GOROOT: root, Go: s.GoExe(v), Meta: Meta{Version: v}}
	if b, err := ReadInput(filepath.Join(root, metaFile)); err == nil {
		json.Unmarshal(b, &in.Meta)
	}
	in.Version = v
	if d, _ := s.Default(); d == v {
		in.Default = true
	}
	return in, nil
}

// List returns the installed toolchains, oldest first. Staging directories and
// anything else that is not a complete toolchain are not listed.
func (s Store) List() ([]Installed, error) {
	ents, err := os.ReadDir(s.VersionsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list toolchains: %w", err)
	}
	var vs []string
	for _, e := range ents {
		v, ok := strings.CutPrefix(e.Name(), "go")
		if !ok || !e.IsDir() || goenv.ToolchainVersion(e.Name()) != v {
			continue
		}
		vs = append(vs, v)
	}
	SortVersions(vs)
	var out []Installed
	for _, v := range vs {
		if in, err := s.Lookup(v); err == nil {
			out = append(out, in)
		}
	}
	return out, nil
}

// Default returns the global default version, "" when none is set.
func (s Store) Default() (string, error) {
	b, err := ReadInput(filepath.Join(s.Root, "default"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read default toolchain: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SetDefault makes installed version v the global default and relinks bin/go and
// bin/gofmt.
// It holds the store lock (LockLinks), so a concurrent Uninstall of v cannot leave a
// default naming a removed version.
func (s Store) SetDefault(v string) error {
	unlock, err := s.LockLinks()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.Lookup(v); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(s.Root, "default"), []byte(v+"\n")); err != nil {
		return fmt.Errorf("set default toolchain: %w", err)
	}
	return s.relink()
}

// LockLinks takes the store's lock for the global default and the links in bin/: every
// change to them (SetDefault, Relink, Uninstall's removal) holds it, so the default
// always names an installed version. The returned func releases it.
func (s Store) LockLinks() (func(), error) {
	dir := filepath.Join(s.Root, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock the store: %w", err)
	}
	return lockFile(filepath.Join(dir, "store.lock"))
}

// Relink rebuilds bin/: go and gofmt point into the default toolchain, goX.Y.Z into each
// installed one, and links to versions no longer installed are removed. Each link is
// replaced atomically (made under a temporary name, then renamed). It holds the store
// lock (LockLinks).
func (s Store) Relink() error {
	unlock, err := s.LockLinks()
	if err != nil {
		return err
	}
	defer unlock()
	return s.relink()
}

// StampFile is rewritten whenever the default, the links or a pin change (Touch), so
// that the shell hook can tell, without starting a process, that it must ask again.
func (s Store) StampFile() string { return filepath.Join(s.Root, "changed") }

// Touch records a change for the shell hook (StampFile). It is best effort: a store
// that cannot be written fails elsewhere.
func (s Store) Touch() {
	writeFileAtomic(s.StampFile(), []byte(strconv.FormatInt(time.Now().UnixNano(), 10)+"\n"))
}

// relink is Relink for a caller that holds the store lock.
func (s Store) relink() error {
	defer s.Touch()
	bin := s.BinDir()
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("relink: %w", err)
	}
	list, err := s.List()
	if err != nil {
		return err
	}
	want := map[string]string{}
	def, _ := s.Default()
	for _, in := range list {
		want[s.exe("go"+in.Version)] = in.Go
		if in.Version == def {
			want[s.exe("go")] = in.Go
			want[s.exe("gofmt")] = filepath.Join(in.GOROOT, "bin", s.exe("gofmt"))
		}
	}
	ents, _ := os.ReadDir(bin)
	for _, e := range ents {
		if _, ok := want[e.Name()]; !ok && (e.Name() == s.exe("go") || e.Name() == s.exe("gofmt") || strings.HasPrefix(e.Name(), "go1")) {
			os.Remove(filepath.Join(bin, e.Name()))
		}
	}
	for name, target := range want {
		if cur, err := os.Readlink(filepath.Join(bin, name)); err == nil && cur == target {
			continue
		}
		if err := link(target, filepath.Join(bin, name)); err != nil {
			return err
		}
	}
	return nil
}

// link makes dst a symbolic link to target, replacing dst atomically. The go command
// finds its GOROOT through such a link: cmd/go/internal/cfg's findGOROOT tries the
// executable's own directory, then filepath.EvalSymlinks of it.
func link(target, dst string) error {
	tmp := fmt.Sprintf("%s.tmp%d", dst, os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("link %s: %w (on Windows, symbolic links need Developer Mode or an administrator)", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link %s: %w", dst, err)
	}
	return nil
}

// Uninstall removes version v: the directory is first renamed into tmp/ (so nothing
// half-removed is ever listed), then deleted, and the links are rebuilt. Removing the
// default clears it.
func (s Store) Uninstall(v string) error {
	if _, err := s.Lookup(v); err != nil {
		return err
	}
	unlock, err := s.Lock(v)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.MkdirAll(s.TmpDir(), 0o755); err != nil {
		return fmt.Errorf("uninstall go%s: %w", v, err)
	}
	trash, err := os.MkdirTemp(s.TmpDir(), "trash-go"+v+"-")
	if err != nil {
		return fmt.Errorf("uninstall go%s: %w", v, err)
	}
	unlockLinks, err := s.LockLinks()
	if err != nil {
		os.Remove(trash)
		return err
	}
	if err := os.Rename(s.GOROOT(v), filepath.Join(trash, "go")); err != nil {
		unlockLinks()
		os.Remove(trash)
		return fmt.Errorf("uninstall go%s: %w", v, err)
	}
	if d, _ := s.Default(); d == v {
		os.Remove(filepath.Join(s.Root, "default"))
	}
	relinkErr := s.relink()
	unlockLinks()
	if err := removeAll(trash); err != nil {
		return fmt.Errorf("uninstall go%s: %w", v, err)
	}
	return relinkErr
}

// removeAll removes dir, first making read-only directories writable (the module
// cache's are 0555).
func removeAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// Lock takes the store's lock for version v, waiting for another install or uninstall
// of the same version to finish. The returned func releases it.
func (s Store) Lock(v string) (func(), error) {
	dir := filepath.Join(s.Root, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock go%s: %w", v, err)
	}
	return lockFile(filepath.Join(dir, "go"+v+".lock"))
}

// writeFileAtomic writes data to a temporary file beside name and renames it over name,
// creating name's directory first.
func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(name, data, 0o644)
}

// EmptyDownloads removes (with dryRun, only lists) the partial downloads under
// tmp/downloads that hold no bytes: an install that failed before its first byte (a
// 404, a refused connection) left them and there is nothing to resume. Each is
// removed under its version's lock, and only when it is still an empty regular file
// then: an install of that version under way keeps its file.
func (s Store) EmptyDownloads(dryRun bool) ([]string, error) {
	dir := filepath.Join(s.TmpDir(), "downloads")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".partial")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		v, _, _, err := parseArchiveName(name)
		if err != nil {
			continue
		}
		p := filepath.Join(dir, e.Name())
		removed, err := s.removeIfEmpty(v, p, dryRun)
		if err != nil {
			return out, err
		}
		if removed {
			out = append(out, p)
		}
	}
	return out, nil
}

// removeIfEmpty removes the file p when it is an empty regular file, holding version
// v's lock; with dryRun it only says whether it would.
func (s Store) removeIfEmpty(v, p string, dryRun bool) (bool, error) {
	unlock, err := s.Lock(v)
	if err != nil {
		return false, err
	}
	defer unlock()
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		return false, nil
	}
	if dryRun {
		return true, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}
