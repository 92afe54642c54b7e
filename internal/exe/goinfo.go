package exe

import "io"

// GoInfo is what a Go binary says about the toolchain and settings that built it.
type GoInfo struct {
	Version       string            `json:"version"`          // "go1.26.8"
	Path          string            `json:"path,omitempty"`   // main package path
	Module        string            `json:"module,omitempty"` // main module path
	ModuleVersion string            `json:"module_version,omitempty"`
	Settings      map[string]string `json:"settings,omitempty"` // -buildmode, CGO_ENABLED, GOARCH, GOAMD64, vcs.revision ...
	Deps          []Module          `json:"deps,omitempty"`     // with Options.Deps
	// Cgo is true when runtime/cgo is really linked (its functions are in the pclntab),
	// whatever CGO_ENABLED says.
	Cgo bool `json:"cgo"`
	// Sources names where each fact came from: "buildinfo", "pclntab", "symtab", "strings".
	Sources map[string]string `json:"sources,omitempty"`
}

// Module is a module dependency from the build info.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version"`
	Sum     string  `json:"sum,omitempty"`
	Replace *Module `json:"replace,omitempty"`
}

// readGo reads the Go build info of a slice; nil when it is not a Go binary. (Stub.)
func readGo(ra io.ReaderAt, size int64, opts Options) *GoInfo { return nil }
