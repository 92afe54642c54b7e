package build

import (
	"strings"

	"github.com/gonative/gonative/internal/arch"
)

// DebianToolchain is what Debian calls the C toolchain of a Linux GOARCH: the
// architecture dpkg knows it by and the GNU triplet that prefixes its tools and names
// its cross packages.
type DebianToolchain struct {
	Arch    string // dpkg's architecture: amd64, arm64, armhf, i386, ppc64el, ...
	Triplet string // the GNU triplet: x86_64-linux-gnu, aarch64-linux-gnu, ...
}

// Debian returns the Debian toolchain of a Linux GOARCH (its first Debian port in the
// one architecture table); ok is false for a GOARCH Debian has no cross toolchain for.
func Debian(goarch string) (d DebianToolchain, ok bool) {
	a, _ := arch.ByGOARCH(goarch)
	if len(a.Debian) == 0 {
		return DebianToolchain{}, false
	}
	return DebianToolchain{Arch: a.Debian[0].Name, Triplet: a.Debian[0].GNUType}, true
}

// CrossGCC is the package of the cross compiler TRIPLET-gcc: gcc-TRIPLET with every
// "_" as "-", because Debian package names have no "_" (x86_64-linux-gnu-gcc is in
// gcc-x86-64-linux-gnu). On a machine of the same architecture the compiler is the
// native one, in the package gcc.
func (d DebianToolchain) CrossGCC() string {
	return "gcc-" + strings.ReplaceAll(d.Triplet, "_", "-")
}
