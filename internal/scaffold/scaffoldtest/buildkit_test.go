package scaffoldtest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildKit builds the cgo module's Dockerfile for both platforms at once with
// BuildKit (buildkitd with its OCI worker and runc, driven by buildctl), from the
// same base images as TestBuild, and checks the images as TestBuild does. BuildKit
// is not a Debian package: bench/buildkit.sh builds buildkitd and buildctl from
// BuildKit's Go module and runs this test with GONATIVE_BUILDKITD and
// GONATIVE_BUILDCTL naming them.
func TestBuildKit(t *testing.T) {
	buildkitd, buildctl := os.Getenv("GONATIVE_BUILDKITD"), os.Getenv("GONATIVE_BUILDCTL")
	if buildkitd == "" || buildctl == "" {
		t.Skip("bench/buildkit.sh runs it: BuildKit is built from its Go module (17 min here), set GONATIVE_BUILDKITD and GONATIVE_BUILDCTL")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("no runc for buildkitd's OCI worker (Debian: apt-get install runc)")
	}
	e := requireBuildah(t) // the same machine requirements, and buildah's skips
	e.serveBaseImages(t)
	builder := e.serveDebianBuilder(t)

	// buildkitd, as root, with the loopback registry over plain HTTP.
	dir := t.TempDir()
	sock := filepath.Join(dir, "buildkitd.sock")
	conf := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[registry.%q]
  http = true
  insecure = true
[worker.oci]
  enabled = true
  snapshotter = "native"
[worker.containerd]
  enabled = false
`, e.registry)), 0o644); err != nil {
		t.Fatal(err)
	}
	var dlog bytes.Buffer
	d := exec.Command(buildkitd, "--root", filepath.Join(dir, "root"), "--addr", "unix://"+sock, "--config", conf)
	d.Stdout, d.Stderr = &dlog, &dlog
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Process.Kill()
		d.Wait()
		if t.Failed() {
			t.Logf("buildkitd log:\n%s", dlog.String())
		}
	})
	ready := false
	for i := 0; i < 120 && !ready; i++ {
		ready = exec.Command(buildctl, "--addr", "unix://"+sock, "debug", "workers").Run() == nil
		if !ready {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatalf("buildkitd did not answer within 60 s:\n%s", dlog.String())
	}

	mod, _ := writeModule(t, cgo, "")
	out := filepath.Join(dir, "image.tar")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	// cmdline: the Dockerfile's "# syntax=docker/dockerfile:1" would fetch that
	// frontend image; this BuildKit's own Dockerfile frontend (1.x) stands in for it.
	c := exec.CommandContext(ctx, buildctl, "--addr", "unix://"+sock, "build",
		"--frontend", "dockerfile.v0", "--local", "context="+mod, "--local", "dockerfile="+mod,
		"--opt", "cmdline=docker/dockerfile:1",
		"--opt", "platform=linux/amd64,linux/arm64",
		"--opt", "build-arg:GO_IMAGE="+builder, "--opt", "build-arg:BASE_IMAGE="+e.final,
		"--output", "type=oci,dest="+out)
	var blog bytes.Buffer
	c.Stdout, c.Stderr = &blog, &blog
	start := time.Now()
	err := c.Run()
	t.Logf("buildctl build --opt platform=linux/amd64,linux/arm64: %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, blog.String())
	}
	lay := filepath.Join(dir, "oci")
	untar(t, out, lay)
	seen := map[string]bool{}
	for _, img := range layoutImages(t, lay) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		pl := cf.OS + "/" + cf.Architecture
		seen[pl] = true
		checkImage(t, e, img, pl, "answer", "answer 42", ":cgo=1")
	}
	if !seen[e.buildPlatform] || !seen[e.foreign] {
		t.Errorf("the image index holds %v, want %s and %s", seen, e.buildPlatform, e.foreign)
	}
	if t.Failed() {
		t.Logf("build log:\n%s", blog.String())
	}
}

// untar writes the regular files and directories of the tar file src under dst.
func untar(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "/"))
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, 0o755)
		case tar.TypeReg:
			if d := path.Dir(name); d != "." {
				if err = root.MkdirAll(d, 0o755); err != nil {
					break
				}
			}
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				err = root.WriteFile(name, data, 0o644)
			}
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", src, h.Name, err)
		}
	}
}
