package host

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Probe is how Detect reads a machine. The zero value, or System(), reads this one; a
// test fills the funcs (or uses FromDir) to describe another.
type Probe struct {
	GOOS, GOARCH string // the platform this process was built for
	// ReadFile reads an absolute path such as /proc/cpuinfo.
	ReadFile func(name string) ([]byte, error)
	// ReadDir lists an absolute directory such as /proc/sys/fs/binfmt_misc.
	ReadDir func(name string) ([]fs.DirEntry, error)
	// Sysctl returns a sysctl's value as text (integers in decimal); darwin only.
	Sysctl func(name string) (string, error)
	// Uname returns the kernel release and machine (uname -r, uname -m).
	Uname    func() (release, machine string, err error)
	PageSize int
	// Stat stats an absolute path, following links (nil: existence is unknown).
	Stat func(name string) (fs.FileInfo, error)
	// Getenv reads the environment of the user's programs (QEMU_LD_PREFIX).
	Getenv func(key string) string
}

// ErrNoSysctl is returned by a Probe's Sysctl where there is none or the name is unknown.
var ErrNoSysctl = errors.New("no such sysctl")

// System returns the Probe of this machine.
func System() Probe {
	return Probe{
		GOOS:     runtime.GOOS,
		GOARCH:   runtime.GOARCH,
		ReadFile: os.ReadFile,
		ReadDir:  os.ReadDir,
		Sysctl:   sysctl,
		Uname:    uname,
		PageSize: os.Getpagesize(),
		Stat:     os.Stat,
		Getenv:   os.Getenv,
	}
}

func (p Probe) withDefaults() Probe {
	sys := System()
	if p.GOOS == "" {
		p.GOOS = sys.GOOS
	}
	if p.GOARCH == "" {
		p.GOARCH = sys.GOARCH
	}
	if p.ReadFile == nil {
		p.ReadFile = sys.ReadFile
	}
	if p.ReadDir == nil {
		p.ReadDir = sys.ReadDir
	}
	if p.Sysctl == nil {
		p.Sysctl = sys.Sysctl
	}
	if p.Uname == nil {
		p.Uname = sys.Uname
	}
	if p.PageSize == 0 {
		p.PageSize = sys.PageSize
	}
	return p
}

// FakeEnv is the environment variable that points gonative at a fake machine, a
// directory laid out as FromDir describes. It exists for end-to-end tests, in the way
// cmd/go's tests use TESTGO_* variables.
const FakeEnv = "GONATIVE_FAKE_HOST"

// FromEnv returns the Probe named by $GONATIVE_FAKE_HOST (see FromDir), or System().
func FromEnv(getenv func(string) string) (Probe, error) {
	if dir := getenv(FakeEnv); dir != "" {
		return FromDir(dir)
	}
	return System(), nil
}

// FromDir returns a Probe of a fake machine described by the directory dir:
//
//	platform   one line "GOOS/GOARCH" of the process (required)
//	uname      one line "RELEASE MACHINE" (optional)
//	pagesize   one line, bytes (optional, default 4096; 16384 for darwin/arm64)
//	sysctl     lines "name: value", as sysctl(8) prints them (optional)
//	root/      stands for "/": root/proc/cpuinfo, root/proc/sys/fs/binfmt_misc/...,
//	           and every file whose existence is asked (an ELF interpreter)
func FromDir(dir string) (Probe, error) {
	plat, err := os.ReadFile(filepath.Join(dir, "platform"))
	if err != nil {
		return Probe{}, fmt.Errorf("fake host %s: %w", dir, err)
	}
	goos, goarch, ok := strings.Cut(strings.TrimSpace(string(plat)), "/")
	if !ok {
		return Probe{}, fmt.Errorf("fake host %s: platform %q is not GOOS/GOARCH", dir, plat)
	}
	root := filepath.Join(dir, "root")
	p := Probe{
		GOOS:   goos,
		GOARCH: goarch,
		ReadFile: func(name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		},
		ReadDir: func(name string) ([]fs.DirEntry, error) {
			return os.ReadDir(filepath.Join(root, filepath.FromSlash(name)))
		},
		Stat: func(name string) (fs.FileInfo, error) {
			return os.Stat(filepath.Join(root, filepath.FromSlash(name)))
		},
		Getenv:   func(string) string { return "" },
		PageSize: 4096,
	}
	if goos == "darwin" && goarch == "arm64" {
		p.PageSize = 16384
	}
	if b, err := os.ReadFile(filepath.Join(dir, "pagesize")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			p.PageSize = n
		}
	}
	sysctls := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(dir, "sysctl")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
				sysctls[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	p.Sysctl = func(name string) (string, error) {
		if v, ok := sysctls[name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("sysctl %s: %w", name, ErrNoSysctl)
	}
	unameLine, unameErr := os.ReadFile(filepath.Join(dir, "uname"))
	p.Uname = func() (string, string, error) {
		if unameErr != nil {
			return "", "", unameErr
		}
		f := strings.Fields(string(unameLine))
		if len(f) != 2 {
			return "", "", fmt.Errorf("fake host %s: uname %q is not RELEASE MACHINE", dir, unameLine)
		}
		return f[0], f[1], nil
	}
	return p, nil
}
