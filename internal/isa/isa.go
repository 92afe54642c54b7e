// Package isa reads the machine code of an executable and says which instruction-set
// extensions it uses, which it requires, whether a given CPU can run it, and whether
// Rosetta 2 can translate an x86-64 slice (and from which macOS).
//
// x86-64 code is walked linearly with a fast length decoder that recognises the SSE3
// to AVX-512 and AMX families; arm64 code is classified word by word (LSE atomics,
// AES/PMULL/SHA crypto, SVE, SME). "Used" is not "required": Go binaries carry faster
// paths behind run-time CPU checks (internal/cpu), so their requirement comes from
// GOAMD64/GOARM64; ELF files may declare one in GNU_PROPERTY_X86_ISA_1_NEEDED;
// otherwise the requirement is inferred from the code, which may still be behind a
// check the scanner cannot prove.
//
// The package reads a thin image (one slice of a universal file); callers pass each
// slice separately.
package isa

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// Code is the machine code of one thin image as the executable's reader
// (internal/exe) found it: where the executable bytes lie and the hints beside them.
// isa never parses file formats itself.
type Code = exe.Code

// Range is a range of executable bytes in a slice and its virtual address.
type Range = exe.Range

// Span is a range of virtual addresses [Lo, Hi).
type Span = exe.Span

// GuardedFunc reports whether a function named name, in code for arch, is one
// CPU-specific variant among several picked at run time (glibc ifunc variants,
// *_avx2 ...) or an arm64 outline-atomics helper that checks for LSE first. The
// executable's reader uses it (through Guard) to fill Code.Guarded from a symbol table.
func GuardedFunc(arch, name string) bool {
	switch arch {
	case "amd64", "386":
		return x86Variant(name)
	case "arm64":
		return arm64Helper(name)
	}
	return false
}

// Guard returns GuardedFunc for arch, the rule exe.Slice.Code takes to find the
// guarded functions of code for arch. It takes the name's bytes as the symbol table
// holds them: no string per function symbol.
func Guard(arch string) func(name []byte) bool {
	switch arch {
	case "amd64", "386":
		return x86Variant[[]byte]
	case "arm64":
		return arm64Helper[[]byte]
	}
	return func([]byte) bool { return false }
}

// DefaultMaxBytes bounds the code one Analyze scans: a pathological file (a sparse
// 2 GiB ELF whose text covers it) costs at most a fraction of a second, and the
// report says where the scan stopped. Real programs have far less code (a large Go
// program about 30 MB, libLLVM about 80 MB).
const DefaultMaxBytes = 256 << 20

// Input is what the caller knows about the slice besides its code.
type Input struct {
	// Go marks a Go binary. GoSettings non-nil also does.
	Go bool
	// GoSettings are the build settings from the Go build info (GOAMD64, GOARM64 ...);
	// nil when the build info was not readable.
	GoSettings map[string]string
	// Scan asks for the scan of the code. Without it the report holds what is settled
	// without reading code: the required level (GOAMD64/GOARM64, the ELF ISA note) and
	// the Rosetta verdict where that alone decides it.
	Scan bool
	// MaxBytes bounds the bytes of code scanned; 0 means DefaultMaxBytes.
	MaxBytes int64
}

// Required-level sources (Report.RequiredSource).
const (
	SourceGOAMD64  = "GOAMD64"
	SourceGOARM64  = "GOARM64"
	SourceISANote  = "ELF ISA note"
	SourceBaseline = "baseline" // nothing requires more than the architecture's base level
	SourceUnknown  = "unknown"  // a Go binary whose build settings are unreadable
)

// Report is what the code of one slice needs and uses.
type Report struct {
	Arch string `json:"arch"`
	// Scanned says whether the code was read. Extensions, MaxLevelUsed and the scan
	// counters are only known when it was.
	Scanned bool `json:"scanned"`
	// Extensions lists the extensions the code uses, in a fixed order; null when the
	// code was not scanned.
	Extensions []Extension `json:"extensions"`
	// RequiredLevel is the level a CPU must have, as only GOAMD64/GOARM64 or the ELF ISA
	// note can require one: "x86-64-v1".."x86-64-v4" or, for arm64, "v8.0".."v9.5"
	// with optional ",lse", ",crypto". A code scan never raises it: code may sit behind
	// a run-time check the scanner cannot see. Empty when unknown (RequiredSource
	// says why) and for architectures without levels.
	RequiredLevel string `json:"required_level"`
	// RequiredSource says where RequiredLevel comes from: SourceGOAMD64,
	// SourceGOARM64, SourceISANote, SourceBaseline or SourceUnknown.
	RequiredSource string `json:"required_source,omitempty"`
	// MaxLevelUsed is the level all the instructions found would need if none were
	// behind a run-time check (scanned code only).
	MaxLevelUsed string `json:"max_level_used,omitempty"`
	// ISANote is the x86-64 level in the ELF GNU_PROPERTY_X86_ISA_1_NEEDED note.
	ISANote string `json:"isa_note,omitempty"`
	// Go is set for Go binaries.
	Go bool `json:"go,omitempty"`
	// CPUID counts the x86 CPUID instructions: code that may dispatch on features.
	CPUID int64 `json:"cpuid,omitempty"`
	// Dispatch is true when the image selects code by CPU feature at run time (IFUNC
	// resolvers, HWCAP or __cpu_model checks): code it uses may be used only when the
	// CPU has it.
	Dispatch bool `json:"dispatch,omitempty"`
	// CodeBytes is the size of the code (scanned code only); ScannedBytes how much of
	// it was read.
	CodeBytes    int64 `json:"code_bytes,omitempty"`
	ScannedBytes int64 `json:"scanned_bytes,omitempty"`
	// ScanStoppedAt is set when the scan stopped at the MaxBytes bound: the bytes read.
	ScanStoppedAt int64 `json:"scan_stopped_at,omitempty"`
	Instructions  int64 `json:"instructions,omitempty"`
	Undecodable   int64 `json:"undecodable,omitempty"`
	// FuncsFrom names where the functions the x86-64 classes were checked against
	// came from (Code.FuncsFrom: "LC_FUNCTION_STARTS", "symbol table", ".eh_frame",
	// ".pdata"); empty when the file names none or the code was not scanned.
	FuncsFrom string `json:"funcs_from,omitempty"`
	// Rosetta is the Rosetta 2 verdict of an x86 slice; nil for other architectures,
	// and for x86-64 code whose verdict needs a scan that did not run.
	Rosetta *RosettaVerdict `json:"rosetta,omitempty"`
	// Notes are further findings in plain words.
	Notes []string `json:"notes,omitempty"`
}

// Extension is one instruction-set extension the code uses.
type Extension struct {
	Name string `json:"name"`
	// Level is the lowest architecture level that includes it ("x86-64-v3", "v8.1");
	// empty for optional extensions (AES-NI, SHA, crypto ...).
	Level     string `json:"level,omitempty"`
	Count     int64  `json:"count"`
	FirstAddr Addr   `json:"first_addr"`
	// Guarded means every use is known to be reached only after a run-time feature
	// check: Go's internal/cpu dispatch above the binary's GOAMD64/GOARM64, a
	// CPU-specific variant function (glibc ifunc, *_avx2) or an outline-atomics helper.
	Guarded bool `json:"guarded"`
	// Confidence says how sure the scan is that the class is in the code (x86-64):
	// ConfidenceConfirmed, ConfidenceDoubtful (no verdict rests on it) or
	// ConfidenceSweep; empty for arm64 (fixed-width code does not desynchronise).
	Confidence Confidence `json:"confidence,omitempty"`
	// ConfirmedAt is the use that decodes as code from its function's start.
	ConfirmedAt Addr `json:"confirmed_at,omitempty"`
	// ConfirmedFunc is the start of the function ConfirmedAt was decoded from.
	ConfirmedFunc Addr `json:"confirmed_func,omitempty"`
	// Doubt says why a doubtful class's uses do not count.
	Doubt string `json:"doubt,omitempty"`
}

// Doubtful reports whether the class was found only where the file's own map of its
// code says data, or where decoding from a function start does not agree: no verdict
// rests on it.
func (e Extension) Doubtful() bool { return e.Confidence == ConfidenceDoubtful }

// Addr is a virtual address, shown in hexadecimal.
type Addr uint64

// MarshalText writes the address as 0x-prefixed hexadecimal.
func (a Addr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an address written by MarshalText.
func (a *Addr) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(strings.TrimPrefix(string(b), "0x"), 16, 64)
	*a = Addr(v)
	return err
}

func (a Addr) String() string { return fmt.Sprintf("%#x", uint64(a)) }

// Analyze reports what the code of one thin image requires and, with in.Scan, what it
// uses, reading the code ranges through ra. Malformed input is an error, never a
// panic. Memory use is constant in the size of the code. code may come from
// exe.Slice.LazyCode: its function tables are then read (Code.LoadFuncs) only when
// the scan finds a use of an extension.
func Analyze(ctx context.Context, ra io.ReaderAt, code *Code, in Input) (rep *Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr() >= 4096 {
				// A fault, not at a nil pointer, in the code mapped from the file
				// (scanX86): the file was cut short while it was read.
				rep, err = nil, fmt.Errorf("analyze machine code: the file changed while it was read (%v)", f)
				return
			}
			rep, err = nil, fmt.Errorf("analyze machine code: malformed input: %v", r)
		}
	}()
	// Large code is read through a mapping of the file (exe.MapRange): if the file
	// is cut short meanwhile, reading the mapping faults, which must be a panic
	// (recovered above), not the end of the program.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	isGo := in.Go || in.GoSettings != nil
	rep = &Report{Arch: code.Arch, Go: isGo, Dispatch: code.Dispatch}
	var st stats
	scan := in.Scan
	switch code.Arch {
	case "amd64", "arm64":
	case "386":
		rep.Rosetta = &RosettaVerdict{Runs: RunsNever,
			Reason: "32-bit x86 code: Rosetta 2 translates only 64-bit x86 (x86_64) code"}
		rep.Notes = append(rep.Notes, "32-bit x86 code is not scanned")
		scan = false
	default:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s code is not scanned", code.Arch))
		scan = false
	}
	if scan {
		rep.Scanned, rep.Extensions, rep.CodeBytes = true, []Extension{}, code.Size()
		limit := in.MaxBytes
		if limit <= 0 {
			limit = DefaultMaxBytes
		}
		// The guarded functions and the function tables are read only if the scan
		// finds a use (exe.Slice.LazyCode): most C programs use no extension.
		sc := newScanner(ra, nil, largest(code.Ranges))
		st.guard, st.loadGuard = &sc.guard, func() []Span { code.LoadFuncs(); return code.Guarded }
		defer sc.release()
		for _, rg := range code.Ranges {
			if st.bytes >= limit {
				rep.ScanStoppedAt = st.bytes
				break
			}
			rg.Size = min(rg.Size, limit-st.bytes)
			if code.Arch == "amd64" {
				err = sc.scanX86(ctx, rg, &st)
			} else {
				err = sc.scanARM64(ctx, rg, &st)
			}
			if err != nil {
				return nil, fmt.Errorf("analyze machine code: %w", err)
			}
		}
		if rep.ScanStoppedAt == 0 && st.bytes < rep.CodeBytes {
			rep.ScanStoppedAt = st.bytes
		}
		if rep.ScanStoppedAt > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("scan stopped at %s of %s of code (limit): later code was not read",
				megabytes(rep.ScanStoppedAt), megabytes(rep.CodeBytes)))
		}
	}
	// The counters first: the Rosetta verdict asks whether there is a CPUID instruction.
	rep.ScannedBytes, rep.Instructions, rep.Undecodable, rep.CPUID = st.bytes, st.instructions, st.undecodable, st.cpuid
	if rep.Scanned && st.used() {
		// The guard read them at the first use, but its error is this one.
		if err := code.LoadFuncs(); err != nil {
			return nil, err
		}
	}
	switch code.Arch {
	case "amd64":
		var checks *[32]check
		switch {
		case !rep.Scanned:
		case st.used():
			if checks = verifyX86(ra, code, &st); checks != nil {
				rep.FuncsFrom = code.FuncsFrom
			}
		default:
			// No use to check: only where the functions would come from.
			if rep.FuncsFrom, err = code.FuncsSource(); err != nil {
				return nil, err
			}
		}
		rep.x86(&st, code, in.GoSettings, checks)
	case "arm64":
		rep.arm64(&st, in.GoSettings)
	}
	return rep, nil
}

// megabytes writes n bytes in MB (10^6 bytes), with one decimal.
func megabytes(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB" }

func largest(rs []Range) int64 {
	var n int64
	for _, r := range rs {
		n = max(n, r.Size)
	}
	return n
}

// x86 fills the report of an x86-64 slice: the required level from GOAMD64 or the
// ISA note, the uses from the scan (if it ran).
func (r *Report) x86(st *stats, code *Code, settings map[string]string, checks *[32]check) {
	goLevel := Level(0)
	switch {
	case r.Go && settings == nil:
		r.RequiredSource = SourceUnknown
		r.Notes = append(r.Notes, "a Go binary whose build settings are unreadable: its GOAMD64 (v1 to v4) is unknown")
	case r.Go:
		l, err := ParseGOAMD64(settings["GOAMD64"])
		if err != nil {
			r.RequiredSource = SourceUnknown
			r.Notes = append(r.Notes, err.Error())
		} else {
			goLevel = l
			r.RequiredLevel, r.RequiredSource = l.String(), SourceGOAMD64
		}
	case code.ISANeeded > 0:
		r.RequiredLevel, r.RequiredSource = Level(code.ISANeeded).String(), SourceISANote
	default:
		r.RequiredLevel, r.RequiredSource = X86v1.String(), SourceBaseline
	}
	if code.ISANeeded > 0 {
		r.ISANote = Level(code.ISANeeded).String()
	}
	if r.Scanned {
		used, unguarded := X86v1, X86v1
		for id := range xNumExt {
			if st.count[id] == 0 {
				continue
			}
			lv := Level(x86Level[id])
			guarded := st.guarded[id] == st.count[id] || (r.Go && (goLevel == 0 || lv > goLevel || lv == 0))
			e := Extension{Name: x86Names[id], Count: st.count[id], FirstAddr: Addr(st.first[id]), Guarded: guarded,
				Confidence: ConfidenceSweep}
			if checks != nil {
				switch c := checks[id]; {
				case c.confirmed:
					e.Confidence, e.ConfirmedAt, e.ConfirmedFunc = ConfidenceConfirmed, Addr(c.at), Addr(c.fn)
				case c.unchecked > 0:
					// Some uses lie outside the functions the file names: the sweep's word.
				default:
					e.Confidence = ConfidenceDoubtful
					e.Doubt = fmt.Sprintf("none of the %d uses checked decodes as code from its function's start (%s): "+
						"%s; most likely data in the code", c.checked, code.FuncsFrom, c.doubt)
				}
			}
			if e.Doubtful() {
				r.Extensions = append(r.Extensions, e)
				r.Notes = append(r.Notes, fmt.Sprintf("%s ×%d found by the linear sweep is doubtful, so no verdict rests on it: %s",
					e.Name, e.Count, e.Doubt))
				continue
			}
			if lv > 0 {
				e.Level = lv.String()
				used = max(used, lv)
				if !guarded {
					unguarded = max(unguarded, lv)
				}
			}
			r.Extensions = append(r.Extensions, e)
		}
		r.MaxLevelUsed = used.String()
		req := Level(code.ISANeeded)
		if r.Go {
			req = goLevel
		}
		if !r.Go && unguarded > max(req, X86v1) {
			names := strings.Join(r.names(func(e Extension) bool { return !e.Guarded && e.Level == unguarded.String() }), ", ")
			if st.cpuid > 0 || code.Dispatch {
				r.Notes = append(r.Notes, fmt.Sprintf("uses %s instructions (%s) when the CPU has them: the image checks the CPU "+
					"at run time (CPUID or ifunc), though no function name proves which uses are behind the check", unguarded, names))
			} else {
				r.Notes = append(r.Notes, fmt.Sprintf("uses %s instructions (%s) with no CPUID instruction or ifunc anywhere: "+
					"on a CPU without them it dies with SIGILL if that code is reached", unguarded, names))
			}
		}
		if n := st.guarded; r.guardedBySymbols(n[:]) {
			r.Notes = append(r.Notes, "some uses lie in CPU-specific variant functions (ifunc or CPUID-dispatched): it uses them when the CPU has them")
		}
	}
	r.Rosetta = rosettaVerdict(r, code)
}

func (r *Report) guardedBySymbols(g []int64) bool {
	if r.Go {
		return false
	}
	for _, n := range g {
		if n > 0 {
			return true
		}
	}
	return false
}

// names returns the names of the extensions that match keep.
func (r *Report) names(keep func(Extension) bool) []string {
	var out []string
	for _, e := range r.Extensions {
		if keep(e) {
			out = append(out, e.Name)
		}
	}
	return out
}

// Uses reports whether the code uses the named extension (as in Extension.Name).
func (r *Report) Uses(name string) bool {
	for _, e := range r.Extensions {
		if e.Name == name {
			return true
		}
	}
	return false
}

// Extension returns the named extension and whether the code uses it.
func (r *Report) Extension(name string) (Extension, bool) {
	for _, e := range r.Extensions {
		if e.Name == name {
			return e, true
		}
	}
	return Extension{}, false
}
