package isa

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// analyze runs Analyze on the file at path, filling Input from its Go build info.
func analyze(t *testing.T, path string) *Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var in Input
	if bi, err := buildinfo.ReadFile(path); err == nil {
		in.GoSettings = map[string]string{}
		for _, s := range bi.Settings {
			in.GoSettings[s.Key] = s.Value
		}
	}
	r, err := analyzeImage(context.Background(), f, fi.Size(), in)
	if err != nil {
		t.Fatalf("Analyze(%s): %v", path, err)
	}
	if b, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	} else if testing.Verbose() {
		t.Logf("%s", b)
	}
	return r
}

// Feature lists of real CPUs, as Linux prints them in /proc/cpuinfo.
var (
	// Cortex-A72 (Raspberry Pi 4): ARMv8.0, no LSE, no crypto.
	cortexA72 = strings.Fields("fp asimd evtstrm crc32 cpuid")
	// Neoverse N1 (Graviton 2): ARMv8.2 with LSE and crypto.
	neoverseN1 = strings.Fields("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs")
	// Apple M1 under macOS: hw.optional.arm.FEAT_* sysctl names.
	appleM1 = strings.Fields("FEAT_LSE FEAT_AES FEAT_PMULL FEAT_SHA1 FEAT_SHA256 FEAT_SHA512 FEAT_SHA3 FEAT_CRC32")
	// An x86-64-v2 CPU (Nehalem-class) and a Haswell (v3).
	nehalem = strings.Fields("fpu sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm")
	haswell = strings.Fields("fpu sse sse2 pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm abm bmi1 avx2 bmi2")
)

// goBuild builds fixture.Hello once per environment, in parallel subtests.
func goBuild(t *testing.T, env ...string) *Report {
	t.Helper()
	return analyze(t, fixture.Go(t, fixture.Hello, append([]string{"CGO_ENABLED=0"}, env...), "-trimpath"))
}

func TestGoAMD64(t *testing.T) {
	tests := []struct {
		env      []string
		level    string
		rosetta  string
		runsOnV2 bool
		slow     bool // a standard library build of its own: GONATIVE_INTEGRATION only
	}{
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v1"}, "x86-64-v1", RunsYes, true, false},
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v2"}, "x86-64-v2", RunsYes, true, true},
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3"}, "x86-64-v3", RunsNever, false, false},
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v4"}, "x86-64-v4", RunsNever, false, true},
		{[]string{"GOOS=darwin", "GOARCH=amd64", "GOAMD64=v3"}, "x86-64-v3", RunsNever, false, true},
		{[]string{"GOOS=windows", "GOARCH=amd64", "GOAMD64=v1"}, "x86-64-v1", RunsYes, true, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, ","), func(t *testing.T) {
			if tt.slow {
				needIntegration(t)
			}
			t.Parallel()
			r := goBuild(t, tt.env...)
			if r.Arch != "amd64" || r.RequiredLevel != tt.level || r.RequiredSource != "GOAMD64" {
				t.Errorf("arch %s, required %s from %s; want amd64, %s from GOAMD64", r.Arch, r.RequiredLevel, r.RequiredSource, tt.level)
			}
			if r.Rosetta == nil || r.Rosetta.Runs != tt.rosetta {
				t.Fatalf("rosetta = %+v, want %s", r.Rosetta, tt.rosetta)
			}
			if tt.rosetta == RunsNever && !strings.Contains(r.Rosetta.Reason, "microarchitecture support") {
				t.Errorf("reason %q does not quote the runtime's message", r.Rosetta.Reason)
			}
			if runs, why := r.RosettaOn("15.1"); runs != (tt.rosetta == RunsYes) {
				t.Errorf("RosettaOn(15.1) = %v, %s", runs, why)
			}
			if ok, why := r.RunsOn(nehalem); ok != tt.runsOnV2 {
				t.Errorf("RunsOn(nehalem) = %v, %q", ok, why)
			} else if !ok && !strings.Contains(why, "refuses to start") {
				t.Errorf("RunsOn reason %q", why)
			}
			if ok, why := r.RunsOn(haswell); ok != (tt.level != "x86-64-v4") {
				t.Errorf("RunsOn(haswell) = %v, %q", ok, why)
			}
			// The runtime's memmove/indexbyte carry AVX2 paths behind internal/cpu.
			if e, ok := r.Extension("AVX2"); !ok || e.Count == 0 || e.FirstAddr == 0 {
				t.Errorf("no AVX2 found in a Go binary: %+v", r.Extensions)
			} else if e.Guarded != (tt.level < "x86-64-v3") {
				t.Errorf("AVX2 guarded = %v at %s", e.Guarded, tt.level)
			}
			if r.Undecodable > r.Instructions/10000 {
				t.Errorf("%d undecodable bytes in %d instructions", r.Undecodable, r.Instructions)
			}
		})
	}
}

func TestGoARM64(t *testing.T) {
	tests := []struct {
		goarm64           string
		level             string
		lseGuarded        bool
		onA72, onN1, onM1 bool
		a72Reason         string
		slow              bool
	}{
		{"v8.0", "v8.0", true, true, true, true, "", false},
		{"v8.1", "v8.1", false, false, true, true, "will die with SIGILL", false},
		{"v8.0,lse", "v8.0,lse", false, false, true, true, "LSE", true},
		{"v8.0,crypto", "v8.0,crypto", true, false, true, true, "crypto", true},
		{"v9.0", "v9.0", false, false, true, true, "SIGILL", true},
	}
	for _, tt := range tests {
		t.Run(tt.goarm64, func(t *testing.T) {
			if tt.slow {
				needIntegration(t)
			}
			t.Parallel()
			r := goBuild(t, "GOOS=linux", "GOARCH=arm64", "GOARM64="+tt.goarm64)
			if r.RequiredLevel != tt.level || r.RequiredSource != "GOARM64" || r.Rosetta != nil {
				t.Errorf("required %s from %s, rosetta %v; want %s from GOARM64, none", r.RequiredLevel, r.RequiredSource, r.Rosetta, tt.level)
			}
			e, ok := r.Extension("LSE")
			if !ok || e.Guarded != tt.lseGuarded {
				t.Errorf("LSE %+v (found %v), want guarded=%v", e, ok, tt.lseGuarded)
			}
			for _, c := range []struct {
				name  string
				feats []string
				want  bool
			}{{"Cortex-A72", cortexA72, tt.onA72}, {"Neoverse-N1", neoverseN1, tt.onN1}, {"M1", appleM1, tt.onM1}} {
				ok, why := r.RunsOn(c.feats)
				if ok != c.want {
					t.Errorf("RunsOn(%s) = %v, %q; want %v", c.name, ok, why, c.want)
				}
				if c.name == "Cortex-A72" && !ok && !strings.Contains(why, tt.a72Reason) {
					t.Errorf("RunsOn(%s) reason %q lacks %q", c.name, why, tt.a72Reason)
				}
			}
		})
	}
}

const cLoop = `
#include <stdio.h>
float a[4096], b[4096], c[4096];
int main(int argc, char **argv) {
	for (int r = 0; r < argc * 100; r++)
		for (int i = 0; i < 4096; i++)
			a[i] = b[i] * c[i] + a[i] * (float)argc;
	printf("%f\n", a[argc]);
	return 0;
}
`

func TestCx86(t *testing.T) {
	if !strings.Contains(os.Getenv("PATH"), "/") {
		t.Skip("no PATH")
	}
	tests := []struct {
		name    string
		flags   []string
		uses    []string
		rosetta string
		on14    bool
		note    string
	}{
		{"plain", []string{"-O2"}, nil, RunsYes, true, "x86-64-v1"},
		{"avx2", []string{"-O3", "-mavx2"}, []string{"AVX", "AVX2"}, RunsMacOS15, false, "x86-64-v1"},
		// -mavx512f also emits VEX-encoded (AVX) instructions, executed by Rosetta only from macOS 15.
		{"avx512f", []string{"-O3", "-mavx512f"}, []string{"AVX-512", "AVX"}, RunsMayCrash, false, "x86-64-v1"},
		// GCC 12 emits no ISA note of its own: the linked crt objects say baseline.
		{"x86-64-v3", []string{"-O3", "-march=x86-64-v3"}, []string{"AVX", "FMA"}, RunsMacOS15, false, "x86-64-v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := analyze(t, fixture.C(t, "gcc", "gcc", cLoop, tt.flags...))
			if r.Arch != "amd64" || r.Go {
				t.Fatalf("arch %s go %v", r.Arch, r.Go)
			}
			for _, u := range tt.uses {
				if !r.Uses(u) {
					t.Errorf("does not report %s: %+v", u, r.Extensions)
				}
			}
			if r.ISANote != "" && r.ISANote != tt.note {
				t.Errorf("ISA note %s, want %s", r.ISANote, tt.note)
			}
			if r.Rosetta.Runs != tt.rosetta {
				t.Errorf("rosetta %+v, want %s", r.Rosetta, tt.rosetta)
			}
			if runs, why := r.RosettaOn("14.5"); runs != tt.on14 {
				t.Errorf("RosettaOn(14.5) = %v, %s", runs, why)
			}
			if runs, _ := r.RosettaOn("15.0"); !runs && tt.rosetta != RunsNever {
				t.Errorf("RosettaOn(15.0) = false")
			}
			if runs, _ := r.RosettaOn("28"); runs {
				t.Errorf("RosettaOn(28) = true")
			}
			// A code scan never makes a level required (issue 10): the uses may sit
			// behind a CPUID check the scanner cannot see.
			if r.RequiredSource != SourceBaseline && r.RequiredSource != SourceISANote {
				t.Errorf("required %s from %s", r.RequiredLevel, r.RequiredSource)
			}
			if ok, why := r.RunsOn(nehalem); !ok {
				t.Errorf("RunsOn(nehalem) = %v %q", ok, why)
			}
			if len(tt.uses) > 0 && r.MaxLevelUsed == "x86-64-v1" {
				t.Errorf("max level used %s with %v", r.MaxLevelUsed, tt.uses)
			}
		})
	}
}

const cAtomic = `
#include <stdio.h>
long counter;
int main(int argc, char **argv) {
	__atomic_fetch_add(&counter, argc, __ATOMIC_SEQ_CST);
	long old = argc;
	__atomic_compare_exchange_n(&counter, &old, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	printf("%ld\n", counter);
	return 0;
}
`

func TestCARM64(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		level   string
		guarded bool
		onA72   bool
	}{
		{"armv8.1-a", []string{"-O2", "-march=armv8.1-a", "-mno-outline-atomics"}, "v8.1", false, false},
		{"outline-atomics", []string{"-O2", "-march=armv8-a", "-moutline-atomics"}, "v8.0", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := analyze(t, fixture.C(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", cAtomic, tt.flags...))
			e, ok := r.Extension("LSE")
			if !ok || e.Guarded != tt.guarded {
				t.Fatalf("LSE %+v (found %v), want guarded=%v", e, ok, tt.guarded)
			}
			if r.RequiredLevel != "v8.0" || r.RequiredSource != SourceBaseline || r.MaxLevelUsed != "v8.1" {
				t.Errorf("required %s from %s, max used %s; want v8.0 from baseline, v8.1", r.RequiredLevel, r.RequiredSource, r.MaxLevelUsed)
			}
			// Used is not required: the verdict does not rest on the scan, the
			// reason says what the CPU lacks.
			ok, why := r.RunsOn(cortexA72)
			if !ok || (!tt.onA72 && !strings.Contains(why, "LSE")) {
				t.Errorf("RunsOn(Cortex-A72) = %v, %q", ok, why)
			}
		})
	}
}

func TestAnalyzeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, data, want string
	}{
		{"empty", "", "read magic"},
		{"text", "hello, world", "unknown executable format"},
		{"fat", "\xca\xfe\xba\xbe\x00\x00\x00\x02", "universal"},
		{"truncated ELF", "\x7fELF\x02\x01\x01\x00", "ELF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := analyzeImage(context.Background(), strings.NewReader(tt.data), int64(len(tt.data)), Input{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Analyze = %v, %v; want error with %q", r, err, tt.want)
			}
		})
	}
}

var helloCache sync.Map // env -> path, shared by tests in one run

func goBuildPath(t *testing.T, env ...string) string {
	key := strings.Join(env, ",")
	if p, ok := helloCache.Load(key); ok {
		if _, err := os.Stat(p.(string)); err == nil {
			return p.(string)
		}
	}
	p := fixture.Go(t, fixture.Hello, append([]string{"CGO_ENABLED=0"}, env...), "-trimpath")
	helloCache.Store(key, p)
	return p
}

// needIntegration skips tests that build a standard library of their own (minutes
// on a cold cache) unless GONATIVE_INTEGRATION is set.
func needIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv("GONATIVE_INTEGRATION") == "" {
		t.Skip("set GONATIVE_INTEGRATION=1 to build with this GOAMD64/GOARM64/GOOS")
	}
}

func TestLevels(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		err      bool
	}{
		{"", "v8.0", false}, {"v8.0", "v8.0", false}, {"v8.1", "v8.1", false}, {"v8.0,lse", "v8.0,lse", false},
		{"v8.0,crypto,lse", "v8.0,lse,crypto", false}, {"v9.5", "v9.5", false}, {"v8.1,lse", "v8.1", false},
		{"v9.6", "", true}, {"v7.0", "", true}, {"v8.0,sha", "", true}, {"8.0", "", true},
	} {
		l, err := parseARMLevel(tt.in)
		if (err != nil) != tt.err || (err == nil && l.String() != tt.want) {
			t.Errorf("parseARMLevel(%q) = %v, %v; want %s (error %v)", tt.in, l, err, tt.want, tt.err)
		}
	}
}

func TestRunsOnUnknown(t *testing.T) {
	r := &Report{Arch: "arm64", RequiredLevel: "v8.1", RequiredSource: "GOARM64"}
	if ok, why := r.RunsOn(nil); !ok || !strings.Contains(why, "unknown") {
		t.Errorf("RunsOn(nil) = %v, %q", ok, why)
	}
	if ok, _ := r.RunsOn([]string{"hw.optional.arm.FEAT_LSE"}); !ok {
		t.Errorf("RunsOn(FEAT_LSE) = false")
	}
}

func TestAddrJSON(t *testing.T) {
	b, err := json.Marshal(Extension{Name: "AVX2", Count: 2, FirstAddr: 0x401000})
	if err != nil || !strings.Contains(string(b), `"first_addr":"0x401000"`) {
		t.Fatalf("%s %v", b, err)
	}
	var e Extension
	if err := json.Unmarshal(b, &e); err != nil || e.FirstAddr != 0x401000 {
		t.Fatalf("%+v %v", e, err)
	}
}

func TestX86Variant(t *testing.T) {
	for name, want := range map[string]bool{
		"__memmove_avx_unaligned_erms": true, "__strlen_evex": true, "__memcpy_avx512_no_vzeroupper": true,
		"aesni_gcm_encrypt": true, "sha256_block_data_order_avx2": true, "__strchr_sse2": false,
		"submit_job": false, "format": false, "main": false,
	} {
		if got := x86Variant(name); got != want {
			t.Errorf("x86Variant(%q) = %v", name, got)
		}
	}
}

// FuzzX86Variant holds x86Variant to its definition: a word of the name (split at
// '_', '.', '$' and '@'), lower-cased, starts with an extension's name.
func FuzzX86Variant(f *testing.F) {
	for _, s := range []string{"__memmove_avx_unaligned_erms", "SHA256_Block_AVX2", "x@@AESNI", "_$sse", "__strchr_sse2", "fmaf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := false
		for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '.' || r == '$' || r == '@' }) {
			for _, k := range []string{"avx", "evex", "sse3", "ssse3", "sse4", "popcnt", "bmi", "fma", "f16c",
				"lzcnt", "movbe", "aesni", "shaext", "pclmul", "rdrand", "rdseed", "amx"} {
				want = want || strings.HasPrefix(w, k)
			}
		}
		for _, r := range name {
			if r >= 0x80 {
				return // ToLower folds a few non-ASCII letters to ASCII ones; symbol names are ASCII
			}
		}
		if got := x86Variant(name); got != want {
			t.Errorf("x86Variant(%q) = %v, want %v", name, got, want)
		}
	})
}

// TestCStaticGlibc checks that glibc's ifunc variants (__memmove_avx512_*,
// __strlen_evex ...) linked into a static binary count as guarded.
func TestCStaticGlibc(t *testing.T) {
	t.Parallel()
	r := analyze(t, fixture.C(t, "gcc", "gcc", cLoop, "-O2", "-static"))
	for _, name := range []string{"AVX2", "AVX-512"} {
		if e, ok := r.Extension(name); !ok || !e.Guarded {
			t.Errorf("%s: %+v (found %v), want guarded", name, e, ok)
		}
	}
	if r.RequiredLevel != "x86-64-v1" || r.Rosetta.Runs != RunsYes {
		t.Errorf("required %s from %s, Rosetta %+v", r.RequiredLevel, r.RequiredSource, r.Rosetta)
	}
}
