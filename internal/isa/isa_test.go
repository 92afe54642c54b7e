package isa

import (
	"encoding/json"
	"strings"
	"testing"
)

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
		if got := x86Variant([]byte(name)); got != want { // as Guard takes a symbol table's bytes
			t.Errorf("x86Variant([]byte(%q)) = %v, want %v", name, got, want)
		}
	})
}
