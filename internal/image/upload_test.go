package image

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/fixture"
)

// blobExists asks the registry reg whether repo holds the blob dig.
func blobExists(t *testing.T, reg, repo, dig string) bool {
	t.Helper()
	resp, err := http.Head("http://" + reg + "/v2/" + repo + "/blobs/" + dig)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestBuildUploadsBlobs: with PushTo, every layer blob of every platform is in the
// registry when Build returns, and no manifest or tag is until Write pushes; a
// platform that fails its check pushes no manifest or tag either.
func TestBuildUploadsBlobs(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644)
	tag := reg + "/app:v1"
	var uploads int
	b, err := Build(ctx, BuildOptions{Build: buildOptions(dir, build.Target{OS: "linux", Arch: "amd64"}, build.Target{OS: "linux", Arch: "arm64"}),
		Base: BaseStatic, PushTo: []string{tag}, Trace: func(s Step) {
			if s.Name == StepUpload {
				uploads++
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	im, _ := b.Index.IndexManifest()
	layers := 0
	for _, m := range im.Manifests {
		img, err := b.Index.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := img.Layers()
		for _, l := range ls {
			d, _ := l.Digest()
			layers++
			if !blobExists(t, reg, "app", d.String()) {
				t.Errorf("%s: layer %s not uploaded during the build", m.Platform, d)
			}
		}
	}
	// The static base's layer is shared: one upload for it, one per binary.
	if layers != 4 || uploads != 3 {
		t.Errorf("%d layers, %d uploads (want 4 and 3)", layers, uploads)
	}
	if _, err := remote.Head(mustRef(t, tag)); err == nil {
		t.Fatalf("the tag was pushed by Build")
	}
	if _, err := Write(ctx, b, WriteOptions{Push: true, Tags: []string{tag}}); err != nil {
		t.Fatal(err)
	}
	if d, err := remote.Head(mustRef(t, tag)); err != nil || d.Digest != b.Digest {
		t.Errorf("after Write: %v, %v", d, err)
	}

	// A cgo program on scratch fails its check: nothing but blobs reaches the registry.
	fixture.Need(t, "gcc", "gcc")
	bad := reg + "/bad:v1"
	_, err = Build(ctx, BuildOptions{Build: buildOptions(cgoModule(t), build.Target{OS: "linux", Arch: "amd64"}), Base: BaseScratch, PushTo: []string{bad}})
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a CheckError", err)
	}
	if _, err := remote.Head(mustRef(t, bad)); err == nil {
		t.Errorf("a refused image's tag is in the registry")
	}
}
