package scaffoldtest

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
)

// binfmtQEMU reports why the kernel cannot run arch's ELF files through qemu-user in
// a chroot, or "" when it can: binfmt_misc's entry for it is enabled and has the F
// flag (the interpreter is opened when registered, so the builder's root file system
// need not hold it).
func binfmtQEMU(arch string) string {
	p := "/proc/sys/fs/binfmt_misc/qemu-" + arch
	data, err := os.ReadFile(p)
	if err != nil {
		return "no " + p + " to run the " + arch + " builder's steps (Debian: apt-get install qemu-user-static)"
	}
	lines := strings.Split(string(data), "\n")
	if lines[0] != "enabled" {
		return p + " is " + strings.TrimSpace(lines[0]) + ", not enabled"
	}
	for _, l := range lines {
		if f, ok := strings.CutPrefix(l, "flags: "); ok && strings.Contains(f, "F") {
			return ""
		}
	}
	return p + " lacks the F flag: its interpreter is looked up inside the builder's root file system"
}

// TestBuildArm64Builder builds the cgo module's Dockerfile for linux/amd64 on an arm64
// builder — an Apple Silicon Mac, an arm64 CI runner, Graviton — the branch of the
// compiler step that installs Debian's cross compiler gcc-x86-64-linux-gnu and
// libc6-dev:amd64. On this amd64 machine the builder is a minimal arm64 Debian (no C
// compiler) with an arm64 Go, its RUN steps run under qemu-user through binfmt_misc,
// and buildah is given BUILDPLATFORM=linux/arm64 as on an arm64 machine. Every ELF file
// of the image is x86-64 and the program runs natively. Emulated, a run with the arm64
// Debian and Go already made took 8.5 to 10 minutes on a loaded 2-core machine (the
// build 8 to 9.5), beyond the test command's budget: bench/arm64-builder.sh runs it.
func TestBuildArm64Builder(t *testing.T) {
	if os.Getenv("GONATIVE_ARM64_BUILDER") != "1" {
		t.Skip("bench/arm64-builder.sh runs it: the arm64 builder runs emulated (8.5 to 10 min warm here), set GONATIVE_ARM64_BUILDER=1")
	}
	if runtime.GOARCH != "amd64" {
		t.Skipf("the arm64 builder is emulated on amd64; on %s TestBuild's cgo build installs the amd64 cross compiler natively", runtime.GOARCH)
	}
	e := requireBuildah(t)
	if why := binfmtQEMU("aarch64"); why != "" {
		t.Skip(why)
	}
	e.serveBaseImages(t)
	src := debianSource(t)
	goroot := strings.TrimSpace(runOut(t, "go", "env", "GOROOT"))
	armGo := goLayer(t, goroot, "arm64")
	d, err := armGo.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	builder := e.registry + "/gonative-test/golang:debian-arm64"
	e.pushImage(t, builder, image(t, "arm64", append(e.env, "DEBIAN_FRONTEND=noninteractive"), debianLayer(t, src, "arm64"), armGo))

	dir, _ := writeModule(t, cgo, "")
	// The build as on an arm64 machine; the images are checked on this amd64 one.
	arm := *e
	arm.buildPlatform = "linux/arm64"
	arm.buildTimeout = 90 * time.Minute
	tag := "localhost/gonative-test/answer:arm64-builder"
	start := time.Now()
	log := arm.build(t, dir, builder, "linux/amd64", tag)
	t.Logf("the linux/amd64 cgo image on the emulated arm64 builder: %v", time.Since(start).Round(time.Second))
	if t.Failed() {
		return
	}
	defer func() {
		if t.Failed() {
			t.Logf("build log:\n%s", log)
		}
	}()

	// The compiler step took the cross branch: Debian's amd64 cross compiler and
	// amd64 libc, installed on the arm64 builder.
	amd, _ := build.Debian("amd64")
	for _, w := range []string{"Setting up " + amd.CrossGCC() + " (", "Setting up libc6-dev:" + amd.Arch + " ("} {
		if !strings.Contains(log, w) {
			t.Errorf("the build log lacks %q: the compiler step did not install the cross compiler from Debian", w)
		}
	}
	// The compile ran on the arm64 builder: the image its step committed holds the
	// arm64 Go layer.
	s, ok := step(log, "go build")
	ids := layerID.FindAllStringSubmatch(s, -1)
	if !ok || len(ids) == 0 {
		t.Fatalf("no go build step with an image id in the log")
	}
	if diffIDs := e.imageDiffIDs(t, ids[len(ids)-1][1]); !slices.Contains(diffIDs, d.String()) {
		t.Errorf("go build ran in an image without the arm64 Go layer %s: %v", d, diffIDs)
	}

	imgs := e.pushLayout(t, tag)
	if len(imgs) != 1 {
		t.Fatalf("%s: %d images, want 1", tag, len(imgs))
	}
	checkImage(t, e, imgs[0], "linux/amd64", "answer", "answer 42", ":cgo=1")
}
