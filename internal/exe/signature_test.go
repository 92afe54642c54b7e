package exe

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"strings"
	"testing"
)

// signOpts says how resign signs.
type signOpts struct {
	hashTypes    []uint8 // the first in slot 0, the others as alternate CodeDirectories
	pageShift    uint8
	ident, team  string
	flags        uint32
	requirements bool // add an (empty) requirements blob in slot 2
	cms          bool // add a CMS blob wrapper in slot 0x10000
	mutate       func(sig []byte, cdOffs []int)
}

func csDigest(t uint8, b []byte) []byte {
	switch t {
	case csHashSHA1:
		s := sha1.Sum(b)
		return s[:]
	case csHashSHA256:
		s := sha256.Sum256(b)
		return s[:]
	case csHashSHA256Tr:
		s := sha256.Sum256(b)
		return s[:20]
	case csHashSHA384:
		s := sha512.Sum384(b)
		return s[:]
	}
	return make([]byte, 32) // unknown types: a 32-byte hash of zeros
}

// resign replaces the signature of a 64-bit little-endian Mach-O that has an
// LC_CODE_SIGNATURE by one built as o says, in the layout of Apple's codesign and Go's
// cmd/internal/codesign (CodeDirectory version 0x20200 with a team ID offset).
func resign(t testing.TB, bin []byte, o signOpts) []byte {
	t.Helper()
	le, be := binary.LittleEndian, binary.BigEndian
	ncmds := le.Uint32(bin[16:])
	lc := -1
	for i, off := uint32(0), 32; i < ncmds; i++ {
		if le.Uint32(bin[off:]) == lcCodeSignature {
			lc = off
		}
		off += int(le.Uint32(bin[off+4:]))
	}
	if lc < 0 {
		t.Fatal("resign: no LC_CODE_SIGNATURE")
	}
	codeLimit := int(le.Uint32(bin[lc+8:]))
	var reqs []byte
	if o.requirements {
		reqs = be.AppendUint32(nil, 0xfade0c01)
		reqs = be.AppendUint32(reqs, 12)
		reqs = be.AppendUint32(reqs, 0)
	}
	var cms []byte
	if o.cms {
		cms = be.AppendUint32(nil, csMagicBlobWrapper)
		cms = be.AppendUint32(cms, 16)
		cms = append(cms, "notacert"...)
	}
	nSpecial := 0
	if o.requirements {
		nSpecial = 2
	}
	pageSize := codeLimit
	if o.pageShift != 0 {
		pageSize = 1 << o.pageShift
	}
	nCode := (codeLimit + pageSize - 1) / pageSize
	cdSize := func(ht uint8) int {
		n := 52 + len(o.ident) + 1 + (nSpecial+nCode)*len(csDigest(ht, nil))
		if o.team != "" {
			n += len(o.team) + 1
		}
		return n
	}
	type entry struct {
		typ uint32
		n   int
	}
	var entries []entry
	for i, ht := range o.hashTypes {
		typ := uint32(csSlotCodeDirectory)
		if i > 0 {
			typ = csSlotAlternateCD + uint32(i-1)
		}
		entries = append(entries, entry{typ, cdSize(ht)})
		if i == 0 && o.requirements {
			entries = append(entries, entry{2, len(reqs)})
		}
	}
	if o.cms {
		entries = append(entries, entry{csSlotSignature, len(cms)})
	}
	total := 12 + 8*len(entries)
	for _, e := range entries {
		total += e.n
	}
	out := bytes.Clone(bin[:codeLimit])
	le.PutUint32(out[lc+12:], uint32(total))

	sig := be.AppendUint32(nil, csMagicEmbeddedSignature)
	sig = be.AppendUint32(sig, uint32(total))
	sig = be.AppendUint32(sig, uint32(len(entries)))
	off := 12 + 8*len(entries)
	for _, e := range entries {
		sig = be.AppendUint32(sig, e.typ)
		sig = be.AppendUint32(sig, uint32(off))
		off += e.n
	}
	var cdOffs []int
	cdIdx := 0
	for _, e := range entries {
		switch {
		case e.typ == 2:
			sig = append(sig, reqs...)
		case e.typ == csSlotSignature:
			sig = append(sig, cms...)
		default:
			ht := o.hashTypes[cdIdx]
			cdIdx++
			cdOffs = append(cdOffs, len(sig))
			hs := len(csDigest(ht, nil))
			identOff := 52
			teamOff := 0
			strEnd := identOff + len(o.ident) + 1
			if o.team != "" {
				teamOff = strEnd
				strEnd += len(o.team) + 1
			}
			hashOff := strEnd + nSpecial*hs
			cd := be.AppendUint32(nil, csMagicCodeDirectory)
			for _, v := range []uint32{uint32(e.n), 0x20200, o.flags, uint32(hashOff), uint32(identOff),
				uint32(nSpecial), uint32(nCode), uint32(codeLimit)} {
				cd = be.AppendUint32(cd, v)
			}
			cd = append(cd, byte(hs), ht, 0, o.pageShift)
			cd = be.AppendUint32(cd, 0)               // spare2
			cd = be.AppendUint32(cd, 0)               // scatterOffset
			cd = be.AppendUint32(cd, uint32(teamOff)) // teamOffset
			cd = append(cd, o.ident...)
			cd = append(cd, 0)
			if o.team != "" {
				cd = append(cd, o.team...)
				cd = append(cd, 0)
			}
			for slot := nSpecial; slot >= 1; slot-- {
				if slot == 2 {
					cd = append(cd, csDigest(ht, reqs)[:hs]...)
				} else {
					cd = append(cd, make([]byte, hs)...)
				}
			}
			for p := 0; p < nCode; p++ {
				cd = append(cd, csDigest(ht, out[p*pageSize:min((p+1)*pageSize, codeLimit)])[:hs]...)
			}
			sig = append(sig, cd...)
		}
	}
	if len(sig) != total {
		t.Fatalf("resign: built %d bytes, planned %d", len(sig), total)
	}
	if o.mutate != nil {
		o.mutate(sig, cdOffs)
	}
	return append(out, sig...)
}

// TestSignature checks signatures Go's linker does not write (SHA-1, alternate
// CodeDirectories, 16 KiB pages, requirements, team IDs) and broken ones, built by
// re-signing a real darwin/arm64 binary.
func TestSignature(t *testing.T) {
	bin := readTestFile(t, darwinHello(t, "arm64"))
	be := binary.BigEndian
	sha256Only := []uint8{csHashSHA256}
	tests := []struct {
		name    string
		o       signOpts
		want    Signature // Pages is not compared
		problem string    // substring of Problem when not valid
	}{
		{name: "like-go", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "a.out", flags: csAdhoc | csLinkerSigned},
			want: Signature{Present: true, AdHoc: true, LinkerSigned: true, Identifier: "a.out", Valid: KnownFact(true), HashType: "sha256", PageSize: 4096}},
		{name: "sha1-16k", o: signOpts{hashTypes: []uint8{csHashSHA1}, pageShift: 14, ident: "com.example.x", flags: csAdhoc},
			want: Signature{Present: true, AdHoc: true, Identifier: "com.example.x", Valid: KnownFact(true), HashType: "sha1", PageSize: 16384}},
		{name: "sha1-plus-sha256", o: signOpts{hashTypes: []uint8{csHashSHA1, csHashSHA256}, pageShift: 12, ident: "x", team: "ABCDE12345", requirements: true, cms: true},
			want: Signature{Present: true, Identifier: "x", TeamID: "ABCDE12345", Valid: KnownFact(true), HashType: "sha256", PageSize: 4096, CMS: true}},
		{name: "sha384-and-truncated", o: signOpts{hashTypes: []uint8{csHashSHA256Tr, csHashSHA384}, pageShift: 12, ident: "x"},
			want: Signature{Present: true, Identifier: "x", Valid: KnownFact(true), HashType: "sha384", PageSize: 4096}},
		{name: "sha256-truncated", o: signOpts{hashTypes: []uint8{csHashSHA256Tr}, pageShift: 12, ident: "x"},
			want: Signature{Present: true, Identifier: "x", Valid: KnownFact(true), HashType: "sha256-truncated", PageSize: 4096}},
		{name: "one-page", o: signOpts{hashTypes: sha256Only, pageShift: 0, ident: "x"},
			want: Signature{Present: true, Identifier: "x", Valid: KnownFact(true), HashType: "sha256"}},
		{name: "bad-requirements", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x", requirements: true,
			mutate: func(sig []byte, cdOffs []int) { sig[len(sig)-1] ^= 1 }}, // requirements are last
			want: Signature{Valid: KnownFact(false), Present: true, Identifier: "x", HashType: "sha256"}, problem: "special slot 2 (requirements) hash mismatch"},
		{name: "bad-alternate", o: signOpts{hashTypes: []uint8{csHashSHA1, csHashSHA256}, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { sig[len(sig)-1] ^= 1 }}, // the last page hash of the SHA-256 CD
			want: Signature{Valid: KnownFact(false), Present: true, Identifier: "x", HashType: "sha256", PageSize: 4096}, problem: "does not match its hash"},
		{name: "page-shift-40", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { sig[cdOffs[0]+39] = 40 }},
			want: Signature{Present: true, Identifier: "x", HashType: "sha256"}, problem: "page size 2^40"},
		{name: "page-shift-13", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { sig[cdOffs[0]+39] = 13 }},
			want: Signature{Valid: KnownFact(false), Present: true, Identifier: "x", HashType: "sha256", PageSize: 8192}, problem: "page hashes, code limit"},
		{name: "code-limit-past-eof", o: signOpts{hashTypes: sha256Only, pageShift: 0, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { be.PutUint32(sig[cdOffs[0]+32:], 0xffffff00) }},
			want: Signature{Valid: KnownFact(false), Present: true, Identifier: "x", HashType: "sha256"}, problem: "past the end of the file"},
		{name: "unknown-hash", o: signOpts{hashTypes: []uint8{9}, pageShift: 12, ident: "x"},
			want: Signature{Present: true, Identifier: "x"}, problem: "unsupported CodeDirectory hash type 9"},
		{name: "bad-superblob-magic", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { sig[0] = 0 }},
			want: Signature{Valid: KnownFact(false), Present: true}, problem: "bad magic"},
		{name: "huge-count", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { be.PutUint32(sig[8:], 0xffffffff) }},
			want: Signature{Valid: KnownFact(false), Present: true}, problem: "too many"},
		{name: "cd-length-too-big", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { be.PutUint32(sig[cdOffs[0]+4:], 0x7fffffff) }},
			want: Signature{Valid: KnownFact(false), Present: true}, problem: "does not fit"},
		{name: "ident-unterminated", o: signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x",
			mutate: func(sig []byte, cdOffs []int) { be.PutUint32(sig[cdOffs[0]+20:], uint32(len(sig)-cdOffs[0]-1)) }},
			want: Signature{Valid: KnownFact(false), Present: true}, problem: "identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resign(t, bin, tt.o)
			s := readMachO(bytes.NewReader(b), int64(len(b)))
			if s.Error != "" {
				t.Fatalf("slice error: %s", s.Error)
			}
			got := *s.Signature
			got.Pages = 0
			problem := got.Problem
			got.Problem = ""
			if !sigEqual(got, tt.want) {
				t.Errorf("signature = %+v\nwant        %+v (problem %q)", got, tt.want, problem)
			}
			if tt.problem == "" && problem != "" || !strings.Contains(problem, tt.problem) {
				t.Errorf("problem %q, want %q", problem, tt.problem)
			}
		})
	}

	// The signature's place in LC_CODE_SIGNATURE past the end of the file.
	t.Run("dataoff-past-eof", func(t *testing.T) {
		b := resign(t, bin, signOpts{hashTypes: sha256Only, pageShift: 12, ident: "x"})
		s := readMachO(bytes.NewReader(b), int64(len(b)))
		if !s.Signature.Valid.Is(true) {
			t.Fatalf("%+v", s.Signature)
		}
		le := binary.LittleEndian
		for off := 32; off < 32+int(le.Uint32(b[20:])); off += int(le.Uint32(b[off+4:])) {
			if le.Uint32(b[off:]) == lcCodeSignature {
				le.PutUint32(b[off+8:], 0xfffffff0)
			}
		}
		s = readMachO(bytes.NewReader(b), int64(len(b)))
		if s.Signature.Valid.Is(true) || !strings.Contains(s.Signature.Problem, "past the end") {
			t.Errorf("%+v", s.Signature)
		}
	})
}

// sigEqual compares signatures, the tri-state Valid by value.
func sigEqual(a, b Signature) bool {
	if a.Valid.Known != b.Valid.Known || a.Valid.Value != b.Valid.Value {
		return false
	}
	a.Valid, b.Valid = Fact[bool]{}, Fact[bool]{}
	return hashFacts(a) == hashFacts(b)
}

// hashFactsOf is the part of a Signature TestSignature compares: the hash check's.
type hashFactsOf struct {
	Present, AdHoc, LinkerSigned bool
	Identifier, TeamID, Problem  string
	HashType                     string
	PageSize, Pages              int
	CMS                          bool
}

func hashFacts(s Signature) hashFactsOf {
	return hashFactsOf{s.Present, s.AdHoc, s.LinkerSigned, s.Identifier, s.TeamID, s.Problem, s.HashType, s.PageSize, s.Pages, s.CMS}
}
