package goenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/mod/modfile"
)

// GOTOOLCHAIN modes.
const (
	ModeFixed = ""     // GOTOOLCHAIN=local or goX.Y.Z: never switch
	ModeAuto  = "auto" // switch up to what go.work/go.mod ask for, downloading if needed
	ModePath  = "path" // like auto, but only toolchains found on PATH as goX.Y.Z
)

// GOTOOLCHAIN is a parsed GOTOOLCHAIN setting.
type GOTOOLCHAIN struct {
	// Raw is the setting as written.
	Raw string `json:"raw"`
	// Min is "local" or a toolchain name such as "go1.27.3": the default toolchain.
	Min string `json:"min"`
	// Mode is ModeFixed, ModeAuto or ModePath.
	Mode string `json:"mode,omitempty"`
}

// ParseGOTOOLCHAIN parses a GOTOOLCHAIN value with cmd/go's rules
// (cmd/go/internal/toolchain/select.go, Select): "local", "auto" (= local+auto), "path"
// (= local+path), "goX.Y.Z", and "goX.Y.Z+auto" / "goX.Y.Z+path"; any other suffix, or a
// name that is not a valid Go toolchain name, is an error. An empty value means what
// cmd/go does when GOTOOLCHAIN is unset everywhere: local.
func ParseGOTOOLCHAIN(value string) (GOTOOLCHAIN, error) {
	t := GOTOOLCHAIN{Raw: value}
	switch value {
	case "", "local":
		t.Min = "local"
		return t, nil
	case "auto", "path":
		t.Min, t.Mode = "local", value
		return t, nil
	}
	min, suffix, plus := strings.Cut(value, "+")
	if min != "local" && ToolchainVersion(min) == "" {
		if plus {
			return GOTOOLCHAIN{}, fmt.Errorf("invalid GOTOOLCHAIN %q: invalid minimum toolchain %q", value, min)
		}
		return GOTOOLCHAIN{}, fmt.Errorf("invalid GOTOOLCHAIN %q", value)
	}
	if plus && suffix != ModeAuto && suffix != ModePath {
		return GOTOOLCHAIN{}, fmt.Errorf("invalid GOTOOLCHAIN %q: only version suffixes are +auto and +path", value)
	}
	t.Min, t.Mode = min, suffix
	return t, nil
}

// ToolchainVersion returns the Go version of a toolchain name ("go1.27.3" → "1.27.3",
// "go1.22rc1" → "1.22rc1", "go1.21.1-custom" → "1.21.1"), or "" when name is not one
// (cmd/go/internal/gover.FromToolchain).
func ToolchainVersion(name string) string {
	if strings.ContainsAny(name, `\/`) || !strings.HasPrefix(name, "go") {
		return ""
	}
	v := name[2:]
	if i := strings.IndexAny(v, " \t-"); i >= 0 {
		v = v[:i]
	}
	if !version.IsValid("go" + v) {
		return ""
	}
	return v
}

// CompareVersions compares two Go versions without the "go" prefix ("1.27.3",
// "1.22rc1", "1.21") with go/version's ordering: 1.21 < 1.21rc1 < 1.21.0 < 1.21.1.
// An invalid version is less than every valid one.
func CompareVersions(a, b string) int { return version.Compare("go"+a, "go"+b) }

// IsLangVersion reports whether v ("1.22") is a language version without a patch or
// pre-release part.
func IsLangVersion(v string) bool { return version.Lang("go"+v) == "go"+v }

// ModFile holds the lines of the go.work or go.mod that govern toolchain selection.
type ModFile struct {
	// File is the go.work or go.mod path ("" when there is none).
	File string `json:"file,omitempty"`
	// Go is the `go` line ("1.27" or "1.27.3"), Toolchain the `toolchain` line
	// ("go1.27.3" or "default"); either may be empty.
	Go        string `json:"go,omitempty"`
	Toolchain string `json:"toolchain,omitempty"`
}

// FindModFile finds the file whose `go` and `toolchain` lines cmd/go obeys in dir
// (cmd/go/internal/toolchain/select.go, modGoToolchain): the go.work named by GOWORK
// (gowork, when it is a path that exists; "off" disables workspaces), else the nearest
// go.work in dir or a parent, else the nearest go.mod. readFile reads a file. It
// returns a zero ModFile when there is none.
func FindModFile(dir, gowork string, readFile func(string) ([]byte, error)) (ModFile, error) {
	var file string
	var data []byte
	switch {
	case gowork == "off":
	case gowork != "":
		if b, err := readFile(gowork); err == nil {
			file, data = gowork, b
		}
	default:
		file, data = findUp(dir, "go.work", readFile)
	}
	if file == "" {
		file, data = findUp(dir, "go.mod", readFile)
	}
	if file == "" {
		return ModFile{}, nil
	}
	m, err := ParseModFile(file, data)
	if err != nil {
		return ModFile{File: file}, err
	}
	return m, nil
}

func findUp(dir, name string, readFile func(string) ([]byte, error)) (string, []byte) {
	dir = filepath.Clean(dir)
	for {
		p := filepath.Join(dir, name)
		if b, err := readFile(p); err == nil {
			return p, b
		} else if !errors.Is(err, fs.ErrNotExist) && !isDirErr(err) {
			// Unreadable files are skipped as cmd/go's os.Stat-based search would
			// find them and then fail; returning them makes the failure visible.
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// isDirErr reports whether err says the file read is a directory (a directory named
// go.mod is skipped, as cmd/go's search skips what is not a regular file).
func isDirErr(err error) bool { return errors.Is(err, syscall.EISDIR) }

// ParseModFile reads the `go` and `toolchain` lines of a go.mod or go.work (chosen by
// the file's base name) with golang.org/x/mod/modfile, falling back to cmd/go's
// lenient line scan (gover.GoModLookup) when the file does not parse, as cmd/go
// itself selects a toolchain before it parses the whole file.
func ParseModFile(file string, data []byte) (ModFile, error) {
	m := ModFile{File: file}
	if filepath.Base(file) == "go.work" {
		if wf, err := modfile.ParseWork(file, data, nil); err == nil {
			if wf.Go != nil {
				m.Go = wf.Go.Version
			}
			if wf.Toolchain != nil {
				m.Toolchain = wf.Toolchain.Name
			}
			return m, nil
		}
	} else if mf, err := modfile.Parse(file, data, nil); err == nil {
		if mf.Go != nil {
			m.Go = mf.Go.Version
		}
		if mf.Toolchain != nil {
			m.Toolchain = mf.Toolchain.Name
		}
		return m, nil
	}
	m.Go, m.Toolchain = lookupLine(data, "go"), lookupLine(data, "toolchain")
	return m, nil
}

// lookupLine returns the first argument of the first line starting with key.
func lookupLine(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == key {
			return f[1]
		}
		if len(f) >= 1 && f[0] == key+"(" {
			return ""
		}
	}
	return ""
}

// Choice is the toolchain cmd/go would run.
type Choice struct {
	// Toolchain is "local" (the go that was started runs the command) or a toolchain
	// name such as "go1.27.3".
	Toolchain string `json:"toolchain"`
	// Version is the Go version that runs ("1.27.3"); for "local" it is the local
	// version given to Choose.
	Version string `json:"version"`
	// Reason says which setting or line chose it, e.g. "toolchain line in /p/go.mod".
	Reason string `json:"reason"`
	// File is the go.work/go.mod that chose it, if one did.
	File string `json:"file,omitempty"`
	// PathOnly is true in path mode: the toolchain must be found on PATH as
	// goX.Y.Z, never downloaded.
	PathOnly bool `json:"path_only,omitempty"`
}

// Choose decides which toolchain cmd/go runs, following Select in
// cmd/go/internal/toolchain/select.go: start from GOTOOLCHAIN's minimum (the local
// toolchain, localVersion such as "1.26.8", for "local"); in auto or path mode, a
// `toolchain` line newer than the minimum raises it, then a newer `go` line raises it
// again (a bare language version 1.21 or later gets ".0"); `toolchain default` keeps the
// minimum. A toolchain equal to the local one is "local".
func Choose(gt GOTOOLCHAIN, localVersion string, mod ModFile) (Choice, error) {
	c := Choice{Toolchain: "local", Version: localVersion, Reason: "local toolchain (GOTOOLCHAIN=local)", PathOnly: gt.Mode == ModePath}
	if gt.Raw == "" {
		c.Reason = "local toolchain (GOTOOLCHAIN unset)"
	}
	if gt.Min != "local" {
		c.Toolchain, c.Version = gt.Min, ToolchainVersion(gt.Min)
		c.Reason = "GOTOOLCHAIN=" + gt.Raw
	} else if gt.Mode != ModeFixed {
		c.Reason = "local toolchain (GOTOOLCHAIN=" + gt.Raw + ", nothing newer required)"
	}
	if gt.Mode != ModeFixed && mod.File != "" {
		switch {
		case mod.Toolchain == "default":
			c.File = mod.File
			c.Reason += "; toolchain default in " + mod.File
		default:
			if mod.Toolchain != "" {
				tv := ToolchainVersion(mod.Toolchain)
				if tv == "" || (!strings.HasPrefix(mod.Toolchain, "go") && !strings.Contains(mod.Toolchain, "-go")) {
					return Choice{}, fmt.Errorf("invalid toolchain %q in %s", mod.Toolchain, mod.File)
				}
				if CompareVersions(tv, c.Version) > 0 {
					c.Toolchain, c.Version, c.File = mod.Toolchain, tv, mod.File
					c.Reason = fmt.Sprintf("toolchain line in %s (GOTOOLCHAIN=%s allows switching)", mod.File, gt.Raw)
				}
			}
			if mod.Go != "" && CompareVersions(mod.Go, c.Version) > 0 {
				c.Toolchain, c.Version, c.File = "go"+mod.Go, mod.Go, mod.File
				if IsLangVersion(mod.Go) && CompareVersions(mod.Go, "1.21") >= 0 {
					c.Toolchain += ".0"
					c.Version += ".0"
				}
				c.Reason = fmt.Sprintf("go line in %s (GOTOOLCHAIN=%s allows switching)", mod.File, gt.Raw)
			}
		}
	}
	if c.Toolchain != "local" && c.Toolchain == "go"+localVersion {
		c.Toolchain = "local"
	}
	return c, nil
}
