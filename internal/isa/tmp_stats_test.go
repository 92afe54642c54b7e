package isa

import (
	"context"
	"os"
	"testing"
)

func TestTmpStats(t *testing.T) {
	for _, p := range []string{compilePath(t), "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"} {
		f, _ := os.Open(p)
		fi, _ := f.Stat()
		img, _ := openImage(f, fi.Size(), true)
		var st stats
		sc := newScanner(f, img.guard, largest(img.regions))
		var slow, fast int
		for _, rg := range img.regions {
			sc.scanX86(context.Background(), rg, &st)
			b := make([]byte, rg.Size+16)
			f.ReadAt(b[:rg.Size], rg.Off)
			for i := 0; i < int(rg.Size); {
				if n := fastLenX86(b[i : i+16]); n != 0 {
					fast++
					i += n
					continue
				}
				slow++
				in := decodeX86(b[i:])
				if in.n == 0 {
					i++
				} else {
					i += in.n
				}
			}
		}
		t.Logf("%s: bytes %d inst %d (%.2f B/inst) undec %d fast %d slow %d (%.1f%%) guards %d", p, st.bytes, st.instructions, float64(st.bytes)/float64(st.instructions), st.undecodable, fast, slow, 100*float64(slow)/float64(fast+slow), len(img.guard))
	}
}
