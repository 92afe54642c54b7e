package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/image/imagetest"
	"github.com/gonative/gonative/internal/machine"
)

// cgoModule is a module whose main package calls C.
func cgoModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/answer\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(fixture.HelloCgo), 0o644)
	return dir
}

func buildOptions(dir string, targets ...build.Target) build.Options {
	return build.Options{
		Dir: dir, Targets: targets, OutDir: filepath.Join(dir, "dist"),
		Machine: machine.WithEnv(machine.Real(), "GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off"),
		Host:    host.Host{OS: "linux", Arch: "amd64"}, Jobs: 1,
	}
}

// glibcBase is imagetest.GlibcBase as an index: this machine's glibc for amd64 and
// Debian's arm64 cross glibc.
func glibcBase(t *testing.T) v1.ImageIndex {
	t.Helper()
	imgs, err := imagetest.GlibcBase()
	if err != nil {
		t.Skip(err)
	}
	var plats []v1.Platform
	var out []v1.Image
	for _, im := range imgs {
		var ents []ent
		for _, e := range im.Entries {
			ents = append(ents, ent{name: e.Name, typ: e.Type, mode: e.Mode, data: string(e.Data), link: e.Link})
		}
		plats = append(plats, im.Platform)
		out = append(out, handImage(t, im.Platform, v1.Config{}, rawLayer(t, ents...)))
	}
	return handIndex(plats, out...)
}

// TestBuildCgoRegistry builds a cgo program for linux/amd64 and linux/arm64 (Debian's
// cross gcc) on a glibc base served by an in-process registry, pushes it, pulls the
// arm64 image back by platform and runs its binary under qemu-user from the image's
// own file system; builds it again and gets the same bytes; and lets skopeo and umoci,
// which gonative did not write, read what was pushed.
func TestBuildCgoRegistry(t *testing.T) {
	fixture.Need(t, "gcc", "gcc")
	fixture.Need(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
	ctx := context.Background()
	reg := newRegistry(t)
	baseRef := reg + "/base:glibc"
	if err := remote.WriteIndex(mustRef(t, baseRef), glibcBase(t)); err != nil {
		t.Fatal(err)
	}
	dir := cgoModule(t)
	created := time.Unix(1700000000, 0).UTC()
	bo := BuildOptions{Build: buildOptions(dir, build.Target{OS: "linux", Arch: "amd64"}, build.Target{OS: "linux", Arch: "arm64"}), Base: baseRef, Created: created}
	b, err := Build(ctx, bo)
	if err != nil {
		t.Fatal(err)
	}
	tag := reg + "/answer:v1"
	var progressed int64
	w, err := Write(ctx, b, WriteOptions{Push: true, Tags: []string{tag}, Tarball: filepath.Join(t.TempDir(), "a.tar"), Progress: func(done, total int64) { progressed = done }})
	if err != nil {
		t.Fatal(err)
	}
	if progressed == 0 || len(w.Pushed) != 1 {
		t.Errorf("progress %d, pushed %q", progressed, w.Pushed)
	}

	// The index.
	idx, err := remote.Index(mustRef(t, tag))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if d, _ := idx.Digest(); d != b.Digest || len(im.Manifests) != 2 || im.Manifests[0].Platform.Architecture != "amd64" || im.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index %s: %+v", d, im)
	}

	// Pull linux/arm64 back and run it under qemu from the image's file system.
	img, err := remote.Image(mustRef(t, tag), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if cf.Architecture != "arm64" || cf.Config.User != DefaultUser || cf.Config.Entrypoint[0] != "/usr/local/bin/answer" ||
		!cf.Created.Time.Equal(created) || cf.Config.Labels["org.opencontainers.image.source"] != "" || cf.Config.Labels["dev.gonative.cgo"] != "true" {
		t.Errorf("config %+v", cf)
	}
	root := extract(t, img)
	qemu := fixture.Need(t, "qemu-aarch64-static", "qemu-user-static")
	out, err := exec.Command(qemu, "-L", root, filepath.Join(root, "usr/local/bin/answer")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hello from cgo 42") {
		t.Errorf("qemu run: %v\n%s", err, out)
	}

	// Reproducible: the same source gives the same bytes, with the layer cache too:
	// the second build stores its layers, the third reuses them (the trace says so).
	bo.LayerCache = t.TempDir()
	for i, wantReused := range []bool{false, true} {
		bo.Build.OutDir = filepath.Join(dir, fmt.Sprintf("dist%d", i+2))
		reused := 0
		bo.Trace = func(s Step) {
			if s.Name == StepLayer && s.Reused {
				reused++
			}
		}
		b2, err := Build(ctx, bo)
		if err != nil {
			t.Fatal(err)
		}
		tar2 := filepath.Join(t.TempDir(), "b.tar")
		if _, err := Write(ctx, b2, WriteOptions{Tarball: tar2, Tags: []string{tag}}); err != nil {
			t.Fatal(err)
		}
		if b2.Digest != b.Digest || !bytes.Equal(readFile(t, w.Tarball), readFile(t, tar2)) {
			t.Errorf("build %d differs: %s vs %s", i+2, b2.Digest, b.Digest)
		}
		if (reused == 2) != wantReused || (reused != 0 && reused != 2) {
			t.Errorf("build %d: %d layers reused from the cache, want %v", i+2, reused, wantReused)
		}
	}

	// gonative inspect of the registry image: no problems.
	reps, files := inspectAll(t, tag, InspectOptions{})
	for _, r := range reps {
		if r.Problems() || r.Error != "" {
			t.Errorf("%s: %+v %s", r.Platform, r.Findings, r.Error)
		}
	}
	if len(reps) != 2 || len(files) != 6 {
		t.Errorf("%d platforms, %d executables (want 2 and 6: answer, libc, loader each)", len(reps), len(files))
	}

	// Independent readers: skopeo's raw manifest is the index pushed, and its copies
	// (an oci-archive of both platforms, a docker-archive of arm64) read back.
	skopeo := fixture.Need(t, "skopeo", "skopeo")
	raw, err := exec.Command(skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+tag).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	if sum := sha256.Sum256(raw); "sha256:"+hex.EncodeToString(sum[:]) != b.Digest.String() {
		t.Errorf("skopeo's raw index is not the one pushed:\n%s", raw)
	}
	tmp := t.TempDir()
	ociTar, dockTar := filepath.Join(tmp, "oci.tar"), filepath.Join(tmp, "docker.tar")
	for _, args := range [][]string{
		{"copy", "--all", "--src-tls-verify=false", "docker://" + tag, "oci-archive:" + ociTar + ":v1"},
		{"copy", "--override-arch", "arm64", "--src-tls-verify=false", "docker://" + tag, "docker-archive:" + dockTar + ":answer:v1"},
	} {
		if out, err := exec.Command(skopeo, args...).CombinedOutput(); err != nil {
			t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for ref, want := range map[string]int{PrefixOCIArchive + ociTar: 2, PrefixDockerArchive + dockTar: 1} {
		reps, files := inspectAll(t, ref, InspectOptions{})
		if len(reps) != want || len(files) != 3*want {
			t.Errorf("%s: %d platforms, %d executables", ref, len(reps), len(files))
		}
		for _, r := range reps {
			if r.Problems() || r.Error != "" {
				t.Errorf("%s %s: %+v %s", ref, r.Platform, r.Findings, r.Error)
			}
		}
	}
	// umoci reads the OCI layout gonative writes.
	umoci := fixture.Need(t, "umoci", "umoci")
	lay := filepath.Join(tmp, "layout")
	if _, err := Write(ctx, b, WriteOptions{OCILayout: lay, Tags: []string{tag}}); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(umoci, "ls", "--layout", lay).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "v1" {
		t.Errorf("umoci ls: %v\n%s", err, out)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// extract writes img's flattened file system into a new directory (test code: the
// paths Walk gives are clean, so they stay inside).
func extract(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	err := Walk(context.Background(), img, func(e *Entry) error {
		p := filepath.Join(root, e.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		switch e.Type {
		case tar.TypeDir:
			return os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			return os.Symlink(e.Linkname, p)
		case tar.TypeReg:
			b, err := io.ReadAll(e.Reader)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b, 0o755)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestBuildRefusesBadBases: a cgo binary on scratch (no loader) and on a base whose
// glibc is older than it needs are refused before anything is written.
func TestBuildRefusesBadBases(t *testing.T) {
	fixture.Need(t, "gcc", "gcc")
	ctx := context.Background()
	dir := cgoModule(t)
	oldBase := handImage(t, amd64, v1.Config{}, rawLayer(t,
		ent{name: "lib/x86_64-linux-gnu/libc.so.6", mode: 0o755, data: string(oldLibc(t))},
		ent{name: "lib64/ld-linux-x86-64.so.2", mode: 0o755, data: "\x7fELF stand-in"},
	))
	oldRef, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, oldBase))
	for base, code := range map[string]string{BaseScratch: "interpreter-missing", oldRef: "glibc-too-old"} {
		out := filepath.Join(t.TempDir(), "out")
		b, err := Build(ctx, BuildOptions{Build: buildOptions(dir, build.Target{OS: "linux", Arch: "amd64"}), Base: base})
		var ce *CheckError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: err = %v, want a CheckError", base, err)
		}
		if f := b.Platforms[0].Findings; len(f) != 1 || f[0].ID != code {
			t.Errorf("%s: findings %+v, want %s", base, f, code)
		} else if f[0].Fix == nil || !strings.Contains(f[0].Fix.Text, "--base debian:") {
			t.Errorf("%s: fix %+v names no glibc base", base, f[0].Fix)
		}
		if _, err := Write(ctx, b, WriteOptions{OCILayout: out}); err == nil {
			t.Errorf("%s: a refused image was written", base)
		}
	}
	// A base without the platform fails before building.
	_, err := Build(ctx, BuildOptions{Build: buildOptions(dir, build.Target{OS: "linux", Arch: "riscv64"}), Base: oldRef})
	if err == nil || !strings.Contains(err.Error(), "has no linux/riscv64 image (it has linux/amd64)") {
		t.Errorf("missing platform: %v", err)
	}
}
