package scaffoldtest

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layerWriter writes one image layer as a tar file.
type layerWriter struct {
	f    *os.File
	tw   *tar.Writer
	dirs map[string]bool
	err  error
}

func newLayer(t testing.TB) *layerWriter {
	f, err := os.CreateTemp(t.TempDir(), "layer*.tar")
	if err != nil {
		t.Fatal(err)
	}
	return &layerWriter{f: f, tw: tar.NewWriter(f), dirs: map[string]bool{".": true, "/": true}}
}

// dir adds name and its parents as directories.
func (l *layerWriter) dir(name string, mode int64) {
	name = strings.TrimPrefix(path.Clean(name), "/")
	if l.dirs[name] || name == "" || name == "." {
		return
	}
	l.dir(path.Dir(name), 0o755)
	l.dirs[name] = true
	l.write(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode})
}

func (l *layerWriter) write(h *tar.Header, data ...[]byte) {
	if l.err != nil {
		return
	}
	h.Format = tar.FormatPAX
	if err := l.tw.WriteHeader(h); err != nil {
		l.err = err
		return
	}
	for _, d := range data {
		if _, err := l.tw.Write(d); err != nil {
			l.err = err
		}
	}
}

// file adds a file with the given content.
func (l *layerWriter) file(name string, mode int64, data string) {
	name = strings.TrimPrefix(name, "/")
	l.dir(path.Dir(name), 0o755)
	l.write(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}, []byte(data))
}

// symlink adds name pointing at target.
func (l *layerWriter) symlink(name, target string) {
	name = strings.TrimPrefix(name, "/")
	l.dir(path.Dir(name), 0o755)
	l.write(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777})
}

// host adds this machine's file, directory tree or symlink at the same path. keep,
// when set, filters the files of a tree.
func (l *layerWriter) host(p string, keep func(string) bool) {
	err := filepath.WalkDir(p, func(hp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(hp)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(hp, "/")
		switch {
		case fi.IsDir():
			if keep != nil && hp != p && !keep(hp+"/") {
				return filepath.SkipDir
			}
			l.dir(name, int64(fi.Mode().Perm()))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(hp)
			if err != nil {
				return err
			}
			l.symlink(name, target)
		case fi.Mode().IsRegular():
			if keep != nil && !keep(hp) {
				return nil
			}
			l.dir(path.Dir(name), 0o755)
			f, err := os.Open(hp)
			if err != nil {
				return err
			}
			defer f.Close()
			l.write(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(fi.Mode().Perm()), Size: fi.Size()})
			if l.err == nil {
				_, l.err = io.Copy(l.tw, f)
			}
		}
		return l.err
	})
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("add %s: %w", p, err)
	}
}

// done closes the tar and returns it as a layer, gzip-framed without compression
// (the layers are large and only travel over loopback).
func (l *layerWriter) done(t testing.TB) v1.Layer {
	t.Helper()
	if l.err == nil {
		l.err = l.tw.Close()
	}
	if err := l.f.Close(); l.err == nil {
		l.err = err
	}
	if l.err != nil {
		t.Fatal(l.err)
	}
	layer, err := tarball.LayerFromFile(l.f.Name(), tarball.WithCompressionLevel(gzip.NoCompression), tarball.WithCompressedCaching)
	if err != nil {
		t.Fatal(err)
	}
	return layer
}

// image makes a linux/arch image from layers with the given environment.
func image(t testing.TB, arch string, env []string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	if arch == "arm64" {
		cf.Variant = "v8"
	}
	cf.Config.Env = env
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// index makes a multi-platform index of images.
func index(imgs ...v1.Image) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant},
		}})
	}
	return mutate.AppendManifests(empty.Index, adds...), nil
}

// busyboxLayer is a userland: Debian's busybox-static and the applets a RUN needs.
func busyboxLayer(t testing.TB, bb string) v1.Layer {
	l := newLayer(t)
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	l.file("bin/busybox", 0o755, string(data))
	for _, a := range []string{"sh", "cat", "echo", "ls", "mkdir", "rm", "cp", "mv", "env", "test", "[", "true", "false",
		"uname", "chmod", "ln", "sed", "grep", "tr", "id", "dirname", "basename", "head", "tail", "wc", "find", "xargs"} {
		l.symlink("bin/"+a, "busybox")
	}
	l.symlink("usr/bin/env", "/bin/busybox")
	l.file("etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
	l.file("etc/group", 0o644, "root:x:0:\nnonroot:x:65532:\n")
	l.dir("root", 0o700)
	l.dir("tmp", 0o1777)
	return l.done(t)
}

// goTools are the Go tools a builder runs, by their directory in a GOROOT.
var goTools = []string{"compile", "link", "asm", "cgo", "buildid"}

// goLayer is this machine's Go toolchain at /usr/local/go, with only what building
// programs needs (no tests, testdata or sources of the go command itself), and a
// go.env that keeps the builder off the network. For another arch than this machine's,
// the go command and the tools are this Go's, cross-compiled for linux/arch
// (crossGoTools): the standard library's sources are the same.
func goLayer(t testing.TB, goroot, arch string) v1.Layer {
	l := newLayer(t)
	subs := []string{"bin", "pkg/include", "VERSION"}
	if arch != runtime.GOARCH {
		subs = subs[1:]
	}
	for _, sub := range subs {
		l.host(filepath.Join(goroot, sub), nil)
	}
	if arch == runtime.GOARCH {
		tools := filepath.Join(goroot, "pkg", "tool")
		l.host(tools, func(p string) bool {
			return slices.Contains(goTools, path.Base(p)) || strings.HasSuffix(p, "/")
		})
	} else {
		dir := crossGoTools(t, goroot, arch)
		for _, f := range append([]string{"go"}, goTools...) {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			to := filepath.Join(goroot, "pkg", "tool", "linux_"+arch, f)
			if f == "go" {
				to = filepath.Join(goroot, "bin", "go")
			}
			l.file(to, 0o755, string(data))
		}
	}
	src := filepath.Join(goroot, "src")
	l.host(src, func(p string) bool {
		rel := strings.TrimPrefix(p, src)
		return !strings.HasPrefix(rel, "/cmd/") && !strings.Contains(rel, "/testdata/") && !strings.HasSuffix(rel, "_test.go")
	})
	l.file(filepath.Join(goroot, "go.env"), 0o644, "GOPROXY=off\nGOSUMDB=off\nGOTOOLCHAIN=local\n")
	// Go's cmd/go refuses a GOROOT whose src/cmd is missing only when building cmd;
	// its go.mod is read by go list std, so keep the files at src/cmd's root.
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.Stat(filepath.Join(src, "cmd", f)); err == nil {
			l.host(filepath.Join(src, "cmd", f), nil)
		}
	}
	return l.done(t)
}

// crossGoTools builds this machine's go command and its tools for linux/arch and
// returns their directory: once per Go version and architecture in
// GONATIVE_FIXTURE_CACHE when it is set (they are built from GOROOT's sources, about
// 2 CPU minutes).
func crossGoTools(t testing.TB, goroot, arch string) string {
	t.Helper()
	version := strings.TrimSpace(runOut(t, "go", "env", "GOVERSION"))
	cache := os.Getenv("GONATIVE_FIXTURE_CACHE")
	if cache == "" {
		cache = t.TempDir()
	} else if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, fmt.Sprintf("gotools-%s-linux-%s", version, arch))
	if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
		return dir
	}
	tmp, err := os.MkdirTemp(cache, ".gotools-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	pkgs := []string{"cmd/go"}
	for _, f := range goTools {
		pkgs = append(pkgs, "cmd/"+f)
	}
	start := time.Now()
	// -trimpath: the go command finds its GOROOT from its own path, /usr/local/go/bin.
	c := exec.Command("go", append([]string{"build", "-trimpath", "-o", tmp + "/"}, pkgs...)...)
	c.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOROOT="+goroot, "GOTOOLCHAIN=local")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("go build %s for linux/%s: %v\n%s", strings.Join(pkgs, " "), arch, err, out)
	}
	t.Logf("go build cmd/go and its tools for linux/%s: %v", arch, time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		t.Fatal(err)
	}
	return dir
}
