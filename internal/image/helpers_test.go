package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// newRegistry serves an in-process registry on loopback and returns its host:port.
func newRegistry(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// ent is one member of a hand-made layer.
type ent struct {
	name string
	typ  byte
	mode int64
	data string
	link string
	raw  []byte // written as is (already a tar member, headers and padding)
}

// rawLayer writes entries as a tar (gzip-compressed) without any cleaning: names
// such as "../x" go in as they are.
func rawLayer(t testing.TB, ents ...ent) v1.Layer {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, e := range ents {
		if e.raw != nil {
			tw.Flush()
			tb.Write(e.raw)
			continue
		}
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Linkname: e.link, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
	zw.Write(tb.Bytes())
	zw.Close()
	l, err := gzipLayer(zb.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// handImage is an OCI image of layers for plat with the given config.
func handImage(t testing.TB, plat v1.Platform, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = plat.OS, plat.Architecture, cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// handIndex puts images into an OCI index, with their platforms.
func handIndex(plats []v1.Platform, imgs ...v1.Image) v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, img := range imgs {
		p := plats[i]
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return idx
}

// layoutOf writes idx as an OCI layout in a new directory and returns "oci-layout:DIR".
func layoutOf(t testing.TB, idx v1.ImageIndex) (ref, dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "layout")
	if err := writeLayout(dir, idx, nil); err != nil {
		t.Fatal(err)
	}
	return PrefixOCILayout + dir, dir
}

// paxSparse is a tar member holding a PAX 1.0 sparse file of size bytes whose only
// data is head at offset 0 (archive/tar reads such files but does not write them).
func paxSparse(name string, head []byte, size int64) []byte {
	rec := func(k, v string) string {
		s := " " + k + "=" + v + "\n"
		for n := len(s) + 1; ; n++ {
			if r := fmt.Sprint(n) + s; len(r) == n {
				return r
			}
		}
	}
	recs := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") + rec("GNU.sparse.name", name) + rec("GNU.sparse.realsize", fmt.Sprint(size))
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "PaxHeaders/x", Typeflag: tar.TypeReg, Size: int64(len(recs)), Format: tar.FormatUSTAR})
	io.WriteString(tw, recs)
	tw.Flush()
	h := b.Bytes()[:512]
	h[156] = tar.TypeXHeader
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	smap := []byte(fmt.Sprintf("1\n0\n%d\n", len(head)))
	body := append(append(smap, make([]byte, 512-len(smap))...), head...)
	tw.WriteHeader(&tar.Header{Name: "GNUSparseFile.0/x", Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o755, Format: tar.FormatUSTAR})
	tw.Write(body)
	tw.Flush()
	return b.Bytes()
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var _ = layout.Path("")

func runCmd(dir, prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}
