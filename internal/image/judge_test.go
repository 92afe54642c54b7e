package image

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/image/imagetest"
	"github.com/gonative/gonative/internal/verdict"
)

// TestVerdictReadsImage: a dynamic program's verdict looks for its loader in the
// image, never on the host: the host having it does not make a loader-less image run,
// and the host lacking it does not stop an image that has it.
func TestVerdictReadsImage(t *testing.T) {
	prog := fixture.C(t, "gcc", "gcc", "int main(void){return 0;}\n")
	f, err := exe.Inspect(context.Background(), prog, exe.Options{})
	if err != nil || f.Slices[0].Interpreter == "" {
		t.Fatalf("%v %+v", err, f)
	}
	interp := f.Slices[0].Interpreter
	bin := string(readFile(t, prog))
	libc, err := os.ReadFile("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil {
		t.Skipf("%v (Debian package libc6)", err)
	}
	for _, c := range []struct {
		name       string
		hostHas    bool
		loader     []ent
		runs       verdict.Runs
		want, nope string
	}{
		{"the host has it, the image not", true, nil, verdict.No, "is not in the image", "install"},
		{"the image has it, the host not", false, []ent{{name: strings.TrimPrefix(interp, "/"), mode: 0o755, data: "\x7fELF loader"},
			{name: "lib/x86_64-linux-gnu/libc.so.6", mode: 0o755, data: string(libc)}}, verdict.Native, "", "not installed"},
		{"the image's loader is arm64's", true, []ent{{name: "lib/ld-linux-aarch64.so.1", mode: 0o755, data: "\x7fELF loader"}}, verdict.No, "the image's loader /lib/ld-linux-aarch64.so.1 is for arm64", "install"},
	} {
		img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/prog"}}, rawLayer(t, append([]ent{{name: "prog", mode: 0o755, data: bin}}, c.loader...)...))
		ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
		h := host.Host{OS: "linux", Arch: "amd64", ProcessArch: "amd64", Exists: func(string) bool { return c.hostHas }}
		reps, files := inspectAll(t, ref, InspectOptions{Host: h})
		var v *verdict.Verdict
		for _, f := range files {
			if f.Path == "/prog" {
				v = f.Verdict
			}
		}
		if v == nil {
			t.Fatalf("%s: no /prog in %+v", c.name, files)
		}
		if v.Runs != c.runs || !strings.Contains(v.Reason, c.want) || (c.nope != "" && strings.Contains(v.Reason, c.nope)) {
			t.Errorf("%s: verdict %q %q", c.name, v.Runs, v.Reason)
		}
		if c.runs == verdict.No {
			fd := findingOf(reps[0], "interpreter-missing")
			if fd == nil || !strings.Contains(fd.Title, c.want) || reps[0].Runs != verdict.No {
				t.Errorf("%s: platform %q, findings %+v", c.name, reps[0].Runs, reps[0].Findings)
			}
		}
	}
}

// TestPlatformVerdict: the platform line's verdict never says native beside a
// problem, a config of another architecture or a layer that could not be read, and a
// platform always has one.
func TestPlatformVerdict(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	linux := host.Host{OS: "linux", Arch: "amd64"}
	app := ent{name: "app", mode: 0o755, data: string(bin)}
	cfgArm := handImage(t, arm64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, app))
	for _, c := range []struct {
		name string
		img  v1.Image
		plat v1.Platform
		h    host.Host
		runs verdict.Runs
		why  string
	}{
		{"runnable", handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, app)), amd64, linux, verdict.Native, "in its kernel"},
		{"entrypoint missing", handImage(t, amd64, v1.Config{Entrypoint: []string{"/nope"}}, rawLayer(t, app)), amd64, linux, verdict.No, "entrypoint-missing"},
		{"config says arm64", cfgArm, amd64, linux, verdict.No, "config-platform-mismatch"},
		{"host unknown", handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, app)), amd64, host.Host{}, RunsUnknown, "unknown"},
	} {
		ref, _ := layoutOf(t, handIndex([]v1.Platform{c.plat}, c.img))
		var reps []*PlatformReport
		_, err := Inspect(context.Background(), ref, InspectOptions{Host: c.h}, Emitter{Platform: func(r *PlatformReport) error { reps = append(reps, r); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if r := reps[0]; r.Runs != c.runs || !strings.Contains(r.Reason, c.why) {
			t.Errorf("%s: runs %q %q", c.name, r.Runs, r.Reason)
		}
	}
}

// TestHardLinkAndGNUSparse: a hard link to ../../../etc/shadow is an unsafe path as
// an escaping symlink is; an old GNU sparse member is a regular file.
func TestHardLinkAndGNUSparse(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t,
		ent{raw: imagetest.GNUSparse("app", 0o755, bin, int64(len(bin))+4096)},
		ent{name: "shadow", typ: tar.TypeLink, link: "../../../etc/shadow"},
		ent{name: "abs", typ: tar.TypeLink, link: "/etc/passwd"},
		ent{name: "fine", typ: tar.TypeLink, link: "app"},
	))
	ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
	reps, files := inspectAll(t, ref, InspectOptions{})
	r := reps[0]
	f := findingOf(r, "unsafe-path")
	if f == nil || !strings.Contains(f.Title, "hard link /shadow -> ../../../etc/shadow") || !strings.Contains(f.Title, "hard link /abs -> /etc/passwd") || strings.Contains(f.Title, "/fine") {
		t.Errorf("unsafe-path: %+v", r.Findings)
	}
	if r.Problems() || r.Error != "" {
		t.Errorf("the sparse entrypoint: %q %+v", r.Error, r.Findings)
	}
	if len(files) != 1 || files[0].Path != "/app" {
		t.Errorf("files %+v", files)
	}
}

// TestCorruptBase: image build's check of a base reads every base layer to its end and
// verifies it: a corrupt layer is an error naming it, not a check passed on it.
func TestCorruptBase(t *testing.T) {
	prog := fixture.C(t, "gcc", "gcc", "int main(void){return 0;}\n")
	f, err := exe.Inspect(context.Background(), prog, exe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	interp := f.Slices[0].Interpreter
	l := rawLayer(t, ent{name: strings.TrimPrefix(interp, "/"), mode: 0o755, data: "\x7fELF loader"})
	ref, dir := layoutOf(t, handIndex([]v1.Platform{amd64}, handImage(t, amd64, v1.Config{}, l)))
	d, _ := l.Digest()
	blob := filepath.Join(dir, "blobs", "sha256", d.Hex)
	b := readFile(t, blob)
	b[len(b)-1] ^= 1 // the gzip trailer's last byte: after tar's end-of-archive marker
	os.WriteFile(blob, b, 0o644)
	op, err := Open(context.Background(), ref, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	_, err = checkOnBase(context.Background(), amd64, op.Platforms[0].Image, "/app", f)
	var le *LayerError
	if !errors.As(err, &le) || le.Digest != d || !errors.Is(err, ErrCorrupt) {
		t.Errorf("checkOnBase on a corrupt base: %v", err)
	}
}
