package exe

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkStrippedGoPE measures recognising a stripped Go PE without build info
// (esbuild 0.28.2 for win32-arm64, 10 MB, from the real-world corpus): the bounded
// pclntab scan and the version-string scan.
func BenchmarkStrippedGoPE(b *testing.B) {
	cache, _ := os.UserCacheDir()
	p := filepath.Join(cache, "gonative", "corpus", "files", "npm-esbuild-0.28.2-win32-arm64")
	if _, err := os.Stat(p); err != nil {
		b.Skip("run scripts/corpus.sh first")
	}
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	for b.Loop() {
		f, err := Inspect(context.Background(), p, Options{})
		if err != nil || f.Slices[0].Go == nil {
			b.Fatal(err)
		}
	}
}
