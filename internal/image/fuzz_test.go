package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// seedTar is a small layer with the shapes that matter: whiteouts, "..", links.
func seedTar() []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range []*tar.Header{
		{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "a/.wh.x", Typeflag: tar.TypeReg},
		{Name: "b/.wh..wh..opq", Typeflag: tar.TypeReg},
		{Name: "../../up", Typeflag: tar.TypeReg, Size: 2},
		{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../../../etc"},
		{Name: "h", Typeflag: tar.TypeLink, Linkname: "../up"},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("hi"))
		}
	}
	tw.Close()
	return b.Bytes()
}

// FuzzWalk flattens two arbitrary uncompressed layers. Invariants: every path
// delivered is absolute and clean with no ".." (nothing escapes), none is a whiteout,
// none is delivered twice, a regular file yields at most its size, and every symlink
// resolves (or fails) to a clean absolute path inside the image.
func FuzzWalk(f *testing.F) {
	f.Add(seedTar(), seedTar())
	f.Add([]byte{}, seedTar())
	f.Fuzz(func(t *testing.T, lower, upper []byte) {
		img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/l"}},
			static.NewLayer(lower, types.OCIUncompressedLayer), static.NewLayer(upper, types.OCIUncompressedLayer))
		seen := map[string]bool{}
		tr := tree{}
		Walk(context.Background(), img, func(e *Entry) error {
			if !strings.HasPrefix(e.Path, "/") || path.Clean(e.Path) != e.Path || strings.Contains(e.Path, "/../") {
				t.Fatalf("path %q escapes or is not clean", e.Path)
			}
			if strings.HasPrefix(path.Base(e.Path), ".wh.") {
				t.Fatalf("whiteout %q delivered", e.Path)
			}
			if seen[e.Path] {
				t.Fatalf("%q delivered twice", e.Path)
			}
			seen[e.Path] = true
			tr[e.Path] = &node{typ: e.Type, link: e.Linkname}
			if e.Reader != nil {
				// Sparse members can claim terabytes: read a bounded prefix.
				n, _ := io.Copy(io.Discard, io.LimitReader(e.Reader, min(e.Size, 1<<20)+1))
				if n > e.Size {
					t.Fatalf("%q: read %d bytes of %d", e.Path, n, e.Size)
				}
			}
			return nil
		})
		for p := range tr {
			got, _, _ := tr.resolve(p)
			if !strings.HasPrefix(got, "/") || path.Clean(got) != got {
				t.Fatalf("resolve(%q) = %q", p, got)
			}
		}
	})
}

// FuzzTarStore indexes an arbitrary file as an oci-archive. Invariant: every member
// it records lies inside the file, and opening index.json never panics.
func FuzzTarStore(f *testing.F) {
	f.Add(seedTar())
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "a.tar")
		os.WriteFile(p, data, 0o644)
		s, err := openTarStore(p)
		if err != nil {
			return
		}
		defer s.f.Close()
		for name, m := range s.members {
			if m[0] < 0 || m[1] < 0 || m[0]+m[1] > int64(len(data)) {
				t.Fatalf("member %q at %d+%d outside a %d-byte file", name, m[0], m[1], len(data))
			}
		}
		openStore("oci-archive:"+p, s)
	})
}

// claimedLayer is a layer whose manifest digest, size and diff_id are those of claim
// while its bytes are blob: a corrupt or substituted blob when they differ.
type claimedLayer struct{ blob, claim []byte }

func (l claimedLayer) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(l.claim))
	return h, err
}
func (l claimedLayer) DiffID() (v1.Hash, error) {
	var r io.Reader = bytes.NewReader(l.claim)
	if zr, err := gzip.NewReader(bytes.NewReader(l.claim)); err == nil {
		r = zr
	}
	h, _, _ := v1.SHA256(r)
	return h, nil
}
func (l claimedLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}
func (l claimedLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("the walk reads the stored bytes")
}
func (l claimedLayer) Size() (int64, error)                { return int64(len(l.claim)), nil }
func (l claimedLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

// FuzzWalkDigests walks a layer whose bytes (blob) may not be the ones its manifest
// and config name (claim). Invariant: never a verified layer, nor a walk without
// error, unless the blob is the claimed one byte for byte; and a walk of the claimed
// bytes themselves never fails on a digest.
func FuzzWalkDigests(f *testing.F) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(seedTar())
	zw.Close()
	good := gz.Bytes()
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	f.Add(good, good)
	f.Add(flipped, good)
	f.Add(good[:len(good)-1], good)
	f.Add(seedTar(), seedTar())
	f.Add(append(seedTar(), 0), seedTar())
	f.Fuzz(func(t *testing.T, blob, claim []byte) {
		img := handImage(t, amd64, v1.Config{}, claimedLayer{blob: blob, claim: claim})
		verified := false
		err := WalkLayers(context.Background(), img, func(e *Entry) error {
			if e.Reader != nil {
				io.Copy(io.Discard, io.LimitReader(e.Reader, min(e.Size, 1<<20)))
			}
			return nil
		}, func(int) error { verified = true; return nil })
		same := bytes.Equal(blob, claim)
		if (verified || err == nil) && !same {
			t.Fatalf("blob %x verified as %x (err %v)", blob, claim, err)
		}
		if verified && err != nil {
			t.Fatalf("verified, then %v", err)
		}
		if same && errors.Is(err, ErrCorrupt) {
			t.Fatalf("the claimed bytes themselves: %v", err)
		}
	})
}
