//go:build unix

package isa

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// codeFile writes n bytes of x86-64 code (common instructions, some AVX2) to a file
// and returns it open.
func codeFile(t *testing.T, n int) *os.File {
	t.Helper()
	unit := append(bytes.Repeat([]byte{0x48, 0x89, 0xc8, 0x48, 0x83, 0xc0, 0x01, 0x90}, 7), avx2Code...)
	code := bytes.Repeat(unit, n/len(unit)+1)[:n]
	p := filepath.Join(t.TempDir(), "code")
	if err := os.WriteFile(p, code, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestScanMapsFile checks that the x86-64 scan reads a large range of a file through
// a mapping, a window at a time, not through preads into its buffer (whose copy cost
// a tenth of inspect --isa's CPU time on the executables tree), with the same result
// as the serial sweep read through preads: one window (the product's chunks), and
// three (small chunks, which meet the windows' ends anywhere).
func TestScanMapsFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		cfg  scanConfig
	}{
		{"one window", 3*chunkSize + 12345, defaultScan},
		{"windows", 2*mapWindow + 12345, SmallScan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := codeFile(t, tc.n)
			rg := Range{Off: 0, Size: int64(tc.n), Addr: 0x401000}
			var got, want stats
			sc := newScanner(f, nil, rg.Size)
			tc.cfg.set(sc, rg.Size)
			sc.buf = nil
			if err := sc.scanX86(context.Background(), rg, &got); err != nil {
				t.Fatal(err)
			}
			if sc.mapped != rg.Size || sc.buf != nil {
				t.Errorf("mapped %d of %d bytes, buffer of %d bytes: the scan read the file through preads", sc.mapped, rg.Size, len(sc.buf))
			}
			ref := newScanner(struct{ *os.File }{f}, nil, rg.Size) // not an *os.File: read through preads
			tc.cfg.set(ref, rg.Size)
			if err := ref.scanX86Serial(context.Background(), rg, &want); err != nil {
				t.Fatal(err)
			}
			if ref.mapped != 0 {
				t.Fatal("the reference mapped the file")
			}
			if !reflect.DeepEqual(got, want) || got.count[xAVX2] == 0 {
				t.Errorf("mapped scan %+v, serial sweep %+v", got.count, want.count)
			}
		})
	}
}

// cutCtx is a context whose Err cuts the file short the second time it is asked,
// while the scan reads it through a mapping.
type cutCtx struct {
	context.Context
	path  string
	calls int
}

func (c *cutCtx) Err() error {
	if c.calls++; c.calls == 2 {
		os.Truncate(c.path, 0)
	}
	return nil
}

// TestScanFileCutShort cuts a file short while its code is scanned through a
// mapping: reading what was cut off faults, and Analyze returns an error instead of
// the program dying of SIGBUS.
func TestScanFileCutShort(t *testing.T) {
	const n = 4 * mapChunkSize
	f := codeFile(t, n)
	code := &Code{Arch: "amd64", Format: "elf", Ranges: []Range{{Off: 0, Size: n, Addr: 0x401000}}}
	ctx := &cutCtx{Context: context.Background(), path: f.Name()}
	rep, err := Analyze(ctx, f, code, Input{Scan: true})
	if ctx.calls < 2 {
		t.Fatalf("the scan asked the context %d times: the file was not cut", ctx.calls)
	}
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("Analyze = %v, %v; want the error that the file changed", rep, err)
	}
}

// TestScanMapChunks checks that a mapped range is scanned in chunks of 1 MiB, not
// of the read buffer's 256 KiB: the streams' fixed costs per chunk (their uneven
// ends, the meetings) took 8% more CPU in BenchmarkScanX86 with the smaller ones.
func TestScanMapChunks(t *testing.T) {
	const n = 4<<20 + 12345
	f := codeFile(t, n)
	rg := Range{Off: 0, Size: n, Addr: 0x401000}
	sc := newScanner(f, nil, rg.Size)
	var st stats
	if err := sc.scanX86(context.Background(), rg, &st); err != nil {
		t.Fatal(err)
	}
	if sc.mapped != n || sc.mapChunks > n>>20+1 {
		t.Errorf("%d bytes mapped in %d chunks, want %d bytes in at most %d", sc.mapped, sc.mapChunks, n, n>>20+1)
	}
}
