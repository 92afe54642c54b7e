package build

import (
	"regexp"
	"testing"
)

// debianPackageName is Debian policy 5.6.7: lower case letters, digits, + - and .,
// at least two characters, starting with an alphanumeric.
var debianPackageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

func TestDebian(t *testing.T) {
	for _, tc := range []struct{ goarch, arch, triplet, gcc string }{
		{"amd64", "amd64", "x86_64-linux-gnu", "gcc-x86-64-linux-gnu"},
		{"arm64", "arm64", "aarch64-linux-gnu", "gcc-aarch64-linux-gnu"},
		{"arm", "armhf", "arm-linux-gnueabihf", "gcc-arm-linux-gnueabihf"},
		{"386", "i386", "i686-linux-gnu", "gcc-i686-linux-gnu"},
		{"ppc64le", "ppc64el", "powerpc64le-linux-gnu", "gcc-powerpc64le-linux-gnu"},
		{"riscv64", "riscv64", "riscv64-linux-gnu", "gcc-riscv64-linux-gnu"},
	} {
		d, ok := Debian(tc.goarch)
		if !ok || d.Arch != tc.arch || d.Triplet != tc.triplet || d.CrossGCC() != tc.gcc {
			t.Errorf("Debian(%s) = %+v %v, cross gcc %s; want %s %s %s", tc.goarch, d, ok, d.CrossGCC(), tc.arch, tc.triplet, tc.gcc)
		}
		if !debianPackageName.MatchString(d.CrossGCC()) {
			t.Errorf("%s: %q is not a Debian package name", tc.goarch, d.CrossGCC())
		}
	}
	if d, ok := Debian("wasm"); ok {
		t.Errorf("Debian(wasm) = %+v, want none", d)
	}
}
