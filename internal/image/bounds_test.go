package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/image/imagetest"
)

// allocDuring returns the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// tarOf writes members (raw when data is nil and raw set) as a tar file in dir.
func tarOf(t *testing.T, dir string, members ...imagetest.Entry) string {
	t.Helper()
	gzipped, err := imagetest.Layer(members...)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "a.tar")
	if err := os.WriteFile(p, gunzip(t, gzipped), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBoundedConfigs: a docker-archive whose config.json is a 768 MiB sparse member
// (or a plain 9 MiB one), and a registry manifest declaring a 768 MiB config, are
// refused without reading them: each read allocates a few MiB at most.
func TestBoundedConfigs(t *testing.T) {
	manifest := `[{"Config":"config.json","Layers":[]}]`
	for _, c := range []struct {
		name   string
		config imagetest.Entry
	}{
		{"sparse", imagetest.Entry{Raw: imagetest.Sparse("config.json", []byte("{"), 768<<20)}},
		{"large", imagetest.Entry{Name: "config.json", Data: bytes.Repeat([]byte(" "), maxManifest+1)}},
	} {
		file := tarOf(t, t.TempDir(), imagetest.Entry{Name: "manifest.json", Data: []byte(manifest)}, c.config)
		var err error
		alloc := allocDuring(func() { _, err = Open(context.Background(), PrefixDockerArchive+file, ReadOptions{}) })
		if err == nil || !strings.Contains(err.Error(), "config") {
			t.Errorf("%s: %v", c.name, err)
		}
		if alloc > 32<<20 {
			t.Errorf("%s: %d MiB allocated to refuse a config", c.name, alloc>>20)
		}
	}

	// A registry manifest that declares a huge config.
	addr := newRegistry(t)
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, ent{name: "app", data: "x"}))
	ref, _ := name.ParseReference(addr + "/big:v1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	m = m.DeepCopy()
	m.Config.Size = 768 << 20
	if err := remote.Put(ref, rawManifest{marshal(m), types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	var err error
	alloc := allocDuring(func() {
		_, err = Inspect(context.Background(), addr+"/big:v1", InspectOptions{Host: host.Host{OS: "linux", Arch: "amd64"}}, Emitter{})
	})
	if err == nil || !strings.Contains(err.Error(), "805306368 bytes") {
		t.Errorf("registry: %v", err)
	}
	if alloc > 32<<20 {
		t.Errorf("registry: %d MiB allocated to refuse a config", alloc>>20)
	}
}

// rawManifest is a manifest pushed as it is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// linear fails when doing work(4n) takes more than 6 times work(n) (linear work takes
// 4 times, quadratic 16), in CPU time, each the best of 3 runs, with a floor for timer
// noise. what names the step.
func linear(t *testing.T, what string, n int, work func(n int)) {
	t.Helper()
	best := func(n int) time.Duration {
		b := time.Duration(1 << 62)
		for range 3 {
			start := cpuTime()
			work(n)
			b = min(b, cpuTime()-start)
		}
		return b
	}
	small, large := best(n), best(4*n)
	if large > 6*small+100*time.Millisecond {
		t.Errorf("%s: %s for %d, %s for %d: more than linear", what, small, n, large, 4*n)
	}
	t.Logf("%s: %s for %d, %s for %d", what, small, n, large, 4*n)
}

// TestLinearTime: inputs small on disk that used to take quadratic time (a 50k-level
// path in a layer, a 50k-level entrypoint, 20k layers, a docker-archive config reached
// through thousands of symlinks) take time linear in their size, or are bounded.
func TestLinearTime(t *testing.T) {
	h := host.Host{OS: "linux", Arch: "amd64"}
	deep := func(n int) string { return strings.Repeat("a/", n) + "app" }
	layout := func(entry string, layers ...v1.Layer) string {
		img := handImage(t, amd64, v1.Config{Entrypoint: []string{entry}}, layers...)
		ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
		return ref
	}
	inspect := func(ref string) *PlatformReport {
		var rep *PlatformReport
		if _, err := Inspect(context.Background(), ref, InspectOptions{Host: h}, Emitter{Platform: func(r *PlatformReport) error { rep = r; return nil }}); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	t.Run("deep path in a layer", func(t *testing.T) {
		refs := map[int]string{}
		for _, n := range []int{12500, 50000} {
			refs[n] = layout("/app", rawLayer(t, ent{name: deep(n), data: "x"}, ent{name: deep(n) + "2", data: "x"}))
		}
		linear(t, "walking a layer with a deep path", 12500, func(n int) {
			if r := inspect(refs[n]); r.Files != 2 {
				t.Fatalf("%d files", r.Files)
			}
		})
	})
	t.Run("deep entrypoint", func(t *testing.T) {
		refs := map[int]string{}
		for _, n := range []int{12500, 50000} {
			refs[n] = layout("/"+deep(n), rawLayer(t, ent{name: "app", data: "x"}))
		}
		linear(t, "resolving a deep entrypoint", 12500, func(n int) {
			r := inspect(refs[n])
			if f := findingOf(r, "entrypoint-missing"); f == nil || !strings.Contains(f.Title, "file name too long") {
				t.Fatalf("findings %+v", r.Findings)
			}
		})
	})
	t.Run("many layers", func(t *testing.T) {
		refs := map[int]string{}
		for _, n := range []int{2000, 8000} {
			refs[n] = manyLayers(t, n)
		}
		linear(t, "reading an image of many layers", 2000, func(n int) {
			if r := inspect(refs[n]); r.Layers != n || r.Error != "" {
				t.Fatalf("%d layers, error %q", r.Layers, r.Error)
			}
		})
	})
	t.Run("config through symlinks", func(t *testing.T) {
		files := map[int]string{}
		for _, n := range []int{1000, 4000} {
			ents := []imagetest.Entry{{Name: "manifest.json", Data: []byte(`[{"Config":"l0","Layers":[]}]`)}}
			for i := range n {
				ents = append(ents, imagetest.Entry{Name: fmt.Sprintf("l%d", i), Type: tar.TypeSymlink, Link: fmt.Sprintf("l%d", i+1)})
			}
			ents = append(ents, imagetest.Entry{Name: fmt.Sprintf("l%d", n), Data: []byte(`{"os":"linux","architecture":"amd64"}`)})
			files[n] = tarOf(t, t.TempDir(), ents...)
		}
		linear(t, "opening a docker-archive whose config is behind symlinks", 1000, func(n int) {
			if _, err := Open(context.Background(), PrefixDockerArchive+files[n], ReadOptions{}); err == nil || !strings.Contains(err.Error(), "links") {
				t.Fatalf("%v", err)
			}
		})
	})
}

// manyLayers writes a layout of one image of n layers (the same small blob) by hand.
func manyLayers(t *testing.T, n int) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
	put := func(b []byte) v1.Hash {
		sum := sha256.Sum256(b)
		h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
		os.WriteFile(filepath.Join(dir, "blobs", "sha256", h.Hex), b, 0o644)
		return h
	}
	cf := v1.ConfigFile{OS: "linux", Architecture: "amd64", Config: v1.Config{Entrypoint: []string{"/f0"}}, RootFS: v1.RootFS{Type: "layers"}}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1}
	for i := range n {
		// Each layer its own blob: a reader that looks layers up by digest in a list
		// finds each one further down.
		gz, err := imagetest.Layer(imagetest.Entry{Name: fmt.Sprintf("f%d", i), Data: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		diff, _, _ := v1.SHA256(bytes.NewReader(gunzip(t, gz)))
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, diff)
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCILayer, Size: int64(len(gz)), Digest: put(gz)})
	}
	cb := marshal(cf)
	m.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cb)), Digest: put(cb)}
	mb := marshal(m)
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{
		{MediaType: types.OCIManifestSchema1, Size: int64(len(mb)), Digest: put(mb), Platform: &amd64}}}
	os.WriteFile(filepath.Join(dir, "index.json"), marshal(idx), 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return PrefixOCILayout + dir
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDockerArchiveLayers: a docker-archive's layer, stored as a tar or gzip'd, is
// checked against the config's diff_id: another layer in its place is an error naming
// the layer, and nothing from it is reported.
func TestDockerArchiveLayers(t *testing.T) {
	good, _ := imagetest.Layer(imagetest.Entry{Name: "app", Mode: 0o755, Data: []byte("\x7fELF\x02\x01\x01good")})
	evil, _ := imagetest.Layer(imagetest.Entry{Name: "app", Mode: 0o755, Data: []byte("\x7fELF\x02\x01\x01evil")})
	diff, _, _ := v1.SHA256(bytes.NewReader(gunzip(t, good)))
	cfg := fmt.Sprintf(`{"os":"linux","architecture":"amd64","config":{"Entrypoint":["/app"]},"rootfs":{"type":"layers","diff_ids":[%q]}}`, diff)
	for _, c := range []struct {
		name  string
		layer []byte
		bad   bool
	}{
		{"tar", gunzip(t, good), false},
		{"gzip", good, false},
		{"another tar", gunzip(t, evil), true},
		{"another gzip", evil, true},
	} {
		file := tarOf(t, t.TempDir(),
			imagetest.Entry{Name: "manifest.json", Data: []byte(`[{"Config":"c.json","Layers":["l/layer.tar"]}]`)},
			imagetest.Entry{Name: "c.json", Data: []byte(cfg)},
			imagetest.Entry{Name: "l/layer.tar", Data: c.layer})
		reps, files := inspectAll(t, PrefixDockerArchive+file, InspectOptions{})
		r := reps[0]
		if !c.bad {
			if r.Error != "" || r.Files != 1 {
				t.Errorf("%s: %q, %d files", c.name, r.Error, r.Files)
			}
			continue
		}
		if !strings.Contains(r.Error, "layer 0") || !strings.Contains(r.Error, "corrupt blob") || len(files) != 0 || r.Files != 0 {
			t.Errorf("%s: error %q, files %+v, %d entries", c.name, r.Error, files, r.Files)
		}
	}
}
