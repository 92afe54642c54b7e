package scaffoldtest

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
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

	"github.com/gonative/gonative/internal/cli"
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
	cgoBuilder    string // the same with C compilers for both platforms ("" off amd64)
	final         string // the final base's reference
	tmp           string // buildah's TMPDIR, where it keeps cache mounts
	goDiffID      string // the builders' layer holding this machine's Go
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
	// (/var/tmp by default): keep them in the test's directory.
	e.tmp = filepath.Join(dir, "tmp")
	if err := os.Mkdir(e.tmp, 0o755); err != nil {
		t.Fatal(err)
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
// Go and Debian's busybox-static, and the same with this machine's C compilers (amd64
// machines only); and a minimal final base for both platforms.
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
	arch := runtime.GOARCH
	env := []string{
		"PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GOPATH=/go", "HOME=/root", "GOTOOLCHAIN=local",
	}
	goL := goLayer(t, goroot)
	d, err := goL.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	e.goDiffID = d.String()
	layers := []v1.Layer{busyboxLayer(t, bb), goL}
	// Indexes holding only the build platform: a builder for the foreign platform
	// does not exist, so the compile cannot have run emulated.
	e.builder = e.registry + "/gonative-test/golang:local"
	e.pushImage(t, e.builder, image(t, arch, env, layers...))
	if arch == "amd64" {
		e.cgoBuilder = e.registry + "/gonative-test/golang:cgo"
		e.pushImage(t, e.cgoBuilder, image(t, arch, env, append(layers, toolchainLayer(t))...))
	}

	var finals []v1.Image
	for _, a := range []string{"amd64", "arm64"} {
		l := newLayer(t)
		l.file("etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
		l.dir("home/nonroot", 0o755)
		finals = append(finals, image(t, a, []string{"PATH=/usr/local/bin:/usr/bin:/bin"}, l.done(t)))
	}
	fidx, err := index(finals...)
	if err != nil {
		t.Fatal(err)
	}
	e.final = e.registry + "/gonative-test/static:local"
	e.push(t, e.final, fidx)
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
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
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

// extract pushes the image to an OCI layout and returns its platform and the file at
// p in its flattened filesystem, written into dir.
func (e *buildEnv) extract(t *testing.T, tag, p, dir string) (v1.Platform, string) {
	t.Helper()
	lay := filepath.Join(t.TempDir(), "oci")
	if out, err := e.cmd(context.Background(), "push", "--signature-policy", e.policy, tag, "oci:"+lay+":img").CombinedOutput(); err != nil {
		t.Fatalf("buildah push: %v\n%s", err, out)
	}
	lp, err := layout.FromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("layout index: %v, %d manifests", err, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	want := strings.TrimPrefix(p, "/")
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if path.Clean(h.Name) != want || h.Typeflag != tar.TypeReg {
			continue
		}
		out := filepath.Join(dir, path.Base(p)+"_"+cf.Architecture)
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, out
	}
	t.Fatalf("%s: no file %s in the image", tag, p)
	return v1.Platform{}, ""
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

// buildAndCheck renders the Dockerfile for fixture f, builds it for both platforms and
// checks every image: the download layer shared, a binary of each image's platform,
// the foreign one run under qemu-user.
func buildAndCheck(t *testing.T, e *buildEnv, builder string, f fixture, prog, want string, expect string) {
	dir, _, files := f.render(t, scaffold.Docker, scaffold.Options{Main: prog})
	for p, data := range files {
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := map[string]string{}
	for _, pl := range []string{e.buildPlatform, e.foreign} {
		logs[pl] = e.build(t, dir, builder, pl, "localhost/gonative-test/"+f.name+":"+strings.ReplaceAll(pl, "/", "-"))
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

	out := t.TempDir()
	for _, pl := range []string{e.buildPlatform, e.foreign} {
		tag := "localhost/gonative-test/" + f.name + ":" + strings.ReplaceAll(pl, "/", "-")
		got, bin := e.extract(t, tag, "/usr/local/bin/"+path.Base(prog0(prog, f)), out)
		if got.OS+"/"+got.Architecture != pl {
			t.Errorf("image built for %s says it is %s/%s", pl, got.OS, got.Architecture)
		}
		// gonative inspect: the image's binary is of the image's platform.
		code, o := gonative("inspect", "--expect", pl+expect, bin)
		if code != 0 {
			t.Errorf("gonative inspect --expect %s%s %s: exit %d\n%s", pl, expect, bin, code, o)
		}
		t.Logf("%s", strings.TrimSpace(o))
		// Run it: natively, or under qemu-user for the foreign platform.
		var c *exec.Cmd
		if pl == e.foreign {
			args := []string{bin}
			if strings.Contains(expect, "cgo=1") {
				args = append([]string{"-L", crossSysroot(runtime.GOARCH)}, args...)
			}
			c = exec.Command(e.qemu, args...)
		} else {
			c = exec.Command(bin)
		}
		res, err := c.CombinedOutput()
		if err != nil || strings.TrimSpace(string(res)) != want {
			t.Errorf("%s (%s): %v, output %q, want %q", bin, pl, err, res, want)
		}
	}
}

func prog0(prog string, f fixture) string {
	if prog != "" {
		return prog
	}
	return map[string]string{"plain": "hello", "multi": "one", "cgo": "answer"}[f.name]
}

// crossSysroot is where Debian's cross libc for the foreign platform lives.
func crossSysroot(hostArch string) string {
	if hostArch == "amd64" {
		return "/usr/aarch64-linux-gnu"
	}
	return "/usr/x86_64-linux-gnu"
}

// TestBuild builds the Dockerfiles of a pure-Go module and of a cgo module for both
// platforms, sharing one buildah storage, registry and cache mounts. The cgo builder
// image carries this machine's Debian gcc and cross gcc (aarch64-linux-gnu) with its
// libc, so the Dockerfile's `command -v $triplet-gcc` finds them and its apt-get branch
// (which needs Debian's mirrors) is not taken here; TestDockerfile checks that branch.
func TestBuild(t *testing.T) {
	e := requireBuildah(t)
	e.serveBaseImages(t)
	t.Run("pure", func(t *testing.T) {
		buildAndCheck(t, e, e.builder, plain, "", "hello", ":cgo=0")
	})
	t.Run("cgo", func(t *testing.T) {
		if e.cgoBuilder == "" {
			t.Skip("the cgo builder image is made from an amd64 machine's Debian packages")
		}
		buildAndCheck(t, e, e.cgoBuilder, cgo, "", "answer 42", ":cgo=1")
	})
}
