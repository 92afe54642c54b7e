// Package verdict decides whether, and how, a host runs an executable: natively,
// translated by Rosetta 2, emulated by a Linux binfmt_misc handler, or not at all, and
// why.
package verdict

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
)

// Runs is how a host runs a file. The values are part of the JSON contract
// (verdict.runs).
type Runs string

// How a host runs a file.
const (
	Native     Runs = "native"
	Translated Runs = "translated" // Rosetta 2 on macOS
	Emulated   Runs = "emulated"   // a Linux binfmt_misc handler (qemu-user, rosetta) or Windows' x64 emulation
	No         Runs = "no"
)

// RosettaLifetime is the note on every translated verdict. Apple: Rosetta is available
// as a general-purpose translator through macOS 27, then only for a subset of games
// ("About the Rosetta translation environment", developer.apple.com/documentation/apple-silicon/about-the-rosetta-translation-environment).
const RosettaLifetime = "Apple makes Rosetta 2 generally available only through macOS 27: ship an arm64 slice"

// damagedPrefix starts the reason of a verdict on a slice that could not be read; the
// slice's error follows. Callers ask Verdict.Cause (Damaged), never this text.
const damagedPrefix = "the file is damaged: "

// Cause is why a host runs a file the way the verdict says, as a value: Reason says
// the same in words. A verdict that runs has a cause only when it comes with a
// condition (Conditional).
type Cause int

// Causes.
const (
	// NoCause: the file runs, nothing to add.
	NoCause Cause = iota
	// Conditional: it runs, under the condition Reason says (an unknown CPU level,
	// Rosetta 2's lifetime, an emulator's needs).
	Conditional
	// NotExecutable: the file is no executable (or could not be read at all).
	NotExecutable
	// NotLoaded: an object file, a core dump: nothing the OS loads.
	NotLoaded
	// Damaged: the slice could not be read completely (its Error says why).
	Damaged
	// WrongOS: built for another operating system.
	WrongOS
	// WrongArch: built for an architecture this host neither runs nor translates or
	// emulates.
	WrongArch
	// OSTooOld: needs a newer macOS than the host's.
	OSTooOld
	// CPULacks: requires CPU features the host's CPU lacks.
	CPULacks
	// Unsigned: macOS on Apple Silicon kills it for its code signature.
	Unsigned
	// NoRosetta: needs Rosetta 2, which is not installed.
	NoRosetta
	// RosettaCannot: Rosetta 2 cannot run its code (AVX-512, AVX before macOS 15).
	RosettaCannot
	// No32Bit: 32-bit Intel code on a macOS that runs none.
	No32Bit
	// PageSize: its segments are aligned below the kernel's page size.
	PageSize
	// NoInterpreter: its ELF interpreter (dynamic loader) is not installed.
	NoInterpreter
	// NoLibc: the C library it needs is missing, or older than it needs (in an image).
	NoLibc
	// KernelSlice: macOS's kernel picks a slice of a universal file that does not run,
	// and tries no other.
	KernelSlice
	// Several: its slices do not run for different causes (Reason joins them).
	Several
	// No32BitKernel: 32-bit code (386 on amd64, arm on arm64) that this machine's
	// kernel refused to execute when probed (IA32 emulation off, no AArch32).
	No32BitKernel
)

// Verdict is how a host would run a file.
type Verdict struct {
	Runs   Runs   `json:"runs"`
	Reason string `json:"reason,omitempty"`
	// Slice is the index of the slice the host's loader would pick, -1 when none.
	Slice int `json:"slice"`
	// Handler names what translates or emulates: "Rosetta 2", or a binfmt interpreter.
	Handler string `json:"handler,omitempty"`
	// Host is the platform judged against, such as "darwin/arm64".
	Host string `json:"host"`
	// Cause is why, as a value (Reason says it in words): "wrong-os", "cpu-lacks"…;
	// omitted when there is none (the file runs, with no condition).
	Cause Cause `json:"cause,omitempty"`
}

var causeNames = [...]string{
	NoCause: "none", Conditional: "conditional", NotExecutable: "not-executable", NotLoaded: "not-loaded",
	Damaged: "damaged", WrongOS: "wrong-os", WrongArch: "wrong-arch", OSTooOld: "os-too-old",
	CPULacks: "cpu-lacks", Unsigned: "unsigned", NoRosetta: "no-rosetta", RosettaCannot: "rosetta-cannot",
	No32Bit: "no-32-bit", PageSize: "page-size", NoInterpreter: "no-interpreter", NoLibc: "no-libc",
	KernelSlice: "kernel-slice", Several: "several", No32BitKernel: "no-32-bit-kernel",
}

// String names the cause ("damaged", "cpu-lacks").
func (c Cause) String() string {
	if c >= 0 && int(c) < len(causeNames) && causeNames[c] != "" {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", int(c))
}

// MarshalText names the cause, as String does.
func (c Cause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a name String gives.
func (c *Cause) UnmarshalText(b []byte) error {
	for i, n := range causeNames {
		if n != "" && n == string(b) {
			*c = Cause(i)
			return nil
		}
	}
	return fmt.Errorf("unknown verdict cause %q", b)
}

// no is the verdict that the file does not run, for cause c.
func no(c Cause, reason string) Verdict { return Verdict{Runs: No, Cause: c, Reason: reason} }

// Judge decides how h runs f. reports are internal/isa's reports on f's slices, by
// index (nil, or shorter than f.Slices, where a slice has none).
func Judge(f *exe.File, reports []*isa.Report, h host.Host) Verdict {
	v := Verdict{Slice: -1, Host: h.String()}
	if len(f.Slices) == 0 {
		v.Runs, v.Cause, v.Reason = No, NotExecutable, "not an executable"
		if f.Error != "" {
			v.Reason = f.Error
		}
		return v
	}
	if k := f.Slices[0].Kind; !k.Runnable() {
		v.Runs, v.Cause, v.Reason = No, NotLoaded, fmt.Sprintf("a%s %s is not loaded by the OS", article(string(k)), k)
		return v
	}
	// Judge every slice, then take the best, in the loader's order of preference.
	best := Verdict{Runs: No, Slice: -1, Host: v.Host}
	var reasons []string
	var cause Cause // of the slices that do not run
	for i := range f.Slices {
		sv := judgeSlice(&f.Slices[i], reportOf(reports, i), h)
		sv.Slice, sv.Host = i, v.Host
		if rank(sv.Runs) > rank(best.Runs) {
			best = sv
		}
		if sv.Runs == No {
			if !slices.Contains(reasons, sv.Reason) {
				reasons = append(reasons, sv.Reason)
				cause = combine(cause, len(reasons), sv.Cause)
			}
		}
	}
	if best.Runs == No {
		best.Slice, best.Cause = -1, cause
		best.Reason = strings.Join(reasons, "; ")
	}
	if i := kernelSlice(f, h); i >= 0 {
		return judgeKernelSlice(f, reports, h, i, best)
	}
	return best
}

// reportOf returns reports[i], nil when there is none.
func reportOf(reports []*isa.Report, i int) *isa.Report {
	if i < len(reports) {
		return reports[i]
	}
	return nil
}

// combine is the cause of a verdict that no slice runs, after the n-th distinct
// reason, of cause c, was added to those of cause old.
func combine(old Cause, n int, c Cause) Cause {
	if n == 1 || old == c {
		return c
	}
	return Several
}

// kernelSlice returns the slice of a universal executable that macOS's kernel runs on
// h, or -1 when it would run none natively (then Rosetta 2 may run an x86_64 slice)
// or f is no such file. XNU's exec_fat_imgact (bsd/kern/kern_exec.c) takes the slice
// fatfile_getbestarch (bsd/kern/mach_fat.c) grades best for the CPU; grade_binary
// (bsd/dev/arm/kern_machdep.c) grades only arm64 slices on Apple Silicon (arm64e 11
// or 12, arm64 v8 10, arm64 all 9; everything else 0, unacceptable). The kernel does
// not try another slice when the one it took fails (an invalid signature is
// "Killed: 9"); an x86_64 slice runs on Apple Silicon only when none is arm64, or
// when asked for (arch -x86_64, posix_spawn binary preferences).
func kernelSlice(f *exe.File, h host.Host) int {
	if h.OS != "darwin" || f.Format != exe.FormatMachOFat || len(f.Slices) < 2 || f.Slices[0].Kind != exe.KindExecutable {
		return -1
	}
	best, grade := -1, 0
	for i := range f.Slices {
		s := &f.Slices[i]
		if s.Arch != h.Arch || s.OS != "darwin" {
			continue
		}
		g := 9
		switch s.CPU {
		case "arm64e", "x86_64h":
			g = 11
		case "arm64", "x86_64":
			g = 10
		}
		if g > grade {
			best, grade = i, g
		}
	}
	return best
}

// judgeKernelSlice is the verdict on the slice i the kernel picks; what the other
// slices would do is only a note.
func judgeKernelSlice(f *exe.File, reports []*isa.Report, h host.Host, i int, best Verdict) Verdict {
	v := judgeSlice(&f.Slices[i], reportOf(reports, i), h)
	v.Slice, v.Host = i, best.Host
	if v.Runs == No {
		v.Slice, v.Cause = -1, KernelSlice
		v.Reason = fmt.Sprintf("the kernel runs the %s slice [%d], the best for this CPU, and does not fall back to another: %s",
			cpuName(&f.Slices[i]), i+1, v.Reason)
	}
	if best.Slice >= 0 && best.Slice != i && rank(best.Runs) > rank(v.Runs) {
		v.Reason = joinReasons(v.Reason, fmt.Sprintf("the %s slice [%d] would run %s only when asked for (arch -%s)",
			cpuName(&f.Slices[best.Slice]), best.Slice+1, runsWord(best.Runs), cpuName(&f.Slices[best.Slice])))
		if v.Runs != No {
			v.Cause = Conditional
		}
	}
	return v
}

// cpuName is the Mach-O name of a slice's CPU (x86_64, arm64e), or its GOARCH.
func cpuName(s *exe.Slice) string {
	if s.CPU != "" {
		return s.CPU
	}
	return s.Arch
}

// runsWord says how a slice runs, for a note.
func runsWord(r Runs) string {
	switch r {
	case Translated:
		return "translated by Rosetta 2"
	case Emulated:
		return "emulated"
	}
	return string(r)
}

func rank(runs Runs) int {
	switch runs {
	case Native:
		return 3
	case Translated:
		return 2
	case Emulated:
		return 1
	}
	return 0
}

// judgeSlice decides how h runs slice s, whose isa report is r (nil when none).
func judgeSlice(s *exe.Slice, r *isa.Report, h host.Host) Verdict {
	v := judgeSliceOn(s, r, h)
	if v.Runs != No && v.Reason != "" {
		v.Cause = Conditional
	}
	return v
}

func judgeSliceOn(s *exe.Slice, r *isa.Report, h host.Host) Verdict {
	platform := s.OS + "/" + s.Arch
	if s.Error != "" {
		// A slice the reader could not read completely is one the loader may refuse
		// or load wrongly: never runnable.
		return no(Damaged, damagedPrefix+s.Error)
	}
	switch h.OS {
	case "darwin":
		return judgeDarwin(s, r, h, platform)
	case "linux":
		return judgeLinux(s, r, h, platform)
	case "windows":
		return judgeWindows(s, h, platform)
	}
	if s.OS == h.OS && s.Arch == h.Arch {
		return Verdict{Runs: Native}
	}
	return no(WrongArch, fmt.Sprintf("built for %s; this host is %s", platform, h))
}

func judgeDarwin(s *exe.Slice, r *isa.Report, h host.Host, platform string) Verdict {
	if s.OS != "darwin" {
		return no(WrongOS, fmt.Sprintf("built for %s, not macOS", platformName(s)))
	}
	if s.MinOS != "" && h.OSVersion != "" && versionLess(h.OSVersion, s.MinOS) {
		return no(OSTooOld, fmt.Sprintf("needs macOS %s or later; this host runs macOS %s", s.MinOS, h.OSVersion))
	}
	switch {
	case s.Arch == h.Arch:
		if v, ok := cpuLacks(s, r, h); ok {
			return v
		}
		if p := s.SignatureProblem(); p != "" {
			return no(Unsigned, p)
		}
		if s.Arch == "arm64" {
			// Go's GOARM64 gates only LSE atomics and the crypto extensions, which every
			// Apple Silicon core has (M1 is ARMv8.5-A): an unknown GOARM64 runs.
			return Verdict{Runs: Native}
		}
		return Verdict{Runs: Native, Reason: unknownLevel(s)}
	case s.Arch == "386":
		return no(No32Bit, "32-bit Intel code: macOS 10.15 and later run no 32-bit programs")
	case h.Arch == "arm64" && s.Arch == "amd64":
		if !h.Rosetta {
			return no(NoRosetta, "an x86-64 binary needs Rosetta 2, which is not installed: softwareupdate --install-rosetta")
		}
		v := Verdict{Runs: Translated, Handler: "Rosetta 2", Reason: RosettaLifetime}
		if goSettingsUnknown(s) {
			// Without build info GOAMD64 is unknown, not v1: a v3 or v4 build exits at
			// start-up under Rosetta, whose CPUID reports no AVX.
			v.Reason = "if it was built with GOAMD64=v1 or v2: its build info is unreadable, so GOAMD64 is unknown, and a GOAMD64=v3 or v4 build exits at start-up under Rosetta (its CPUID reports no AVX); " + v.Reason
			if s.Kind != exe.KindExecutable {
				v.Reason = "loads only into x86-64 (translated) processes, never into arm64 ones; " + v.Reason
			}
			return v
		}
		if r != nil && r.Rosetta != nil {
			if h.OSVersion != "" {
				if ok, why := r.RosettaOn(h.OSVersion); !ok {
					return no(RosettaCannot, why)
				}
			} else if r.Rosetta.Runs == isa.RunsNever {
				return no(RosettaCannot, r.Rosetta.Reason)
			}
			if r.Rosetta.Runs != isa.RunsYes && r.Rosetta.Reason != "" {
				v.Reason = r.Rosetta.Reason + "; " + v.Reason
			}
		}
		if s.Kind != exe.KindExecutable {
			v.Reason = "loads only into x86-64 (translated) processes, never into arm64 ones; " + v.Reason
		}
		return v
	}
	return no(WrongArch, fmt.Sprintf("built for %s; this host is %s", platform, h))
}

// RosettaHandler reports whether the binfmt_misc handler b is Rosetta for Linux
// (a Lima or Virtualization.framework VM's /mnt/lima-rosetta/rosetta and the like):
// it shares Rosetta 2's limits.
func RosettaHandler(b host.Binfmt) bool { return strings.Contains(b.Interpreter, "rosetta") }

// LinuxNative reports whether a Linux kernel on h runs arch's code itself (its own
// arch, or a 32-bit ABI beside it), with a caveat when that rests on something not
// proven; refused when this machine's kernel was asked (h.Compat's probe) and refused
// the 32-bit ABI, the caveat then saying why. A binfmt_misc handler may still catch
// what the kernel refuses: that is the caller's to check.
func LinuxNative(arch string, h host.Host) (native, refused bool, caveat string) {
	switch {
	case arch == h.Arch:
		return true, false, ""
	case h.Arch == "amd64" && arch == "386", h.Arch == "arm64" && arch == "arm":
		caveat, refused = compat32(arch, h)
		return !refused, refused, caveat
	}
	return false, false, ""
}

func judgeLinux(s *exe.Slice, r *isa.Report, h host.Host, platform string) Verdict {
	if s.OS != "linux" && s.OS != "" {
		return no(WrongOS, fmt.Sprintf("built for %s, not Linux", platformName(s)))
	}
	native, refused, caveat := LinuxNative(s.Arch, h)
	if _, ok := h.Handler(s.Arch); refused && !ok {
		return no(No32BitKernel, caveat)
	} // else a binfmt_misc handler catches what the kernel refuses
	if native {
		if s.Align != 0 && h.PageSize > 0 && s.Align < uint64(h.PageSize) && s.Kind.Runnable() {
			return Verdict{Runs: No, Cause: PageSize, Reason: fmt.Sprintf("its segments are aligned to %s but this kernel's pages are %s: the loader refuses it (relink with -z max-page-size=%d)",
				size(s.Align), size(uint64(h.PageSize)), h.PageSize)}
		}
		if v, ok := cpuLacks(s, r, h); ok {
			return v
		}
		if v, ok := missingInterpreter(s, h, nil); ok {
			return v
		}
		return Verdict{Runs: Native, Reason: joinReasons(caveat, unknownLevel(s))}
	}
	if b, ok := h.Handler(s.Arch); ok {
		if v, ok := missingInterpreter(s, h, &b); ok {
			return v
		}
		// Rosetta for Linux VMs shares Rosetta's limits: no AVX-512, and glibc's or Go's
		// x86-64-v3 start-up checks fail (crc-org/vfkit#265).
		if r != nil && r.Rosetta != nil && r.Rosetta.Runs == isa.RunsNever && RosettaHandler(b) {
			return no(RosettaCannot, fmt.Sprintf("the binfmt_misc handler %s is Rosetta, which cannot run it: %s", b.Name, r.Rosetta.Reason))
		}
		reason := fmt.Sprintf("the binfmt_misc handler %s runs %s binaries through %s", b.Name, s.Arch, b.Interpreter)
		var others []string
		for _, o := range h.Binfmt {
			if o.Enabled && o.Arch == s.Arch && o.Name != b.Name {
				others = append(others, o.Name)
			}
		}
		if len(others) > 0 {
			// The kernel tries the most recently registered entry first
			// (Documentation/admin-guide/binfmt-misc.rst), and /proc does not show that order.
			reason += fmt.Sprintf(" (so do %s: whichever was registered last wins)", strings.Join(others, ", "))
		}
		if n := interpreterNote(s, h, &b); n != "" {
			reason += "; " + n
		}
		return Verdict{Runs: Emulated, Handler: b.Interpreter, Reason: reason}
	}
	return no(WrongArch, fmt.Sprintf("built for %s; this host is %s and has no binfmt_misc handler for %s", platform, h, s.Arch))
}

// compat32 is what is known of h's kernel executing 32-bit code of arch beside its
// own 64-bit code: on this machine, the probe's answer (refused true when it refused
// the probe; a caveat when unknown, with why); on a described one, a caveat naming
// the kernel setting.
func compat32(arch string, h host.Host) (caveat string, refused bool) {
	if h.Compat == nil {
		if arch == "386" {
			return "if the kernel executes 32-bit x86 programs (IA32 emulation: CONFIG_IA32_EMULATION, and no ia32_emulation=0 on its command line)", false
		}
		return "needs a CPU with AArch32 support at EL0 and a kernel with CONFIG_COMPAT (many arm64 CPUs have none: Apple M1 and later, Neoverse V2 and N2, Cortex-X2 and later)", false
	}
	f := h.Compat.Fact(context.Background(), arch)
	switch {
	case !f.Known:
		return fmt.Sprintf("if this kernel executes %s programs, which is unknown: %s", abiWords(arch), f.Why), false
	case !f.Runs:
		return f.Why, true
	}
	return "", false
}

// abiWords names a 32-bit ABI in words.
func abiWords(arch string) string {
	if arch == "386" {
		return "32-bit x86"
	}
	return "32-bit Arm"
}

func judgeWindows(s *exe.Slice, h host.Host, platform string) Verdict {
	if s.OS != "windows" {
		return no(WrongOS, fmt.Sprintf("built for %s, not Windows", platformName(s)))
	}
	switch {
	case s.Arch == h.Arch, h.Arch == "amd64" && s.Arch == "386":
		return Verdict{Runs: Native}
	case h.Arch == "arm64" && (s.Arch == "amd64" || s.Arch == "386"):
		// Windows 11 on Arm emulates x86 and x64 applications.
		return Verdict{Runs: Emulated, Handler: "Windows x64 emulation"}
	}
	return no(WrongArch, fmt.Sprintf("built for %s; this host is %s", platform, h))
}

// cpuLacks reports the verdict "no" when the slice's code requires CPU features that
// the host's CPU lacks (it would die with SIGILL, or Go's runtime refuses to start).
// Only a real requirement counts: GOAMD64/GOARM64 read from the build info, or the ELF
// ISA-needed note. Code found by the scan alone may sit behind a run-time check (an
// IFUNC resolver, a CPUID or HWCAP test, Go's internal/cpu), so it never makes a
// "does not run".
func cpuLacks(s *exe.Slice, r *isa.Report, h host.Host) (Verdict, bool) {
	if r == nil || len(h.CPUFeatures) == 0 || !levelRequired(s, r) {
		return Verdict{}, false
	}
	if ok, why := r.RunsOn(h.CPUFeatures); !ok {
		return no(CPULacks, why), true
	}
	return Verdict{}, false
}

// RequiredLevel returns the CPU level the slice provably requires (from GOAMD64 or
// GOARM64 in its build info, or its ELF ISA-needed note; r is isa's report on it),
// and false when its level is only inferred from the code it contains or defaulted
// for a Go binary whose build info is unreadable.
func RequiredLevel(s *exe.Slice, r *isa.Report) (string, bool) {
	if levelRequired(s, r) {
		return r.RequiredLevel, true
	}
	return "", false
}

// GoSettingsUnknown reports whether the slice is a Go binary whose CPU level setting
// (GOAMD64, GOARM64, GOARM) could not be read: it is unknown, not its default.
func GoSettingsUnknown(s *exe.Slice) bool { return goSettingsUnknown(s) }

// levelRequired reports whether the slice's required CPU level is a proven requirement
// rather than inferred from its code or defaulted for a Go binary without build info.
func levelRequired(s *exe.Slice, r *isa.Report) bool {
	if r == nil || r.RequiredLevel == "" {
		return false
	}
	switch r.RequiredSource {
	case isa.SourceGOAMD64, isa.SourceGOARM64:
		return !goSettingsUnknown(s)
	case isa.SourceISANote:
		return true
	}
	return false
}

// goSettingsUnknown reports whether the slice is a Go binary whose CPU level setting
// (GOAMD64, GOARM64, GOARM) could not be read.
func goSettingsUnknown(s *exe.Slice) bool {
	if s.Go == nil {
		return false
	}
	switch s.Arch {
	case "amd64":
		return !s.Go.SettingKnown("GOAMD64")
	case "arm64":
		return !s.Go.SettingKnown("GOARM64")
	case "arm":
		return !s.Go.SettingKnown("GOARM")
	}
	return !s.Go.SettingsKnown()
}

// unknownLevel says, for a verdict that would otherwise be plain, what it does not
// know: the GOAMD64/GOARM64 of a Go binary without build info.
func unknownLevel(s *exe.Slice) string {
	if !goSettingsUnknown(s) {
		return ""
	}
	switch s.Arch {
	case "amd64":
		return "if this CPU meets its GOAMD64 level, which is unknown (no readable build info)"
	case "arm64":
		return "if this CPU meets its GOARM64 level, which is unknown (no readable build info)"
	}
	return ""
}

func joinReasons(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func platformName(s *exe.Slice) string {
	if s.OS == "" {
		return "an unknown OS (" + s.Arch + ")"
	}
	return s.OS + "/" + s.Arch
}

// versionLess reports whether dotted version a is older than b ("13.6" < "14.0").
func versionLess(a, b string) bool { return exe.CompareVersions(a, b) < 0 }

func size(n uint64) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}
