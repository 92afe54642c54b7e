package inspect

import (
	"encoding/json"
	"errors"
	"io/fs"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/verdict"
)

// Report is one file's report as `gonative inspect --json` prints it (a line per
// file): the one definition of that schema. It is built from a Result (Result.Report)
// and is what the cache stores (without the verdict, which depends on the host).
// Unknown facts are null, with why in the slice's "unknown" object or the Go info's
// "sources".
type Report struct {
	Path   string        `json:"path"`
	Format exe.Format    `json:"format"`
	Kind   exe.Kind      `json:"kind,omitempty"`
	Size   int64         `json:"size"`
	Slices []SliceReport `json:"slices,omitempty"`
	// Error says why the file could not be read completely.
	Error   string           `json:"error,omitempty"`
	Verdict *verdict.Verdict `json:"verdict,omitempty"`
	// Unmet are the platforms of --expect the file lacks, and why.
	Unmet []string `json:"unmet,omitempty"`
	// TeamsAgree is whether the signed darwin slices name one team; absent when
	// there are fewer than two team IDs to compare.
	TeamsAgree *bool `json:"teams_agree,omitempty"`
}

// SliceReport is one slice of a Report: exe's facts (see exe.Slice) and isa's report.
type SliceReport struct {
	Offset    int64    `json:"offset"` // from the start of the file
	Size      int64    `json:"size"`
	Arch      string   `json:"arch"`       // GOARCH name, or "unknown"
	CPU       string   `json:"cpu"`        // the format's own name: x86_64, arm64e, aarch64, EM_RISCV ...
	Bits      int      `json:"bits"`       // 32 or 64
	ByteOrder string   `json:"byte_order"` // "little" or "big"
	OS        string   `json:"os"`         // GOOS name, or "" when unknown
	Kind      exe.Kind `json:"kind"`
	MinOS     string   `json:"min_os,omitempty"`
	SDK       string   `json:"sdk,omitempty"`
	// PIE and Stripped are null when the bytes do not settle them; Unknown then says
	// why.
	PIE         *bool            `json:"pie"`
	Stripped    *bool            `json:"stripped"`
	Static      bool             `json:"static"`
	Interpreter string           `json:"interpreter,omitempty"`
	GLIBC       string           `json:"glibc,omitempty"`
	Libraries   []LibraryReport  `json:"libraries,omitempty"`
	RunPath     []string         `json:"runpath,omitempty"`
	Align       uint64           `json:"align,omitempty"`
	Loads16K    bool             `json:"loads_16k,omitempty"`
	Loads64K    bool             `json:"loads_64k,omitempty"`
	Signature   *SignatureReport `json:"signature,omitempty"`
	MachO       *MachOReport     `json:"macho,omitempty"`
	FatArch     *FatArchReport   `json:"fat_arch,omitempty"`
	Go          *GoReport        `json:"go,omitempty"`
	// ISA is what the machine code requires and uses (x86-64, 386 and arm64 slices).
	ISA *isa.Report `json:"isa,omitempty"`
	// Unknown maps each fact reported as null ("pie", "stripped") to why.
	Unknown map[string]string `json:"unknown,omitempty"`
	// Notes are exe's notes, then why the instruction-set analysis failed, if it did.
	Notes []string `json:"notes,omitempty"`
	Error string   `json:"error,omitempty"`
	// Launch are a darwin slice's launch verdicts, one per way of launching
	// (docs/gatekeeper.md). Not cached: Result.Report adds them.
	Launch []verdict.LaunchVerdict `json:"launch,omitempty"`
	// Notarized is whether Apple's notary service has a ticket for the slice's
	// CDHash: absent unless looked up (--online); null when the lookup failed.
	Notarized *NotarizedReport `json:"notarized,omitempty"`
}

// NotarizedReport is the result of a notarization ticket lookup.
type NotarizedReport struct {
	// Ticket is null when the lookup failed; Why then says why.
	Ticket *bool  `json:"ticket"`
	Why    string `json:"why,omitempty"`
}

// MarshalJSON encodes the result as its Report.
func (r *Result) MarshalJSON() ([]byte, error) { return json.Marshal(r.Report()) }

// Report returns the result as inspect --json prints it.
func (r *Result) Report() Report {
	rep := fileReport(r.File, r.ISA, r.ISAProblems)
	for i := range r.Libraries {
		rep.Slices[i].Libraries = librariesReport(r.Libraries[i])
	}
	rep.Verdict, rep.Unmet = r.Verdict, r.Unmet
	rep.TeamsAgree = r.TeamsAgree.Ptr()
	for i := range rep.Slices {
		rep.Slices[i].Launch = at(r.Launch, i)
		if i < len(r.Notarized) && (r.Notarized[i].Known || r.Notarized[i].Why != "") {
			rep.Slices[i].Notarized = &NotarizedReport{Ticket: r.Notarized[i].Ptr(), Why: r.Notarized[i].Why}
		}
	}
	return rep
}

// fileReport is the report of f, whose slices' isa reports and analysis problems are
// reports and problems (by slice index; either may be shorter than f.Slices).
func fileReport(f *exe.File, reports []*isa.Report, problems []string) Report {
	rep := Report{Path: f.Path, Format: f.Format, Kind: f.Kind, Size: f.Size, Error: f.Error}
	if f.Slices != nil {
		rep.Slices = make([]SliceReport, len(f.Slices))
	}
	for i := range f.Slices {
		rep.Slices[i] = sliceReport(&f.Slices[i], at(reports, i), at(problems, i))
	}
	return rep
}

// at returns xs[i], the zero value past its end.
func at[T any](xs []T, i int) T {
	var zero T
	if i < len(xs) {
		return xs[i]
	}
	return zero
}

// analysisNote is the note on a slice whose instruction-set analysis failed.
const analysisNote = "instruction-set analysis: "

func sliceReport(s *exe.Slice, r *isa.Report, problem string) SliceReport {
	out := SliceReport{
		Offset: s.Offset, Size: s.Size, Arch: s.Arch, CPU: s.CPU, Bits: s.Bits, ByteOrder: s.ByteOrder,
		OS: s.OS, Kind: s.Kind, MinOS: s.MinOS, SDK: s.SDK,
		PIE: s.PIE.Ptr(), Stripped: s.Stripped.Ptr(), Static: s.Static, Interpreter: s.Interpreter,
		GLIBC: s.GLIBC, Libraries: librariesReport(s.Libraries), RunPath: s.RunPath,
		Align: s.Align, Loads16K: s.Loads16K, Loads64K: s.Loads64K,
		Signature: signatureReport(s.Signature), MachO: machOReport(s.MachO), FatArch: fatArchReport(s.FatArch), Go: goReport(s.Go),
		ISA: r, Notes: s.Notes, Error: s.Error,
	}
	for _, f := range []struct {
		name string
		fact exe.Fact[bool]
	}{{"pie", s.PIE}, {"stripped", s.Stripped}} {
		if !f.fact.Known && f.fact.Why != "" {
			if out.Unknown == nil {
				out.Unknown = map[string]string{}
			}
			out.Unknown[f.name] = f.fact.Why
		}
	}
	if problem != "" {
		out.Notes = append(s.Notes[:len(s.Notes):len(s.Notes)], analysisNote+problem)
	}
	return out
}

// entry is what the cache keeps of a result: the report of what the file says, and
// the problems of the instruction-set analysis apart from exe's notes. The verdict
// is not kept: it depends on the host.
type entry struct {
	Report   Report
	Problems []string
}

// newEntry returns the cache entry of a result.
func newEntry(f *exe.File, reports []*isa.Report, problems []string) *entry {
	return &entry{Report: fileReport(f, reports, nil), Problems: problems}
}

// result returns the file, isa reports and problems the entry keeps. The slices have
// no readers: their code cannot be scanned again.
func (e *entry) result() (*exe.File, []*isa.Report, []string) {
	rep := &e.Report
	f := &exe.File{Path: rep.Path, Format: rep.Format, Kind: rep.Kind, Size: rep.Size, Error: rep.Error}
	var reports []*isa.Report
	if rep.Slices != nil {
		f.Slices = make([]exe.Slice, len(rep.Slices))
		reports = make([]*isa.Report, len(rep.Slices))
	}
	for i := range rep.Slices {
		s := &rep.Slices[i]
		f.Slices[i] = exe.Slice{
			Offset: s.Offset, Size: s.Size, Arch: s.Arch, CPU: s.CPU, Bits: s.Bits, ByteOrder: s.ByteOrder,
			OS: s.OS, Kind: s.Kind, MinOS: s.MinOS, SDK: s.SDK,
			PIE: fact(s.PIE, s.Unknown["pie"]), Stripped: fact(s.Stripped, s.Unknown["stripped"]),
			Static: s.Static, Interpreter: s.Interpreter, GLIBC: s.GLIBC, Libraries: libraries(s.Libraries), RunPath: s.RunPath,
			Align: s.Align, Loads16K: s.Loads16K, Loads64K: s.Loads64K,
			Signature: signature(s.Signature), MachO: machO(s.MachO), FatArch: fatArch(s.FatArch), Go: goInfo(s.Go),
			Notes: s.Notes, Error: s.Error,
		}
		reports[i] = s.ISA
	}
	return f, reports, e.Problems
}

// fact is the fact a report gives as a pointer (nil: unknown) and a reason.
func fact(p *bool, why string) exe.Fact[bool] {
	if p == nil {
		return exe.UnknownFact[bool](why)
	}
	return exe.KnownFact(*p)
}

// ErrorReport is the JSON line of a named path that could not be read at all.
type ErrorReport struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// ErrorReport returns the report of a result whose file could not be read (Err): the
// path and the error, without the operation and path a *fs.PathError repeats.
func (r *Result) ErrorReport() ErrorReport {
	err := r.Err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return ErrorReport{Path: r.Path, Error: msg}
}
