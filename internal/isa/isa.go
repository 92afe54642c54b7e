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
	"strconv"
	"strings"
)

// Input describes the slice being analyzed, as the caller already knows it.
type Input struct {
	// Arch is the GOARCH name of the slice as the caller knows it. The header decides;
	// a mismatch only adds a note.
	Arch string
	// Go marks a Go binary. GoSettings non-nil also does.
	Go bool
	// GoSettings are the build settings from the Go build info (GOAMD64, GOARM64 ...).
	GoSettings map[string]string
}

// Report is what the code of one slice needs.
type Report struct {
	Arch string `json:"arch"`
	// Extensions lists the extensions the code uses, in a fixed order.
	Extensions []Extension `json:"extensions"`
	// RequiredLevel is the level a CPU must have: "x86-64-v1".."x86-64-v4" or, for
	// arm64, "v8.0".."v9.5" with optional ",lse", ",crypto" (and ",sve" when inferred
	// from code). Empty for architectures that are not scanned.
	RequiredLevel string `json:"required_level"`
	// RequiredSource says where RequiredLevel comes from: "GOAMD64", "GOARM64",
	// "ELF ISA note" or "code" (inferred: the uses may be behind a check).
	RequiredSource string `json:"required_source,omitempty"`
	// UsedLevel is the level all the instructions found would need if none were
	// behind a run-time check.
	UsedLevel string `json:"used_level,omitempty"`
	// ISANote is the x86-64 level in the ELF GNU_PROPERTY_X86_ISA_1_NEEDED note.
	ISANote string `json:"isa_note,omitempty"`
	// Go is set for Go binaries.
	Go bool `json:"go,omitempty"`
	// CPUID counts the x86 CPUID instructions: code that may dispatch on features.
	CPUID int64 `json:"cpuid,omitempty"`
	// CodeBytes, Instructions and Undecodable describe the scan.
	CodeBytes    int64 `json:"code_bytes"`
	Instructions int64 `json:"instructions"`
	Undecodable  int64 `json:"undecodable,omitempty"`
	// Rosetta is the Rosetta 2 verdict of an x86 slice; nil for other architectures.
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
}

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

// Analyze scans the executable code of one thin image (ELF, Mach-O or PE, detected
// from its magic number) read through ra. Malformed input is an error, never a panic.
// Memory use is constant in the size of the code.
func Analyze(ctx context.Context, ra io.ReaderAt, size int64, in Input) (rep *Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep, err = nil, fmt.Errorf("analyze machine code: malformed input: %v", r)
		}
	}()
	isGo := in.Go || in.GoSettings != nil
	img, err := openImage(ra, size, !isGo)
	if err != nil {
		return nil, fmt.Errorf("analyze machine code: %w", err)
	}
	arch := img.arch
	rep = &Report{Arch: arch, Go: isGo, Extensions: []Extension{}}
	if in.Arch != "" && in.Arch != arch {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the caller said %s, the header says %s: scanned as %s", in.Arch, arch, arch))
	}
	sc := newScanner(ra, img.guard, img.largestRegion())
	var st stats
	switch arch {
	case "amd64":
		for _, rg := range img.regions {
			if err := sc.scanX86(ctx, rg, &st); err != nil {
				return nil, fmt.Errorf("analyze machine code: %w", err)
			}
		}
		rep.x86(&st, img, in.GoSettings)
	case "arm64":
		for _, rg := range img.regions {
			if err := sc.scanARM64(ctx, rg, &st); err != nil {
				return nil, fmt.Errorf("analyze machine code: %w", err)
			}
		}
		if err := rep.arm64(&st, in.GoSettings); err != nil {
			return nil, fmt.Errorf("analyze machine code: %w", err)
		}
	case "386":
		rep.Rosetta = &RosettaVerdict{Runs: RunsNever,
			Reason: "32-bit x86 code: Rosetta 2 translates only 64-bit x86 (x86_64) code"}
		rep.Notes = append(rep.Notes, "32-bit x86 code is not scanned")
	default:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s code is not scanned", arch))
	}
	rep.CodeBytes, rep.Instructions, rep.Undecodable, rep.CPUID = st.bytes, st.instructions, st.undecodable, st.cpuid
	return rep, nil
}

// x86LevelName names x86-64 level l (1..4).
func x86LevelName(l int) string { return "x86-64-v" + strconv.Itoa(max(l, 1)) }

// parseGOAMD64 returns the level of a GOAMD64 value ("v1".."v4"), 1 when empty.
func parseGOAMD64(s string) (int, error) {
	switch s {
	case "", "v1":
		return 1, nil
	case "v2", "v3", "v4":
		return int(s[1] - '0'), nil
	}
	return 0, fmt.Errorf("invalid GOAMD64 %q", s)
}

// x86 fills the report of an x86-64 slice from the scan.
func (r *Report) x86(st *stats, img *image, settings map[string]string) {
	goLevel := 0
	if r.Go {
		l, err := parseGOAMD64(settings["GOAMD64"])
		if err != nil {
			r.Notes = append(r.Notes, err.Error()+"; assuming v1")
			l = 1
		}
		goLevel = l
	}
	used, unguarded := 1, 1
	for id := range xNumExt {
		if st.count[id] == 0 {
			continue
		}
		lv := x86Level[id]
		guarded := st.guarded[id] == st.count[id] || (r.Go && lv > goLevel) || (r.Go && lv == 0)
		e := Extension{Name: x86Names[id], Count: st.count[id], FirstAddr: Addr(st.first[id]), Guarded: guarded}
		if lv > 0 {
			e.Level = x86LevelName(lv)
			used = max(used, lv)
			if !guarded {
				unguarded = max(unguarded, lv)
			}
		}
		r.Extensions = append(r.Extensions, e)
	}
	r.UsedLevel = x86LevelName(used)
	if img.isaNeeded > 0 {
		r.ISANote = x86LevelName(img.isaNeeded)
	}
	var req int
	switch {
	case r.Go:
		req, r.RequiredSource = goLevel, "GOAMD64"
	case img.isaNeeded > 0 && img.isaNeeded >= unguarded:
		req, r.RequiredSource = img.isaNeeded, "ELF ISA note"
	default:
		req, r.RequiredSource = unguarded, "code"
		if img.isaNeeded > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("the ELF ISA note says %s is needed, but the code uses %s instructions",
				r.ISANote, x86LevelName(unguarded)))
		}
	}
	r.RequiredLevel = x86LevelName(req)
	if r.RequiredSource == "code" && unguarded > 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("uses %s instructions (%s), possibly behind CPUID checks",
			x86LevelName(unguarded), strings.Join(r.names(func(e Extension) bool {
				return !e.Guarded && e.Level == x86LevelName(unguarded)
			}), ", ")))
	}
	if n := st.guarded; r.guardedBySymbols(n[:]) {
		r.Notes = append(r.Notes, "some uses lie in CPU-specific variant functions (ifunc or CPUID-dispatched), counted as guarded")
	}
	r.Rosetta = rosettaVerdict(r, img)
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
