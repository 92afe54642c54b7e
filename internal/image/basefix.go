package image

import (
	"fmt"
	"slices"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/finding"
)

// publicBase is a public base image with glibc: Debian's slim images, the smallest
// official ones with a glibc and its loader, on the platforms Debian builds them for.
type publicBase struct {
	Ref    string
	GLIBC  string   // the glibc version it ships
	Arches []string // GOARCH values it has a platform for
}

// glibcBases are the bases image build names for a program that needs glibc, oldest
// glibc first (Debian 12 ships glibc 2.36, Debian 13 glibc 2.41).
var glibcBases = []publicBase{
	{Ref: "debian:bookworm-slim", GLIBC: "2.36", Arches: []string{"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "mips64le"}},
	{Ref: "debian:trixie-slim", GLIBC: "2.41", Arches: []string{"amd64", "arm64", "arm", "ppc64le", "s390x", "riscv64"}},
}

// GLIBCBase returns the first base of glibcBases whose glibc is at least need ("" for
// any) and that has every one of arches, and whether there is one.
func GLIBCBase(need string, arches []string) (ref, glibc string, ok bool) {
	for _, b := range glibcBases {
		if need != "" && exe.GLIBCLess(b.GLIBC, need) {
			continue
		}
		all := true
		for _, a := range arches {
			all = all && slices.Contains(b.Arches, a)
		}
		if all {
			return b.Ref, b.GLIBC, true
		}
	}
	return "", "", false
}

// NeedsGLIBCBase reports whether a finding says the base lacks the loader or the glibc
// the binary needs: a base with glibc fixes it.
func NeedsGLIBCBase(f Finding) bool {
	switch f.ID {
	case "interpreter-missing", "glibc-missing", "glibc-too-old":
		return f.Severity == Problem
	}
	return false
}

// addBaseFixes sets the fix of every finding a glibc base would settle: one base for
// all of b's platforms (the newest glibc any of them needs, every architecture), as
// the --base flag that names it, with --cgo=off for a program that builds without
// cgo; b.FixBase is that base. Debian's images have every platform, so the fix also
// holds where the base's platform held another architecture's files. own, when set,
// is the base to name instead (BuildOptions.GLIBCBase): its glibc is not known here,
// so the fix says what it must have.
func addBaseFixes(b *Built, own string) {
	need := ""
	var arches []string
	found := false
	for _, p := range b.Platforms {
		if p == nil {
			continue
		}
		for _, f := range p.Findings {
			found = found || NeedsGLIBCBase(f)
		}
		if g := p.Output.GLIBC; g != "" && (need == "" || exe.GLIBCLess(need, g)) {
			need = g
		}
		if !slices.Contains(arches, p.platform.Architecture) {
			arches = append(arches, p.platform.Architecture)
		}
	}
	if !found {
		return
	}
	fix := "use a base with glibc"
	if need != "" {
		fix += " " + need + " or newer"
	}
	glibc := "glibc"
	if need != "" {
		glibc += " " + need + " or newer"
	}
	if own != "" {
		b.FixBase = own
		fix = fmt.Sprintf("rebuild with --base %s (it must have %s for every platform), or with --cgo=off if the program builds without cgo", own, glibc)
	} else if ref, g, ok := GLIBCBase(need, arches); ok {
		b.FixBase = ref
		fix = fmt.Sprintf("rebuild with --base %s (glibc %s), or with --cgo=off if the program builds without cgo", ref, g)
	} else {
		fix += " for every platform: --base REF, or --cgo=off if the program builds without cgo"
	}
	for _, p := range b.Platforms {
		if p == nil {
			continue
		}
		for i := range p.Findings {
			if NeedsGLIBCBase(p.Findings[i]) {
				// The person reruns their own build command with the flag.
				p.Findings[i].Fix = &finding.Fix{Text: fix, Needs: finding.NeedsPerson}
			}
		}
	}
}
