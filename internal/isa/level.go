package isa

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Level is an x86-64 microarchitecture level of the x86-64 psABI: 1..4 for
// x86-64-v1..x86-64-v4, 0 when unknown. Levels compare as numbers.
type Level int

// The x86-64 levels.
const (
	X86v1 Level = 1 + iota
	X86v2
	X86v3
	X86v4
)

// String is the psABI name, "x86-64-v3"; "" for 0.
func (l Level) String() string {
	if l <= 0 {
		return ""
	}
	return "x86-64-v" + strconv.Itoa(int(l))
}

// ParseGOAMD64 returns the level of a GOAMD64 value ("v1".."v4"); "" is v1, Go's
// default.
func ParseGOAMD64(s string) (Level, error) {
	switch s {
	case "", "v1":
		return X86v1, nil
	case "v2", "v3", "v4":
		return Level(s[1] - '0'), nil
	}
	return 0, fmt.Errorf("invalid GOAMD64 %q: must be v1, v2, v3 or v4", s)
}

// ParseLevel parses a level's psABI name ("x86-64-v3").
func ParseLevel(s string) (Level, error) {
	if l, ok := strings.CutPrefix(s, "x86-64-"); ok {
		if lv, err := ParseGOAMD64(l); err == nil && l != "" {
			return lv, nil
		}
	}
	return 0, fmt.Errorf("invalid x86-64 level %q: must be x86-64-v1 to x86-64-v4", s)
}

// armLevel is an arm64 architecture level as GOARM64 spells it: v8.0..v9.5 with
// optional ",lse" and ",crypto" (Go's internal/buildcfg grammar), plus ",sve" when
// inferred from code.
type armLevel struct {
	major, minor     int
	lse, crypto, sve bool
}

// parseARMLevel parses a GOARM64-style level; "" is v8.0.
func parseARMLevel(s string) (armLevel, error) {
	var l armLevel
	if s == "" {
		s = "v8.0"
	}
	parts := strings.Split(s, ",")
	v := parts[0]
	ok := len(v) == 4 && v[0] == 'v' && v[2] == '.' && (v[1] == '8' || v[1] == '9') && v[3] >= '0' && v[3] <= '9'
	if ok {
		l.major, l.minor = int(v[1]-'0'), int(v[3]-'0')
		ok = l.major == 8 || l.minor <= 5
	}
	if !ok {
		return l, fmt.Errorf("invalid arm64 level %q: must start with v8.{0-9} or v9.{0-5}", s)
	}
	for _, p := range parts[1:] {
		switch p {
		case "lse":
			l.lse = true
		case "crypto":
			l.crypto = true
		case "sve":
			l.sve = true
		default:
			return l, fmt.Errorf("invalid arm64 level %q: unknown suffix %q", s, p)
		}
	}
	return l, nil
}

// hasLSE reports whether the level includes LSE atomics (implied from v8.1).
func (l armLevel) hasLSE() bool { return l.lse || l.major > 8 || l.minor >= 1 }

func (l armLevel) String() string {
	s := "v" + strconv.Itoa(l.major) + "." + strconv.Itoa(l.minor)
	if l.lse && l.major == 8 && l.minor == 0 {
		s += ",lse"
	}
	if l.crypto {
		s += ",crypto"
	}
	if l.sve {
		s += ",sve"
	}
	return s
}

// cryptoExt are the extensions GOARM64's ",crypto" stands for (FEAT_AES, FEAT_PMULL,
// FEAT_SHA1, FEAT_SHA256: Go's internal/buildcfg).
var cryptoExt = []int{aAES, aPMULL, aSHA1, aSHA256}

// arm64 fills the report of an arm64 slice: the required level from GOARM64, the
// uses from the scan (if it ran).
func (r *Report) arm64(st *stats, settings map[string]string) {
	goLevel := armLevel{major: 8}
	switch {
	case r.Go && settings == nil:
		r.RequiredSource = SourceUnknown
		r.Notes = append(r.Notes, "a Go binary whose build settings are unreadable: its GOARM64 is unknown")
	case r.Go:
		l, err := parseARMLevel(settings["GOARM64"])
		if err != nil {
			r.RequiredSource = SourceUnknown
			r.Notes = append(r.Notes, "GOARM64: "+err.Error())
		} else {
			goLevel = l
			r.RequiredLevel, r.RequiredSource = l.String(), SourceGOARM64
		}
	default:
		r.RequiredLevel, r.RequiredSource = goLevel.String(), SourceBaseline
	}
	if !r.Scanned {
		return
	}
	used := armLevel{major: 8}
	pureGo := r.Go && settings["CGO_ENABLED"] != "1"
	for id := range aNumExt {
		if st.count[id] == 0 {
			continue
		}
		if pureGo && (id == aSVE || id == aSME) {
			// Go's assembler (through Go 1.26) has no SVE or SME instructions, but its
			// arm64 back end puts literal pools of constants in the text section.
			r.Notes = append(r.Notes, fmt.Sprintf("%d words in the %s encoding space are Go literal-pool constants, not instructions",
				st.count[id], arm64Names[id]))
			continue
		}
		e := Extension{Name: arm64Names[id], Count: st.count[id], FirstAddr: Addr(st.first[id])}
		isCrypto := slices.Contains(cryptoExt, id)
		switch {
		case r.Go && r.RequiredSource == SourceUnknown:
			e.Guarded = true // the level is unknown: Go's own uses are dispatched or required
		case r.Go && id == aLSE:
			e.Guarded = !goLevel.hasLSE() // internal/cpu.ARM64.HasATOMICS dispatch
		case r.Go && isCrypto:
			e.Guarded = !goLevel.crypto
		case r.Go:
			e.Guarded = true // Go emits SHA512/SHA3 only in assembly behind internal/cpu
		default:
			e.Guarded = st.guarded[id] == st.count[id]
		}
		switch {
		case id == aLSE:
			e.Level = "v8.1"
			used.minor = 1
		case isCrypto:
			used.crypto = true
		case id == aSVE:
			used.sve = true
		}
		r.Extensions = append(r.Extensions, e)
	}
	r.MaxLevelUsed = used.String()
	if r.Go {
		return
	}
	if e, ok := r.Extension("LSE"); ok && !e.Guarded {
		r.Notes = append(r.Notes, "uses LSE atomics outside outline-atomics helpers: it uses them when the CPU has them "+
			"if a HWCAP check guards them, else it dies with SIGILL on a CPU without LSE (ARMv8.0)")
	} else if ok {
		r.Notes = append(r.Notes, "LSE atomics appear only in outline-atomics helpers (__aarch64_*), which check for LSE at run time")
	}
	if names := r.names(func(e Extension) bool { return e.Level == "" && !e.Guarded }); len(names) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("uses %s when the CPU has them (presumably behind a run-time HWCAP check)",
			strings.Join(names, ", ")))
	}
}

// Feature names: Linux /proc/cpuinfo flags (x86) and Features (arm64) are canonical;
// macOS sysctl names (hw.optional.*, hw.optional.arm.FEAT_*, machdep.cpu.features)
// are mapped onto them.
var featureAlias = map[string]string{
	// x86
	"sse3": "pni", "sse4.1": "sse4_1", "sse4.2": "sse4_2", "supplementalsse3": "ssse3",
	"avx1.0": "avx", "avx1_0": "avx", "avx2_0": "avx2", "lzcnt": "abm", "lahf": "lahf_lm",
	"cmpxchg16b": "cx16", "sha": "sha_ni", "aes-ni": "aes", "amx-tile": "amx_tile", "amx_tile": "amx_tile",
	// arm64 (Apple's FEAT_* names; see "Determining Instruction Set Characteristics")
	"feat_lse": "atomics", "lse": "atomics", "feat_aes": "aes", "feat_pmull": "pmull", "feat_sha1": "sha1",
	"feat_sha256": "sha2", "sha256": "sha2", "feat_sha512": "sha512", "feat_sha3": "sha3",
	"feat_sve": "sve", "feat_sve2": "sve2", "feat_sme": "sme",
}

func normFeature(f string) string {
	f = strings.ToLower(strings.TrimSpace(f))
	for _, p := range []string{"hw.optional.arm.", "hw.optional."} {
		f = strings.TrimPrefix(f, p)
	}
	if a, ok := featureAlias[f]; ok {
		return a
	}
	return f
}

// x86LevelFeatures are the CPU flags each x86-64 level adds (x86-64 psABI).
var x86LevelFeatures = [5][]string{
	2: {"cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2"},
	3: {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"},
	4: {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}

// extFeature is the CPU flag that an extension needs.
var extFeature = map[string]string{
	"SSE3": "pni", "SSSE3": "ssse3", "SSE4.1": "sse4_1", "SSE4.2": "sse4_2", "POPCNT": "popcnt",
	"CMPXCHG16B": "cx16", "LAHF-SAHF": "lahf_lm", "AVX": "avx", "AVX2": "avx2", "FMA": "fma",
	"BMI1": "bmi1", "BMI2": "bmi2", "F16C": "f16c", "LZCNT": "abm", "MOVBE": "movbe",
	"AES-NI": "aes", "PCLMULQDQ": "pclmulqdq", "SHA": "sha_ni", "RDRAND": "rdrand", "RDSEED": "rdseed",
	"AVX-512": "avx512f", "AMX": "amx_tile",
	"LSE": "atomics", "AES": "aes", "PMULL": "pmull", "SHA1": "sha1", "SHA256": "sha2",
	"SHA512": "sha512", "SHA3": "sha3", "SVE": "sve", "SME": "sme",
}

// RunsOn says whether a CPU with these features meets the code's requirement, and
// why not (the SIGILL risk). features are Linux /proc/cpuinfo names ("avx2",
// "atomics", "aes" ...) or macOS sysctl names (hw.optional.arm.FEAT_LSE,
// hw.optional.avx2_0, FEAT_SHA256 ...). With no features it says yes and that the
// features are unknown. Extensions used without being required (possibly behind a
// check) that the CPU lacks are mentioned in reason but do not make ok false.
func (r *Report) RunsOn(features []string) (ok bool, reason string) {
	if len(features) == 0 {
		return true, "the CPU's features are unknown"
	}
	// The feature set is built on the first question: most slices (x86-64 v1, not
	// scanned) ask none, and a tree of them would build it thousands of times.
	var haveSet map[string]bool
	have := func(f string) bool {
		if haveSet == nil {
			haveSet = make(map[string]bool, len(features))
			for _, f := range features {
				haveSet[normFeature(f)] = true
			}
		}
		return haveSet[f]
	}
	missing := func(fs []string) []string {
		var out []string
		for _, f := range fs {
			if !have(f) {
				out = append(out, f)
			}
		}
		return out
	}
	var needed []string
	var why string
	switch {
	case r.Arch == "amd64" && r.RequiredLevel != "":
		l, err := ParseLevel(r.RequiredLevel)
		if err != nil {
			return false, err.Error()
		}
		for i := X86v2; i <= min(l, X86v4); i++ {
			needed = append(needed, x86LevelFeatures[i]...)
		}
		lack := missing(needed)
		if len(lack) == 0 {
			break
		}
		if r.RequiredSource == SourceGOAMD64 {
			why = fmt.Sprintf("built with GOAMD64=v%d, but this CPU lacks %s: the Go runtime refuses to start "+
				"(\"This program can only be run on AMD64 processors with v%d microarchitecture support.\")",
				l, strings.Join(lack, ", "), l)
		} else {
			why = fmt.Sprintf("its ELF ISA note requires %s, but this CPU lacks %s: the loader refuses it or it dies with SIGILL",
				r.RequiredLevel, strings.Join(lack, ", "))
		}
		return false, why
	case r.RequiredLevel != "":
		l, err := parseARMLevel(r.RequiredLevel)
		if err != nil {
			return false, err.Error()
		}
		if l.hasLSE() && !have("atomics") {
			if r.RequiredSource == "GOARM64" {
				return false, fmt.Sprintf("built with GOARM64=%s, which needs LSE atomics (Linux \"atomics\", macOS FEAT_LSE) "+
					"that this CPU lacks: it will die with SIGILL at its first atomic operation (on Linux and FreeBSD the Go "+
					"runtime checks first and exits: \"This program can only run on ARM64 processors with LSE support.\")", r.RequiredLevel)
			}
		}
		if l.crypto {
			if lack := missing([]string{"aes", "pmull", "sha1", "sha2"}); len(lack) > 0 {
				return false, fmt.Sprintf("built for %s, which needs the crypto extensions, but this CPU lacks %s: "+
					"it will die with SIGILL at its first crypto instruction (nothing checks at start-up)",
					r.RequiredLevel, strings.Join(lack, ", "))
			}
		}
	default:
		return true, "its required level is unknown"
	}
	// Used but not required: mention what the CPU lacks.
	var risky []string
	for _, e := range r.Extensions {
		if f := extFeature[e.Name]; f != "" && !e.Guarded && !have(f) && !slices.Contains(needed, f) {
			risky = append(risky, fmt.Sprintf("%s (first at %s)", e.Name, e.FirstAddr))
		}
	}
	if len(risky) > 0 {
		return true, fmt.Sprintf("meets %s; also uses %s when the CPU has it, which this CPU does not",
			r.RequiredLevel, strings.Join(risky, ", "))
	}
	return true, "meets " + r.RequiredLevel
}

// firstUses names the used extensions that need one of the flags, with their first
// address.
func (r *Report) firstUses(flags []string) []string {
	var out []string
	for _, e := range r.Extensions {
		if slices.Contains(flags, extFeature[e.Name]) {
			out = append(out, fmt.Sprintf("%s first at %s", e.Name, e.FirstAddr))
		}
	}
	return out
}
