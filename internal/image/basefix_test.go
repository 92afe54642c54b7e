package image

import (
	"testing"

	"github.com/gonative/gonative/internal/build"
)

func TestGLIBCBase(t *testing.T) {
	for _, c := range []struct {
		need   string
		arches []string
		want   string
	}{
		{"", []string{"amd64", "arm64"}, "debian:bookworm-slim"},
		{"2.34", []string{"amd64", "arm64"}, "debian:bookworm-slim"},
		{"2.36", []string{"arm64"}, "debian:bookworm-slim"},
		{"2.38", []string{"amd64", "arm64"}, "debian:trixie-slim"},
		{"2.41", []string{"amd64"}, "debian:trixie-slim"},
		{"2.17", []string{"riscv64"}, "debian:trixie-slim"},
		{"2.42", []string{"amd64"}, ""},
		{"2.17", []string{"386", "riscv64"}, ""},
		{"2.17", []string{"loong64"}, ""},
	} {
		ref, _, ok := GLIBCBase(c.need, c.arches)
		if ref != c.want || ok != (c.want != "") {
			t.Errorf("GLIBCBase(%q, %v) = %q, %v; want %q", c.need, c.arches, ref, ok, c.want)
		}
	}
}

// TestAddBaseFixes: a loader or glibc problem gets one fix for every platform (the
// newest glibc any needs), other findings none.
func TestAddBaseFixes(t *testing.T) {
	plat := func(arch, glibc string, fs ...Finding) *BuiltPlatform {
		p := &BuiltPlatform{Output: &build.Output{GLIBC: glibc}, Findings: fs}
		p.platform.OS, p.platform.Architecture = "linux", arch
		return p
	}
	loader := Finding{Severity: Problem, ID: "interpreter-missing"}
	for _, c := range []struct {
		name string
		own  string // BuildOptions.GLIBCBase
		b    *Built
		base string   // the --base the fix names
		want []string // fix of each platform's first finding
	}{
		{"bookworm", "", &Built{Platforms: []*BuiltPlatform{plat("amd64", "2.34", loader), plat("arm64", "2.17", loader)}},
			"debian:bookworm-slim", []string{"rebuild with --base debian:bookworm-slim (glibc 2.36), or with --cgo=off if the program builds without cgo", "rebuild with --base debian:bookworm-slim (glibc 2.36), or with --cgo=off if the program builds without cgo"}},
		{"newest need", "", &Built{Platforms: []*BuiltPlatform{plat("amd64", "2.39", Finding{Severity: Problem, ID: "glibc-too-old"}), plat("arm64", "2.17")}},
			"debian:trixie-slim", []string{"rebuild with --base debian:trixie-slim (glibc 2.41), or with --cgo=off if the program builds without cgo", ""}},
		{"none fits", "", &Built{Platforms: []*BuiltPlatform{plat("amd64", "2.50", loader)}},
			"", []string{"use a base with glibc 2.50 or newer for every platform: --base REF, or --cgo=off if the program builds without cgo"}},
		{"own base", "mirror.invalid/debian:bookworm-slim", &Built{Platforms: []*BuiltPlatform{plat("amd64", "2.34", loader)}},
			"mirror.invalid/debian:bookworm-slim", []string{"rebuild with --base mirror.invalid/debian:bookworm-slim (it must have glibc 2.34 or newer for every platform), or with --cgo=off if the program builds without cgo"}},
		{"other findings", "", &Built{Platforms: []*BuiltPlatform{plat("amd64", "2.34", Finding{Severity: Problem, ID: "arch-mismatch"}), plat("arm64", "2.34", Finding{Severity: Warning, ID: "interpreter-missing"})}},
			"", []string{"", ""}},
	} {
		addBaseFixes(c.b, c.own)
		if c.b.FixBase != c.base {
			t.Errorf("%s: FixBase %q, want %q", c.name, c.b.FixBase, c.base)
		}
		for i, p := range c.b.Platforms {
			got := ""
			if len(p.Findings) > 0 && p.Findings[0].Fix != nil {
				got = p.Findings[0].Fix.Text
			}
			if got != c.want[i] {
				t.Errorf("%s: platform %d fix %q, want %q", c.name, i, got, c.want[i])
			}
		}
	}
}
