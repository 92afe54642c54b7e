package codesign

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are the inputs testdata/fuzz/FuzzSign holds (TestWriteFuzzSeeds writes
// them when GONATIVE_WRITE_SEEDS is set).
func fuzzSeeds() [][]byte {
	x86 := synth{bits: 64, cpu: 0x01000007, pad: 32, minOS: 0x000a0900, filetype: mhExecute, code: 300, linkedit: 40, seed: 2}.build()
	arm := synth{bits: 64, cpu: cpuTypeARM64, pad: 16, filetype: mhExecute, code: 5000, linkedit: 24, seed: 3}.build()
	signed, _, _ := Sign(arm, "seed", Options{Entitlements: []byte("<plist><dict><key>get-task-allow</key><true/></dict></plist>")})
	return [][]byte{
		arm,
		x86,
		synth{bits: 32, cpu: 7, pad: 20, filetype: 6, code: 100, linkedit: 9, seed: 4}.build(),
		signed,
		fat(4, x86, arm),
		synth{bits: 64, cpu: cpuTypeARM64, pad: 8, filetype: mhExecute, code: 10, linkedit: 4, seed: 5}.build(),
	}
}

// TestWriteFuzzSeeds writes the seed corpus (GONATIVE_WRITE_SEEDS=1).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GONATIVE_WRITE_SEEDS") == "" {
		t.Skip("GONATIVE_WRITE_SEEDS is not set: the committed seeds are used")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSign")
	os.MkdirAll(dir, 0o755)
	for i, s := range fuzzSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzSign: whatever the input, Sign never panics, and when it signs, the output
// verifies with exe's verifier and the test verifier, no byte outside the signature
// and its load-command fields changed (thin files), and signing the output again
// gives the same bytes.
func FuzzSign(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			return
		}
		orig := bytes.Clone(in)
		out, res, err := Sign(in, "fuzz", Options{})
		if !bytes.Equal(in, orig) {
			t.Fatal("Sign modified its input")
		}
		if err != nil {
			return
		}
		if err := Verify(context.Background(), out, res); err != nil {
			t.Fatalf("exe's verifier: %v", err)
		}
		if !res.Universal {
			if _, err := verifyThin(out); err != nil {
				t.Fatalf("test verifier: %v", err)
			}
			if err := changedOutside(in, out); err != nil {
				t.Fatal(err)
			}
		} else {
			ins, outs := fatArches(in), fatArches(out)
			for i, r := range res.Slices {
				a, b := ins[i], outs[i]
				inS, outS := in[a.Offset:a.Offset+a.Size], out[b.Offset:b.Offset+b.Size]
				if r.Kept != "" {
					if !bytes.Equal(inS, outS) {
						t.Fatalf("kept slice %d changed", i)
					}
					continue
				}
				if _, err := verifyThin(outS); err != nil {
					t.Fatalf("slice %d: test verifier: %v", i, err)
				}
				if err := changedOutside(inS, outS); err != nil {
					t.Fatalf("slice %d: %v", i, err)
				}
			}
		}
		again, _, err := Sign(out, "fuzz", Options{})
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("signing the output again: err %v, same %v", err, bytes.Equal(again, out))
		}
	})
}
