package inspect

import (
	"encoding/json"

	"github.com/gonative/gonative/internal/exe"
)

// The types of this file are the JSON schema of exe's nested facts in a SliceReport:
// exe's types carry no JSON tags (TestExeHasNoJSONTags), so the schema is defined only
// here. Each mirrors its exe type field for field, in the same order, so that the
// cache's encoding (codec) is that of the exe types it replaced.

// LibraryReport is an exe.Library: a shared library a slice needs.
type LibraryReport struct {
	Name string `json:"name"`
	// System is null when neither the bytes nor the machine's packages settle it.
	System *bool `json:"system"`
	Weak   bool  `json:"weak,omitempty"`
}

// SignatureReport is an exe.Signature: a Mach-O slice's code signature.
type SignatureReport struct {
	Present      bool   `json:"present"`
	AdHoc        bool   `json:"adhoc"`
	LinkerSigned bool   `json:"linker_signed"`
	Identifier   string `json:"identifier,omitempty"`
	TeamID       string `json:"team_id,omitempty"`
	// Valid is null when the hashes could not be checked; Problem then says why.
	Valid    *bool  `json:"valid"`
	Problem  string `json:"problem,omitempty"`
	HashType string `json:"hash_type,omitempty"`
	PageSize int    `json:"page_size,omitempty"`
	Pages    int    `json:"pages,omitempty"`
	CMS      bool   `json:"cms,omitempty"`
	// The Gatekeeper facts (docs/gatekeeper.md). Kind, AppleRoot and CMSVerified are
	// null when unknown; Unknown then says why.
	Kind         *exe.SignerKind `json:"kind"`
	Chain        []string        `json:"chain,omitempty"`
	CertTeamID   string          `json:"cert_team_id,omitempty"`
	AppleRoot    *bool           `json:"apple_root"`
	CMSVerified  *bool           `json:"cms_verified"`
	Timestamp    bool            `json:"timestamp"`
	Hardened     bool            `json:"hardened_runtime"`
	HashTypes    []string        `json:"hash_types,omitempty"`
	CDHash       string          `json:"cdhash,omitempty"`
	CDHashType   int             `json:"cdhash_type,omitempty"`
	Entitlements []string        `json:"entitlements,omitempty"`
	GetTaskAllow bool            `json:"get_task_allow"`
	// Unknown maps each Gatekeeper fact reported as null ("kind", "apple_root",
	// "cms_verified") to why.
	Unknown map[string]string `json:"unknown,omitempty"`
}

// MachOReport is an exe.MachOHeader: a Mach-O slice's raw header and lipo alignment.
type MachOReport struct {
	CPUType    uint32 `json:"cputype"`
	CPUSubtype uint32 `json:"cpusubtype"`
	FileType   uint32 `json:"filetype"`
	P2Align    uint32 `json:"p2align"`
}

// FatArchReport is an exe.FatArch: a universal file's architecture table entry.
type FatArchReport struct {
	CPUType    uint32 `json:"cputype"`
	CPUSubtype uint32 `json:"cpusubtype"`
	Offset     uint64 `json:"offset"`
	Size       uint64 `json:"size"`
	Align      uint32 `json:"align"` // log2 of the alignment
}

// GoReport is an exe.GoInfo: what a Go binary says about the toolchain that built it.
// Its version is null when unknown (MarshalJSON); Sources says why.
type GoReport struct {
	Version       string            `json:"version"`
	Path          string            `json:"path,omitempty"`
	Module        string            `json:"module,omitempty"`
	ModuleVersion string            `json:"module_version,omitempty"`
	Settings      map[string]string `json:"settings,omitempty"`
	Deps          []ModuleReport    `json:"deps,omitempty"`
	// Cgo is null when no pclntab settles it; Sources["cgo"] says why.
	Cgo        *bool             `json:"cgo"`
	Sources    map[string]string `json:"sources,omitempty"`
	Pclntab    string            `json:"pclntab,omitempty"`
	LinkShared bool              `json:"linkshared,omitempty"`
}

// ModuleReport is an exe.Module: a module dependency from the build info.
type ModuleReport struct {
	Path    string        `json:"path"`
	Version string        `json:"version"`
	Sum     string        `json:"sum,omitempty"`
	Replace *ModuleReport `json:"replace,omitempty"`
}

// MarshalJSON writes an unknown version as null.
func (g *GoReport) MarshalJSON() ([]byte, error) {
	type plain GoReport
	v := struct {
		Version *string `json:"version"`
		*plain
	}{plain: (*plain)(g)}
	if g.Version != "" {
		v.Version = &g.Version
	}
	return json.Marshal(v)
}

// libraryUnknown is why a library's System, unknown in a report read back from the
// cache, is unknown: the report does not keep exe's reason.
const libraryUnknown = "the bytes do not settle it"

// librariesReport returns the report of libs; nil stays nil.
func librariesReport(libs []exe.Library) []LibraryReport {
	if libs == nil {
		return nil
	}
	out := make([]LibraryReport, len(libs))
	for i, l := range libs {
		out[i] = LibraryReport{Name: l.Name, System: l.System.Ptr(), Weak: l.Weak}
	}
	return out
}

// libraries is the inverse of librariesReport.
func libraries(libs []LibraryReport) []exe.Library {
	if libs == nil {
		return nil
	}
	out := make([]exe.Library, len(libs))
	for i, l := range libs {
		out[i] = exe.Library{Name: l.Name, System: fact(l.System, libraryUnknown), Weak: l.Weak}
	}
	return out
}

// signatureReport returns the report of s; nil stays nil.
func signatureReport(s *exe.Signature) *SignatureReport {
	if s == nil {
		return nil
	}
	r := &SignatureReport{
		Present: s.Present, AdHoc: s.AdHoc, LinkerSigned: s.LinkerSigned, Identifier: s.Identifier,
		TeamID: s.TeamID, Valid: s.Valid.Ptr(), Problem: s.Problem, HashType: s.HashType,
		PageSize: s.PageSize, Pages: s.Pages, CMS: s.CMS,
		Kind: s.Kind.Ptr(), Chain: s.Chain, CertTeamID: s.CertTeamID, AppleRoot: s.AppleRoot.Ptr(),
		CMSVerified: s.CMSVerified.Ptr(), Timestamp: s.Timestamp, Hardened: s.Hardened, HashTypes: s.HashTypes,
		CDHash: s.CDHash, CDHashType: s.CDHashType, Entitlements: s.Entitlements, GetTaskAllow: s.GetTaskAllow,
	}
	for name, why := range map[string]string{"kind": s.Kind.Why, "apple_root": s.AppleRoot.Why, "cms_verified": s.CMSVerified.Why} {
		if why != "" {
			if r.Unknown == nil {
				r.Unknown = map[string]string{}
			}
			r.Unknown[name] = why
		}
	}
	return r
}

// signature is the inverse of signatureReport.
func signature(s *SignatureReport) *exe.Signature {
	if s == nil {
		return nil
	}
	sig := &exe.Signature{
		Present: s.Present, AdHoc: s.AdHoc, LinkerSigned: s.LinkerSigned, Identifier: s.Identifier,
		TeamID: s.TeamID, Problem: s.Problem, HashType: s.HashType,
		PageSize: s.PageSize, Pages: s.Pages, CMS: s.CMS,
		Chain: s.Chain, CertTeamID: s.CertTeamID, Timestamp: s.Timestamp, Hardened: s.Hardened, HashTypes: s.HashTypes,
		CDHash: s.CDHash, CDHashType: s.CDHashType, Entitlements: s.Entitlements, GetTaskAllow: s.GetTaskAllow,
		AppleRoot: fact(s.AppleRoot, s.Unknown["apple_root"]), CMSVerified: fact(s.CMSVerified, s.Unknown["cms_verified"]),
	}
	sig.Valid = fact(s.Valid, sig.Why())
	if s.Kind != nil {
		sig.Kind = exe.KnownFact(*s.Kind)
	} else {
		sig.Kind = exe.UnknownFact[exe.SignerKind](s.Unknown["kind"])
	}
	return sig
}

// machOReport returns the report of h; nil stays nil.
func machOReport(h *exe.MachOHeader) *MachOReport {
	if h == nil {
		return nil
	}
	return &MachOReport{CPUType: h.CPUType, CPUSubtype: h.CPUSubtype, FileType: h.FileType, P2Align: h.P2Align}
}

// machO is the inverse of machOReport.
func machO(h *MachOReport) *exe.MachOHeader {
	if h == nil {
		return nil
	}
	return &exe.MachOHeader{CPUType: h.CPUType, CPUSubtype: h.CPUSubtype, FileType: h.FileType, P2Align: h.P2Align}
}

// fatArchReport returns the report of a; nil stays nil. A's Err is not reported.
func fatArchReport(a *exe.FatArch) *FatArchReport {
	if a == nil {
		return nil
	}
	return &FatArchReport{CPUType: a.CPUType, CPUSubtype: a.CPUSubtype, Offset: a.Offset, Size: a.Size, Align: a.Align}
}

// fatArch is the inverse of fatArchReport.
func fatArch(a *FatArchReport) *exe.FatArch {
	if a == nil {
		return nil
	}
	return &exe.FatArch{CPUType: a.CPUType, CPUSubtype: a.CPUSubtype, Offset: a.Offset, Size: a.Size, Align: a.Align}
}

// goReport returns the report of g; nil stays nil.
func goReport(g *exe.GoInfo) *GoReport {
	if g == nil {
		return nil
	}
	return &GoReport{
		Version: g.Version, Path: g.Path, Module: g.Module, ModuleVersion: g.ModuleVersion,
		Settings: g.Settings, Deps: modulesReport(g.Deps), Cgo: g.Cgo.Ptr(), Sources: g.Sources,
		Pclntab: g.Pclntab, LinkShared: g.LinkShared,
	}
}

// goInfo is the inverse of goReport.
func goInfo(g *GoReport) *exe.GoInfo {
	if g == nil {
		return nil
	}
	out := &exe.GoInfo{
		Version: g.Version, Path: g.Path, Module: g.Module, ModuleVersion: g.ModuleVersion,
		Settings: g.Settings, Deps: modules(g.Deps), Sources: g.Sources,
		Pclntab: g.Pclntab, LinkShared: g.LinkShared,
	}
	out.Cgo = fact(g.Cgo, out.Why("cgo"))
	return out
}

// modulesReport returns the report of ms; nil stays nil.
func modulesReport(ms []exe.Module) []ModuleReport {
	if ms == nil {
		return nil
	}
	out := make([]ModuleReport, len(ms))
	for i := range ms {
		out[i] = *moduleReport(&ms[i])
	}
	return out
}

func moduleReport(m *exe.Module) *ModuleReport {
	if m == nil {
		return nil
	}
	return &ModuleReport{Path: m.Path, Version: m.Version, Sum: m.Sum, Replace: moduleReport(m.Replace)}
}

// modules is the inverse of modulesReport.
func modules(ms []ModuleReport) []exe.Module {
	if ms == nil {
		return nil
	}
	out := make([]exe.Module, len(ms))
	for i := range ms {
		out[i] = *module(&ms[i])
	}
	return out
}

func module(m *ModuleReport) *exe.Module {
	if m == nil {
		return nil
	}
	return &exe.Module{Path: m.Path, Version: m.Version, Sum: m.Sum, Replace: module(m.Replace)}
}
