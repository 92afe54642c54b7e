package scaffoldtest

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// toolchainPackages are the Debian packages (as installed on an amd64 machine) whose
// files make the C compilers of the cgo builder: this machine's gcc for linux/amd64 and
// Debian's cross gcc and libc for linux/arm64 — what the Dockerfile's apt-get step
// installs in a Debian builder.
var toolchainPackages = []string{
	"gcc", "gcc-12", "cpp-12", "binutils", "binutils-x86-64-linux-gnu", "libgcc-12-dev",
	"libc6-dev", "linux-libc-dev", "libcrypt-dev",
	"gcc-aarch64-linux-gnu", "gcc-12-aarch64-linux-gnu", "cpp-12-aarch64-linux-gnu",
	"binutils-aarch64-linux-gnu", "libgcc-12-dev-arm64-cross", "libc6-arm64-cross",
	"libc6-dev-arm64-cross", "linux-libc-dev-arm64-cross", "libgcc-s1-arm64-cross",
}

// unneeded are the large files of those packages that building a cgo program never
// uses: sanitizer and OpenMP runtimes, lto-dump, gcov.
var unneeded = regexp.MustCompile(`/lib(asan|tsan|lsan|ubsan|hwasan|gomp|itm|quadmath|gprofng)[^/]*$|lto-dump|gcov|/usr/share/(doc|man|info|locale|lintian)/`)

var lddLine = regexp.MustCompile(`(?:=> )?(/[^ ]+) \(0x[0-9a-f]+\)`)

// imagePath maps a path of this (merged-/usr) machine into the image, where /lib and
// /lib64 are links into /usr as on Debian 12.
func imagePath(p string) string {
	for _, d := range []string{"/lib/", "/lib64/"} {
		if strings.HasPrefix(p, d) {
			return "/usr" + p
		}
	}
	return p
}

// toolchainLayer copies the files of toolchainPackages from this machine, with the
// shared libraries their programs load (ldd), into a layer.
func toolchainLayer(t testing.TB) v1.Layer {
	t.Helper()
	l := newLayer(t)
	l.dir("usr/lib", 0o755)
	l.dir("usr/lib64", 0o755)
	l.symlink("lib", "usr/lib")
	l.symlink("lib64", "usr/lib64")
	l.dir("usr/local/share", 0o755)
	added := map[string]bool{}
	var add func(p string)
	add = func(p string) {
		dst := imagePath(p)
		if added[dst] || unneeded.MatchString(p) {
			return
		}
		added[dst] = true
		fi, err := os.Lstat(p)
		if err != nil || fi.IsDir() {
			return
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				t.Fatal(err)
			}
			l.symlink(dst, target)
			if real, err := filepath.EvalSymlinks(p); err == nil {
				add(real)
			}
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l.file(dst, int64(fi.Mode().Perm()), string(data))
	}
	var elves []string
	for _, pkg := range toolchainPackages {
		out, err := exec.Command("dpkg", "-L", pkg).Output()
		if err != nil {
			t.Skipf("dpkg -L %s: %v (Debian: apt-get install gcc-aarch64-linux-gnu gcc libc6-dev)", pkg, err)
		}
		for _, p := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				add(p)
				continue
			}
			add(p)
			if f, err := elf.Open(p); err == nil {
				if f.Machine == elf.EM_X86_64 && (f.Type == elf.ET_EXEC || f.Type == elf.ET_DYN) {
					elves = append(elves, p)
				}
				f.Close()
			}
		}
	}
	for _, p := range elves {
		out, err := exec.Command("ldd", p).Output()
		if err != nil {
			continue // static, or not loadable by itself
		}
		for _, m := range lddLine.FindAllStringSubmatch(string(out), -1) {
			add(m[1])
		}
	}
	return l.done(t)
}
