package build

import "strings"

// DebianToolchain is what Debian calls the C toolchain of a Linux GOARCH: the
// architecture dpkg knows it by and the GNU triplet that prefixes its tools and names
// its cross packages.
type DebianToolchain struct {
	Arch    string // dpkg's architecture: amd64, arm64, armhf, i386, ppc64el, ...
	Triplet string // the GNU triplet: x86_64-linux-gnu, aarch64-linux-gnu, ...
}

// debianArch is dpkg's name of a Linux GOARCH where it differs from the GOARCH.
var debianArch = map[string]string{"arm": "armhf", "386": "i386", "ppc64le": "ppc64el"}

// Debian returns the Debian toolchain of a Linux GOARCH; ok is false for a GOARCH
// Debian has no cross toolchain for. The triplet comes from the one table of GNU
// triplets (the one cgo's toolchain resolution uses).
func Debian(goarch string) (d DebianToolchain, ok bool) {
	tr := triplet(goarch)
	if tr == "" {
		return DebianToolchain{}, false
	}
	a := goarch
	if da, ok := debianArch[goarch]; ok {
		a = da
	}
	return DebianToolchain{Arch: a, Triplet: tr}, true
}

// CrossGCC is the package of the cross compiler TRIPLET-gcc: gcc-TRIPLET with every
// "_" as "-", because Debian package names have no "_" (x86_64-linux-gnu-gcc is in
// gcc-x86-64-linux-gnu). On a machine of the same architecture the compiler is the
// native one, in the package gcc.
func (d DebianToolchain) CrossGCC() string {
	return "gcc-" + strings.ReplaceAll(d.Triplet, "_", "-")
}
