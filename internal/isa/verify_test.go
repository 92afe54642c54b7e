package isa

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A table of negative 32-bit offsets, as LLVM puts jump tables in __text: read as
// code, 62 fd ff ff is an EVEX (AVX-512) prefix.
var jumpTable = bytes.Repeat([]byte{0xf8, 0xfc, 0xff, 0xff, 0x62, 0xfd, 0xff, 0xff}, 16)

// image lays out functions at 0x1000: each []byte is one function, 16-byte aligned.
func image(funcs ...[]byte) (b []byte, spans []Span) {
	for _, f := range funcs {
		for len(b)%16 != 0 {
			b = append(b, 0xcc)
		}
		spans = append(spans, Span{Lo: 0x1000 + uint64(len(b))})
		b = append(b, f...)
	}
	return b, spans
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestVerifyX86 checks what the sweep finds against the functions the file names: a
// jump table after a function's code is data (doubtful, and the Rosetta verdict does not
// rest on it), real AVX-512 code is confirmed, data the file marks is doubtful, a use
// outside every named function keeps the sweep's word.
func TestVerifyX86(t *testing.T) {
	prologue := []byte{0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0} // push rbp; mov rbp, rsp; xor eax, eax
	ret := []byte{0x5d, 0xc3}                              // pop rbp; ret
	tableFn := cat(prologue, ret, jumpTable)
	realFn := cat(prologue, avx512Code[:6], ret)
	tests := []struct {
		name  string
		b     []byte
		funcs func([]Span) []Span
		data  func([]Span) []Span
		want  Confidence // the AVX-512 class's confidence
		runs  string     // the Rosetta verdict
	}{
		{"jump table in a function", cat(tableFn), nil, nil, ConfidenceDoubtful, RunsYes},
		{"real AVX-512", nil, nil, nil, ConfidenceConfirmed, RunsMayCrash},
		{"no function map", cat(tableFn), func([]Span) []Span { return nil }, nil, ConfidenceSweep, RunsMayCrash},
		{"marked data", cat(tableFn), nil, func(s []Span) []Span { return []Span{{Lo: s[0].Lo + 8, Hi: s[0].Lo + 8 + uint64(len(jumpTable))}} },
			ConfidenceDoubtful, RunsYes},
		{"outside every function", cat(tableFn), func(s []Span) []Span { return []Span{{Lo: s[0].Lo, Hi: s[0].Lo + 8}} }, nil,
			ConfidenceSweep, RunsMayCrash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, spans := image(tt.b)
			if tt.b == nil {
				b, spans = image(tableFn, realFn)
			}
			code := &Code{Arch: "amd64", Format: "macho", Ranges: []Range{{Off: 0, Size: int64(len(b)), Addr: 0x1000}},
				Funcs: spans, FuncsFrom: "test"}
			if tt.funcs != nil {
				code.Funcs = tt.funcs(spans)
			}
			if tt.data != nil {
				code.Data = tt.data(spans)
			}
			r, err := Analyze(context.Background(), bytes.NewReader(b), code, Input{Scan: true})
			if err != nil {
				t.Fatal(err)
			}
			e, ok := r.Extension("AVX-512")
			if !ok {
				t.Fatalf("no AVX-512 found by the sweep: %+v", r.Extensions)
			}
			if e.Confidence != tt.want {
				t.Errorf("AVX-512 confidence %q (%s), want %q", e.Confidence, e.Doubt, tt.want)
			}
			if tt.want == ConfidenceConfirmed && uint64(e.ConfirmedFunc) != spans[1].Lo {
				t.Errorf("confirmed in the function at %s, want %#x", e.ConfirmedFunc, spans[1].Lo)
			}
			if r.Rosetta == nil || r.Rosetta.Runs != tt.runs {
				t.Errorf("Rosetta %+v, want %s", r.Rosetta, tt.runs)
			}
			if tt.want == ConfidenceDoubtful && !strings.Contains(strings.Join(r.Notes, "\n"), "doubtful") {
				t.Errorf("notes %q do not say the class is doubtful", r.Notes)
			}
		})
	}
}

// TestRosettaSeesCPUID: the verdict counts the image's CPUID instructions (it once ran
// before the counters were set, and said "no CPUID instruction" for code with some).
func TestRosettaSeesCPUID(t *testing.T) {
	b := cat([]byte{0x0f, 0xa2}, avx512Code) // cpuid; vpaddd zmm0, zmm0, zmm1; ret
	code := &Code{Arch: "amd64", Format: "macho", Ranges: []Range{{Size: int64(len(b)), Addr: 0x1000}}}
	r, err := Analyze(context.Background(), bytes.NewReader(b), code, Input{Scan: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.CPUID != 1 || r.Rosetta == nil || r.Rosetta.Runs != RunsYes || strings.Contains(r.Rosetta.Reason, "no CPUID") {
		t.Errorf("cpuid %d, Rosetta %+v", r.CPUID, r.Rosetta)
	}
}

// TestImplausibleX86 lists encodings the length decoder accepts and no CPU before APX
// executes.
func TestImplausibleX86(t *testing.T) {
	for _, tt := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{0xff, 0xff}, true},                          // FF /7
		{[]byte{0xff, 0xe0}, false},                         // jmp rax
		{[]byte{0xfe, 0xd0}, true},                          // FE /2
		{[]byte{0xfe, 0xc0}, false},                         // inc al
		{[]byte{0x62, 0xfd, 0xff, 0xff, 0x62, 0xfd}, true},  // EVEX with P0 bit 3
		{[]byte{0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc1}, false}, // vpaddd zmm0, zmm0, zmm1
		{[]byte{0x62, 0xfc, 0x7c, 0x08, 0x01, 0xc1}, false}, // APX map 4
		{[]byte{0x48, 0x48, 0x89, 0xc0}, true},              // REX before REX
		{[]byte{0x66, 0x48, 0xff, 0xc0}, false},             // inc rax with 66
	} {
		if got := implausibleX86(tt.b); got != tt.want {
			t.Errorf("% x: implausible %v, want %v", tt.b, got, tt.want)
		}
	}
}
