package isa

import (
	"fmt"
	"strconv"
	"strings"
)

// Rosetta verdicts (RosettaVerdict.Runs).
const (
	RunsYes      = "yes"       // Rosetta 2 translates it
	RunsMacOS15  = "macos15"   // only on macOS 15 or later (executes AVX/AVX2)
	RunsNever    = "never"     // it can never run under Rosetta 2
	RunsMayCrash = "may-crash" // uses AVX-512/AMX where no run-time dispatch is provable
	RunsUnknown  = "unknown"   // a Go binary whose GOAMD64 is unknown: v1/v2 run, v3/v4 never start
)

// RosettaNote is Apple's statement on Rosetta's lifetime, attached to every verdict.
// Source: Apple, "About the Rosetta translation environment" (developer.apple.com/
// documentation/apple-silicon/about-the-rosetta-translation-environment).
const RosettaNote = "Apple: Rosetta \"will be available through macOS 27\" as a general-purpose tool; " +
	"after that only a subset aimed at older games remains"

// RosettaVerdict says whether Rosetta 2 can run an x86 slice.
type RosettaVerdict struct {
	// Runs is one of RunsYes, RunsMacOS15, RunsNever, RunsMayCrash, RunsUnknown.
	Runs string `json:"runs"`
	// MinMacOS is the oldest macOS whose Rosetta runs it ("15.0"), if any.
	MinMacOS string `json:"min_macos,omitempty"`
	Reason   string `json:"reason"`
	Note     string `json:"note,omitempty"`
}

// Facts behind the verdicts:
//
//   - Apple, "About the Rosetta translation environment": "Rosetta translates all x86_64
//     instructions, including ones from the AVX and AVX2 instruction set, but it doesn't
//     support the execution of AVX512 vector instructions". The 2020 text excluded AVX
//     and AVX2 too.
//   - Go, src/internal/cpu/cpu_x86_darwin.go (2025): "Apparently, on macOS 15 (Darwin
//     kernel version 24) or newer, Rosetta 2 supports AVX1 and 2. However, neither CPUID
//     nor sysctl says it has AVX." Go's rt0_go checks GOAMD64's features with CPUID at
//     start-up (runtime/asm_amd64.s), so GOAMD64=v3/v4 binaries refuse to start.
//   - glibc checks GNU_PROPERTY_X86_ISA_1_NEEDED against CPUID; Rosetta for Linux
//     reports no AVX either ("Fatal glibc error: CPU does not support x86-64-v3",
//     crc-org/vfkit#265, macOS 15).
//   - FMA, BMI1/2, F16C, LZCNT and MOVBE under Rosetta are not documented by Apple; they
//     are treated like AVX2 (same level, x86-64-v3) but unconfirmed.
//
// A code scan alone never makes a verdict "never": only GOAMD64 and the ISA note do.
// Without a scan, a verdict that needs one is nil.
func rosettaVerdict(r *Report, code *Code) *RosettaVerdict {
	v := &RosettaVerdict{Note: RosettaNote}
	if code.Format == "elf" {
		v.Note += "; for Linux VMs, Rosetta's support of AVX/AVX2 is not documented"
	}
	uses := func(names ...string) []string {
		var out []string
		for _, e := range r.Extensions {
			for _, n := range names {
				if e.Name == n && !e.Guarded && !e.Doubtful() {
					out = append(out, fmt.Sprintf("%s ×%d (first at %s)", e.Name, e.Count, e.FirstAddr))
				}
			}
		}
		return out
	}
	goLevel, _ := ParseLevel(r.RequiredLevel)
	v3 := []string{"AVX", "AVX2", "FMA", "BMI1", "BMI2", "F16C", "LZCNT", "MOVBE"}
	checked := r.CPUID > 0 || r.Dispatch
	stopped := ""
	if r.ScanStoppedAt > 0 {
		stopped = fmt.Sprintf(" (the scan stopped at %s: later code was not read)", megabytes(r.ScanStoppedAt))
	}
	switch {
	case r.Go && r.RequiredSource == SourceUnknown:
		v.Runs = RunsUnknown
		v.Reason = "a Go binary whose build settings are unreadable: its GOAMD64 is unknown, and a GOAMD64=v3 or v4 " +
			"binary never starts under Rosetta (Go's start-up CPUID check fails), while v1 and v2 run"
	case r.Go && goLevel >= X86v3:
		lv := strings.TrimPrefix(r.RequiredLevel, "x86-64-")
		v.Runs = RunsNever
		v.Reason = fmt.Sprintf("built with GOAMD64=%s: Go's runtime checks the CPU with CPUID at start-up and Rosetta's CPUID "+
			"reports no AVX (not even on macOS 15, which executes AVX/AVX2; see Go's internal/cpu/cpu_x86_darwin.go), "+
			"so it exits with \"This program can only be run on AMD64 processors with %s microarchitecture support.\"", lv, lv)
		if goLevel == X86v4 {
			v.Reason += "; Rosetta never executes AVX-512 either"
		}
	case r.Go:
		v.Runs = RunsYes
		v.Reason = fmt.Sprintf("Go binary built with GOAMD64=%s: its faster paths (AVX2, AVX-512 ...) run only after "+
			"internal/cpu's CPUID checks, which Rosetta answers truthfully", strings.TrimPrefix(r.RequiredLevel, "x86-64-"))
	case code.ISANeeded >= 3:
		v.Runs = RunsNever
		v.Reason = fmt.Sprintf("its ELF ISA note requires %s, which glibc checks with CPUID; Rosetta's CPUID reports no AVX "+
			"(Rosetta for Linux fails with \"CPU does not support x86-64-v3\")", Level(code.ISANeeded))
	case !r.Scanned:
		return nil // the verdict rests on the code
	case len(uses("AVX-512", "AMX")) > 0 && !checked:
		v.Runs = RunsMayCrash
		v.Reason = fmt.Sprintf("executes %s, which Rosetta never supports, and has no CPUID instruction or ifunc that could "+
			"guard them: it runs only if that code is never reached", strings.Join(uses("AVX-512", "AMX"), ", "))
		if len(uses(v3...)) > 0 {
			v.MinMacOS = "15.0"
			v.Reason += "; it also uses AVX-class instructions, executed by Rosetta only from macOS 15"
		}
		v.Reason += stopped
	case len(uses(v3...)) > 0 && !checked:
		// No CPUID instruction and no ifunc: nothing can dispatch on the CPU's features.
		v.Runs = RunsMacOS15
		v.MinMacOS = "15.0"
		v.Reason = fmt.Sprintf("executes %s and has no CPUID instruction or ifunc that could guard them; Rosetta executes AVX/AVX2 "+
			"only from macOS 15 (its CPUID still reports no AVX)", strings.Join(uses(v3...), ", ")) + stopped
	case len(uses(append([]string{"AVX-512", "AMX"}, v3...)...)) > 0:
		v.Runs = RunsYes
		v.Reason = fmt.Sprintf("uses %s when the CPU has them: the code checks the CPU (CPUID or ifunc), and Rosetta reports "+
			"no AVX, AVX-512 or AMX, so a checked path avoids them (an unchecked one would need macOS 15, or crash on AVX-512)",
			strings.Join(uses(append([]string{"AVX-512", "AMX"}, v3...)...), ", ")) + stopped
	default:
		v.Runs = RunsYes
		v.Reason = "uses no AVX, AVX-512 or AMX instructions outside CPU-specific variants" + stopped
	}
	return v
}

// RosettaOn says whether Rosetta 2 on a Mac running macOS version macos ("14.5",
// "15") runs the slice, and why.
func (r *Report) RosettaOn(macos string) (runs bool, reason string) {
	v := r.Rosetta
	if v == nil {
		return false, fmt.Sprintf("%s code: Rosetta 2 translates only x86-64 code", r.Arch)
	}
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(macos, "macos="), ".", 2)[0])
	if err != nil {
		return false, fmt.Sprintf("invalid macOS version %q", macos)
	}
	switch {
	case v.Runs == RunsNever:
		return false, v.Reason
	case major < 11:
		return false, fmt.Sprintf("macOS %s predates Rosetta 2 (macOS 11)", macos)
	case major > 27:
		return false, "Rosetta's general availability ends after macOS 27 (Apple keeps only a subset for older games)"
	case v.Runs == RunsMacOS15 && major < 15:
		return false, fmt.Sprintf("needs macOS 15 or later, this is %s: %s", macos, v.Reason)
	case v.Runs == RunsMayCrash && v.MinMacOS != "" && major < 15:
		return false, fmt.Sprintf("needs macOS 15 or later, this is %s: %s", macos, v.Reason)
	}
	return true, v.Reason
}
