package verdict

import (
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
)

// Signatures as exe reads them, for the launch verdicts.
var (
	gkLinker = &exe.Signature{Present: true, AdHoc: true, LinkerSigned: true, Valid: exe.KnownFact(true),
		Kind: exe.KnownFact(exe.SignerLinkerAdHoc), AppleRoot: exe.KnownFact(false), CMSVerified: exe.KnownFact(false)}
	gkDevID = &exe.Signature{Present: true, Valid: exe.KnownFact(true), CMS: true, TeamID: "ABCDE12345", CertTeamID: "ABCDE12345",
		Kind: exe.KnownFact(exe.SignerDeveloperID), AppleRoot: exe.KnownFact(true), CMSVerified: exe.KnownFact(true),
		Hardened: true, Timestamp: true, CDHash: "316b642db08134a14aadcbb6bc8c96922ef5b7aa", CDHashType: 2}
	gkMimic    = withSig(gkDevID, func(s *exe.Signature) { s.AppleRoot = exe.KnownFact(false) })
	gkForged   = withSig(gkDevID, func(s *exe.Signature) { s.CMSVerified = exe.KnownFact(false) })
	gkSoft     = withSig(gkDevID, func(s *exe.Signature) { s.Hardened, s.Timestamp = false, false })
	gkDev      = withSig(gkDevID, func(s *exe.Signature) { s.Kind = exe.KnownFact(exe.SignerAppleDevelopment) })
	gkUnsigned = &exe.Signature{Problem: "no LC_CODE_SIGNATURE", Valid: exe.KnownFact(false)}
	gkEdited   = withSig(gkLinker, func(s *exe.Signature) { s.Valid, s.Problem = exe.KnownFact(false), "page 3 does not match its hash" })
	gkUnknown  = &exe.Signature{Present: true, Problem: "unsupported CodeDirectory hash type 9", Valid: exe.UnknownFact[bool]("unsupported CodeDirectory hash type 9")}
)

func withSig(s *exe.Signature, f func(*exe.Signature)) *exe.Signature {
	c := *s
	f(&c)
	return &c
}

func darwinSlice(arch string, sig *exe.Signature) *exe.Slice {
	return &exe.Slice{OS: "darwin", Arch: arch, Kind: exe.KindExecutable, Signature: sig}
}

// TestGatekeeper: one verdict per way of launching, from the facts: arm64 needs a
// valid signature, ad hoc suffices without quarantine; quarantined needs Developer ID
// chained to Apple's root and notarization, unknown offline, never "no".
func TestGatekeeper(t *testing.T) {
	unknown, yes, no := exe.Fact[bool]{}, exe.KnownFact(true), exe.KnownFact(false)
	tests := []struct {
		name      string
		s         *exe.Slice
		notarized exe.Fact[bool]
		shell     Outcome
		quar      Outcome
		cause     GatekeeperCause // of the quarantined verdict
		reason    string          // in the quarantined verdict's reason
	}{
		{"linker-adhoc", darwinSlice("arm64", gkLinker), unknown, Launched, Blocked, GKNotDeveloperID, "not with a Developer ID"},
		{"unsigned-arm64", darwinSlice("arm64", gkUnsigned), unknown, Killed, Blocked, GKUnsigned, "damaged"},
		{"unsigned-amd64", darwinSlice("amd64", gkUnsigned), unknown, Launched, Blocked, GKNotDeveloperID, "unsigned"},
		{"edited-arm64", darwinSlice("arm64", gkEdited), unknown, Killed, Blocked, GKInvalid, "page 3"},
		{"edited-amd64", darwinSlice("amd64", gkEdited), unknown, Undecided, Blocked, GKInvalid, "damaged"},
		{"validity-unknown", darwinSlice("arm64", gkUnknown), unknown, Undecided, Undecided, GKSignatureUnknown, "hash type 9"},
		{"devid-offline", darwinSlice("arm64", gkDevID), unknown, Launched, Undecided, GKNotarizationUnknown, "cannot be read from a bare Mach-O"},
		{"devid-notarized", darwinSlice("arm64", gkDevID), yes, Launched, Launched, GKNone, "has a ticket"},
		{"devid-no-ticket", darwinSlice("arm64", gkDevID), no, Launched, Blocked, GKNotNotarized, "no ticket"},
		{"devid-lookup-failed", darwinSlice("arm64", gkDevID), exe.UnknownFact[bool]("time-out"), Launched, Undecided, GKNotarizationUnknown, "the lookup failed: time-out"},
		{"devid-not-hardened", darwinSlice("arm64", gkSoft), unknown, Launched, Undecided, GKNotarizationUnknown, "lacks the hardened runtime and a secure time stamp"},
		{"mimic-ca", darwinSlice("arm64", gkMimic), yes, Launched, Blocked, GKNotApple, "does not chain to Apple's root"},
		{"forged-cms", darwinSlice("arm64", gkForged), yes, Launched, Blocked, GKCMSInvalid, "does not verify"},
		{"apple-development", darwinSlice("arm64", gkDev), unknown, Launched, Blocked, GKNotDeveloperID, "Apple Development"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := Gatekeeper(tt.s, tt.notarized)
			if len(vs) != 3 || vs[0].Launch != FromShell || vs[1].Launch != Quarantined || vs[2].Launch != Unquarantined {
				t.Fatalf("verdicts %+v", vs)
			}
			if vs[0].Outcome != tt.shell || vs[2] != (LaunchVerdict{Launch: Unquarantined, Outcome: vs[0].Outcome, Cause: vs[0].Cause, Reason: vs[0].Reason}) {
				t.Errorf("shell %+v, unquarantined %+v, want %s for both", vs[0], vs[2], tt.shell)
			}
			q := vs[1]
			if q.Outcome != tt.quar || q.Cause != tt.cause || !strings.Contains(q.Reason, tt.reason) {
				t.Errorf("quarantined %+v, want %s %v %q", q, tt.quar, tt.cause, tt.reason)
			}
		})
	}
	if vs := Gatekeeper(&exe.Slice{OS: "linux", Arch: "arm64"}, unknown); vs != nil {
		t.Errorf("linux slice: %+v", vs)
	}
}

// TestExpectSignature: the gate's signature conditions, met and unmet, each unmet
// one named; malformed ones refused, named.
func TestExpectSignature(t *testing.T) {
	file := func(sigs ...*exe.Signature) *exe.File {
		f := &exe.File{}
		for i, s := range sigs {
			f.Slices = append(f.Slices, *darwinSlice([]string{"arm64", "amd64"}[i], s))
		}
		return f
	}
	tests := []struct {
		spec  string
		f     *exe.File
		unmet []string // substrings, all in the one unmet line; none: met
	}{
		{"darwin/arm64:signed=developer-id:team=ABCDE12345:hardened", file(gkDevID), nil},
		{"darwin/arm64:signed=adhoc", file(gkLinker), nil},
		{"darwin/arm64:signed=any", file(gkDevID), nil},
		{"darwin/arm64:signed=developer-id:team=ABCDE12345:hardened", file(gkLinker),
			[]string{"signed ad hoc (by the linker), want signed=developer-id", "hardened runtime is off", "team none in its CodeDirectory"}},
		{"darwin/arm64:signed=developer-id", file(gkMimic), []string{"does not chain to Apple's root"}},
		{"darwin/arm64:signed=developer-id", file(gkForged), []string{"CMS signature does not verify"}},
		{"darwin/arm64:signed=adhoc", file(gkEdited), []string{"signature INVALID"}},
		{"darwin/arm64:signed=adhoc", file(gkUnknown), []string{"validity is unknown"}},
		{"darwin/arm64:signed=adhoc", file(gkUnsigned), []string{"unsigned, want signed=adhoc"}},
		{"darwin/arm64:team=ZZZZZ99999", file(gkDevID), []string{"team ABCDE12345 in its CodeDirectory, want team=ZZZZZ99999"}},
		{"darwin/amd64:signed=developer-id", file(gkDevID, gkUnsigned), []string{"darwin/amd64: unsigned"}},
	}
	for _, tt := range tests {
		wants, err := ParseWants(tt.spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		got := Unmet(tt.f, wants)
		if len(tt.unmet) == 0 {
			if len(got) != 0 {
				t.Errorf("%s: unmet %q", tt.spec, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s: unmet %q, want one", tt.spec, got)
			continue
		}
		for _, u := range tt.unmet {
			if !strings.Contains(got[0], u) {
				t.Errorf("%s: unmet %q, want %q in it", tt.spec, got[0], u)
			}
		}
	}
	for _, bad := range []string{"darwin/arm64:signed=devid", "darwin/arm64:team=abc", "darwin/arm64:hardened=yes", "darwin/arm64:hardend"} {
		if _, err := ParseWants(bad); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(bad, "darwin/arm64:")) {
			t.Errorf("%s: error %v, want it refused and named", bad, err)
		}
	}
}

// TestTeamsAgree: the teams of a universal file's signed slices.
func TestTeamsAgree(t *testing.T) {
	other := withSig(gkDevID, func(s *exe.Signature) { s.TeamID, s.CertTeamID = "ZZZZZ99999", "ZZZZZ99999" })
	for _, tt := range []struct {
		sigs []*exe.Signature
		want exe.Fact[bool]
	}{
		{[]*exe.Signature{gkDevID, gkDevID}, exe.KnownFact(true)},
		{[]*exe.Signature{gkDevID, other}, exe.KnownFact(false)},
		{[]*exe.Signature{gkDevID, gkLinker}, exe.KnownFact(false)},
		{[]*exe.Signature{gkLinker, gkUnsigned}, exe.Fact[bool]{}},
	} {
		f := &exe.File{}
		for i, s := range tt.sigs {
			f.Slices = append(f.Slices, *darwinSlice([]string{"arm64", "amd64"}[i], s))
		}
		if got := TeamsAgree(f); got.Known != tt.want.Known || got.Value != tt.want.Value {
			t.Errorf("%v: %+v, want %+v", tt.sigs, got, tt.want)
		}
	}
}
