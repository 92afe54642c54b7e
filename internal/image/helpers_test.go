package image

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gonative/gonative/internal/image/imagetest"
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
	var es []imagetest.Entry
	for _, e := range ents {
		es = append(es, imagetest.Entry{Name: e.name, Type: e.typ, Mode: e.mode, Data: []byte(e.data), Link: e.link, Raw: e.raw})
	}
	gz, err := imagetest.Layer(es...)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tarball.LayerFromOpener(bytesOpener(gz), tarball.WithMediaType(types.OCILayer))
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

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runCmd(dir, prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}
