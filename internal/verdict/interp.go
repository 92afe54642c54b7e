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
func missingInterpreter(s *exe.Slice, h host.Host, b *host.Binfmt) (Verdict, bool) {
	if s.Interpreter == "" || h.Exists == nil || s.Kind != exe.KindExecutable {
		return Verdict{}, false
	}
	dirs := interpreterDirs(s, h, b)
	var looked []string
	for _, d := range dirs {
		p := d + s.Interpreter
		if h.Exists(p) {
			return Verdict{}, false
		}
		looked = append(looked, p)
	}
	why := fmt.Sprintf("its ELF interpreter %s is not installed (looked for %s)", s.Interpreter, strings.Join(looked, ", "))
	if b != nil {
		why = fmt.Sprintf("the binfmt_misc handler %s would run it, but %s, so it fails with \"Could not open '%s'\"", b.Name, why, s.Interpreter)
	} else {
		why += ", so the kernel cannot start it (\"No such file or directory\")"
	}
	if fix := interpreterFix(s, isQEMU(b)); fix != "" {
		why += ": " + fix
	}
	return Verdict{Runs: No, Reason: why}, true
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
	if fix := interpreterFix(s, isQEMU(b)); fix != "" {
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
func interpreterFix(s *exe.Slice, qemu bool) string {
	base := path.Base(s.Interpreter)
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
