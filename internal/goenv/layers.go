package goenv

import (
	"bytes"
	"github.com/gonative/gonative/internal/machine"
	"path"
	"slices"
	"strings"
)

// Source names the layer that set a Go environment variable. cmd/go reads, in order of
// precedence, the process environment, the user's `go env -w` file and
// $GOROOT/go.env, and falls back to its built-in default
// (cmd/go/internal/cfg/cfg.go, envOr/initEnvCache).
type Source string

// Layers, highest precedence first.
const (
	SourceEnv     Source = "environment"    // exported in the shell (OS environment)
	SourceUser    Source = "go env -w"      // the user's go env file ($GOENV)
	SourceGOROOT  Source = "$GOROOT/go.env" // shipped with the toolchain (Go 1.21+)
	SourceDefault Source = "default"        // cmd/go's built-in default
)

// Setting is one variable and where its effective value comes from.
type Setting struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	// File is the file that set it, for SourceUser and SourceGOROOT.
	File string `json:"file,omitempty"`
	// Hidden lists lower layers that also set the variable and are overridden.
	Hidden []Setting `json:"hidden,omitempty"`
}

// Known lists the variables `go env` reports and the cgo settings that change builds;
// any other GO* variable found in a layer is reported too.
var Known = []string{
	"AR", "CC", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_ENABLED", "CGO_FFLAGS", "CGO_LDFLAGS", "CXX",
	"GCCGO", "GO111MODULE", "GOAMD64", "GOARCH", "GOARM", "GOARM64", "GOAUTH", "GOBIN", "GOCACHE", "GOCACHEPROG",
	"GODEBUG", "GOENV", "GOEXE", "GOEXPERIMENT", "GOFIPS140", "GOFLAGS", "GOHOSTARCH", "GOHOSTOS", "GOINSECURE",
	"GOMIPS", "GOMIPS64", "GOMODCACHE", "GONOPROXY", "GONOSUMDB", "GOOS", "GOPATH", "GOPPC64", "GOPRIVATE",
	"GOPROXY", "GORISCV64", "GOROOT", "GOSUMDB", "GOTELEMETRY", "GOTMPDIR", "GOTOOLCHAIN", "GOTOOLDIR",
	"GOVCS", "GOWASM", "GOWORK", "PKG_CONFIG",
}

// Layers is every Go setting of a machine with the layer that set it.
type Layers struct {
	// Vars maps a variable name to its setting, for every variable set in some layer.
	Vars map[string]Setting `json:"vars"`
	// UserFile is the `go env -w` file ("" when GOENV=off or no config directory).
	UserFile string `json:"user_file,omitempty"`
	// GOROOTFile is $GOROOT/go.env ("" when GOROOT is unknown).
	GOROOTFile string `json:"goroot_file,omitempty"`
}

// LayerInput is what ReadLayers reads.
type LayerInput struct {
	// Machine is the environment (the first layer) and the files read (an error
	// reading one means its layer is empty); nil reads nothing.
	Machine machine.Machine
	// UserFile is the `go env -w` file (see UserEnvFile); GOROOT is the toolchain's root.
	UserFile, GOROOT string
}

// ReadLayers returns every variable set by the environment, the user's go env file or
// $GOROOT/go.env, with its effective value and the layers it hides.
func ReadLayers(in LayerInput) Layers {
	l := Layers{Vars: map[string]Setting{}, UserFile: in.UserFile}
	type layer struct {
		src  Source
		file string
		vars map[string]string
	}
	var layers []layer
	env := map[string]string{}
	var environ []string
	if in.Machine != nil {
		environ = in.Machine.Environ()
	}
	for _, kv := range environ {
		// cmd/go treats an empty environment variable as unset (cfg.Getenv).
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" && relevant(k) {
			env[k] = v
		}
	}
	layers = append(layers, layer{SourceEnv, "", env})
	if in.UserFile != "" && in.Machine != nil {
		if b, err := in.Machine.ReadFile(in.UserFile); err == nil {
			layers = append(layers, layer{SourceUser, in.UserFile, ParseEnvFile(b)})
		}
	}
	if in.GOROOT != "" && in.Machine != nil {
		l.GOROOTFile = path.Join(in.GOROOT, "go.env")
		if b, err := in.Machine.ReadFile(l.GOROOTFile); err == nil {
			layers = append(layers, layer{SourceGOROOT, l.GOROOTFile, ParseEnvFile(b)})
		}
	}
	for _, ly := range layers {
		for k, v := range ly.vars {
			s := Setting{Name: k, Value: v, Source: ly.src, File: ly.file}
			if cur, ok := l.Vars[k]; ok {
				cur.Hidden = append(cur.Hidden, s)
				l.Vars[k] = cur
				continue
			}
			l.Vars[k] = s
		}
	}
	return l
}

// Get returns the effective value of name and whether any layer set it.
func (l Layers) Get(name string) (string, bool) {
	s, ok := l.Vars[name]
	return s.Value, ok
}

// Source returns the layer that set name, SourceDefault when none did.
func (l Layers) Source(name string) Source {
	if s, ok := l.Vars[name]; ok {
		return s.Source
	}
	return SourceDefault
}

// Names returns the names of every variable set in some layer, sorted.
func (l Layers) Names() []string {
	var names []string
	for k := range l.Vars {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// relevant reports whether an environment variable is one of Go's settings.
func relevant(k string) bool {
	if strings.HasPrefix(k, "GONATIVE_") { // gonative's own settings
		return false
	}
	return strings.HasPrefix(k, "GO") || slices.Contains(Known, k)
}

// ParseEnvFile parses a `go env -w` file or $GOROOT/go.env the way cmd/go does
// (cmd/go/internal/cfg/cfg.go, initEnvCache): one KEY=VALUE per line, lines without
// '=', blank lines and lines not starting with an upper-case letter (comments) are
// ignored, the value is the rest of the line verbatim, and a later line for the same
// key wins.
func ParseEnvFile(data []byte) map[string]string {
	vars := map[string]string{}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		i := bytes.IndexByte(line, '=')
		if i <= 0 || line[0] < 'A' || line[0] > 'Z' {
			continue
		}
		vars[string(line[:i])] = string(line[i+1:])
	}
	return vars
}

// UserEnvFile returns the `go env -w` file of a machine whose OS is goos and whose
// environment getenv reads: $GOENV when set ("" for GOENV=off), else the user config
// directory's go/env, following os.UserConfigDir's rules for goos (written out here so
// a test can describe a Mac on Linux).
func UserEnvFile(goos string, getenv func(string) string) string {
	if v := getenv("GOENV"); v != "" {
		if v == "off" {
			return ""
		}
		return v
	}
	dir := UserConfigDir(goos, getenv)
	if dir == "" {
		return ""
	}
	return joinOS(goos, dir, "go", "env")
}

// UserConfigDir is os.UserConfigDir for the OS goos.
func UserConfigDir(goos string, getenv func(string) string) string {
	switch goos {
	case "windows":
		return getenv("AppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return h + "/Library/Application Support"
		}
	case "plan9":
		if h := getenv("home"); h != "" {
			return h + "/lib"
		}
	default:
		if d := getenv("XDG_CONFIG_HOME"); d != "" && strings.HasPrefix(d, "/") {
			return d
		}
		if h := getenv("HOME"); h != "" {
			return h + "/.config"
		}
	}
	return ""
}

func joinOS(goos string, elem ...string) string {
	if goos == "windows" {
		return strings.Join(elem, `\`)
	}
	return path.Join(elem...)
}
