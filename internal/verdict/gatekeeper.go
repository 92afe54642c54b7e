package verdict

import (
	"fmt"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// Launch is a way of launching a macOS program: what decides whether Gatekeeper
// assesses it. The values are part of the JSON contract (launch.way).
type Launch string

// Ways of launching.
const (
	// FromShell: started from a shell after curl, go install, a tar extracted by
	// hand: no com.apple.quarantine attribute, so Gatekeeper does not assess it;
	// only the kernel's code signing rules apply.
	FromShell Launch = "shell"
	// Quarantined: downloaded by a browser, or installed by a Homebrew cask: the
	// quarantine attribute makes Gatekeeper assess it at first launch.
	Quarantined Launch = "quarantined"
	// Unquarantined: after xattr -d com.apple.quarantine FILE: as FromShell.
	Unquarantined Launch = "unquarantined"
)

// Launches are the ways of launching, in the order verdicts are given.
var Launches = []Launch{FromShell, Quarantined, Unquarantined}

// Outcome is what macOS does when a slice is launched one way. The values are part
// of the JSON contract (launch.outcome).
type Outcome string

// Outcomes.
const (
	// Launched: it runs.
	Launched Outcome = "runs"
	// Killed: the kernel kills it at exec for its code signature ("Killed: 9").
	Killed Outcome = "killed"
	// Blocked: Gatekeeper refuses it ("cannot be opened because the developer
	// cannot be verified", "Apple could not verify ... is free of malware", "is
	// damaged and can't be opened").
	Blocked Outcome = "blocked"
	// Undecided: the facts do not settle it; the reason says what is missing.
	Undecided Outcome = "unknown"
)

// GatekeeperCause is why a launch verdict is what it is, as a value.
type GatekeeperCause int

// Gatekeeper causes.
const (
	// GKNone: it runs, nothing to add.
	GKNone GatekeeperCause = iota
	// GKUnsigned: no code signature, on arm64 code.
	GKUnsigned
	// GKInvalid: the code signature does not match the code.
	GKInvalid
	// GKSignatureUnknown: whether the signature is valid cannot be read.
	GKSignatureUnknown
	// GKNotDeveloperID: signed, but not with a Developer ID Application certificate.
	GKNotDeveloperID
	// GKNotApple: the Developer ID certificate does not chain to Apple's root.
	GKNotApple
	// GKCMSInvalid: the CMS signature does not verify over the CodeDirectory.
	GKCMSInvalid
	// GKNotarizationUnknown: Developer ID signed; whether it is notarized cannot be
	// read from the bytes (no online lookup was made, or it failed).
	GKNotarizationUnknown
	// GKNotNotarized: the online lookup found no notarization ticket.
	GKNotNotarized
	// GKKindUnknown: who signed it cannot be read.
	GKKindUnknown
)

var gkCauseNames = [...]string{
	GKNone: "none", GKUnsigned: "unsigned", GKInvalid: "invalid", GKSignatureUnknown: "signature-unknown",
	GKNotDeveloperID: "not-developer-id", GKNotApple: "not-apple-root", GKCMSInvalid: "cms-invalid",
	GKNotarizationUnknown: "notarization-unknown", GKNotNotarized: "not-notarized", GKKindUnknown: "kind-unknown",
}

// String names the cause ("not-developer-id").
func (c GatekeeperCause) String() string {
	if c >= 0 && int(c) < len(gkCauseNames) {
		return gkCauseNames[c]
	}
	return fmt.Sprintf("GatekeeperCause(%d)", int(c))
}

// MarshalText writes the cause's name: it is part of the JSON contract
// (launch.cause).
func (c GatekeeperCause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// LaunchVerdict is what macOS does with a slice launched one way, and why.
type LaunchVerdict struct {
	Launch  Launch          `json:"launch"`
	Outcome Outcome         `json:"outcome"`
	Cause   GatekeeperCause `json:"cause"`
	Reason  string          `json:"reason,omitempty"`
}

// Gatekeeper returns, for each way of launching (Launches), what macOS does with
// slice s, a darwin slice; nil for a slice of another OS or without a signature
// reading. notarized is whether a notarization ticket exists for the slice's
// CDHash (looked up online: inspect --online); unknown when not looked up. One
// function decides every way, from the facts alone:
//
//   - From a shell (and after xattr -d com.apple.quarantine), no Gatekeeper
//     assessment: arm64 code must carry a valid signature, and ad hoc suffices.
//     Apple, "Universal Apps beta 4 release notes" (macOS Big Sur 11): "New in
//     macOS 11 on Apple silicon Mac computers ... the operating system will
//     enforce that any executable must be signed with a valid signature before
//     it's allowed to run. There isn't a specific identity requirement for this
//     signature: a simple ad-hoc signature issued locally is sufficient." Intel
//     code (natively, or translated by Rosetta 2) needs none.
//   - Quarantined: Gatekeeper requires a Developer ID signature and notarization.
//     Apple, "Notarizing macOS software before distribution": "Beginning in macOS
//     10.15, all software built after June 1, 2019, and distributed with Developer
//     ID must be notarized"; the notary service "publishes that ticket online
//     where Gatekeeper can find it" — a bare Mach-O cannot carry a stapled ticket
//     (stapler staples bundles, disk images and installer packages only; so does
//     apple-codesign's stapling.rs, "cannot staple Mach-O binaries"), so offline
//     the verdict on a Developer ID slice is unknown, never no.
func Gatekeeper(s *exe.Slice, notarized exe.Fact[bool]) []LaunchVerdict {
	if s.OS != "darwin" || s.Signature == nil {
		return nil
	}
	shell := shellVerdict(s)
	out := make([]LaunchVerdict, 0, len(Launches))
	for _, l := range Launches {
		v := shell
		if l == Quarantined {
			v = quarantinedVerdict(s, shell, notarized)
		}
		v.Launch = l
		out = append(out, v)
	}
	return out
}

// arm64Code reports whether the slice is arm64 code, which must be signed.
func arm64Code(s *exe.Slice) bool { return s.Arch == "arm64" }

// shellVerdict is the verdict without Gatekeeper: the kernel's rules only.
func shellVerdict(s *exe.Slice) LaunchVerdict {
	sig := s.Signature
	valid := sig.Validity()
	switch {
	case !valid.Known:
		return LaunchVerdict{Outcome: Undecided, Cause: GKSignatureUnknown, Reason: "whether its signature is valid is unknown (" + valid.Why + ")"}
	case !sig.Present && arm64Code(s):
		return LaunchVerdict{Outcome: Killed, Cause: GKUnsigned, Reason: "arm64 code must be signed (ad hoc suffices): gonative sign FILE, or codesign -s - FILE on a Mac"}
	case !sig.Present:
		return LaunchVerdict{Outcome: Launched, Reason: "Intel code needs no signature"}
	case !valid.Value && arm64Code(s):
		return LaunchVerdict{Outcome: Killed, Cause: GKInvalid, Reason: "its signature does not match its code (" + sig.Why() + "): re-sign it"}
	case !valid.Value && sig.Hardened:
		return LaunchVerdict{Outcome: Killed, Cause: GKInvalid, Reason: "its signature does not match its code and the hardened runtime makes the kernel enforce it (" + sig.Why() + ")"}
	case !valid.Value:
		return LaunchVerdict{Outcome: Undecided, Cause: GKInvalid, Reason: "its signature does not match its code (" + sig.Why() + "); the kernel kills Intel code for that only when it enforces code signing for the process"}
	}
	if sig.Kind.Is(exe.SignerAdHoc) || sig.Kind.Is(exe.SignerLinkerAdHoc) {
		return LaunchVerdict{Outcome: Launched, Reason: "a valid ad hoc signature suffices without quarantine"}
	}
	return LaunchVerdict{Outcome: Launched, Reason: "valid signature"}
}

// quarantinedVerdict is the verdict of Gatekeeper's first-launch assessment of a
// quarantined slice whose kernel verdict is shell.
func quarantinedVerdict(s *exe.Slice, shell LaunchVerdict, notarized exe.Fact[bool]) LaunchVerdict {
	sig := s.Signature
	switch {
	case shell.Outcome == Killed || shell.Cause == GKInvalid:
		return LaunchVerdict{Outcome: Blocked, Cause: shell.Cause, Reason: "“is damaged and can't be opened”: " + shell.Reason}
	case shell.Outcome == Undecided:
		return shell
	case !sig.Present:
		return LaunchVerdict{Outcome: Blocked, Cause: GKNotDeveloperID, Reason: "unsigned: Gatekeeper needs a Developer ID signature and notarization"}
	case !sig.Kind.Known:
		return LaunchVerdict{Outcome: Undecided, Cause: GKKindUnknown, Reason: "who signed it is unknown (" + sig.Kind.Why + ")"}
	case sig.Kind.Value != exe.SignerDeveloperID:
		return LaunchVerdict{Outcome: Blocked, Cause: GKNotDeveloperID, Reason: "signed " + kindText(sig.Kind.Value) + ", not with a Developer ID Application certificate: Gatekeeper needs Developer ID and notarization"}
	case !sig.AppleRoot.Known:
		return LaunchVerdict{Outcome: Undecided, Cause: GKNotApple, Reason: "whether its certificate chains to Apple's root is unknown (" + sig.AppleRoot.Why + ")"}
	case !sig.AppleRoot.Value:
		return LaunchVerdict{Outcome: Blocked, Cause: GKNotApple, Reason: "its Developer ID certificate does not chain to Apple's root"}
	case !sig.CMSVerified.Known:
		return LaunchVerdict{Outcome: Undecided, Cause: GKCMSInvalid, Reason: "whether its CMS signature verifies is unknown (" + sig.CMSVerified.Why + ")"}
	case !sig.CMSVerified.Value:
		return LaunchVerdict{Outcome: Blocked, Cause: GKCMSInvalid, Reason: "its CMS signature does not verify over its CodeDirectory"}
	case notarized.Is(true):
		return LaunchVerdict{Outcome: Launched, Reason: "Developer ID, and Apple's notary service has a ticket for its CDHash " + sig.CDHash}
	case notarized.Is(false):
		return LaunchVerdict{Outcome: Blocked, Cause: GKNotNotarized, Reason: "Developer ID, but Apple's notary service has no ticket for its CDHash " + sig.CDHash + ": notarize it (xcrun notarytool submit)"}
	}
	why := "Developer ID signed; whether it is notarized cannot be read from a bare Mach-O (no ticket can be stapled to it): Gatekeeper looks the ticket up online at first launch (inspect --online does too)"
	if !notarized.Known && notarized.Why != "" {
		why += "; the lookup failed: " + notarized.Why
	}
	if lacks := notarizationLacks(sig); lacks != "" {
		why += "; it lacks " + lacks + ", which notarization requires: most likely blocked"
	}
	return LaunchVerdict{Outcome: Undecided, Cause: GKNotarizationUnknown, Reason: why}
}

// notarizationLacks names what the notary service requires that sig lacks (Apple,
// "Resolving common notarization issues": the hardened runtime, a secure time
// stamp, no get-task-allow entitlement), "" when nothing.
func notarizationLacks(sig *exe.Signature) string {
	var l []string
	if !sig.Hardened {
		l = append(l, "the hardened runtime")
	}
	if !sig.Timestamp {
		l = append(l, "a secure time stamp")
	}
	if sig.GetTaskAllow {
		l = append(l, "no get-task-allow entitlement")
	}
	return strings.Join(l, " and ")
}

// kindText is a signer kind in words.
func kindText(k exe.SignerKind) string {
	switch k {
	case exe.SignerLinkerAdHoc:
		return "ad hoc (by the linker)"
	case exe.SignerAdHoc:
		return "ad hoc"
	case exe.SignerDeveloperID:
		return "with a Developer ID Application certificate"
	case exe.SignerAppleDevelopment:
		return "with an Apple Development certificate"
	case exe.SignerAppStore:
		return "with a Mac App Store / Apple Distribution certificate"
	}
	return "with a certificate of another kind"
}

// TeamsAgree reports whether every signed darwin slice of f names the same team
// (in its CodeDirectory and its certificate): unknown when fewer than two slices
// are signed with a certificate. A universal file whose slices disagree breaks
// permission checks that name the team.
func TeamsAgree(f *exe.File) exe.Fact[bool] {
	var teams []string
	for i := range f.Slices {
		s := &f.Slices[i]
		if s.OS != "darwin" || s.Signature == nil || !s.Signature.Present {
			continue
		}
		teams = append(teams, s.Signature.TeamID, s.Signature.CertTeamID)
		if !s.Signature.CMS {
			teams = teams[:len(teams)-1] // ad hoc: no certificate
		}
	}
	if len(teams) < 2 {
		return exe.UnknownFact[bool]("fewer than two team IDs to compare")
	}
	for _, t := range teams[1:] {
		if t != teams[0] {
			return exe.KnownFact(false)
		}
	}
	return exe.KnownFact(true)
}
