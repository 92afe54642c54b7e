package verdict

import (
	"slices"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
)

// TestInterpreterArchNames checks the names the interpreter advice takes from the
// architecture table: qemu's binfmt directory (qemu-user calls mipsle mipsel) and the
// Debian port whose C library has the loader.
func TestInterpreterArchNames(t *testing.T) {
	qemu := &host.Binfmt{Name: "qemu-x", Interpreter: "/usr/libexec/qemu-binfmt/x-binfmt-P", Enabled: true}
	for _, tc := range []struct{ goarch, dir string }{
		{"arm64", "/etc/qemu-binfmt/aarch64"},
		{"mipsle", "/etc/qemu-binfmt/mipsel"},
		{"mips64le", "/etc/qemu-binfmt/mips64el"},
		{"386", "/etc/qemu-binfmt/i386"},
	} {
		got := interpreterDirs(&exe.Slice{Arch: tc.goarch}, host.Host{}, qemu)
		if want := []string{tc.dir, ""}; !slices.Equal(got, want) {
			t.Errorf("%s: interpreter dirs %q, want %q", tc.goarch, got, want)
		}
	}
	for _, tc := range []struct{ goarch, interp, want string }{
		{"arm64", "/lib/ld-linux-aarch64.so.1", "install libc6:arm64 (dpkg --add-architecture arm64 && apt-get update && apt-get install libc6:arm64), or install libc6-arm64-cross and set QEMU_LD_PREFIX=/usr/aarch64-linux-gnu"},
		{"386", "/lib/ld-linux.so.2", "install libc6:i386 (dpkg --add-architecture i386 && apt-get update && apt-get install libc6:i386), or install libc6-i386-cross and set QEMU_LD_PREFIX=/usr/i686-linux-gnu"},
		{"arm", "/lib/ld-linux-armhf.so.3", "install libc6:armhf (dpkg --add-architecture armhf && apt-get update && apt-get install libc6:armhf), or install libc6-armhf-cross and set QEMU_LD_PREFIX=/usr/arm-linux-gnueabihf"},
		{"arm", "/lib/ld-linux.so.3", "install libc6:armel (dpkg --add-architecture armel && apt-get update && apt-get install libc6:armel), or install libc6-armel-cross and set QEMU_LD_PREFIX=/usr/arm-linux-gnueabi"},
		{"arm", "/lib/ld-musl-armhf.so.1", "install musl:armhf (dpkg --add-architecture armhf && apt-get install musl:armhf)"},
		{"ppc64le", "/lib64/ld64.so.2", "install libc6:ppc64el (dpkg --add-architecture ppc64el && apt-get update && apt-get install libc6:ppc64el), or install libc6-ppc64el-cross and set QEMU_LD_PREFIX=/usr/powerpc64le-linux-gnu"},
		{"wasm", "/lib/ld-linux.so.2", ""},
	} {
		if got := interpreterFix(&exe.Slice{Arch: tc.goarch}, tc.interp, true); got != tc.want {
			t.Errorf("%s %s: fix\n%s\nwant\n%s", tc.goarch, tc.interp, got, tc.want)
		}
	}
	for _, tc := range []struct{ goarch, want string }{
		{"amd64", "/lib64/ld-linux-x86-64.so.2"}, {"arm64", "/lib/ld-linux-aarch64.so.1"}, {"arm", ""},
	} {
		s := &exe.Slice{OS: "linux", Arch: tc.goarch, Libraries: []exe.Library{{Name: "libc.so.6"}}}
		if got := glibcLoader(s); got != tc.want {
			t.Errorf("%s: glibc loader %q, want %q", tc.goarch, got, tc.want)
		}
	}
}
