package codesign

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gonative/gonative/internal/exe"
)

// The code requirement language in its binary form, from Apple's open-source Security
// framework (OSX/libsecurity_codesigning/lib/requirement.h: the Requirement blob, its
// expression form and the ExprOp and MatchOperation opcodes; reqmaker.cpp: every
// string and data operand is a 32-bit big-endian length, the bytes, then zeros to a
// 4-byte boundary). apple-codesign's code_requirement.rs documents the same encoding.
const (
	magicRequirement = 0xfade0c00 // one Requirement blob
	reqExprForm      = 1          // Requirement kind: an expression follows

	// Requirement types in a requirement set (CSCommon.h SecRequirementType).
	reqDesignated = 3

	// ExprOp.
	opIdent              = 2
	opAppleAnchor        = 3
	opAnchorHash         = 4
	opAnd                = 6
	opCertField          = 11
	opCertGeneric        = 14
	opAppleGenericAnchor = 15

	// MatchOperation.
	matchExists = 0
	matchEqual  = 1

	// Certificate positions: the leaf, and the anchor (-1).
	certLeaf   = 0
	certAnchor = -1
)

// Apple's certificate markers (under 1.2.840.113635.100.6) that codesign's designated
// requirement maker (drmaker.cpp) looks for.
var (
	oidDevIDIntermediate = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 6}  // Developer ID CA
	oidDevIDLeaf         = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 13} // Developer ID Application
	oidWWDRIntermediate  = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 1}  // Worldwide Developer Relations CA
	appleExtensionArc    = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6}
)

// reqWriter writes a requirement expression: opcodes and operands, big-endian.
type reqWriter struct{ b []byte }

func (w *reqWriter) op(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }

// data writes a length-prefixed operand padded to 4 bytes.
func (w *reqWriter) data(d []byte) {
	w.op(int32(len(d)))
	w.b = append(w.b, d...)
	for len(w.b)%4 != 0 {
		w.b = append(w.b, 0)
	}
}

// oidContent is the DER content of oid (no tag, no length): how opCertGeneric names
// an extension.
func oidContent(oid asn1.ObjectIdentifier) []byte {
	der, _ := asn1.Marshal(oid)
	return der[2:] // Apple's OIDs are short: one length byte
}

// designatedRequirement is the expression of the designated requirement codesign
// makes for identifier and chain (leaf first, then each issuer; the last is the
// anchor), following drmaker.cpp (DRMaker::make): with an Apple anchor, a Developer
// ID chain gets
//
//	identifier "ID" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */
//	and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = TEAMID
//
// a Worldwide Developer Relations chain (Apple Development, Apple Distribution)
// `identifier "ID" and anchor apple generic and certificate leaf[subject.CN] = "CN"
// and certificate 1[field.1.2.840.113635.100.6.2.1] /* exists */`, another Apple
// chain `identifier "ID" and anchor apple`; any other anchor `identifier "ID" and
// certificate N = H"SHA-1"`, N the topmost certificate that shares the leaf's
// organization (the leaf when it has none, root when all do).
func designatedRequirement(ident string, chain []*x509.Certificate, appleAnchored bool) []byte {
	w := &reqWriter{}
	w.op(opAnd)
	w.op(opIdent)
	w.data([]byte(ident))
	leaf := chain[0]
	switch {
	case appleAnchored && len(chain) == 3 && hasExtension(chain[1], oidWWDRIntermediate):
		w.op(opAnd)
		w.op(opAppleGenericAnchor)
		w.op(opAnd)
		w.op(opCertField)
		w.op(certLeaf)
		w.data([]byte("subject.CN"))
		w.op(matchEqual)
		w.data([]byte(leaf.Subject.CommonName))
		w.op(opCertGeneric)
		w.op(1)
		w.data(oidContent(oidWWDRIntermediate))
		w.op(matchExists)
	case appleAnchored && len(chain) == 3 && hasExtension(chain[1], oidDevIDIntermediate):
		team := ""
		if ou := leaf.Subject.OrganizationalUnit; len(ou) > 0 {
			team = ou[0]
		}
		w.op(opAnd)
		w.op(opAppleGenericAnchor)
		w.op(opAnd)
		w.op(opCertGeneric)
		w.op(1)
		w.data(oidContent(oidDevIDIntermediate))
		w.op(matchExists)
		w.op(opAnd)
		w.op(opCertGeneric)
		w.op(certLeaf)
		w.data(oidContent(oidDevIDLeaf))
		w.op(matchExists)
		w.op(opCertField)
		w.op(certLeaf)
		w.data([]byte("subject.OU"))
		w.op(matchEqual)
		w.data([]byte(team))
	case appleAnchored:
		w.op(opAppleAnchor)
	default:
		slot := 0
		if org := leaf.Subject.Organization; len(org) > 0 {
			for slot+1 < len(chain) {
				co := chain[slot+1].Subject.Organization
				if len(co) == 0 || co[0] != org[0] {
					break
				}
				slot++
			}
		}
		cert := chain[slot]
		pos := int32(slot)
		if slot == len(chain)-1 && slot > 0 {
			pos = certAnchor
		}
		w.op(opAnchorHash)
		w.op(pos)
		w.data(HashSHA1.sum(cert.Raw))
	}
	return newBlob(magicRequirement, append(binary.BigEndian.AppendUint32(nil, reqExprForm), w.b...))
}

// hasExtension reports whether c carries the extension oid.
func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

// requirementSet is a requirement set blob (0xfade0c01) of the requirements by type,
// in type order: what codesign writes in the requirements slot.
func requirementSet(reqs map[uint32][]byte) []byte {
	types := make([]uint32, 0, len(reqs))
	for t := range reqs {
		types = append(types, t)
	}
	slices.Sort(types)
	payload := binary.BigEndian.AppendUint32(nil, uint32(len(types)))
	at := 12 + 8*len(types)
	var body []byte
	for _, t := range types {
		payload = binary.BigEndian.AppendUint32(payload, t)
		payload = binary.BigEndian.AppendUint32(payload, uint32(at+len(body)))
		body = append(body, reqs[t]...)
	}
	return newBlob(magicRequirements, append(payload, body...))
}

// parseRequirementSet reads a requirement set blob into its requirements by type;
// false when it is not one (then nothing of it is kept).
func parseRequirementSet(b []byte) (map[uint32][]byte, bool) {
	be := binary.BigEndian
	if len(b) < 12 || be.Uint32(b) != magicRequirements || be.Uint32(b[4:]) != uint32(len(b)) {
		return nil, false
	}
	n := be.Uint32(b[8:])
	if n > 16 || 12+8*uint64(n) > uint64(len(b)) {
		return nil, false
	}
	out := map[uint32][]byte{}
	for i := range n {
		t, off := be.Uint32(b[12+8*i:]), be.Uint32(b[16+8*i:])
		if uint64(off)+8 > uint64(len(b)) || be.Uint32(b[off:]) != magicRequirement {
			return nil, false
		}
		l := be.Uint32(b[off+4:])
		if l < 12 || uint64(off)+uint64(l) > uint64(len(b)) {
			return nil, false
		}
		out[t] = bytes.Clone(b[off : off+l])
	}
	return out, true
}

// requirementsFor is the requirement set of a new signature: the requirements the
// old set had (old, nil when none), except the designated one, which is dr (none
// for an ad hoc signature, as codesign writes it).
func requirementsFor(old []byte, dr []byte) []byte {
	reqs := map[uint32][]byte{}
	if old != nil {
		if r, ok := parseRequirementSet(old); ok {
			reqs = r
		}
	}
	delete(reqs, reqDesignated)
	if dr != nil {
		reqs[reqDesignated] = dr
	}
	return requirementSet(reqs)
}

// errRoots: Apple's embedded roots did not load.
var errRoots = errors.New("Apple's root certificates")

// signingChain is the chain codesign would see for the identity: verified to roots
// (Apple's, unless the identity names others) it is leaf, intermediates, root, and
// appleAnchored is true; otherwise the leaf and each issuer the identity holds.
func (id *Identity) signingChain() (chain []*x509.Certificate, appleAnchored bool, err error) {
	roots := id.roots
	if roots == nil {
		if roots, err = exe.AppleRoots(); err != nil {
			return nil, false, fmt.Errorf("%w: %v", errRoots, err)
		}
	}
	leaf := id.Chain[0]
	inter := x509.NewCertPool()
	for _, c := range id.Chain[1:] {
		inter.AddCert(c)
	}
	// Apple marks its leaves' extensions critical; Go's verifier does not know them.
	l := *leaf
	l.UnhandledCriticalExtensions = slices.DeleteFunc(slices.Clone(leaf.UnhandledCriticalExtensions), func(o asn1.ObjectIdentifier) bool {
		return len(o) > len(appleExtensionArc) && o[:len(appleExtensionArc)].Equal(appleExtensionArc)
	})
	at := leaf.NotBefore.Add(time.Minute)
	if now := time.Now(); now.After(leaf.NotBefore) && now.Before(leaf.NotAfter) {
		at = now
	}
	chains, verr := l.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if verr == nil && len(chains) > 0 {
		chain = slices.Clone(chains[0])
		chain[0] = leaf
		return chain, true, nil
	}
	chain = []*x509.Certificate{leaf}
	for c := leaf; len(chain) <= len(id.Chain); {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			break
		}
		i := slices.IndexFunc(id.Chain, func(p *x509.Certificate) bool {
			return p != c && bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil
		})
		if i < 0 {
			break
		}
		c = id.Chain[i]
		chain = append(chain, c)
	}
	return chain, false, nil
}

// DesignatedRequirement is the designated requirement blob codesign writes for a
// signature with identifier made with this identity (see designatedRequirement).
func (id *Identity) DesignatedRequirement(identifier string) ([]byte, error) {
	chain, apple, err := id.signingChain()
	if err != nil {
		return nil, err
	}
	return designatedRequirement(identifier, chain, apple), nil
}
