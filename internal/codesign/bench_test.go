package codesign

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// universal20MB is a universal file of two 10 MB slices (x86_64 unsigned, arm64
// unsigned), the size of a large Go CLI.
func universal20MB() []byte {
	const slice = 10 << 20
	return fat(14,
		synth{bits: 64, cpu: 0x01000007, pad: 64, filetype: mhExecute, code: slice - 8192, linkedit: 4096, seed: 7}.build(),
		synth{bits: 64, cpu: cpuTypeARM64, pad: 64, filetype: mhExecute, code: slice - 8192, linkedit: 4096, seed: 8}.build())
}

// BenchmarkSignUniversal20MB signs a 20 MB universal file in memory; the budget is
// 0.3 s per file (docs/sign.md has the measured time).
func BenchmarkSignUniversal20MB(b *testing.B) {
	in := universal20MB()
	b.SetBytes(int64(len(in)))
	cpu0 := fixture.CPUTime()
	for b.Loop() {
		if _, _, err := Sign(in, "big", Options{}); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time says what the signer costs on a busy machine, where wall time also
	// counts the waits for a core.
	b.ReportMetric(float64(fixture.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// TestWriteBenchFile writes the benchmark's input to GONATIVE_BENCH_FILE, for timing
// other signers (quill) on the same file.
func TestWriteBenchFile(t *testing.T) {
	p := os.Getenv("GONATIVE_BENCH_FILE")
	if p == "" {
		t.Skip("GONATIVE_BENCH_FILE is not set: nothing to write")
	}
	if err := os.WriteFile(filepath.Clean(p), universal20MB(), 0o755); err != nil {
		t.Fatal(err)
	}
}
