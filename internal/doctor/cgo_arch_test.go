package doctor

import "testing"

// TestCgoArchNames checks the names cgo's checks take from the architecture table: the
// GOARCH of a compiler's target triple and the cross compiler a fix suggests (Debian's
// real one: arm's is arm-linux-gnueabihf-gcc, not arm-linux-gnu-gcc).
func TestCgoArchNames(t *testing.T) {
	for triple, want := range map[string]string{
		"x86_64-linux-gnu\n":       "amd64",
		"arm64-apple-darwin23.5.0": "arm64",
		"aarch64-linux-gnu":        "arm64",
		"i686-linux-gnu":           "386",
		"armv7l-unknown-linux":     "arm",
		"riscv64-linux-gnu":        "riscv64",
		"loongarch64-linux-gnu":    "loong64",
		"sparc64-linux-gnu":        "",
		"":                         "",
	} {
		if got := tripleArch(triple); got != want {
			t.Errorf("tripleArch(%q) = %q, want %q", triple, got, want)
		}
	}
	for goarch, want := range map[string]string{
		"amd64":    "x86_64-linux-gnu-gcc",
		"arm64":    "aarch64-linux-gnu-gcc",
		"386":      "i686-linux-gnu-gcc",
		"arm":      "arm-linux-gnueabihf-gcc",
		"ppc64le":  "powerpc64le-linux-gnu-gcc",
		"mips64le": "mips64el-linux-gnuabi64-gcc",
	} {
		if got := crossCC(goarch); got != want {
			t.Errorf("crossCC(%s) = %q, want %q", goarch, got, want)
		}
	}
}
