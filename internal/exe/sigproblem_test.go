package exe

import (
	"strings"
	"testing"
)

// TestSignatureProblemFix: the fix named for an unsigned or invalid arm64 Mach-O is
// `gonative sign`, which runs on any OS, with Apple's codesign as the Mac's
// alternative.
func TestSignatureProblemFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  *Signature
		want string
	}{
		{"unsigned", nil, "sign it: gonative sign FILE (on a Mac: codesign -s - FILE)"},
		{"invalid", &Signature{Present: true, Valid: KnownFact(false), Problem: "page 3"}, "re-sign it: gonative sign FILE (on a Mac: codesign -f -s - FILE)"},
	} {
		s := Slice{OS: "darwin", Arch: "arm64", Kind: KindExecutable, Signature: tc.sig}
		if got := s.SignatureProblem(); !strings.HasSuffix(got, tc.want) {
			t.Errorf("%s: %q, want it to end with %q", tc.name, got, tc.want)
		}
	}
}
