package toolchain

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/dirhash"
)

// BenchmarkExtractZip extracts a toolchain zip (GONATIVE_BENCH_ZIP, e.g. a real
// v0.0.1-go1.27.3.linux-amd64.zip; a small fake one otherwise).
func BenchmarkExtractZip(b *testing.B) {
	zp := os.Getenv("GONATIVE_BENCH_ZIP")
	if zp == "" {
		zp = filepath.Join(b.TempDir(), "fake.zip")
		os.WriteFile(zp, fakeModuleZip(b, "1.27.3", linuxAMD64), 0o644)
	}
	for b.Loop() {
		dir := b.TempDir()
		if _, err := extractArchive(b.Context(), zp, "zip", dir); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		removeAll(dir)
		b.StartTimer()
	}
}

// BenchmarkHashZip is the h1: hash of the same zip, which verification computes.
func BenchmarkHashZip(b *testing.B) {
	zp := os.Getenv("GONATIVE_BENCH_ZIP")
	if zp == "" {
		zp = filepath.Join(b.TempDir(), "fake.zip")
		os.WriteFile(zp, fakeModuleZip(b, "1.27.3", linuxAMD64), 0o644)
	}
	for b.Loop() {
		if _, err := dirhash.HashZip(zp, dirhash.Hash1); err != nil {
			b.Fatal(err)
		}
	}
}
