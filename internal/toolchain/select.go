package toolchain

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/machine"
)

// GoEnv names the variable that forces a version (or a go executable) everywhere.
const GoEnv = "GONATIVE_GO"

// Where a selection came from.
const (
	ByEnv          = "GONATIVE_GO"
	ByGoVersion    = ".go-version"
	ByToolVersions = ".tool-versions"
	ByModule       = "go.work/go.mod"
	ByGOTOOLCHAIN  = "GOTOOLCHAIN"
	ByDefault      = "default"
)

// WhichInput is what Which reads.
type WhichInput struct {
	// Dir is the directory a go command would run in.
	Dir string
	// Machine is the environment and the files read (pins, go.mod, go.work, the
	// `go env -w` file, whether executables exist); nil is this machine.
	Machine machine.Machine
	Store   Store
	// Platform is the toolchain platform cmd/go would download (for the module cache
	// path of a toolchain gonative has not installed).
	Platform Platform
	// GOMODCACHE is the module cache; UserEnvFile the `go env -w` file.
	GOMODCACHE, UserEnvFile string
	// Local and LocalGo, when set, are the version and path of the go that PATH finds,
	// standing in for the global default as cmd/go's local toolchain (see Check).
	Local, LocalGo string
}

func (in WhichInput) exists(name string) bool {
	_, err := in.Machine.Stat(name)
	return err == nil
}

// getenv reads the machine's environment.
func (in WhichInput) getenv(key string) string { return machine.Getenv(in.Machine, key) }

// Selection is the go that a `go` call in a directory runs, and why.
type Selection struct {
	// Version is the Go version ("1.27.3"), "" when only a path is known.
	Version string `json:"version,omitempty"`
	// Go is the absolute path of the go executable.
	Go string `json:"go"`
	// Installed is false when Go does not exist yet.
	Installed bool `json:"installed"`
	// By is one of ByEnv, ByGoVersion, ByToolVersions, ByModule, ByGOTOOLCHAIN,
	// ByDefault.
	By string `json:"by"`
	// Reason explains the choice in words; File is the file that made it.
	Reason string `json:"reason"`
	File   string `json:"file,omitempty"`
	// Note says what to do when the selection is not installed.
	Note string `json:"note,omitempty"`
}

// ErrNoDefault is returned by Which when nothing selects a version: no pin, no module
// that asks for one, and no global default.
// It matches fs.ErrNotExist.
var ErrNoDefault error = noDefaultError{}

type noDefaultError struct{}

func (noDefaultError) Error() string {
	return "no Go selected here and no global default: run `gonative install latest` (the first install becomes the default)"
}
func (noDefaultError) Is(target error) bool { return target == fs.ErrNotExist }

// Which decides which go runs in in.Dir: GONATIVE_GO; else the nearest .go-version or
// .tool-versions (golang or go entry) in Dir or a parent; else the go.work/go.mod
// `toolchain` and `go` lines under cmd/go's GOTOOLCHAIN rules, with the global default
// as the local toolchain; else the global default.
func Which(in WhichInput) (Selection, error) {
	in.Machine = orReal(in.Machine)
	if v := strings.TrimSpace(in.getenv(GoEnv)); v != "" {
		if filepath.IsAbs(v) {
			return Selection{Go: v, Installed: in.exists(v), By: ByEnv, Reason: GoEnv + "=" + v}, nil
		}
		sel, err := in.pin(v, GoEnv+"="+v, "")
		sel.By = ByEnv
		return sel, err
	}
	if file, v := findPin(in.Dir, in.Machine.ReadFile); file != "" {
		sel, err := in.pin(v, "pinned by "+file, file)
		if filepath.Base(file) == ".tool-versions" {
			sel.By = ByToolVersions
		} else {
			sel.By = ByGoVersion
		}
		return sel, err
	}
	def, err := in.Store.Default()
	if err != nil {
		return Selection{}, err
	}
	localWhy := "global default"
	if in.Local != "" {
		def, localWhy = in.Local, "the go on PATH"
	}
	mod, err := goenv.FindModFile(in.Dir, in.getenv("GOWORK"), in.Machine.ReadFile)
	if err != nil {
		return Selection{}, err
	}
	// GOTOOLCHAIN applies with or without a go.mod (cmd/go selects whenever module
	// mode is on, which is the default everywhere).
	{
		gtRaw, gtFrom := in.gotoolchain(def)
		gt, err := goenv.ParseGOTOOLCHAIN(gtRaw)
		if err != nil {
			return Selection{}, fmt.Errorf("%w (set in %s)", err, gtFrom)
		}
		c, err := goenv.Choose(gt, def, mod)
		if err != nil {
			return Selection{}, err
		}
		if c.Toolchain != "local" {
			v := goenv.ToolchainVersion(c.Toolchain)
			sel := Selection{Version: v, By: ByModule, File: c.File, Reason: c.Reason}
			if c.File == "" {
				sel.By, sel.Reason = ByGOTOOLCHAIN, c.Reason+" (from "+gtFrom+")"
			}
			if inst, err := in.Store.Lookup(v); err == nil {
				sel.Go, sel.Installed = inst.Go, true
				return sel, nil
			}
			sel.Go = filepath.Join(in.GOMODCACHE, ModulePath+"@"+ModuleVersion(v, in.Platform), "bin", in.Store.exe("go"))
			sel.Installed = in.exists(sel.Go)
			if c.PathOnly {
				sel.Go = filepath.Join(in.Store.BinDir(), in.Store.exe(c.Toolchain))
				sel.Installed = false
				sel.Note = fmt.Sprintf("GOTOOLCHAIN=%s only uses toolchains on PATH and go%s is not installed: run `gonative install %s`", gtRaw, v, v)
			} else {
				sel.Note = fmt.Sprintf("go%s is not installed by gonative, so cmd/go downloads it into the module cache; run `gonative install %s` to get a native, verified copy", v, v)
			}
			return sel, nil
		}
		if def != "" && mod.File != "" {
			inst, err := in.Store.Lookup(def)
			why := fmt.Sprintf("%s (%s asks for nothing newer)", localWhy, mod.File)
			if gt.Mode == goenv.ModeFixed {
				why = fmt.Sprintf("%s (GOTOOLCHAIN=%s from %s: the lines of %s do not switch)", localWhy, gtRaw, gtFrom, mod.File)
			} else if mod.Toolchain == "default" {
				why = fmt.Sprintf("%s (toolchain default in %s)", localWhy, mod.File)
			}
			if in.LocalGo != "" {
				inst.Go, err = in.LocalGo, nil
			}
			return Selection{Version: def, Go: inst.Go, Installed: err == nil, By: ByDefault, File: mod.File, Reason: why}, nil
		}
	}
	if in.LocalGo != "" {
		return Selection{Version: in.Local, Go: in.LocalGo, Installed: true, By: ByDefault, Reason: localWhy}, nil
	}
	if def == "" {
		return Selection{}, ErrNoDefault
	}
	inst, err := in.Store.Lookup(def)
	if err != nil {
		return Selection{Version: def, Go: in.Store.GoExe(def), By: ByDefault, Reason: "global default (gonative use)",
			Note: fmt.Sprintf("the default go%s is missing: run `gonative install %s`", def, def)}, nil
	}
	return Selection{Version: def, Go: inst.Go, Installed: true, By: ByDefault, Reason: "global default (gonative use)"}, nil
}

// gotoolchain returns the effective GOTOOLCHAIN and where it came from: the
// environment, the `go env -w` file, then $GOROOT/go.env of the default toolchain.
func (in WhichInput) gotoolchain(def string) (value, from string) {
	if v := in.getenv("GOTOOLCHAIN"); v != "" {
		return v, "the environment"
	}
	if in.UserEnvFile != "" {
		if b, err := in.Machine.ReadFile(in.UserEnvFile); err == nil {
			if v, ok := goenv.ParseEnvFile(b)["GOTOOLCHAIN"]; ok {
				return v, in.UserEnvFile
			}
		}
	}
	if def != "" {
		f := filepath.Join(in.Store.GOROOT(def), "go.env")
		if in.LocalGo != "" {
			if r, err := in.Machine.EvalSymlinks(in.LocalGo); err == nil {
				f = filepath.Join(filepath.Dir(filepath.Dir(r)), "go.env")
			}
		}
		if b, err := in.Machine.ReadFile(f); err == nil {
			if v, ok := goenv.ParseEnvFile(b)["GOTOOLCHAIN"]; ok {
				return v, f
			}
		}
	}
	return "local", "default (no GOTOOLCHAIN anywhere)"
}

// ErrBadPin is matched (errors.Is) by a *BadPinError.
var ErrBadPin = errors.New("the pinned version is not a Go version")

// BadPinError is a pin ($GONATIVE_GO, a .go-version or a .tool-versions entry) whose
// value is not a Go version.
type BadPinError struct {
	Value  string // the pinned value, as written
	Reason string // what pinned it ("pinned by FILE", "GONATIVE_GO=...")
	File   string // the file it is in; "" for $GONATIVE_GO
}

func (e *BadPinError) Error() string {
	return fmt.Sprintf("%s: %q is not a Go version", e.Reason, e.Value)
}

// Is makes every *BadPinError match ErrBadPin.
func (e *BadPinError) Is(target error) bool { return target == ErrBadPin }

// pin resolves a pinned version: exact when installed, a language version ("1.27")
// to its newest installed patch.
func (in WhichInput) pin(raw, reason, file string) (Selection, error) {
	q, err := ParseQuery(raw)
	if err != nil || q.Latest {
		return Selection{}, &BadPinError{Value: raw, Reason: reason, File: file}
	}
	sel := Selection{Version: q.Version, Reason: reason, File: file}
	list, _ := in.Store.List()
	var vs []string
	for _, i := range list {
		vs = append(vs, i.Version)
	}
	if v, ok := q.Resolve(vs); ok {
		sel.Version = v
		inst, _ := in.Store.Lookup(v)
		sel.Go, sel.Installed = inst.Go, true
		return sel, nil
	}
	if !q.Exact() {
		sel.Go = in.Store.GoExe(q.Version)
		sel.Note = fmt.Sprintf("no go%s.x is installed: run `gonative install %s`", q.Version, q.Version)
		return sel, nil
	}
	sel.Go = in.Store.GoExe(q.Version)
	sel.Note = fmt.Sprintf("go%s is not installed: run `gonative install %s`", q.Version, q.Version)
	return sel, nil
}

// WritePin pins version (such as "1.27.3") in dir by writing dir/.go-version
// atomically, and returns the file's path.
func WritePin(dir, version string) (string, error) {
	file := filepath.Join(dir, ByGoVersion)
	if err := atomicfile.WriteFile(file, []byte(version+"\n"), 0o644); err != nil {
		return "", err
	}
	return file, nil
}

// findPin finds the nearest .go-version, or .tool-versions with a golang/go entry, in
// dir or a parent; in one directory .go-version wins.
func findPin(dir string, readFile func(string) ([]byte, error)) (file, version string) {
	dir = filepath.Clean(dir)
	for {
		p := filepath.Join(dir, ByGoVersion)
		if b, err := readFile(p); err == nil {
			if v := ParseGoVersionFile(b); v != "" {
				return p, v
			}
		}
		p = filepath.Join(dir, ".tool-versions")
		if b, err := readFile(p); err == nil {
			if v := ParseToolVersions(b); v != "" {
				return p, v
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ""
		}
		dir = parent
	}
}

// ParseGoVersionFile returns the version in a .go-version file: its first non-blank,
// non-comment line.
func ParseGoVersionFile(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			return strings.Fields(l)[0]
		}
	}
	return ""
}

// ParseToolVersions returns the first version of the golang (asdf) or go (mise) entry
// of a .tool-versions file.
func ParseToolVersions(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "golang" || f[0] == "go") {
			return f[1]
		}
	}
	return ""
}
