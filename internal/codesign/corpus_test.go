package codesign

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// corpusFiles returns the Mach-O files of the real-world corpus scripts/corpus.sh
// downloads (npm packages' darwin binaries: linker-signed, ad hoc and Developer ID
// signed, thin and universal), or skips when it is not there.
func corpusFiles(t *testing.T) []string {
	dir := os.Getenv("GONATIVE_CORPUS")
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("offline: no user cache directory for the corpus (%v): set GONATIVE_CORPUS", err)
		}
		dir = filepath.Join(c, "gonative", "corpus")
	}
	ents, err := os.ReadDir(filepath.Join(dir, "files"))
	if err != nil {
		t.Skipf("offline: no corpus in %s (scripts/corpus.sh downloads it)", dir)
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(dir, "files", e.Name())
		f, err := os.Open(p)
		if err != nil || !e.Type().IsRegular() {
			continue
		}
		var m [4]byte
		f.Read(m[:])
		f.Close()
		switch string(m[:]) {
		case "\xcf\xfa\xed\xfe", "\xce\xfa\xed\xfe", "\xca\xfe\xba\xbe", "\xca\xfe\xba\xbf":
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Skipf("offline: no Mach-O file in the corpus in %s (scripts/corpus.sh downloads it)", dir)
	}
	return out
}

// TestCorpusResign re-signs, ad hoc, every Mach-O file of the corpus, binaries nobody
// here built or signed: the test verifier agrees with exe's on the originals, and
// every re-signed slice verifies with both, with no byte outside the signature
// changed.
func TestCorpusResign(t *testing.T) {
	for _, p := range corpusFiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out, res, err := Sign(in, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(context.Background(), out, res); err != nil {
				t.Fatal(err)
			}
			ins, outs := [][]byte{in}, [][]byte{out}
			if res.Universal {
				ins, outs = nil, nil
				for i, a := range fatArches(in) {
					b := fatArches(out)[i]
					ins, outs = append(ins, in[a.Offset:a.Offset+a.Size]), append(outs, out[b.Offset:b.Offset+b.Size])
				}
			}
			for i, r := range res.Slices {
				if r.Kept != "" {
					if !bytes.Equal(ins[i], outs[i]) {
						t.Errorf("slice %d kept but changed", i)
					}
					continue
				}
				if _, err := verifyThin(outs[i]); err != nil {
					t.Errorf("%s slice: test verifier: %v", r.Arch, err)
				}
				if err := changedOutside(ins[i], outs[i]); err != nil {
					t.Errorf("%s slice: %v", r.Arch, err)
				}
				_, origErr := verifyThin(ins[i])
				t.Logf("%s: was %s (test verifier on the original: %v), %d pages", r.Arch, r.Previous, origErr, r.Pages)
			}
		})
	}
}
