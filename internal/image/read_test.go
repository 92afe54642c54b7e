package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/image/imagetest"
	"github.com/gonative/gonative/internal/verdict"
)

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// walkPaths flattens img and returns "path type" lines.
func walkPaths(t *testing.T, img v1.Image) []string {
	t.Helper()
	var got []string
	err := Walk(context.Background(), img, func(e *Entry) error {
		s := e.Path + " " + string(e.Type)
		if e.Type == tar.TypeReg {
			b := make([]byte, e.Size)
			if _, err := io.ReadFull(e.Reader, b); err != nil {
				return err
			}
			s += " " + string(b)
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func TestWalkWhiteouts(t *testing.T) {
	lower := rawLayer(t,
		ent{name: "a/", typ: tar.TypeDir, mode: 0o755},
		ent{name: "a/gone", data: "lower"},
		ent{name: "a/kept", data: "lower"},
		ent{name: "b/", typ: tar.TypeDir, mode: 0o755},
		ent{name: "b/hidden", data: "lower"},
		ent{name: "c/", typ: tar.TypeDir, mode: 0o755},
		ent{name: "c/under-a-file", data: "lower"},
		ent{name: "d", data: "lower"},
	)
	upper := rawLayer(t,
		ent{name: "a/.wh.gone"},
		ent{name: "b/", typ: tar.TypeDir, mode: 0o755},
		ent{name: "b/.wh..wh..opq"},
		ent{name: "b/new", data: "upper"},
		ent{name: "c", data: "now a file"},
		ent{name: "d", data: "upper"},
	)
	got := walkPaths(t, handImage(t, amd64, v1.Config{}, lower, upper))
	want := []string{"/a 5", "/a/kept 0 lower", "/b 5", "/b/new 0 upper", "/c 0 now a file", "/d 0 upper"}
	if !slices.Equal(got, want) {
		t.Errorf("flattened:\n%q\nwant\n%q", got, want)
	}
}

// TestHostileLayer: "../" names and links stay inside the image, the finding says
// what a naive extractor would do, and the entrypoint resolves within the image.
func TestHostileLayer(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	l := rawLayer(t,
		ent{name: "../../etc/evil", data: "x"},
		ent{name: "bin/../../../app", mode: 0o755, data: string(bin)},
		ent{name: "usr/bin/abs", typ: tar.TypeSymlink, link: "/app"},
		ent{name: "usr/bin/out", typ: tar.TypeSymlink, link: "../../../../../../etc/shadow"},
	)
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/usr/bin/abs"}}, l)
	got := walkPaths(t, img)
	for _, g := range got {
		if p := strings.Fields(g)[0]; !strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
			t.Errorf("path %q escapes", p)
		}
	}
	ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
	reps, files := inspectAll(t, ref, InspectOptions{})
	r := reps[0]
	if f := findingOf(r, "unsafe-path"); f == nil || !strings.Contains(f.Title, `"../../etc/evil"`) || !strings.Contains(f.Title, "usr/bin/out") {
		t.Errorf("unsafe-path finding: %+v", r.Findings)
	}
	if r.Problems() {
		t.Errorf("problems in a runnable image: %+v", r.Findings)
	}
	if len(files) != 1 || files[0].Path != "/app" {
		t.Errorf("files %v", files)
	}
	tr := tree{"/usr": {typ: tar.TypeDir}, "/usr/bin": {typ: tar.TypeDir}, "/usr/bin/out": {typ: tar.TypeSymlink, link: "../../../../../../etc/shadow"}, "/etc": {typ: tar.TypeDir}, "/etc/shadow": {typ: tar.TypeReg}}
	if p, _, err := tr.resolve("/usr/bin/out"); err != nil || p != "/etc/shadow" {
		t.Errorf("resolve = %q, %v; want /etc/shadow inside the image", p, err)
	}
}

func findingOf(r *PlatformReport, code string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].ID == code {
			return &r.Findings[i]
		}
	}
	return nil
}

func inspectAll(t *testing.T, ref string, o InspectOptions) ([]*PlatformReport, []*File) {
	t.Helper()
	if o.Host.OS == "" {
		o.Host = host.Host{OS: "linux", Arch: "amd64"}
	}
	var reps []*PlatformReport
	var files []*File
	_, err := Inspect(context.Background(), ref, o, Emitter{
		File:     func(f *File) error { files = append(files, f); return nil },
		Platform: func(r *PlatformReport) error { reps = append(reps, r); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return reps, files
}

// TestArchMismatch: an amd64 binary in an image labelled linux/arm64.
func TestArchMismatch(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	img := handImage(t, arm64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, ent{name: "app", mode: 0o755, data: string(bin)}))
	ref, _ := layoutOf(t, handIndex([]v1.Platform{arm64}, img))
	reps, files := inspectAll(t, ref, InspectOptions{Host: mustHost(t, "darwin/arm64"), Wants: mustWants(t, "linux/arm64")})
	r := reps[0]
	f := findingOf(r, "arch-mismatch")
	if f == nil || f.Severity != Problem || !strings.Contains(f.Title, "/app is an amd64 binary in a linux/arm64 image") {
		t.Errorf("findings %+v", r.Findings)
	}
	if len(r.Unmet) != 1 || !strings.Contains(r.Unmet[0], "no linux/arm64 slice (has linux/amd64)") {
		t.Errorf("unmet %q", r.Unmet)
	}
	// One verdict from the findings: not "native" beside an arch-mismatch problem.
	if r.Runs != verdict.No || !strings.HasPrefix(r.Reason, "arch-mismatch: ") {
		t.Errorf("runs %q %q", r.Runs, r.Reason)
	}
	// The file itself, judged for Docker Desktop's arm64 VM: Rosetta.
	if len(files) != 1 || files[0].Verdict.Runs != verdict.Emulated || !strings.Contains(files[0].Verdict.Handler, "Rosetta") {
		t.Errorf("file verdict %+v", files[0].Verdict)
	}
}

func mustHost(t *testing.T, s string) host.Host {
	h, err := host.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustWants(t *testing.T, s string) []verdict.Want {
	w, err := verdict.ParseWants(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestEntrypointFindings(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	base := []ent{
		{name: "app", mode: 0o755, data: string(bin)},
		{name: "noexec", mode: 0o644, data: string(bin)},
		{name: "run.sh", mode: 0o755, data: "#!/bin/sh\nexec /app\n"},
		{name: "text", mode: 0o755, data: "just text"},
	}
	for _, c := range []struct {
		entry []string
		code  string
	}{
		{[]string{"/missing"}, "entrypoint-missing"},
		{[]string{"/noexec"}, "entrypoint-not-executable"},
		{[]string{"/run.sh"}, "interpreter-missing"},
		{[]string{"/text"}, "entrypoint-not-executable"},
		{[]string{"app"}, "entrypoint-missing"}, // not in PATH
		{[]string{"/app"}, ""},
	} {
		img := handImage(t, amd64, v1.Config{Entrypoint: c.entry}, rawLayer(t, base...))
		ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
		reps, _ := inspectAll(t, ref, InspectOptions{})
		r := reps[0]
		if c.code == "" {
			if r.Problems() {
				t.Errorf("%v: %+v", c.entry, r.Findings)
			}
			continue
		}
		if f := findingOf(r, c.code); f == nil || f.Severity != Problem {
			t.Errorf("%v: want %s, got %+v", c.entry, c.code, r.Findings)
		}
	}
}

// TestCorruptLayer is a property test: a layer blob in a layout with one byte flipped
// at every position, cut short at many lengths, or replaced by another valid layer of
// the same size, is an error for its platform naming the layer and its digest, and
// nothing read from it is reported (no file, no count, no finding from its entries).
func TestCorruptLayer(t *testing.T) {
	fake := "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 120) // read as an executable file
	l := rawLayer(t, ent{name: "app", mode: 0o755, data: fake}, ent{name: "etc/passwd", data: "root:x:0:0::/:/bin/sh\n"})
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, l)
	ref, dir := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
	d, _ := l.Digest()
	blob := filepath.Join(dir, "blobs", "sha256", d.Hex)
	good := readFile(t, blob)
	check := func(what string, b []byte) {
		t.Helper()
		if err := os.WriteFile(blob, b, 0o644); err != nil {
			t.Fatal(err)
		}
		reps, files := inspectAll(t, ref, InspectOptions{})
		r := reps[0]
		if !strings.Contains(r.Error, "layer 0") || !strings.Contains(r.Error, d.String()) || !strings.Contains(r.Error, "corrupt blob") {
			t.Errorf("%s: error %q", what, r.Error)
		}
		if len(files) != 0 || r.Files != 0 || r.Executables != 0 || findingOf(r, "unsafe-path") != nil {
			t.Errorf("%s: reported from an unverified blob: %d files %+v, %d entries, findings %+v", what, len(files), files, r.Files, r.Findings)
		}
		if r.Runs != verdict.No {
			t.Errorf("%s: runs %q beside a corrupt layer", what, r.Runs)
		}
	}
	for i := range good {
		b := slices.Clone(good)
		b[i] ^= 0x01
		check(fmt.Sprintf("bit flipped at %d of %d", i, len(good)), b)
	}
	for n := 0; n < len(good); n += 7 {
		check(fmt.Sprintf("cut at %d of %d", n, len(good)), good[:n])
	}
	check("a byte appended", append(slices.Clone(good), 0))
	// Another valid gzip'd tar, padded to the same size.
	other, err := imagetest.Layer(imagetest.Entry{Name: "app", Mode: 0o755, Data: []byte("\x7fELF\x02\x01\x01evil")})
	if err != nil || len(other) > len(good) {
		t.Fatalf("%v: %d bytes > %d", err, len(other), len(good))
	}
	check("another layer padded to the size", append(other, make([]byte, len(good)-len(other))...))
	// The good blob again: read whole, no error.
	os.WriteFile(blob, good, 0o644)
	reps, files := inspectAll(t, ref, InspectOptions{})
	if reps[0].Error != "" || len(files) != 1 || reps[0].Files != 2 {
		t.Errorf("good blob: %q, files %+v, %d entries", reps[0].Error, files, reps[0].Files)
	}
}

// TestSparseLayer streams a layer holding a 1 GiB sparse file that looks like an ELF
// file: it is reported as too large to read, and the walk allocates far less than it.
func TestSparseLayer(t *testing.T) {
	l := rawLayer(t, ent{raw: imagetest.Sparse("big", []byte("\x7fELF\x02\x01\x01"), 1<<30)}, ent{name: "small", data: "x"})
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/small"}}, l)
	ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	reps, files := inspectAll(t, ref, InspectOptions{MaxFile: 512 << 20})
	runtime.ReadMemStats(&after)
	if reps[0].Error != "" {
		t.Fatal(reps[0].Error)
	}
	if len(files) != 1 || files[0].Path != "/big" || files[0].Size != 1<<30 || !strings.Contains(files[0].Error, "not read") {
		t.Fatalf("files %+v", files)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB reading a 1 GiB sparse file", alloc>>20)
	}
}

// TestGLIBCTooOld: a cgo-style binary needing a newer glibc than the image's libc.so.6
// (a tiny library whose only version definitions are GLIBC_2.2.5 and GLIBC_2.17).
func TestGLIBCTooOld(t *testing.T) {
	libc := oldLibc(t)
	prog := fixture.C(t, "gcc", "gcc", "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n")
	f, err := exe.Inspect(context.Background(), prog, exe.Options{})
	if err != nil || f.Slices[0].GLIBC == "" {
		t.Fatalf("%v %+v", err, f)
	}
	interp := f.Slices[0].Interpreter
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/prog"}}, rawLayer(t,
		ent{name: "prog", mode: 0o755, data: string(readFile(t, prog))},
		ent{name: strings.TrimPrefix(interp, "/"), mode: 0o755, data: "\x7fELF stand-in loader"},
		ent{name: "lib/x86_64-linux-gnu/libc.so.6", mode: 0o755, data: string(libc)},
	))
	ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
	// In memory, and through a temporary file (the libc is read before it goes).
	for _, mem := range []int64{0, 1024} {
		reps, files := inspectAll(t, ref, InspectOptions{MemBuffer: mem})
		fd := findingOf(reps[0], "glibc-too-old")
		if fd == nil || fd.Severity != Problem || !strings.Contains(fd.Title, "glibc 2.17") {
			t.Errorf("MemBuffer %d: findings %+v", mem, reps[0].Findings)
		}
		// The program's own verdict reads the image's glibc, not the host's.
		for _, f := range files {
			if f.Path == "/prog" && (f.Verdict.Runs != verdict.No || !strings.Contains(f.Verdict.Reason, "glibc 2.17")) {
				t.Errorf("MemBuffer %d: /prog verdict %+v", mem, f.Verdict)
			}
		}
	}
}

// oldLibc links a shared library named libc.so.6 whose version definitions stop at
// GLIBC_2.17.
func oldLibc(t *testing.T) []byte {
	t.Helper()
	gcc := fixture.Need(t, "gcc", "gcc")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "v.map"), []byte("GLIBC_2.2.5 { global: puts; local: *; };\nGLIBC_2.17 { global: clock_gettime; } GLIBC_2.2.5;\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.c"), []byte("int puts(const char *s){return 0;}\nint clock_gettime(int c, void *t){return 0;}\n"), 0o644)
	out := filepath.Join(dir, "libc.so.6")
	if b, err := runCmd(dir, gcc, "-shared", "-nostdlib", "-fPIC", "-Wl,--version-script=v.map", "-Wl,-soname,libc.so.6", "-o", out, "c.c"); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	return readFile(t, out)
}

// TestArchives reads the same image from an oci-archive (nested index, as buildkit
// writes it) and a docker-archive.
func TestArchives(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64"}, "-trimpath"))
	img := handImage(t, arm64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, ent{name: "app", mode: 0o755, data: string(bin)}))
	dir := t.TempDir()
	oci := filepath.Join(dir, "img.oci.tar")
	if err := writeArchive(oci, handIndex([]v1.Platform{arm64}, img), []string{"example.com/app:v1"}); err != nil {
		t.Fatal(err)
	}
	dock := filepath.Join(dir, "img.docker.tar")
	tag, _ := name.NewTag("example.com/app:v1")
	if err := tarball.WriteToFile(dock, tag, img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	for _, ref := range []string{PrefixOCIArchive + oci, PrefixDockerArchive + dock} {
		reps, files := inspectAll(t, ref, InspectOptions{})
		if len(reps) != 1 || reps[0].Platform != "linux/arm64" || reps[0].Problems() || reps[0].Error != "" {
			t.Errorf("%s: %+v", ref, reps[0])
		}
		if strings.HasPrefix(ref, PrefixOCIArchive) && reps[0].Digest != want {
			t.Errorf("%s: digest %s, want %s", ref, reps[0].Digest, want)
		}
		if len(files) != 1 || files[0].Slices[0].Arch != "arm64" || files[0].Slices[0].Go == nil {
			t.Errorf("%s: files %+v", ref, files)
		}
	}
	if _, err := Open(context.Background(), PrefixOCIArchive+dock, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "not an OCI layout") {
		t.Errorf("docker-archive read as oci-archive: %v", err)
	}
	if _, err := Open(context.Background(), PrefixOCILayout+filepath.Join(dir, "none"), ReadOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing layout: %v", err)
	}
}

func TestLooksLikeReference(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "app:v1")
	os.WriteFile(existing, nil, 0o644)
	t.Chdir(dir)
	os.Mkdir("dist", 0o755)
	for _, c := range []struct {
		arg  string
		want bool
	}{
		{"oci-layout:out", true}, {"oci-archive:x.tar", true}, {"docker-archive:x.tar", true},
		{"127.0.0.1:5000/app:v1", true}, {"registry.example.com/app@sha256:" + strings.Repeat("a", 64), true},
		{"alpine:3", true}, {"dist/app", false}, {"dist/app:v1", false}, {"user/app:v1", true}, {existing, false}, {"-", false}, {"", false},
	} {
		if got := LooksLikeReference(c.arg); got != c.want {
			t.Errorf("LooksLikeReference(%q) = %v", c.arg, got)
		}
	}
}

// TestEmitterError: an error from the emitter stops Inspect and is returned as is, not
// reported as a broken layer.
func TestEmitterError(t *testing.T) {
	bin := readFile(t, fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, ent{name: "app", mode: 0o755, data: string(bin)}))
	ref, _ := layoutOf(t, handIndex([]v1.Platform{amd64}, img))
	boom := errors.New("stdout closed")
	platforms := 0
	_, err := Inspect(context.Background(), ref, InspectOptions{Host: host.Host{OS: "linux", Arch: "amd64"}}, Emitter{
		File:     func(*File) error { return boom },
		Platform: func(*PlatformReport) error { platforms++; return nil },
	})
	if err != boom || platforms != 0 {
		t.Errorf("err = %v, %d platform reports", err, platforms)
	}
}
