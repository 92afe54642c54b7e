package isa

import (
	"context"
	"io"
	"testing"
)

// What the external tests (package isa_test, which read executables with
// internal/exe as the product does) use of the package's internals and its tests.

// Test data shared with the internal tests.
var (
	AVX2Code    = avx2Code
	AVX512Code  = avx512Code
	LSECode     = lseCode
	CompilePath = compilePath
)

// CLoop is a small C program whose loop compilers vectorise.
const CLoop = cLoop

// Scan configurations for CompareScanX86: the product's, and ones with small or large
// chunks that make chunk carries, meetings of the streams and splits happen.
var (
	DefaultScan = defaultScan
	SmallScan   = scanConfig{chunk: 64<<10 + 7, split: 2 << 10, window: 300}
	BigScan     = scanConfig{chunk: 1<<20 + 3, split: 1 << 10, window: 64}
)

// CompareScanX86 scans code (read through ra) with the interleaved streams under
// each configuration and with the serial reference sweep, and fails unless every
// field of the result is equal.
func CompareScanX86(t *testing.T, name string, ra io.ReaderAt, code *Code, cfgs ...scanConfig) {
	t.Helper()
	compareScan(t, name, ra, code.Ranges, code.Guarded, cfgs...)
}

// ScanX86 scans code with the streams, or with the serial reference sweep.
func ScanX86(ra io.ReaderAt, code *Code, serial bool) error {
	var st stats
	sc := newScanner(ra, code.Guarded, largest(code.Ranges))
	for _, rg := range code.Ranges {
		scan := sc.scanX86
		if serial {
			scan = sc.scanX86Serial
		}
		if err := scan(context.Background(), rg, &st); err != nil {
			return err
		}
	}
	return nil
}

// ScanConfig is a scan configuration (DefaultScan, SmallScan, BigScan).
type ScanConfig = scanConfig
