package codesign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// decodeRequirements is the tests' own reader of a requirement set blob: each
// requirement's type and its expression as `codesign -d -r-` prints it. It knows only
// the opcodes a designated requirement uses, and is written from Apple's
// requirement.h and reqdumper.cpp, not from the signer's code.
func decodeRequirements(t *testing.T, b []byte) map[uint32]string {
	t.Helper()
	u32 := func(b []byte, at int) uint32 {
		if at < 0 || at+4 > len(b) {
			t.Fatalf("requirements: read past the end at %d", at)
		}
		return binary.BigEndian.Uint32(b[at:])
	}
	if u32(b, 0) != 0xfade0c01 || int(u32(b, 4)) != len(b) {
		t.Fatalf("not a requirement set: % x", b[:min(len(b), 8)])
	}
	out := map[uint32]string{}
	for i := range int(u32(b, 8)) {
		typ, off := u32(b, 12+8*i), int(u32(b, 16+8*i))
		if u32(b, off) != 0xfade0c00 || u32(b, off+8) != 1 {
			t.Fatalf("requirement %d: magic %#x kind %d", typ, u32(b, off), u32(b, off+8))
		}
		r := b[off : off+int(u32(b, off+4))]
		pc := 12
		word := func() uint32 { v := u32(r, pc); pc += 4; return v }
		data := func() []byte {
			n := int(word())
			d := r[pc : pc+n]
			pc += (n + 3) &^ 3
			return d
		}
		slot := func() string {
			switch s := int32(word()); s {
			case 0:
				return "leaf"
			case -1:
				return "root"
			default:
				return fmt.Sprint(s)
			}
		}
		value := func(d []byte) string { // bare when alphanumeric, else quoted
			for _, c := range d {
				if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
					return fmt.Sprintf("%q", d)
				}
			}
			return string(d)
		}
		match := func() string {
			switch m := word(); m {
			case 0:
				return " /* exists */"
			case 1:
				return " = " + value(data())
			default:
				t.Fatalf("match operation %d", m)
			}
			return ""
		}
		var expr func() string
		expr = func() string {
			switch op := word(); op {
			case 2:
				return fmt.Sprintf("identifier %q", data())
			case 3:
				return "anchor apple"
			case 15:
				return "anchor apple generic"
			case 4:
				s := slot()
				return fmt.Sprintf("certificate %s = H\"%x\"", s, data())
			case 6:
				l := expr()
				return l + " and " + expr()
			case 11:
				s := slot()
				return fmt.Sprintf("certificate %s[%s]%s", s, data(), match())
			case 14:
				s := slot()
				var oid asn1.ObjectIdentifier
				d := data()
				if _, err := asn1.Unmarshal(append([]byte{6, byte(len(d))}, d...), &oid); err != nil {
					t.Fatalf("OID operand: %v", err)
				}
				return fmt.Sprintf("certificate %s[field.%s]%s", s, oid, match())
			default:
				t.Fatalf("opcode %d", op)
			}
			return ""
		}
		out[typ] = expr()
		if pc != len(r) {
			t.Fatalf("requirement %d: %d bytes after the expression", typ, len(r)-pc)
		}
	}
	return out
}

// chainWith makes a root, an intermediate carrying interOID, and a leaf named cn with
// team ou in organization org, signed down the chain.
func chainWith(t *testing.T, interOID asn1.ObjectIdentifier, cn, ou, org string) (*Identity, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	mk := func(tmpl, parent *x509.Certificate) *x509.Certificate {
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	root := mk(rt, rt)
	it := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test Intermediate"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, ExtraExtensions: []pkix.Extension{{Id: interOID, Value: []byte{5, 0}}}}
	inter := mk(it, root)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(3), KeyUsage: x509.KeyUsageDigitalSignature,
		Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}, Organization: []string{org}}}, inter)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &Identity{Key: key, Chain: []*x509.Certificate{leaf, inter}}, pool
}

// TestDesignatedRequirement signs with identities of each kind and reads the
// requirement set back with the tests' own decoder: the designated requirement
// codesign's DRMaker writes (drmaker.cpp) for a Developer ID chain, a Worldwide
// Developer Relations chain (Apple Development), another Apple chain and a chain
// that does not end at Apple's root; an ad hoc signature has an empty set, also when
// it replaces a signature that had a designated requirement.
func TestDesignatedRequirement(t *testing.T) {
	in := darwinGo(t, "arm64")
	ca := newTestCA(t)
	devID, err := LoadPKCS12(ca.p12(t, "pw"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	devIDApple := *devID
	devIDApple.roots = x509.NewCertPool()
	devIDApple.roots.AddCert(ca.root) // as if the test root were Apple's
	wwdr, wwdrRoots := chainWith(t, oidWWDRIntermediate, "Apple Development: Jo Doe (Q1W2E3R4T5)", "ABCDE12345", "Jo Doe")
	wwdr.roots = wwdrRoots
	other, otherRoots := chainWith(t, asn1.ObjectIdentifier{1, 2, 3}, "Mac Developer", "ABCDE12345", "Test Root Org")
	other.roots = otherRoots
	leafHash := sha1.Sum(ca.leaf.Raw)

	for _, tc := range []struct {
		name string
		id   *Identity
		want string
	}{
		{"developer-id", &devIDApple, `identifier "com.example.hello" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = ABCDE12345`},
		{"apple-development", wwdr, `identifier "com.example.hello" and anchor apple generic and certificate leaf[subject.CN] = "Apple Development: Jo Doe (Q1W2E3R4T5)" and certificate 1[field.1.2.840.113635.100.6.2.1] /* exists */`},
		{"other-apple", other, `identifier "com.example.hello" and anchor apple`},
		// The self-made CA does not chain to Apple's roots: the leaf, whose
		// organization its issuer does not share, is named by its SHA-1.
		{"self-made-ca", devID, fmt.Sprintf(`identifier "com.example.hello" and certificate leaf = H"%x"`, leafHash)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res, err := Sign(in, "hello", Options{CMS: tc.id, Identifier: "com.example.hello"})
			if err != nil {
				t.Fatal(err)
			}
			sig := mustVerify(t, in, out, res)[0]
			got := decodeRequirements(t, sig.slots[slotRequirements])
			if len(got) != 1 || got[reqDesignated] != tc.want {
				t.Errorf("requirements %v\nwant designated => %s", got, tc.want)
			}
			if tc.name != "developer-id" {
				return
			}
			// Re-signed ad hoc, the designated requirement goes (it names the
			// certificate the new signature does not have).
			out2, res2, err := Sign(out, "hello", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeRequirements(t, mustVerify(t, out, out2, res2)[0].slots[slotRequirements]); len(got) != 0 {
				t.Errorf("ad hoc over a Developer ID signature: requirements %v", got)
			}
			quillRequirement(t, out, tc.want)
		})
	}
	out, res, err := Sign(in, "hello", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeRequirements(t, mustVerify(t, in, out, res)[0].slots[slotRequirements]); len(got) != 0 {
		t.Errorf("ad hoc: requirements %v", got)
	}
}

// TestRequirementSetKept: re-signing keeps the requirements other than the
// designated one (here a host requirement), and replaces the designated one.
func TestRequirementSetKept(t *testing.T) {
	host := append(binary.BigEndian.AppendUint32(nil, reqExprForm), 0, 0, 0, 1) // always
	old := requirementSet(map[uint32][]byte{1: newBlob(magicRequirement, host), reqDesignated: newBlob(magicRequirement, host)})
	got := decodeRequirementsTypes(t, requirementsFor(old, nil))
	if len(got) != 1 || got[0] != 1 {
		t.Errorf("kept types %v, want [1]", got)
	}
	if got := decodeRequirementsTypes(t, requirementsFor([]byte("junk"), nil)); len(got) != 0 {
		t.Errorf("from junk: %v", got)
	}
}

// decodeRequirementsTypes is the types of a requirement set, in order.
func decodeRequirementsTypes(t *testing.T, b []byte) []uint32 {
	var out []uint32
	n := binary.BigEndian.Uint32(b[8:])
	for i := range n {
		out = append(out, binary.BigEndian.Uint32(b[12+8*i:]))
	}
	if int(binary.BigEndian.Uint32(b[4:])) != len(b) {
		t.Errorf("set length %d, blob %d bytes", binary.BigEndian.Uint32(b[4:]), len(b))
	}
	return out
}

// quillRequirement has quill (blacktop/go-macho's requirement reader) print the
// designated requirement of the signed file signed and compares it with want,
// spaces and quotes aside (go-macho quotes every value and puts two spaces before a
// match); it does nothing without quill.
func quillRequirement(t *testing.T, signed []byte, want string) {
	quill := os.Getenv("GONATIVE_QUILL")
	if quill == "" {
		var err error
		if quill, err = exec.LookPath("quill"); err != nil {
			t.Log("quill not found: its reading of the requirement not compared")
			return
		}
	}
	p := filepath.Join(t.TempDir(), "hello")
	os.WriteFile(p, signed, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	js, err := exec.CommandContext(ctx, quill, "describe", "-q", "-o", "json", p).Output()
	if err != nil {
		t.Fatalf("quill describe: %v", err)
	}
	var d []struct {
		SuperBlob struct {
			Requirements []struct {
				Requirements []struct {
					Type   int
					Detail string
				}
			}
		}
	}
	if err := json.Unmarshal(js, &d); err != nil || len(d) != 1 || len(d[0].SuperBlob.Requirements) != 1 || len(d[0].SuperBlob.Requirements[0].Requirements) != 1 {
		t.Fatalf("quill describe: %v\n%.600s", err, js)
	}
	r := d[0].SuperBlob.Requirements[0].Requirements[0]
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, `"`, "")), " ") }
	if r.Type != reqDesignated || norm(r.Detail) != norm(want) {
		t.Errorf("quill reads type %d: %s\nwant %s", r.Type, r.Detail, want)
	}
}

// FuzzRequirementSet: whatever requirement set a file had, the new set parses, holds
// the old requirements byte for byte except the designated one, and the new
// designated requirement when there is one; a set that does not parse is dropped.
func FuzzRequirementSet(f *testing.F) {
	host := newBlob(magicRequirement, append(binary.BigEndian.AppendUint32(nil, reqExprForm), 0, 0, 0, 1))
	f.Add(requirementSet(map[uint32][]byte{1: host, reqDesignated: host}), true)
	f.Add(requirementSet(nil), false)
	f.Fuzz(func(t *testing.T, old []byte, withDR bool) {
		var dr []byte
		if withDR {
			dr = host
		}
		out := requirementsFor(old, dr)
		got, ok := parseRequirementSet(out)
		if !ok {
			t.Fatalf("the new set does not parse: % x", out)
		}
		want, _ := parseRequirementSet(old)
		if want == nil {
			want = map[uint32][]byte{}
		}
		delete(want, reqDesignated)
		if dr != nil {
			want[reqDesignated] = dr
		}
		if len(got) != len(want) {
			t.Fatalf("%d requirements, want %d", len(got), len(want))
		}
		for typ, b := range want {
			if !bytes.Equal(got[typ], b) {
				t.Fatalf("requirement %d changed", typ)
			}
		}
	})
}
