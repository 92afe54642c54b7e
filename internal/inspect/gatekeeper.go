package inspect

import (
	"context"
	"errors"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/verdict"
)

// TicketLookup looks up notarization tickets by CDHash: internal/notary's Client
// (inspect --online), or a test's fake.
type TicketLookup interface {
	// Notarized reports whether Apple's notary service has a ticket for the
	// CodeDirectory hash cdhash (hex, truncated to 20 bytes) of hash type hashType
	// (the CodeDirectory's: 2 is SHA-256). An error means the lookup failed.
	Notarized(ctx context.Context, hashType int, cdhash string) (bool, error)
}

// launchVerdicts returns, by slice, the launch verdicts of f's darwin slices, and
// (with a lookup) whether each Developer ID slice is notarized. Both are nil when f
// has no darwin slice.
func launchVerdicts(ctx context.Context, f *exe.File, lookup TicketLookup) ([][]verdict.LaunchVerdict, []exe.Fact[bool]) {
	var out [][]verdict.LaunchVerdict
	var notarized []exe.Fact[bool]
	for i := range f.Slices {
		s := &f.Slices[i]
		if s.OS != "darwin" || s.Signature == nil {
			continue
		}
		var n exe.Fact[bool]
		if lookup != nil && s.Signature.Kind.Is(exe.SignerDeveloperID) && s.Signature.CDHash != "" {
			if notarized == nil {
				notarized = make([]exe.Fact[bool], len(f.Slices))
			}
			ok, err := lookup.Notarized(ctx, s.Signature.CDHashType, s.Signature.CDHash)
			switch {
			case err != nil:
				n = exe.UnknownFact[bool](lookupError(err))
			default:
				n = exe.KnownFact(ok)
			}
			notarized[i] = n
		}
		if out == nil {
			out = make([][]verdict.LaunchVerdict, len(f.Slices))
		}
		out[i] = verdict.Gatekeeper(s, n)
	}
	return out, notarized
}

// lookupError is a failed lookup's error as the verdict quotes it.
func lookupError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the notarization lookup timed out"
	}
	return err.Error()
}
