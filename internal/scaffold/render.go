package scaffold

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"

	"github.com/gonative/gonative/internal/build"
	"golang.org/x/mod/semver"
)

// Kind is a kind of file set that init writes.
type Kind string

// The kinds of files init writes.
const (
	Docker       Kind = "docker"       // Dockerfile and .dockerignore
	Devcontainer Kind = "devcontainer" // .devcontainer/devcontainer.json
	CI           Kind = "ci"           // .github/workflows/build.yml
)

// Kinds lists every kind, in the order the documentation shows them.
var Kinds = []Kind{Docker, Devcontainer, CI}

// File is one file to write, relative to the module root.
type File struct {
	Path string      // slash-separated, relative to the module root
	Data []byte      // the content
	Mode fs.FileMode // the permission bits
}

// Options tunes Render.
type Options struct {
	// Main selects the program the image runs (Docker): a program name, an import
	// path or a directory such as ./cmd/name. Empty means the only main package, or
	// the one at the module root.
	Main string
	// GonativeVersion is the version of gonative the workflow and the devcontainer
	// install (CI, Devcontainer): a module version the proxy serves, such as the
	// version of the gonative that writes them. A development build has none.
	GonativeVersion string
}

// GonativePackage is the package the generated files install gonative from.
const GonativePackage = "github.com/gonative/gonative/cmd/gonative"

// ErrNoGonativeVersion is returned by Render for a workflow or a devcontainer without
// a gonative version that go install can fetch.
var ErrNoGonativeVersion = errors.New("no gonative version to install")

// VersionError says why a gonative version cannot be installed by the generated files.
type VersionError struct {
	Version string // as given; "" or "(devel)" for a development build
	Reason  string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s %q: %s: pass --gonative-version with a release (vX.Y.Z) or the pseudo-version of a pushed commit (go list -m %s@COMMIT prints it)",
		ErrNoGonativeVersion, e.Version, e.Reason, "github.com/gonative/gonative")
}

// Is makes errors.Is(err, ErrNoGonativeVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrNoGonativeVersion }

// checkGonativeVersion accepts a module version that go install can fetch: a
// canonical semantic version (a release or a pseudo-version), without build metadata
// (a "+dirty" build has uncommitted changes nobody else can fetch).
func checkGonativeVersion(v string) error {
	switch {
	case v == "" || v == "(devel)":
		return &VersionError{v, "this gonative is a development build, with no module version"}
	case !semver.IsValid(v):
		return &VersionError{v, "not a module version"}
	case semver.Build(v) != "":
		return &VersionError{v, "built from a checkout with uncommitted changes"}
	case semver.Canonical(v) != v:
		return &VersionError{v, "not a module version (not canonical: " + semver.Canonical(v) + ")"}
	}
	return nil
}

// ErrNoMain is returned by Render for a Docker image of a module without main package.
var ErrNoMain = errors.New("no main package")

//go:embed templates
var templates embed.FS

// tmpl parses the templates on first use: not in every command's start-up.
var tmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"join": strings.Join,
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).ParseFS(templates, "templates/*.tmpl"))
})

// data is what the templates see.
type data struct {
	Module *Module
	Main   Program  // the program the image runs (Docker)
	Dirs   []string // every main package, as go build arguments
	Cgo    bool     // some package needs cgo on Linux
	// DevImage is the devcontainer image; ModVolume and CacheVolume name its volumes.
	DevImage, ModVolume, CacheVolume string
	Targets                          ciTargets
	// Toolchains are Debian's C toolchains of the image's platforms (Docker, cgo).
	Toolchains []toolchain
	// GonativePackage and GonativeVersion are what go install fetches (CI, Devcontainer).
	GonativePackage, GonativeVersion string
	Actions                          actions // the actions the workflow uses (CI)
}

// toolchain is Debian's C toolchain for a GOARCH the image is built for.
type toolchain struct {
	GoArch string
	build.DebianToolchain
}

// imageToolchains are Debian's C toolchains of linuxTargets, from build's table.
func imageToolchains() []toolchain {
	var out []toolchain
	for _, t := range linuxTargets {
		if d, ok := build.Debian(t.Arch); ok {
			out = append(out, toolchain{t.Arch, d})
		}
	}
	return out
}

// ciTargets are the gonative build targets of each CI runner.
type ciTargets struct{ LinuxAMD64, LinuxARM64, DarwinARM64 string }

// Render fills the templates of kind with what m says.
func Render(kind Kind, m *Module, o Options) ([]File, error) {
	d := data{Module: m, Cgo: m.NeedsCgo(), GonativePackage: GonativePackage, GonativeVersion: o.GonativeVersion, Actions: workflowActions}
	if kind == CI || kind == Devcontainer {
		if err := checkGonativeVersion(o.GonativeVersion); err != nil {
			return nil, err
		}
	}
	for _, p := range m.Programs {
		d.Dirs = append(d.Dirs, p.Dir)
	}
	switch kind {
	case Docker:
		p, err := selectMain(m, o.Main)
		if err != nil {
			return nil, err
		}
		d.Main = p
		d.Toolchains = imageToolchains()
		df, err := execute("Dockerfile.tmpl", d)
		if err != nil {
			return nil, err
		}
		di, err := execute("dockerignore.tmpl", d)
		if err != nil {
			return nil, err
		}
		return []File{{"Dockerfile", df, 0o644}, {".dockerignore", di, 0o644}}, nil
	case Devcontainer:
		d.DevImage = "mcr.microsoft.com/devcontainers/go:1-" + langVersion(m.GoVersion()) + "-bookworm"
		// ${devcontainerId} is the devcontainer's own id (the devcontainer spec's
		// variable): the project name alone collides between projects.
		d.ModVolume = volumeName(m.Name()) + "-gomodcache-${devcontainerId}"
		d.CacheVolume = volumeName(m.Name()) + "-gocache-${devcontainerId}"
		b, err := execute("devcontainer.json.tmpl", d)
		if err != nil {
			return nil, err
		}
		return []File{{".devcontainer/devcontainer.json", b, 0o644}}, nil
	case CI:
		if d.Cgo {
			// cgo: each runner builds for its own OS, where its C compiler works;
			// the macOS runner's clang also targets Intel Macs.
			d.Targets = ciTargets{"linux/amd64", "linux/arm64", "darwin/arm64,darwin/amd64"}
		} else {
			d.Targets = ciTargets{"linux/amd64,windows/amd64,windows/arm64", "linux/arm64", "darwin/arm64,darwin/amd64"}
		}
		b, err := execute("build.yml.tmpl", d)
		if err != nil {
			return nil, err
		}
		return []File{{".github/workflows/build.yml", b, 0o644}}, nil
	}
	return nil, fmt.Errorf("unknown kind %q: want docker, devcontainer or ci", kind)
}

func execute(name string, d data) ([]byte, error) {
	var b bytes.Buffer
	if err := tmpl().ExecuteTemplate(&b, name, d); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// selectMain picks the program the image runs.
func selectMain(m *Module, want string) (Program, error) {
	if len(m.Programs) == 0 {
		return Program{}, fmt.Errorf("%w in %s: the image needs a program to run", ErrNoMain, m.Path)
	}
	var names []string
	for _, p := range m.Programs {
		names = append(names, p.Dir)
	}
	if want != "" {
		for _, p := range m.Programs {
			if want == p.Name || want == p.Package || want == p.Dir || "./"+want == p.Dir {
				return p, nil
			}
		}
		return Program{}, fmt.Errorf("--main %q: not a main package of %s (it has %s)", want, m.Path, strings.Join(names, ", "))
	}
	if len(m.Programs) == 1 {
		return m.Programs[0], nil
	}
	for _, p := range m.Programs {
		if p.Dir == "." {
			return p, nil
		}
	}
	return Program{}, fmt.Errorf("%s has %d main packages (%s): choose the one the image runs with --main", m.Path, len(m.Programs), strings.Join(names, ", "))
}

// langVersion is the X.Y of a Go version.
func langVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// volumeName keeps the characters Docker allows in a volume name.
func volumeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 || !strings.ContainsAny(b.String()[:1], "abcdefghijklmnopqrstuvwxyz0123456789") {
		return "go" + b.String()
	}
	return b.String()
}
