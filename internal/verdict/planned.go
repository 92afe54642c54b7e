package verdict

import (
	"context"
	"maps"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
)

// Planned describes a Go program that is not built yet (a test binary go test will
// link for a target), by what its build settings make it: Judge's input without the
// bytes.
type Planned struct {
	OS, Arch string
	// Settings are its Go build settings as its build info will hold them: GOAMD64,
	// GOARM64 ... ("" or missing is Go's default level).
	Settings map[string]string
	// Interpreter is the ELF interpreter of a dynamically linked Linux program (cgo:
	// glibc's loader for Arch), "" for a static one.
	Interpreter string
}

// JudgePlanned decides, by Judge's rules, how h would run the Go program p describes:
// the file is the one Go's linker writes (an executable; darwin/arm64 ad-hoc signed by
// the linker), its level the one its settings require.
func JudgePlanned(p Planned, h host.Host) Verdict {
	settings := maps.Clone(p.Settings)
	if settings == nil {
		settings = map[string]string{}
	}
	settings["GOOS"], settings["GOARCH"] = p.OS, p.Arch
	s := exe.Slice{
		OS: p.OS, Arch: p.Arch, Kind: exe.KindExecutable,
		Static: p.Interpreter == "", Interpreter: p.Interpreter,
		Go: &exe.GoInfo{Settings: settings, Sources: map[string]string{"settings": "buildinfo"}},
	}
	format := "elf"
	switch p.OS {
	case "darwin", "ios":
		format = "macho"
		if p.Arch == "arm64" {
			// Go's linker ad-hoc signs every darwin/arm64 executable it writes.
			s.Signature = &exe.Signature{Present: true, AdHoc: true, LinkerSigned: true, Valid: exe.KnownFact(true)}
		}
	case "windows":
		format = "pe"
	}
	// Without a scan isa reads no bytes: the report is the required level and the
	// Rosetta verdict that the settings alone settle.
	r, err := isa.Analyze(context.Background(), nil, &exe.Code{Arch: p.Arch, Format: format}, isa.Input{Go: true, GoSettings: settings})
	if err != nil {
		r = nil
	}
	return Judge(&exe.File{Slices: []exe.Slice{s}}, []*isa.Report{r}, h)
}
