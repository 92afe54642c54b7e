package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/cli"
)

// gkOut is the part of inspect --json the Gatekeeper corpus test checks.
type gkOut struct {
	TeamsAgree *bool `json:"teams_agree"`
	Slices     []struct {
		Signature *struct {
			Kind        *string  `json:"kind"`
			Chain       []string `json:"chain"`
			CertTeamID  string   `json:"cert_team_id"`
			AppleRoot   *bool    `json:"apple_root"`
			CMSVerified *bool    `json:"cms_verified"`
			Timestamp   bool     `json:"timestamp"`
			Hardened    bool     `json:"hardened_runtime"`
			CDHash      string   `json:"cdhash"`
		} `json:"signature"`
		Launch []struct {
			Launch, Outcome, Cause string
		} `json:"launch"`
		Notarized *struct {
			Ticket *bool `json:"ticket"`
		} `json:"notarized"`
	} `json:"slices"`
}

func inspectGK(t *testing.T, args ...string) gkOut {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := cli.Run(context.Background(), append([]string{"inspect", "--json", "--no-cache"}, args...), strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("inspect %v: exit %d: %s", args, code, stderr.String())
	}
	var out gkOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusGatekeeper checks the Gatekeeper facts of every signed Mach-O slice of
// the corpus (files nobody here signed) against readers apart from gonative: the
// independent signature reader of corpus_codesign_test.go (ad hoc and linker
// flags, hardened runtime, the CodeDirectory's hash) and openssl (the CMS verifies
// over the CodeDirectory, chained to the Apple Root CA pinned by Apple's fingerprint;
// the certificates it carries; the time stamp attribute). Then the launch verdicts of
// a Developer ID slice: unknown when quarantined offline (never blocked), runs with
// a ticket for its CDHash at a loopback ticket service, blocked without one.
func TestCorpusGatekeeper(t *testing.T) {
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	devID := 0
	for _, f := range tr.Files {
		if !strings.HasPrefix(f.Format, "macho") {
			continue
		}
		t.Run(f.ID, func(t *testing.T) {
			p := corpusPath(t, dir, f)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			images, _ := machoSlices(b)
			got := inspectGK(t, p)
			if len(got.Slices) != len(images) {
				t.Fatalf("%d slices, the independent reader %d", len(got.Slices), len(images))
			}
			var cdhashes []string
			for i, im := range images {
				sig, err := checkCodeSignature(im.data)
				if err != nil || !sig.present {
					continue
				}
				g := got.Slices[i].Signature
				flags := binary.BigEndian.Uint32(sig.cd0[12:])
				if g.Hardened != (flags&0x10000 != 0) {
					t.Errorf("slice %d: hardened %v, CodeDirectory flags %#x", i, g.Hardened, flags)
				}
				if sig.dirs == 1 {
					sum := sha256.Sum256(sig.cd0)
					if want := hex.EncodeToString(sum[:20]); g.CDHash != want {
						t.Errorf("slice %d: cdhash %s, the CodeDirectory hashes to %s", i, g.CDHash, want)
					}
				}
				wantKind := "linker-signed-adhoc"
				switch {
				case sig.adhoc && flags&0x20000 == 0:
					wantKind = "adhoc"
				case !sig.adhoc:
					wantKind = "developer-id"
				}
				if g.Kind == nil || *g.Kind != wantKind {
					t.Errorf("slice %d: kind %v, want %s", i, g.Kind, wantKind)
				}
				if sig.adhoc {
					if g.AppleRoot == nil || *g.AppleRoot || len(g.Chain) != 0 {
						t.Errorf("slice %d: ad hoc, yet apple_root %v chain %v", i, g.AppleRoot, g.Chain)
					}
					continue
				}
				leaf, err := verifyDeveloperID(t, sig) // openssl: verifies to the pinned Apple Root CA
				if err != nil {
					t.Fatalf("slice %d: openssl: %v", i, err)
				}
				if g.AppleRoot == nil || !*g.AppleRoot || g.CMSVerified == nil || !*g.CMSVerified {
					t.Errorf("slice %d: openssl verifies the CMS to Apple's root; gonative says apple_root %v cms_verified %v", i, g.AppleRoot, g.CMSVerified)
				}
				if g.CertTeamID != leaf.Subject.OrganizationalUnit[0] || len(g.Chain) == 0 || !strings.Contains(g.Chain[0], leaf.Subject.CommonName) {
					t.Errorf("slice %d: cert team %q chain %q; openssl's leaf %q", i, g.CertTeamID, g.Chain, leaf.Subject)
				}
				if n := opensslCount(t, sig.cmsDER, "-----BEGIN CERTIFICATE-----", "pkcs7", "-inform", "DER", "-print_certs"); n != len(g.Chain) {
					t.Errorf("slice %d: chain of %d, openssl prints %d certificates", i, len(g.Chain), n)
				}
				stamped := opensslCount(t, sig.cmsDER, "id-smime-aa-timeStampToken", "cms", "-cmsout", "-print", "-inform", "DER", "-noout") > 0
				if g.Timestamp != stamped {
					t.Errorf("slice %d: timestamp %v, openssl %v", i, g.Timestamp, stamped)
				}
				if q := got.Slices[i].Launch[1]; q.Launch != "quarantined" || q.Outcome != "unknown" || q.Cause != "notarization-unknown" {
					t.Errorf("slice %d: offline, quarantined: %+v, want unknown (notarization-unknown)", i, q)
				}
				cdhashes = append(cdhashes, g.CDHash)
				devID++
			}
			if len(cdhashes) == 0 {
				return
			}
			if len(cdhashes) > 1 && (got.TeamsAgree == nil || !*got.TeamsAgree) {
				t.Errorf("teams_agree %v", got.TeamsAgree)
			}
			for _, tc := range []struct {
				tickets []string
				outcome string
			}{{cdhashes, "runs"}, {nil, "blocked"}} {
				srv := notaryFake(tc.tickets...)
				t.Setenv("GONATIVE_NOTARY_URL", srv.URL)
				on := inspectGK(t, "--online", p)
				srv.Close()
				for i, s := range on.Slices {
					if s.Signature == nil || s.Signature.Kind == nil || *s.Signature.Kind != "developer-id" {
						continue
					}
					if q := s.Launch[1]; q.Outcome != tc.outcome || s.Notarized == nil || s.Notarized.Ticket == nil || *s.Notarized.Ticket != (tc.outcome == "runs") {
						t.Errorf("slice %d: tickets %d: quarantined %+v notarized %+v, want %s", i, len(tc.tickets), q, s.Notarized, tc.outcome)
					}
				}
			}
		})
	}
	t.Logf("%d Developer ID slices checked", devID)
}

// opensslCount runs openssl ARGS on the DER in der and counts the lines that
// contain substr.
func opensslCount(t *testing.T, der []byte, substr string, args ...string) int {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not found: apt-get install openssl")
	}
	in := filepath.Join(t.TempDir(), "cms.der")
	if err := os.WriteFile(in, der, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, append(args, "-in", in)...).Output()
	if err != nil {
		t.Fatalf("openssl %v: %v", args, err)
	}
	return strings.Count(string(out), substr)
}
