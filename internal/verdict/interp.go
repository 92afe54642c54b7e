package verdict

import (
	"fmt"
	"path"
	"strings"

	"github.com/gonative/gonative/internal/arch"
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
	a, _ := arch.ByGOARCH(s.Arch)
	return []string{"/etc/qemu-binfmt/" + a.QEMU, ""}
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

// debianPort returns the Debian port whose C library provides the interpreter interp
// of a program of goarch. Of arm's two ports, armhf has the hard-float loaders
// (ld-linux-armhf.so.3, ld-musl-armhf.so.1) and armel, the last, the soft-float ones
// (ld-linux.so.3).
func debianPort(goarch, interp string) (arch.DebianPort, bool) {
	a, _ := arch.ByGOARCH(goarch)
	if len(a.Debian) == 0 {
		return arch.DebianPort{}, false
	}
	for _, d := range a.Debian[:len(a.Debian)-1] {
		if strings.Contains(path.Base(interp), d.Name) {
			return d, true
		}
	}
	return a.Debian[len(a.Debian)-1], true
}

// interpreterFix says what to install so the interpreter is found: the Debian
// multiarch C library, or the cross one and QEMU_LD_PREFIX.
func interpreterFix(s *exe.Slice, interp string, qemu bool) string {
	base := path.Base(interp)
	port, ok := debianPort(s.Arch, interp)
	if !ok {
		return ""
	}
	if strings.HasPrefix(base, "ld-musl-") {
		return fmt.Sprintf("install musl:%s (dpkg --add-architecture %s && apt-get install musl:%s)", port.Name, port.Name, port.Name)
	}
	if !strings.HasPrefix(base, "ld-linux") && !strings.HasPrefix(base, "ld64.so") {
		return ""
	}
	fix := fmt.Sprintf("install libc6:%s (dpkg --add-architecture %s && apt-get update && apt-get install libc6:%s)", port.Name, port.Name, port.Name)
	if qemu {
		fix += fmt.Sprintf(", or install libc6-%s-cross and set QEMU_LD_PREFIX=/usr/%s", port.Name, port.GNUType)
	}
	return fix
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
	a, _ := arch.ByGOARCH(s.Arch)
	return a.GlibcLoader
}
