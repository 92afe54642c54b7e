package scaffoldtest

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/cli"
	"github.com/gonative/gonative/internal/exe"
	gnfixture "github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/scaffold"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// buildEnv is what a real build needs: buildah with private storage, a registry on
// loopback holding the base images, and the platforms.
type buildEnv struct {
	buildah       string
	root, runroot string
	policy        string
	registry      string // host:port
	buildPlatform string // linux/GOARCH of this machine
	foreign       string // the other platform, built without emulation
	qemu          string // qemu-user for the foreign platform
	builder       string // the golang-like builder's reference in the registry
	final         string // the final base's reference: a loader and libc per platform
	tmp           string // buildah's TMPDIR, where it keeps cache mounts
	goDiffID      string // the builders' layer holding this machine's Go
	goLayer       v1.Layer
	env           []string      // the builders' environment
	debianBuilder string        // the Debian builder's reference, once served
	buildTimeout  time.Duration // of one buildah bud; 15 min when zero
}

func requireBuildah(t *testing.T) *buildEnv {
	t.Helper()
	if os.Getenv("GONATIVE_INTEGRATION") != "1" {
		t.Skip("the real two-platform build takes minutes: set GONATIVE_INTEGRATION=1 (scripts/test.sh does)")
	}
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("buildah builds here only on linux/amd64 or linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	b, err := exec.LookPath("buildah")
	if err != nil {
		t.Skip("no buildah (Debian: apt-get install buildah)")
	}
	if os.Geteuid() != 0 {
		t.Skip("buildah --isolation chroot with vfs storage runs as root here")
	}
	e := &buildEnv{buildah: b, buildPlatform: "linux/" + runtime.GOARCH}
	foreignArch, qemu := "arm64", "qemu-aarch64-static"
	if runtime.GOARCH == "arm64" {
		foreignArch, qemu = "amd64", "qemu-x86_64-static"
	}
	e.foreign = "linux/" + foreignArch
	if e.qemu, err = exec.LookPath(qemu); err != nil {
		t.Skipf("no %s to run the %s binary (Debian: apt-get install qemu-user-static)", qemu, e.foreign)
	}
	dir := t.TempDir()
	e.root, e.runroot = filepath.Join(dir, "storage"), filepath.Join(dir, "run")
	e.policy = filepath.Join(dir, "policy.json")
	if err := os.WriteFile(e.policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// buildah keeps RUN --mount=type=cache contents under $TMPDIR/buildah-cache
	// (buildah-cache-UID since buildah 1.29; /var/tmp by default), in the directory
	// named by the mount's target: its other temporary files go to the test's
	// directory, the cache mounts to ones kept between runs, as they are between a
	// user's builds. Only the go command's caches are mounted there, and it checks
	// what it reuses (by action ID). The module cache is kept in the fixture cache.
	// The build cache is this machine's: the builders' go is this machine's (the same
	// bytes at the same GOROOT) and builds with -trimpath, as the test command's
	// stages do, so the standard library the stages compiled for linux/amd64 and
	// linux/arm64 is not compiled again in the container (a cold run: 4 compiles of it).
	e.tmp = filepath.Join(dir, "tmp")
	cacheRoot := filepath.Join(e.tmp, "buildah-cache")
	kept := gnfixture.KeptDir(t, "buildah-cache")
	gocache := strings.TrimSpace(runOut(t, "go", "env", "GOCACHE"))
	if fi, err := os.Stat(gocache); err != nil || !fi.IsDir() {
		gocache = filepath.Join(kept, "root", ".cache", "go-build")
	} else {
		os.RemoveAll(filepath.Join(kept, "root")) // kept there before: unused now
	}
	for _, d := range []string{filepath.Join(cacheRoot, "root", ".cache"), filepath.Join(kept, "go"), gocache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		filepath.Join(cacheRoot, "go"):                                     filepath.Join(kept, "go"),
		filepath.Join(cacheRoot, "root", ".cache", "go-build"):             gocache,
		filepath.Join(e.tmp, fmt.Sprintf("buildah-cache-%d", os.Getuid())): cacheRoot,
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "registries.conf"), []byte("unqualified-search-registries = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// vfs storage holds a full copy of every layer: remove it with buildah, which
		// also unmounts what it mounted.
		exec.Command(b, "--root", e.root, "--runroot", e.runroot, "--storage-driver", "vfs", "rm", "--all").Run()
		exec.Command(b, "--root", e.root, "--runroot", e.runroot, "--storage-driver", "vfs", "rmi", "--all", "--force").Run()
	})
	return e
}

// serveBaseImages makes the base images and serves them from an in-process registry
// on loopback: a golang-like builder, for the build platform only, from this machine's
// Go and Debian's busybox-static; and a final base for both platforms whose loader and
// libc are of its own architecture.
func (e *buildEnv) serveBaseImages(t *testing.T) {
	t.Helper()
	bb := "/bin/busybox"
	if f, err := elf.Open(bb); err != nil {
		t.Skipf("no static busybox at %s (Debian: apt-get install busybox-static): %v", bb, err)
	} else {
		static := true
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if !static {
			t.Skipf("%s is dynamically linked (Debian: apt-get install busybox-static)", bb)
		}
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	e.registry = strings.TrimPrefix(srv.URL, "http://")

	goroot := strings.TrimSpace(runOut(t, "go", "env", "GOROOT"))
	e.env = []string{
		"PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GOPATH=/go", "HOME=/root", "GOTOOLCHAIN=local",
	}
	e.goLayer = goLayer(t, goroot, runtime.GOARCH)
	d, err := e.goLayer.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	e.goDiffID = d.String()
	// Indexes holding only the build platform: a builder for the foreign platform
	// does not exist, so the compile cannot have run emulated.
	e.builder = e.registry + "/gonative-test/golang:local"
	e.pushImage(t, e.builder, image(t, runtime.GOARCH, e.env, busyboxLayer(t, bb), e.goLayer))

	var finals []v1.Image
	for _, a := range []string{"amd64", "arm64"} {
		finals = append(finals, image(t, a, []string{"PATH=/usr/local/bin:/usr/bin:/bin"}, glibcLayer(t, a)))
	}
	fidx, err := index(finals...)
	if err != nil {
		t.Fatal(err)
	}
	e.final = e.registry + "/gonative-test/base:local"
	e.push(t, e.final, fidx)
}

// serveDebianBuilder makes a golang-like builder from a minimal Debian of apt's
// sources, without any C compiler, and serves it for the build platform only.
func (e *buildEnv) serveDebianBuilder(t *testing.T) string {
	t.Helper()
	if e.debianBuilder != "" {
		return e.debianBuilder
	}
	deb := debianLayer(t, debianSource(t), runtime.GOARCH)
	ref := e.registry + "/gonative-test/golang:debian"
	e.pushImage(t, ref, image(t, runtime.GOARCH, append(e.env, "DEBIAN_FRONTEND=noninteractive"), deb, e.goLayer))
	e.debianBuilder = ref
	return ref
}

func (e *buildEnv) pushImage(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	idx, err := index(img)
	if err != nil {
		t.Fatal(err)
	}
	e.push(t, ref, idx)
}

func (e *buildEnv) push(t *testing.T, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

func (e *buildEnv) cmd(ctx context.Context, args ...string) *exec.Cmd {
	base := []string{"--root", e.root, "--runroot", e.runroot, "--storage-driver", "vfs"}
	c := exec.CommandContext(ctx, e.buildah, append(base, args...)...)
	c.Env = append(os.Environ(), "CONTAINERS_REGISTRIES_CONF="+filepath.Join(filepath.Dir(e.policy), "registries.conf"), "TMPDIR="+e.tmp)
	return c
}

// build builds the Dockerfile in dir for one platform and returns the log.
func (e *buildEnv) build(t *testing.T, dir, builder, platform, tag string) string {
	t.Helper()
	timeout := e.buildTimeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := e.cmd(ctx, "bud", "--isolation", "chroot", "--layers", "--tls-verify=false",
		"--signature-policy", e.policy,
		"--platform", platform,
		// buildah 1.28 does not set BUILDPLATFORM (it warns "missing BUILDPLATFORM
		// build argument" and drops --platform from FROM): give it the value
		// BuildKit would. The Dockerfile stays as written.
		"--build-arg", "BUILDPLATFORM="+e.buildPlatform,
		"--build-arg", "GO_IMAGE="+builder,
		"--build-arg", "BASE_IMAGE="+e.final,
		"-t", tag, dir)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	start := time.Now()
	err := c.Run()
	t.Logf("buildah bud --platform %s: %v", platform, time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("buildah bud --platform %s: %v\n%s", platform, err, out.String())
	}
	return out.String()
}

// pushLayout pushes an image of buildah's storage to a new OCI layout and returns
// the layout's images.
func (e *buildEnv) pushLayout(t *testing.T, tag string) []v1.Image {
	t.Helper()
	lay := filepath.Join(t.TempDir(), "oci")
	if out, err := e.cmd(context.Background(), "push", "--signature-policy", e.policy, tag, "oci:"+lay+":img").CombinedOutput(); err != nil {
		t.Fatalf("buildah push %s: %v\n%s", tag, err, out)
	}
	return layoutImages(t, lay)
}

// layoutImages lists the images of an OCI layout, looking into nested indexes.
func layoutImages(t *testing.T, dir string) []v1.Image {
	t.Helper()
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Image
	var walk func(v1.ImageIndex)
	walk = func(idx v1.ImageIndex) {
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range im.Manifests {
			if d.MediaType.IsIndex() {
				sub, err := idx.ImageIndex(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				walk(sub)
				continue
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, img)
		}
	}
	walk(idx)
	return out
}

// extractImage writes the flattened file system of img into a new directory under
// dir (resolved beneath it: the image's names cannot leave it) and returns the
// image's platform and that directory.
func extractImage(t *testing.T, img v1.Image, dir string) (v1.Platform, string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(dir, cf.OS+"-"+cf.Architecture)
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "/"))
		if name == "." {
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, 0o755)
		case tar.TypeReg:
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				err = root.WriteFile(name, data, 0o755)
			}
		case tar.TypeSymlink:
			err = root.Symlink(h.Linkname, name)
		}
		if err != nil {
			t.Fatalf("extract %s: %v", h.Name, err)
		}
	}
	return v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, rootfs
}

// checkELFArch reads every ELF file of rootfs with gonative's reader and checks that
// it is for arch; it returns how many there are.
func checkELFArch(t *testing.T, rootfs, arch string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := exe.Inspect(context.Background(), p, exe.Options{HeadersOnly: true})
		if err != nil {
			return err
		}
		if f.Format != exe.FormatELF {
			return nil
		}
		n++
		if len(f.Slices) != 1 || f.Slices[0].Arch != arch {
			var got []string
			for _, s := range f.Slices {
				got = append(got, s.Arch)
			}
			t.Errorf("the %s image holds %s, an ELF file for %v", arch, strings.TrimPrefix(p, rootfs), got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// imageDiffIDs lists the layers (uncompressed digests) of an image in buildah's storage.
func (e *buildEnv) imageDiffIDs(t *testing.T, id string) []string {
	t.Helper()
	out, err := e.cmd(context.Background(), "inspect", "--type", "image", id).Output()
	if err != nil {
		t.Fatalf("buildah inspect %s: %v", id, err)
	}
	var info struct {
		OCIv1 struct {
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("buildah inspect %s: %v", id, err)
	}
	return info.OCIv1.RootFS.DiffIDs
}

func runOut(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// gonative runs gonative in-process.
func gonative(args ...string) (int, string) {
	var out bytes.Buffer
	code := cli.Run(context.Background(), args, strings.NewReader(""), &out, &out)
	return code, out.String()
}

// step finds, in a buildah log, the step whose instruction contains what, and returns
// the lines up to the next step.
func step(log, what string) (string, bool) {
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		if stepRE.MatchString(l) && strings.Contains(l, what) {
			j := i + 1
			for j < len(lines) && !stepRE.MatchString(lines[j]) {
				j++
			}
			return strings.Join(lines[i:j], "\n"), true
		}
	}
	return "", false
}

var stepRE = regexp.MustCompile(`^(\[[0-9]+/[0-9]+\] )?STEP [0-9]+/[0-9]+: `)

var layerID = regexp.MustCompile(`(?m)^--> (?:Using cache )?([0-9a-f]{11,64})$`)

// writeModule writes fixture f with its rendered Dockerfile and .dockerignore and
// returns the directory and the Dockerfile.
func writeModule(t *testing.T, f fixture, prog string) (string, []byte) {
	t.Helper()
	dir, _, files := f.render(t, scaffold.Docker, scaffold.Options{Main: prog})
	for p, data := range files {
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, files["Dockerfile"]
}

// buildEachPlatform builds the Dockerfile in dir once per platform, one after the
// other, and checks the logs: the download layer shared, the compile not shared and
// run in the build platform's builder. It returns the images' tags.
func buildEachPlatform(t *testing.T, e *buildEnv, dir, builder, name string) []string {
	logs := map[string]string{}
	var tags []string
	for _, pl := range []string{e.buildPlatform, e.foreign} {
		tag := "localhost/gonative-test/" + name + ":" + strings.ReplaceAll(pl, "/", "-")
		logs[pl] = e.build(t, dir, builder, pl, tag)
		tags = append(tags, tag)
	}

	// The download layer: built once, for the first platform, and taken from the
	// cache for the second (the same layer), because nothing before it depends on
	// the target.
	first, ok1 := step(logs[e.buildPlatform], "go mod download")
	second, ok2 := step(logs[e.foreign], "go mod download")
	if !ok1 || !ok2 {
		t.Fatalf("no go mod download step in the logs:\n%s\n%s", logs[e.buildPlatform], logs[e.foreign])
	}
	if !strings.Contains(second, "Using cache") {
		t.Errorf("%s: the download step was not shared with %s:\n%s", e.foreign, e.buildPlatform, second)
	}
	// buildah prints the layer's short id (11 hex digits) after each step.
	id1, id2 := layerID.FindAllStringSubmatch(first, -1), layerID.FindAllStringSubmatch(second, -1)
	if id1 == nil || id2 == nil || id1[len(id1)-1][1][:11] != id2[len(id2)-1][1][:11] {
		t.Errorf("download layers differ between platforms:\n%s\n%s", first, second)
	}
	// The compile: not shared (each target has its own), and run in the builder of
	// the build platform, the only one the registry holds. buildah labels the images
	// of every step with the target platform, so the proof is the content: the image
	// the go build step committed has the layer holding this machine's Go.
	for pl, l := range logs {
		s, ok := step(l, "go build")
		if !ok || strings.Contains(s, "Using cache") {
			t.Errorf("%s: the go build step was taken from another platform's cache or is missing:\n%s", pl, s)
		}
		if ids := layerID.FindAllStringSubmatch(s, -1); len(ids) > 0 {
			if diffIDs := e.imageDiffIDs(t, ids[len(ids)-1][1]); !slices.Contains(diffIDs, e.goDiffID) {
				t.Errorf("%s: go build ran in an image without this machine's %s Go layer %s: %v", pl, e.buildPlatform, e.goDiffID, diffIDs)
			}
		} else {
			t.Errorf("%s: no image id after the go build step:\n%s", pl, s)
		}
		if strings.Contains(l, "exec format error") {
			t.Errorf("%s: something ran emulated or not at all:\n%s", pl, l)
		}
	}
	t.Logf("%s download step:\n%s", e.foreign, second)
	return tags
}

// documented is the command line the Dockerfile's header gives for tool (buildah or
// podman).
func documented(t *testing.T, df []byte, tool string) string {
	t.Helper()
	for _, l := range strings.Split(string(df), "\n") {
		if c, ok := strings.CutPrefix(l, "#   "+tool+" build "); ok {
			return tool + " build " + c
		}
	}
	t.Fatalf("the Dockerfile's header gives no %s command line:\n%s", tool, df)
	return ""
}

// buildDocumented runs the header's command line for tool (buildah or podman) as
// written, with sh, in dir, and returns its log and the images of the manifest list it
// made. Only what this test's machine needs is added, by a wrapper named tool first on
// PATH: private storage (buildah's for buildah, its own for podman), chroot isolation
// (no runc), the loopback registry without TLS, and the base images.
func buildDocumented(t *testing.T, e *buildEnv, tool, dir string, df []byte, builder string) (string, []v1.Image) {
	t.Helper()
	line := documented(t, df, tool)
	real, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("no %s (Debian: apt-get install %s)", tool, tool)
	}
	root, runroot := e.root, e.runroot
	if tool != "buildah" {
		root, runroot = e.root+"-"+tool, e.runroot+"-"+tool
		t.Cleanup(func() {
			exec.Command(real, "--root", root, "--runroot", runroot, "--storage-driver", "vfs", "system", "reset", "--force").Run()
		})
	}
	bin := t.TempDir()
	global := fmt.Sprintf("--root %s --runroot %s --storage-driver vfs", root, runroot)
	// podman builds with --layers on by default (buildah with it off): with vfs
	// storage every intermediate layer is a full copy of the file system (the
	// Debian builder with its compilers: 1m41s here against buildah's 29 s). The
	// layers change no result, so the test turns them off, as buildah's default is.
	buildFlags := ""
	if tool == "podman" {
		buildFlags = " --layers=false"
	}
	wrapper := fmt.Sprintf(`#!/bin/sh
sub=$1; shift
if [ "$sub" = build ]; then
	exec %s %s build%s --isolation chroot --tls-verify=false --signature-policy %s --build-arg GO_IMAGE=%s --build-arg BASE_IMAGE=%s "$@"
fi
exec %s %s "$sub" "$@"
`, real, global, buildFlags, e.policy, builder, e.final, real, global)
	if err := os.WriteFile(filepath.Join(bin, tool), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"),
		"CONTAINERS_REGISTRIES_CONF="+filepath.Join(filepath.Dir(e.policy), "registries.conf"), "TMPDIR="+e.tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", line)
	c.Dir, c.Env = dir, env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	start := time.Now()
	err = c.Run()
	t.Logf("%s: %v", line, time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out.String())
	}
	// The list the line named with --manifest, pushed to an OCI layout.
	f := strings.Fields(line)
	i := slices.Index(f, "--manifest")
	if i < 0 || i+1 >= len(f) {
		t.Fatalf("%s: no --manifest", line)
	}
	lay := filepath.Join(t.TempDir(), "oci")
	push := exec.Command(filepath.Join(bin, tool), "manifest", "push", "--all", f[i+1], "oci:"+lay+":"+f[i+1])
	push.Env = env
	if b, err := push.CombinedOutput(); err != nil {
		t.Fatalf("%s manifest push: %v\n%s", tool, err, b)
	}
	return out.String(), layoutImages(t, lay)
}

// checkImage checks one image against its platform: its config, every ELF file of
// its file system (the program, the base's loader and libc), gonative inspect
// --expect on the program, and the program's output when run as the image's user in
// a chroot of the image (natively) or with qemu-user and the image as its prefix.
func checkImage(t *testing.T, e *buildEnv, img v1.Image, pl, prog, want, expect string) {
	t.Helper()
	got, rootfs := extractImage(t, img, t.TempDir())
	if got.OS+"/"+got.Architecture != pl {
		t.Errorf("image built for %s says it is %s/%s", pl, got.OS, got.Architecture)
	}
	arch := strings.TrimPrefix(pl, "linux/")
	if n := checkELFArch(t, rootfs, arch); n < 3 {
		t.Errorf("%s image: %d ELF files, want at least the program, the loader and libc", pl, n)
	}
	bin := filepath.Join(rootfs, "usr/local/bin", prog)
	code, o := gonative("inspect", "--expect", pl+expect, bin)
	if code != 0 {
		t.Errorf("gonative inspect --expect %s%s %s: exit %d\n%s", pl, expect, bin, code, o)
	}
	t.Logf("%s", strings.TrimSpace(o))
	var c *exec.Cmd
	if pl == e.foreign {
		c = exec.Command(e.qemu, "-L", rootfs, bin)
	} else {
		c = exec.Command("chroot", "--userspec=65532:65532", rootfs, "/usr/local/bin/"+prog)
	}
	res, err := c.CombinedOutput()
	if err != nil || strings.TrimSpace(string(res)) != want {
		t.Errorf("%s (%s): %v, output %q, want %q", prog, pl, err, res, want)
	}
}

// TestBuild builds the Dockerfiles of a pure-Go module and of a cgo module for both
// platforms, sharing one buildah storage, registry and cache mounts, on final bases
// whose loader and libc differ per architecture. The pure module is built once per
// platform; the cgo module with the header's buildah command line, on a minimal
// Debian builder without any C compiler: each platform installs its own from Debian
// (gcc for the builder's own architecture, the cross compiler for the other).
func TestBuild(t *testing.T) {
	e := requireBuildah(t)
	e.serveBaseImages(t)
	t.Run("pure", func(t *testing.T) {
		dir, _ := writeModule(t, plain, "")
		tags := buildEachPlatform(t, e, dir, e.builder, plain.name)
		for i, pl := range []string{e.buildPlatform, e.foreign} {
			imgs := e.pushLayout(t, tags[i])
			if len(imgs) != 1 {
				t.Fatalf("%s: %d images, want 1", tags[i], len(imgs))
			}
			checkImage(t, e, imgs[0], pl, "hello", "hello", ":cgo=0")
		}
	})
	// podman's line too where podman is installed: it is not among the packages
	// scripts/test.sh installs (its build takes as long again, in storage of its own).
	tools := []string{"buildah"}
	if _, err := exec.LookPath("podman"); err == nil {
		tools = append(tools, "podman")
	} else {
		t.Log("no podman: the header's podman line is not built (Debian: apt-get install podman)")
	}
	for _, tool := range tools {
		t.Run("cgo-"+tool, func(t *testing.T) {
			builder := e.serveDebianBuilder(t)
			dir, df := writeModule(t, cgo, "")
			log, imgs := buildDocumented(t, e, tool, dir, df, builder)
			// Both branches of the compiler step ran: Debian's gcc for this machine's
			// architecture, its cross compiler for the other.
			foreignArch := strings.TrimPrefix(e.foreign, "linux/")
			d, _ := build.Debian(foreignArch)
			for _, w := range []string{"Setting up gcc (", "Setting up " + d.CrossGCC() + " (", "Setting up libc6-dev:" + d.Arch + " ("} {
				if !strings.Contains(log, w) {
					t.Errorf("the build log lacks %q: the compiler step did not install from Debian", w)
				}
			}
			seen := map[string]bool{}
			for _, img := range imgs {
				cf, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				pl := cf.OS + "/" + cf.Architecture
				seen[pl] = true
				checkImage(t, e, img, pl, "answer", "answer 42", ":cgo=1")
			}
			if !seen[e.buildPlatform] || !seen[e.foreign] || len(imgs) != 2 {
				t.Errorf("the manifest list holds %v, want %s and %s", seen, e.buildPlatform, e.foreign)
			}
			if t.Failed() {
				t.Logf("build log:\n%s", log)
			}
		})
	}
}
