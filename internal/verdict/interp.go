package verdict

import (
	"fmt"
	"path"
	"strings"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
)

// Where an emulator looks for a foreign program's ELF interpreter (its dynamic loader,
// such as /lib/ld-linux-aarch64.so.1):
//
//   - qemu-user looks under its prefix first and falls back to the path itself
//     (qemu-user(1): "-L path / QEMU_LD_PREFIX: set the ELF interpreter prefix";
//     linux-user/path.c tries prefix+path, then path). Debian builds qemu-user with
//     --interp-prefix=/etc/qemu-binfmt/%M (%M: qemu's name of the architecture), so
//     a binfmt_misc handler of Debian's qemu-user-static or qemu-user-binfmt also
//     looks in /etc/qemu-binfmt/aarch64 before /.
//   - Rosetta for Linux, and the kernel itself for 32-bit programs on a 64-bit
//     kernel, look at the path as it is.

// interpreterDirs lists the prefixes where the interpreter of s is looked for, in
// order ("" is the root).
func interpreterDirs(s *exe.Slice, h host.Host, b *host.Binfmt) []string {
	if !isQEMU(b) {
		return []string{""}
	}
	if h.QEMULDPrefix != "" {
		return []string{strings.TrimRight(h.QEMULDPrefix, "/"), ""}
	}
	return []string{"/etc/qemu-binfmt/" + host.QEMUArch(s.Arch), ""}
}

// isQEMU reports whether the handler b is qemu-user (qemu-aarch64-static, or Debian's
// /usr/libexec/qemu-binfmt/aarch64-binfmt-P link to it).
func isQEMU(b *host.Binfmt) bool {
	return b != nil && !strings.Contains(b.Interpreter, "rosetta") &&
		(strings.Contains(path.Base(b.Interpreter), "qemu") || strings.Contains(b.Interpreter, "qemu-binfmt"))
}

// missingInterpreter reports the verdict "no" when the host is this machine, the slice
// is a dynamic ELF program, and its interpreter is found nowhere the kernel or the
// emulator b (nil: none) looks for it.
//
// A shared library is judged by whether a process of its ABI can run here: it is
// loaded only into one, whose loader is the library's own PT_INTERP (glibc's libc.so.6
// has one) or, for a library linked against glibc, glibc's loader for its
// architecture. Without that loader no program of the ABI starts, so nothing loads
// the library.
func missingInterpreter(s *exe.Slice, h host.Host, b *host.Binfmt) (Verdict, bool) {
	interp := s.Interpreter
	if s.Kind == exe.KindSharedLib && interp == "" {
		interp = glibcLoader(s)
	}
	if interp == "" || h.Exists == nil || (s.Kind != exe.KindExecutable && s.Kind != exe.KindSharedLib) {
		return Verdict{}, false
	}
	dirs := interpreterDirs(s, h, b)
	var looked []string
	for _, d := range dirs {
		p := d + interp
		if h.Exists(p) {
			return Verdict{}, false
		}
		looked = append(looked, p)
	}
	why := fmt.Sprintf("its ELF interpreter %s is not installed (looked for %s)", interp, strings.Join(looked, ", "))
	if s.Kind == exe.KindSharedLib {
		why = fmt.Sprintf("it loads only into a %s/%s process, and none starts here: that ABI's loader %s is not installed (looked for %s)",
			s.OS, s.Arch, interp, strings.Join(looked, ", "))
	}
	switch {
	case s.Kind == exe.KindSharedLib && b != nil:
		why += fmt.Sprintf(": the binfmt_misc handler %s fails for every program of that ABI with \"Could not open '%s'\"", b.Name, interp)
	case s.Kind == exe.KindSharedLib:
		why += ": the kernel starts no program of that ABI (\"No such file or directory\")"
	case b != nil:
		why = fmt.Sprintf("the binfmt_misc handler %s would run it, but %s, so it fails with \"Could not open '%s'\"", b.Name, why, interp)
	default:
		why += ", so the kernel cannot start it (\"No such file or directory\")"
	}
	if fix := interpreterFix(s, interp, isQEMU(b)); fix != "" {
		why += ": " + fix
	}
	return no(NoInterpreter, why), true
}

// interpreterNote says, for a verdict on a host that is described rather than read,
// what an emulated dynamic program needs.
func interpreterNote(s *exe.Slice, h host.Host, b *host.Binfmt) string {
	if s.Interpreter == "" || h.Exists != nil {
		return ""
	}
	var where []string
	for _, d := range interpreterDirs(s, h, b) {
		where = append(where, d+s.Interpreter)
	}
	n := "if its ELF interpreter is installed (" + strings.Join(where, " or ") + ")"
	if fix := interpreterFix(s, s.Interpreter, isQEMU(b)); fix != "" {
		n += "; else " + fix
	}
	return n
}

// debianLibc names the Debian architecture, the cross package and the prefix it
// installs for the C library of a GOARCH (Debian's multiarch triplets).
var debianLibc = map[string]struct{ arch, triplet string }{
	"arm64":   {"arm64", "aarch64-linux-gnu"},
	"amd64":   {"amd64", "x86_64-linux-gnu"},
	"386":     {"i386", "i686-linux-gnu"},
	"riscv64": {"riscv64", "riscv64-linux-gnu"},
	"ppc64le": {"ppc64el", "powerpc64le-linux-gnu"},
	"s390x":   {"s390x", "s390x-linux-gnu"},
	"loong64": {"loong64", "loongarch64-linux-gnu"},
}

// interpreterFix says what to install so the interpreter is found: the Debian
// multiarch C library, or the cross one and QEMU_LD_PREFIX.
func interpreterFix(s *exe.Slice, interp string, qemu bool) string {
	base := path.Base(interp)
	d, ok := debianLibc[s.Arch]
	if s.Arch == "arm" {
		// ld-linux-armhf.so.3 is hard-float, ld-linux.so.3 soft-float.
		d, ok = struct{ arch, triplet string }{"armel", "arm-linux-gnueabi"}, true
		if strings.Contains(base, "armhf") {
			d = struct{ arch, triplet string }{"armhf", "arm-linux-gnueabihf"}
		}
	}
	if !ok {
		return ""
	}
	if strings.HasPrefix(base, "ld-musl-") {
		return fmt.Sprintf("install musl:%s (dpkg --add-architecture %s && apt-get install musl:%s)", d.arch, d.arch, d.arch)
	}
	if !strings.HasPrefix(base, "ld-linux") && !strings.HasPrefix(base, "ld64.so") {
		return ""
	}
	fix := fmt.Sprintf("install libc6:%s (dpkg --add-architecture %s && apt-get update && apt-get install libc6:%s)", d.arch, d.arch, d.arch)
	if qemu {
		fix += fmt.Sprintf(", or install libc6-%s-cross and set QEMU_LD_PREFIX=/usr/%s", d.arch, d.triplet)
	}
	return fix
}

// glibcLoaders are glibc's dynamic loaders per architecture, as Debian installs them
// (the paths its toolchains write into PT_INTERP).
var glibcLoaders = map[string]string{
	"386":     "/lib/ld-linux.so.2",
	"amd64":   "/lib64/ld-linux-x86-64.so.2",
	"arm64":   "/lib/ld-linux-aarch64.so.1",
	"riscv64": "/lib/ld-linux-riscv64-lp64d.so.1",
	"ppc64le": "/lib64/ld64.so.2",
	"s390x":   "/lib/ld64.so.1",
}

// glibcLoader returns the loader of the process a glibc-linked Linux library loads
// into, or "" when the library does not say it needs glibc.
func glibcLoader(s *exe.Slice) string {
	if s.OS != "linux" || s.Interpreter != "" {
		return s.Interpreter
	}
	glibc := s.GLIBC != ""
	for _, l := range s.Libraries {
		if strings.HasPrefix(l.Name, "libc.so.6") || strings.HasPrefix(l.Name, "ld-linux") {
			glibc = true
		}
	}
	if !glibc {
		return ""
	}
	return glibcLoaders[s.Arch]
}
