package image

import (
	"archive/tar"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/inspect"
	"github.com/gonative/gonative/internal/verdict"
)

// configFile reads img's config, refusing one that its manifest says is larger than
// maxManifest before a byte of it is read.
func configFile(img v1.Image) (*v1.ConfigFile, error) {
	if m, err := img.Manifest(); err == nil && m.Config.Size > maxManifest {
		return nil, fmt.Errorf("the manifest gives the config %d bytes, more than the %d a config may have", m.Config.Size, maxManifest)
	}
	return img.ConfigFile()
}

// RunsUnknown is a platform's verdict when the container host is unknown.
const RunsUnknown verdict.Runs = "unknown"

// platformVerdict decides, from everything the report found, how h (whose containers
// run on ch, see ContainerHost) runs the platform's containers. It is the one place
// that decides: a platform that could not be read whole, or whose findings hold a
// problem, does not run, whatever the host could run.
func platformVerdict(rep *PlatformReport, p v1.Platform, h, ch host.Host) (runs verdict.Runs, handler, reason string) {
	if rep.Error != "" {
		return verdict.No, "", "the image could not be read whole (a runtime would refuse it too): " + rep.Error
	}
	for _, f := range rep.Findings {
		if f.Severity == Problem {
			return verdict.No, "", f.ID + ": " + f.Title
		}
	}
	runs, handler, reason = platformRuns(p, h, ch)
	if runs == "" {
		return RunsUnknown, "", reason
	}
	return runs, handler, reason
}

// judgeInImage is how the container host ich runs f inside the image, whose files
// are t: the loader a dynamic program needs is looked for in the image (ich.Exists
// resolves there; nil when not every layer could be read).
func judgeInImage(r *inspect.Result, ich host.Host, t tree, partial bool) verdict.Verdict {
	f := r.File
	v := verdict.Judge(f, r.ISA, ich)
	if partial || v.Runs != verdict.No || len(f.Slices) != 1 {
		return v
	}
	s := &f.Slices[0]
	if s.Interpreter == "" || s.Static || ich.Exists == nil || ich.Exists(s.Interpreter) {
		return v
	}
	// The advice a host gets (install a package) is wrong for an image.
	v.Cause, v.Reason = verdict.NoInterpreter, interpreterMissing(t, s.Interpreter, s.Arch)
	return v
}

// loaders are the dynamic loaders (ELF interpreters) of glibc and musl by
// architecture, where Debian, Ubuntu, Red Hat and Alpine put them.
var loaders = []struct{ path, arch string }{
	{"/lib64/ld-linux-x86-64.so.2", "amd64"},
	{"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "amd64"},
	{"/lib/ld-musl-x86_64.so.1", "amd64"},
	{"/lib/ld-linux-aarch64.so.1", "arm64"},
	{"/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", "arm64"},
	{"/lib/ld-musl-aarch64.so.1", "arm64"},
	{"/lib/ld-linux-armhf.so.3", "arm"},
	{"/lib/ld-musl-armhf.so.1", "arm"},
	{"/lib/ld-linux.so.2", "386"},
	{"/lib/ld-musl-i386.so.1", "386"},
	{"/lib64/ld64.so.2", "ppc64le"},
	{"/lib/ld64.so.1", "s390x"},
	{"/lib/ld-linux-riscv64-lp64d.so.1", "riscv64"},
}

// imageLoaders lists the loaders t has for architectures other than arch, as
// "PATH (ARCH)".
func imageLoaders(t tree, arch string) (paths, archs []string) {
	seen := map[string]bool{}
	for _, l := range loaders {
		if l.arch == arch {
			continue
		}
		at, n, err := t.resolve(l.path)
		if err != nil || n.typ != tar.TypeReg || seen[at] {
			continue
		}
		seen[at] = true
		paths = append(paths, l.path)
		archs = append(archs, l.arch)
	}
	return paths, archs
}

// interpreterMissing says why a program whose loader interp is not in the image fails,
// and what to do.
func interpreterMissing(t tree, interp, arch string) string {
	return fmt.Sprintf("its ELF interpreter %s is not in the image: it fails with \"no such file or directory\" %s", interp, loaderAdvice(t, arch))
}

// loaderAdvice says what to do when a program for arch finds no loader in the image:
// when the image has a loader for another architecture, the base is that
// architecture's, so the fix is the base's platform for arch, not another base.
func loaderAdvice(t tree, arch string) string {
	if paths, archs := imageLoaders(t, arch); len(paths) > 0 {
		return fmt.Sprintf("(the image's loader %s is for %s: the base's files are for %s, not %s; use a base whose linux/%s platform holds %s files)",
			strings.Join(paths, ", "), strings.Join(archs, ", "), archs[0], arch, arch, arch)
	}
	return "(build it static, or use a base with glibc)"
}
