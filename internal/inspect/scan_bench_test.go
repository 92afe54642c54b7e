package inspect

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/isa"
)

// BenchmarkScanCLibrary measures the scan that users' runs make without -v or --isa:
// the automatic mode scans only x86-64 code that is not Go (judged for Rosetta 2 on an
// Apple Silicon host), with the run-time dispatch guards that glibc's and OpenSSL's
// IFUNC variants need. The code comes through exe (Slice.Code with isa.Guard), the product's
// path, not the Go compiler that internal/isa's benchmarks scan (mostly non-VEX Go
// code, without guards), which flatters the figure. Data: this machine's Debian
// libc.so.6 and libcrypto.so.3.
func BenchmarkScanCLibrary(b *testing.B) {
	for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"} {
		b.Run(filepath.Base(p), func(b *testing.B) {
			fd, err := os.Open(p)
			if err != nil {
				b.Skipf("%v (a Debian amd64 machine has it)", err)
			}
			defer fd.Close()
			st, err := fd.Stat()
			if err != nil {
				b.Fatal(err)
			}
			f := exe.Read(context.Background(), fd, st.Size(), exe.Options{})
			if len(f.Slices) != 1 || f.Slices[0].Arch != "amd64" || f.Slices[0].Go != nil {
				b.Skipf("%s is not a non-Go x86-64 ELF file here", p)
			}
			s := &f.Slices[0]
			code, err := s.Code(isa.Guard(s.Arch))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(code.Size())
			b.ReportAllocs()
			for b.Loop() {
				r, err := isa.Analyze(context.Background(), s.Reader(), code, isa.Input{Scan: true})
				if err != nil || !r.Scanned {
					b.Fatalf("scan: %v (scanned %v)", err, r != nil && r.Scanned)
				}
			}
		})
	}
}
