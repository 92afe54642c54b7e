package exe

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"strings"
	"sync"
)

// Signature is a Mach-O slice's code signature (LC_CODE_SIGNATURE).
type Signature struct {
	Present      bool
	AdHoc        bool
	LinkerSigned bool
	Identifier   string
	TeamID       string
	// Valid is true when every CodeDirectory page hash matches the bytes on disk, false
	// when one does not or the signature is malformed (the kernel rejects both), and unknown
	// when this reader cannot check it (an unsupported hash type or page size); Problem
	// then says why.
	Valid Fact[bool]
	// Problem says why the signature is absent or not valid (Why: without the
	// "unknown: " of a signature whose presence is unknown).
	Problem string

	// HashType is the hash of the CodeDirectory that was checked: sha1, sha256,
	// sha256-truncated or sha384.
	HashType string
	// PageSize is the size of the hashed pages (0: one hash over all the code).
	PageSize int
	// Pages is the number of code pages whose hashes were recomputed.
	Pages int
	// CMS is true when a CMS (certificate) signature blob is present.
	CMS bool

	// The Gatekeeper facts (see docs/gatekeeper.md).

	// Kind is who signed the code: linker-signed ad hoc, ad hoc, or the class of the
	// signer's certificate; unknown when a CMS signature cannot be read. The zero
	// value (unknown, no why) when there is no signature.
	Kind Fact[SignerKind]
	// Chain are the subjects of the CMS signature's certificates, the signer's first
	// and each followed by its issuer (nil without one).
	Chain []string
	// CertTeamID is the signer certificate's organizational unit: Apple puts the
	// team ID there.
	CertTeamID string
	// AppleRoot is whether the signer's certificate chains to one of Apple's roots
	// (AppleRoots), verified with crypto/x509 at the signing time; false without a
	// CMS signature.
	AppleRoot Fact[bool]
	// CMSVerified is whether the CMS signature verifies over the CodeDirectory (its
	// message digest and the signer's signature); false without one.
	CMSVerified Fact[bool]
	// Timestamp is whether the CMS signature carries a secure time stamp (an RFC
	// 3161 token, the unsigned attribute 1.2.840.113549.1.9.16.2.14).
	Timestamp bool
	// Hardened is whether the hardened runtime is on (CodeDirectory flag CS_RUNTIME,
	// 0x10000): notarization requires it.
	Hardened bool
	// HashTypes are the hash types of every CodeDirectory, in slot order.
	HashTypes []string
	// CDHash is the checked CodeDirectory's hash (with its own hash type,
	// CDHashType), truncated to 20 bytes, in hex: what notarization tickets are
	// looked up by.
	CDHash     string
	CDHashType int
	// Entitlements are the keys of the entitlements (the XML blob, else the DER one),
	// sorted; GetTaskAllow is whether com.apple.security.get-task-allow is true.
	Entitlements []string
	GetTaskAllow bool
}

// Validity returns whether the signature is valid, as a fact: unknown, with why,
// when this reader cannot check it (or cannot even tell whether there is one).
func (s *Signature) Validity() Fact[bool] {
	v := s.Valid
	if !v.Known && v.Why == "" {
		v.Why = s.Why()
	}
	return v
}

// Why says why the signature is absent, not valid or unknown: Problem, without the
// "unknown: " that starts it when even its presence is unknown.
func (s *Signature) Why() string { return strings.TrimPrefix(s.Problem, unknownPrefix) }

// Code signing constants, from Apple's Security framework (OSX/libsecurity_codesigning
// lib/cscdefs.h and codedirectory.h) and Go's cmd/internal/codesign.
const (
	csMagicEmbeddedSignature uint32 = 0xfade0cc0
	csMagicCodeDirectory     uint32 = 0xfade0c02
	csMagicBlobWrapper       uint32 = 0xfade0b01 // CMS signature

	csSlotCodeDirectory = 0
	csSlotAlternateCD   = 0x1000 // up to 0x1004
	csSlotSignature     = 0x10000

	csAdhoc        = 0x2
	csRuntime      = 0x10000 // hardened runtime
	csLinkerSigned = 0x20000

	csMagicEntitlements    = 0xfade7171
	csMagicEntitlementsDER = 0xfade7172
	csSlotEntitlements     = 5
	csSlotEntitlementsDER  = 7

	csHashSHA1      = 1
	csHashSHA256    = 2
	csHashSHA256Tr  = 3 // SHA-256 truncated to 20 bytes
	csHashSHA384    = 4
	maxSuperBlobIdx = 64      // index entries read from a SuperBlob
	maxPageShift    = 24      // larger pages are rejected (real ones are 12 or 14)
	hashBufSize     = 1 << 18 // bytes of code read at a time
	slotBatch       = 4096    // page hashes read at a time
)

// sbEntry is a SuperBlob index entry: a blob's slot type and its offset in the
// SuperBlob.
type sbEntry struct{ typ, off uint32 }

// codeDirectory is the part of a CodeDirectory blob we check.
type codeDirectory struct {
	off        int64 // of the blob, in the slice
	length     uint32
	version    uint32
	flags      uint32
	hashOffset uint32
	nSpecial   uint32
	nCode      uint32
	codeLimit  uint64
	hashSize   uint8
	hashType   uint8
	pageShift  uint8
	ident      string
	team       string
}

// hashRank orders hash types by preference when a signature carries several
// CodeDirectories (SHA-1 plus an alternate SHA-256 one is the common case).
func hashRank(t uint8) int {
	switch t {
	case csHashSHA256:
		return 4
	case csHashSHA384:
		return 3
	case csHashSHA256Tr:
		return 2
	case csHashSHA1:
		return 1
	}
	return 0
}

// newCSHash returns the hash for a CodeDirectory hash type, its name and its digest
// size in the CodeDirectory.
func newCSHash(t uint8) (hash.Hash, string, int) {
	switch t {
	case csHashSHA1:
		return sha1.New(), "sha1", sha1.Size
	case csHashSHA256:
		return sha256.New(), "sha256", sha256.Size
	case csHashSHA256Tr:
		return sha256.New(), "sha256-truncated", 20
	case csHashSHA384:
		return sha512.New384(), "sha384", sha512.Size384
	}
	return nil, "", 0
}

// verifySignature reads the embedded signature at [off, off+n) of the size bytes of ra
// and recomputes its hashes. It reads the code pages a few at a time, in constant
// memory.
func verifySignature(ra io.ReaderAt, size int64, off, n uint32) *Signature {
	sig := &Signature{Present: true, Valid: KnownFact(false)}
	if int64(off) > size || int64(n) > size-int64(off) {
		sig.Problem = fmt.Sprintf("signature at offset %d (%d bytes) runs past the end of the file (%d bytes)", off, n, size)
		return sig
	}
	if n < 12 {
		sig.Problem = fmt.Sprintf("signature of %d bytes is too small", n)
		return sig
	}
	var hdr [12]byte
	if _, err := ra.ReadAt(hdr[:], int64(off)); err != nil {
		sig.Problem = fmt.Sprintf("reading signature: %v", err)
		return sig
	}
	if m := binary.BigEndian.Uint32(hdr[:]); m != csMagicEmbeddedSignature {
		sig.Problem = fmt.Sprintf("signature has bad magic %#x (want SuperBlob %#x)", m, csMagicEmbeddedSignature)
		return sig
	}
	blobLen := binary.BigEndian.Uint32(hdr[4:])
	if blobLen > n || blobLen < 12 {
		sig.Problem = fmt.Sprintf("SuperBlob length %d does not fit its %d bytes", blobLen, n)
		return sig
	}
	count := binary.BigEndian.Uint32(hdr[8:])
	if count > maxSuperBlobIdx || 12+count*8 > blobLen {
		sig.Problem = fmt.Sprintf("SuperBlob has %d entries, too many for %d bytes", count, blobLen)
		return sig
	}
	idx := make([]byte, count*8)
	if _, err := ra.ReadAt(idx, int64(off)+12); err != nil {
		sig.Problem = fmt.Sprintf("reading SuperBlob index: %v", err)
		return sig
	}

	var blobs []sbEntry
	var best, first *codeDirectory
	var cdProblem string
	var cmsAt sbEntry
	for i := range count {
		b := sbEntry{binary.BigEndian.Uint32(idx[i*8:]), binary.BigEndian.Uint32(idx[i*8+4:])}
		if b.off >= blobLen {
			sig.Problem = fmt.Sprintf("SuperBlob entry %d (type %#x) points past the signature", i, b.typ)
			return sig
		}
		blobs = append(blobs, b)
		switch {
		case b.typ == csSlotCodeDirectory || b.typ >= csSlotAlternateCD && b.typ < csSlotAlternateCD+5:
			cd, err := readCodeDirectory(ra, int64(off)+int64(b.off), blobLen-b.off)
			if err != nil {
				cdProblem = fmt.Sprintf("CodeDirectory (slot %#x): %v", b.typ, err)
				continue
			}
			if best == nil || hashRank(cd.hashType) > hashRank(best.hashType) {
				best = cd
			}
			if b.typ == csSlotCodeDirectory {
				first = cd
			}
			_, name, _ := newCSHash(cd.hashType)
			if name == "" {
				name = fmt.Sprintf("type %d", cd.hashType)
			}
			sig.HashTypes = append(sig.HashTypes, name)
		case b.typ == csSlotSignature:
			var h [8]byte
			if _, err := ra.ReadAt(h[:], int64(off)+int64(b.off)); err == nil &&
				binary.BigEndian.Uint32(h[:]) == csMagicBlobWrapper && binary.BigEndian.Uint32(h[4:]) > 8 {
				sig.CMS = true
				cmsAt = b
			}
		}
	}
	if best == nil {
		sig.Problem = "no CodeDirectory in the signature"
		if cdProblem != "" {
			sig.Problem = cdProblem
		}
		return sig
	}
	cd := best
	sig.AdHoc = cd.flags&csAdhoc != 0
	sig.LinkerSigned = cd.flags&csLinkerSigned != 0
	sig.Identifier = cd.ident
	sig.TeamID = cd.team
	sig.Hardened = cd.flags&csRuntime != 0
	if first == nil {
		first = best
	}
	readGatekeeper(sig, ra, int64(off), blobLen, blobs, first, best, cmsAt.off)
	if cdProblem != "" {
		sig.Problem = cdProblem
		return sig
	}

	h, name, digest := newCSHash(cd.hashType)
	if h == nil {
		sig.Problem = fmt.Sprintf("unsupported CodeDirectory hash type %d", cd.hashType)
		sig.Valid = UnknownFact[bool](sig.Problem)
		return sig
	}
	sig.HashType = name
	if int(cd.hashSize) != digest {
		sig.Problem = fmt.Sprintf("CodeDirectory hash size %d does not match %s", cd.hashSize, name)
		return sig
	}

	// Special slots: the blobs of this SuperBlob that a CodeDirectory hashes
	// (requirements 2, entitlements 5, DER entitlements 7 ...), each hash over the
	// whole blob, header included (as blacktop/go-macho pkg/codesign/types/blob.go
	// Sha256Hash computes it when signing; slot numbers from Apple's TN3126 "Inside
	// Code Signing: Hashes"). Slot 1 (Info.plist) and 3 (CodeResources) hash files of
	// an app bundle, not checked here.
	for _, b := range blobs {
		if b.typ == csSlotCodeDirectory || b.typ == 1 || b.typ == 3 || b.typ > cd.nSpecial || b.typ >= csSlotAlternateCD {
			continue
		}
		var bh [8]byte
		if _, err := ra.ReadAt(bh[:], int64(off)+int64(b.off)); err != nil {
			sig.Problem = fmt.Sprintf("reading blob in slot %d: %v", b.typ, err)
			return sig
		}
		l := binary.BigEndian.Uint32(bh[4:])
		if l < 8 || l > blobLen-b.off {
			sig.Problem = fmt.Sprintf("blob in slot %d has bad length %d", b.typ, l)
			return sig
		}
		h.Reset()
		if _, err := io.Copy(h, io.NewSectionReader(ra, int64(off)+int64(b.off), int64(l))); err != nil {
			sig.Problem = fmt.Sprintf("reading blob in slot %d: %v", b.typ, err)
			return sig
		}
		want := make([]byte, digest)
		if _, err := ra.ReadAt(want, cd.off+int64(cd.hashOffset)-int64(b.typ)*int64(digest)); err != nil {
			sig.Problem = fmt.Sprintf("reading hash of slot %d: %v", b.typ, err)
			return sig
		}
		if !bytes.Equal(h.Sum(nil)[:digest], want) {
			sig.Problem = fmt.Sprintf("special slot %d (%s) hash mismatch", b.typ, specialSlotName(b.typ))
			return sig
		}
	}

	pages, problem := verifyPages(ra, size, cd, h, digest)
	sig.Pages = pages
	if cd.pageShift != 0 && cd.pageShift <= maxPageShift {
		sig.PageSize = 1 << cd.pageShift
	}
	if problem != "" {
		sig.Problem = problem
		if cd.pageShift > maxPageShift {
			sig.Valid = UnknownFact[bool](problem)
		}
		return sig
	}
	sig.Valid = KnownFact(true)
	return sig
}

func specialSlotName(t uint32) string {
	switch t {
	case 2:
		return "requirements"
	case 4:
		return "application"
	case 5:
		return "entitlements"
	case 6:
		return "rep-specific"
	case 7:
		return "DER entitlements"
	}
	return "unknown"
}

// readCodeDirectory reads and bounds-checks the CodeDirectory at off, which has at most
// room bytes before the end of its SuperBlob.
func readCodeDirectory(ra io.ReaderAt, off int64, room uint32) (*codeDirectory, error) {
	const fixed = 44 // through spare2
	var b [88]byte   // through execSegFlags (version 0x20400)
	if room < fixed {
		return nil, fmt.Errorf("only %d bytes", room)
	}
	k, _ := ra.ReadAt(b[:min(uint32(len(b)), room)], off)
	if k < fixed {
		return nil, fmt.Errorf("truncated")
	}
	be := binary.BigEndian
	if m := be.Uint32(b[:]); m != csMagicCodeDirectory {
		return nil, fmt.Errorf("bad magic %#x", m)
	}
	cd := &codeDirectory{
		off:        off,
		length:     be.Uint32(b[4:]),
		version:    be.Uint32(b[8:]),
		flags:      be.Uint32(b[12:]),
		hashOffset: be.Uint32(b[16:]),
		nSpecial:   be.Uint32(b[24:]),
		nCode:      be.Uint32(b[28:]),
		codeLimit:  uint64(be.Uint32(b[32:])),
		hashSize:   b[36],
		hashType:   b[37],
		pageShift:  b[39],
	}
	identOff := be.Uint32(b[20:])
	if cd.length < fixed || cd.length > room {
		return nil, fmt.Errorf("length %d does not fit (%d bytes available)", cd.length, room)
	}
	if cd.version >= 0x20300 && cd.length >= 64 && k >= 64 {
		if l64 := be.Uint64(b[56:]); l64 != 0 {
			cd.codeLimit = l64
		}
	}
	hs := uint64(cd.hashSize)
	if hs == 0 {
		return nil, fmt.Errorf("hash size 0")
	}
	if uint64(cd.hashOffset) < uint64(cd.nSpecial)*hs || uint64(cd.hashOffset)+uint64(cd.nCode)*hs > uint64(cd.length) {
		return nil, fmt.Errorf("%d+%d hashes of %d bytes at %d do not fit in %d bytes", cd.nSpecial, cd.nCode, hs, cd.hashOffset, cd.length)
	}
	var err error
	if cd.ident, err = cdString(ra, off, cd.length, identOff); err != nil {
		return nil, fmt.Errorf("identifier: %v", err)
	}
	if cd.version >= 0x20200 && cd.length >= 52 && k >= 52 {
		if teamOff := be.Uint32(b[48:]); teamOff != 0 {
			if cd.team, err = cdString(ra, off, cd.length, teamOff); err != nil {
				return nil, fmt.Errorf("team ID: %v", err)
			}
		}
	}
	return cd, nil
}

// cdString reads a NUL-terminated string at at inside a blob of length bytes at off.
func cdString(ra io.ReaderAt, off int64, length, at uint32) (string, error) {
	if at >= length {
		return "", fmt.Errorf("offset %d outside the CodeDirectory (%d bytes)", at, length)
	}
	buf := make([]byte, min(length-at, 1024))
	k, _ := ra.ReadAt(buf, off+int64(at))
	buf = buf[:k]
	i := bytes.IndexByte(buf, 0)
	if i < 0 {
		return "", fmt.Errorf("not terminated")
	}
	return string(buf[:i]), nil
}

// verifyPages recomputes the page hashes of cd over the first cd.codeLimit bytes of
// ra (size bytes) with h, whose digest is digest bytes long, and returns how many
// pages matched before the first that did not and why it did not ("" when all
// matched). Large code is hashed in parallel, in contiguous runs of pages
// (parallelHashMin): the result is the serial one, the first bad page in file order.
func verifyPages(ra io.ReaderAt, size int64, cd *codeDirectory, h hash.Hash, digest int) (int, string) {
	limit := cd.codeLimit
	if limit > uint64(size) {
		return 0, fmt.Sprintf("code limit %d is past the end of the file (%d bytes)", limit, size)
	}
	if cd.pageShift > maxPageShift {
		return 0, fmt.Sprintf("page size 2^%d is not supported", cd.pageShift)
	}
	pageSize := limit // page size 0: one hash over all the code
	if cd.pageShift != 0 {
		pageSize = 1 << cd.pageShift
	}
	var want uint64
	if limit > 0 {
		want = (limit + pageSize - 1) / pageSize
	}
	if uint64(cd.nCode) != want {
		return 0, fmt.Sprintf("CodeDirectory has %d page hashes, code limit %d needs %d", cd.nCode, limit, want)
	}
	parts := min(uint64(runtime.GOMAXPROCS(0)), limit/parallelHashMin, want)
	if parts < 2 {
		return verifyPageRun(ra, cd, h, digest, pageSize, 0, want)
	}
	hs := make([]hash.Hash, parts)
	hs[0] = h
	for i := 1; i < len(hs); i++ {
		if hs[i], _, _ = newCSHash(cd.hashType); hs[i] == nil {
			return verifyPageRun(ra, cd, h, digest, pageSize, 0, want)
		}
	}
	// The runs read at once: not through Read's window cache, which is for one
	// goroutine.
	pr := concurrentReader(ra)
	type result struct {
		page    int
		problem string
	}
	results := make([]result, parts)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			page, problem := verifyPageRun(pr, cd, hs[i], digest, pageSize, want*i/parts, want*(i+1)/parts)
			results[i] = result{page, problem}
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.problem != "" {
			return r.page, r.problem
		}
	}
	return int(want), ""
}

// concurrentReader returns ra, or the reader under its window cache (readCache is
// for one goroutine; io.ReaderAt's others allow parallel reads).
func concurrentReader(ra io.ReaderAt) io.ReaderAt {
	switch r := ra.(type) {
	case *readCache:
		return r.ra
	case *io.SectionReader:
		outer, off, n := r.Outer()
		if inner := concurrentReader(outer); inner != outer {
			return io.NewSectionReader(inner, off, n)
		}
	}
	return ra
}

// parallelHashMin is the least code, in bytes, that a goroutine of verifyPages
// hashes: below it one goroutine hashes the whole.
var parallelHashMin uint64 = 4 << 20 // a variable for the tests

// verifyPageRun checks the hashes of pages [first, end) of cd (pageSize bytes each,
// the last cut at the code limit) with h and returns the index of the first page
// that did not match and why, or end and "".
func verifyPageRun(ra io.ReaderAt, cd *codeDirectory, h hash.Hash, digest int, pageSize, first, end uint64) (int, string) {
	limit := cd.codeLimit
	if first >= end {
		return int(end), ""
	}
	stop := min(end*pageSize, limit)
	pos := first * pageSize
	slots := make([]byte, min(end-first, slotBatch)*uint64(digest))
	slotFirst, slotN := first, uint64(0) // pages whose hashes are in slots
	buf := make([]byte, min(uint64(hashBufSize), max(stop-pos, 1)))
	sum := make([]byte, 0, 64)
	page := first
	pageEnd := min(pos+pageSize, limit)
	h.Reset()
	for pos < stop {
		chunk := buf[:min(uint64(len(buf)), stop-pos)]
		if k, err := ra.ReadAt(chunk, int64(pos)); k < len(chunk) {
			return int(page), fmt.Sprintf("reading page %d: %v", page, err)
		}
		for len(chunk) > 0 {
			take := min(uint64(len(chunk)), pageEnd-pos)
			h.Write(chunk[:take])
			chunk = chunk[take:]
			pos += take
			if pos < pageEnd {
				continue
			}
			if page >= slotFirst+slotN {
				slotFirst, slotN = page, min(end-page, slotBatch)
				b := slots[:slotN*uint64(digest)]
				if _, err := ra.ReadAt(b, cd.off+int64(cd.hashOffset)+int64(page)*int64(digest)); err != nil {
					return int(page), fmt.Sprintf("reading hash of page %d: %v", page, err)
				}
			}
			i := (page - slotFirst) * uint64(digest)
			sum = h.Sum(sum[:0])
			if !bytes.Equal(sum[:digest], slots[i:i+uint64(digest)]) {
				return int(page), fmt.Sprintf("page %d (bytes %d-%d) does not match its hash: the file was modified after signing",
					page, page*pageSize, pageEnd-1)
			}
			h.Reset()
			page++
			pageEnd = min(pageEnd+pageSize, limit)
		}
	}
	return int(page), ""
}

// maxBlob bounds a CodeDirectory, CMS or entitlements blob read whole.
const maxBlob = 16 << 20

// readBlob reads the whole blob at SuperBlob offset at (a SuperBlob of blobLen bytes
// at sbOff), checking its magic; nil when it cannot.
func readBlob(ra io.ReaderAt, sbOff int64, blobLen, at, magic uint32) []byte {
	var h [8]byte
	if at > blobLen || blobLen-at < 8 {
		return nil
	}
	if _, err := ra.ReadAt(h[:], sbOff+int64(at)); err != nil || binary.BigEndian.Uint32(h[:]) != magic {
		return nil
	}
	l := binary.BigEndian.Uint32(h[4:])
	if l < 8 || l > blobLen-at || l > maxBlob {
		return nil
	}
	b := make([]byte, l)
	if _, err := ra.ReadAt(b, sbOff+int64(at)); err != nil {
		return nil
	}
	return b
}

// readGatekeeper fills sig's Gatekeeper facts: the kind of signer, the CMS
// signature's chain and time stamp (it signs first, the CodeDirectory in slot 0),
// the CDHash of best (the CodeDirectory checked) and the entitlements.
func readGatekeeper(sig *Signature, ra io.ReaderAt, sbOff int64, blobLen uint32, blobs []sbEntry, first, best *codeDirectory, cmsOff uint32) {
	if cd := readCD(ra, best); cd != nil {
		if h, _, _ := newCSHash(best.hashType); h != nil {
			h.Write(cd)
			sig.CDHash = hex.EncodeToString(h.Sum(nil)[:20])
			sig.CDHashType = int(best.hashType)
		}
	}
	var xmlEnt, derEnt []byte
	for _, b := range blobs {
		switch b.typ {
		case csSlotEntitlements:
			xmlEnt = readBlob(ra, sbOff, blobLen, b.off, csMagicEntitlements)
		case csSlotEntitlementsDER:
			derEnt = readBlob(ra, sbOff, blobLen, b.off, csMagicEntitlementsDER)
		}
	}
	var ent entitlements
	var err error = errNoEntitlements
	if xmlEnt != nil {
		ent, err = parseXMLEntitlements(xmlEnt[8:])
	}
	if err != nil && derEnt != nil {
		ent, err = parseDEREntitlements(derEnt[8:])
	}
	if err == nil {
		sig.Entitlements, sig.GetTaskAllow = ent.keys, ent.getTaskAllow
	}

	sig.AppleRoot, sig.CMSVerified = KnownFact(false), KnownFact(false)
	switch {
	case best.flags&csAdhoc != 0 && best.flags&csLinkerSigned != 0:
		sig.Kind = KnownFact(SignerLinkerAdHoc)
		return
	case best.flags&csAdhoc != 0:
		sig.Kind = KnownFact(SignerAdHoc)
		return
	case !sig.CMS:
		sig.Kind = UnknownFact[SignerKind]("neither ad hoc nor signed with a certificate (no CMS signature)")
		return
	}
	der := readBlob(ra, sbOff, blobLen, cmsOff, csMagicBlobWrapper)
	cd := readCD(ra, first)
	if der == nil || cd == nil {
		why := "the CMS signature blob could not be read"
		sig.Kind, sig.AppleRoot, sig.CMSVerified = UnknownFact[SignerKind](why), UnknownFact[bool](why), UnknownFact[bool](why)
		return
	}
	f := parseCMS(der[8:], cd)
	sig.applyCMS(f)
}

// errNoEntitlements: the signature has no entitlements blob.
var errNoEntitlements = errors.New("no entitlements")

// applyCMS sets sig's facts from what its CMS blob says.
func (sig *Signature) applyCMS(f cmsFacts) {
	if f.problem != "" && f.leaf == nil && len(f.certs) == 0 {
		sig.Kind = UnknownFact[SignerKind](f.problem)
		sig.AppleRoot, sig.CMSVerified = f.apple, f.verified
		return
	}
	sig.Kind = KnownFact(f.kind)
	sig.AppleRoot, sig.CMSVerified, sig.Timestamp = f.apple, f.verified, f.stamped
	chain := f.chain
	if chain == nil {
		chain = orderedChain(f.leaf, f.certs)
	}
	sig.Chain = subjects(chain)
	if f.leaf != nil && len(f.leaf.Subject.OrganizationalUnit) > 0 {
		sig.CertTeamID = f.leaf.Subject.OrganizationalUnit[0]
	}
}

// readCD reads the whole CodeDirectory blob cd; nil when it cannot.
func readCD(ra io.ReaderAt, cd *codeDirectory) []byte {
	if cd == nil || cd.length > maxBlob {
		return nil
	}
	b := make([]byte, cd.length)
	if _, err := ra.ReadAt(b, cd.off); err != nil {
		return nil
	}
	return b
}
