package codesign

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
)

// Blob magics and slots, from Apple's Security framework (cscdefs.h, CSCommon.h) and
// TN3126 "Inside Code Signing: Hashes".
const (
	magicRequirements   = 0xfade0c01
	magicCodeDirectory  = 0xfade0c02
	magicEmbeddedSig    = 0xfade0cc0
	magicEntitlements   = 0xfade7171
	magicEntitlementDER = 0xfade7172
	magicBlobWrapper    = 0xfade0b01

	slotCodeDirectory = 0
	slotInfo          = 1
	slotRequirements  = 2
	slotResources     = 3
	slotEntitlements  = 5
	slotEntDER        = 7
	slotAlternateCD   = 0x1000
	slotCMS           = 0x10000

	cdVersion      = 0x20400 // with the exec-segment fields
	cdHeaderSize   = 88
	pageShift      = 12 // 4 KiB pages, as codesign and Go's linker hash
	pageSize       = 1 << pageShift
	codeLimitMax32 = 1<<32 - 1

	// CodeDirectory flags (cs_blobs.h).
	flagAdhoc        = 0x2
	flagRuntime      = 0x10000 // hardened runtime
	flagLinkerSigned = 0x20000

	// Exec-segment flags (cs_blobs.h CS_EXECSEG_*); the ones after the first are set
	// from entitlements, as codesign does (SecCodeExecSegFlags in CSCommon.h).
	execSegMainBinary    = 0x1
	execSegAllowUnsigned = 0x10
	execSegDebugger      = 0x20
	execSegJIT           = 0x40
	execSegSkipLV        = 0x80
	execSegCanLoadCDHash = 0x100
	execSegCanExecCDHash = 0x200
)

// HashType is a CodeDirectory's hash (cs_blobs.h CS_HASHTYPE_*).
type HashType uint8

// The hash types this signer writes.
const (
	HashSHA1   HashType = 1
	HashSHA256 HashType = 2
)

func (h HashType) String() string {
	switch h {
	case HashSHA1:
		return "sha1"
	case HashSHA256:
		return "sha256"
	}
	return fmt.Sprintf("hash-type-%d", uint8(h))
}

// size is the digest size in a CodeDirectory.
func (h HashType) size() int {
	if h == HashSHA1 {
		return sha1.Size
	}
	return sha256.Size
}

func (h HashType) new() hash.Hash {
	if h == HashSHA1 {
		return sha1.New()
	}
	return sha256.New()
}

// sum is the digest of b.
func (h HashType) sum(b []byte) []byte {
	if h == HashSHA1 {
		s := sha1.Sum(b)
		return s[:]
	}
	s := sha256.Sum256(b)
	return s[:]
}

// blob is a blob of a SuperBlob: its slot and its bytes, header included.
type blob struct {
	slot uint32
	data []byte
}

// newBlob is a blob with magic and payload.
func newBlob(magic uint32, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint32(b, magic)
	binary.BigEndian.PutUint32(b[4:], uint32(len(b)))
	copy(b[8:], payload)
	return b
}

// oldSignature is what a re-signature keeps of the signature a slice had.
type oldSignature struct {
	identifier string
	flags      uint32
	cms        bool // a CMS blob with content (not ad hoc)
	// blobs are the requirements, entitlements and DER entitlements blobs, by slot.
	blobs map[uint32][]byte
	// special holds the hashes of the info and resources slots (files outside the
	// binary), per hash type.
	special map[HashType]map[uint32][]byte
}

// readOldSignature reads the SuperBlob sig. It is lenient: what cannot be read is
// not kept (the whole signature is replaced anyway).
func readOldSignature(sig []byte) *oldSignature {
	be := binary.BigEndian
	old := &oldSignature{blobs: map[uint32][]byte{}, special: map[HashType]map[uint32][]byte{}}
	if len(sig) < 12 || be.Uint32(sig) != magicEmbeddedSig {
		return old
	}
	n := be.Uint32(sig[4:])
	if n > uint32(len(sig)) || n < 12 {
		return old
	}
	sig = sig[:n]
	count := be.Uint32(sig[8:])
	if count > 64 || 12+uint64(count)*8 > uint64(len(sig)) {
		return old
	}
	for i := range count {
		typ, off := be.Uint32(sig[12+i*8:]), be.Uint32(sig[16+i*8:])
		if off > uint32(len(sig))-8 {
			continue
		}
		l := be.Uint32(sig[off+4:])
		if l < 8 || l > uint32(len(sig))-off {
			continue
		}
		b := sig[off : off+l]
		switch {
		case typ == slotCodeDirectory || typ >= slotAlternateCD && typ < slotAlternateCD+5:
			old.readCD(b, typ == slotCodeDirectory)
		case typ == slotRequirements || typ == slotEntitlements || typ == slotEntDER:
			old.blobs[typ] = bytes.Clone(b)
		case typ == slotCMS:
			old.cms = l > 8
		}
	}
	return old
}

// readCD keeps the identifier and flags (of the primary CodeDirectory) and the info
// and resources slot hashes of the CodeDirectory b.
func (old *oldSignature) readCD(b []byte, primary bool) {
	be := binary.BigEndian
	if len(b) < 44 || be.Uint32(b) != magicCodeDirectory {
		return
	}
	hashOff, identOff, nSpecial := be.Uint32(b[16:]), be.Uint32(b[20:]), be.Uint32(b[24:])
	hashSize, ht := b[36], HashType(b[37])
	if primary || old.identifier == "" {
		if identOff < uint32(len(b)) {
			old.identifier = cString(b[identOff:])
		}
		old.flags = be.Uint32(b[12:])
	}
	if (ht != HashSHA1 && ht != HashSHA256) || int(hashSize) != ht.size() {
		return
	}
	for _, slot := range []uint32{slotInfo, slotResources} {
		if slot > nSpecial || uint64(slot)*uint64(hashSize) > uint64(hashOff) || hashOff > uint32(len(b)) {
			continue
		}
		h := b[hashOff-slot*uint32(hashSize) : hashOff-(slot-1)*uint32(hashSize)]
		if bytes.Count(h, []byte{0}) == len(h) {
			continue
		}
		if old.special[ht] == nil {
			old.special[ht] = map[uint32][]byte{}
		}
		old.special[ht][slot] = bytes.Clone(h)
	}
}

// maxEntitlements bounds an entitlements file.
const maxEntitlements = 1 << 20

// entitlementExecSeg maps boolean entitlements to the exec-segment flags codesign
// derives from them (SecCodeExecSegFlags, "Entitlements", in CSCommon.h).
var entitlementExecSeg = map[string]uint64{
	"get-task-allow":                            execSegAllowUnsigned,
	"run-unsigned-code":                         execSegAllowUnsigned,
	"com.apple.private.cs.debugger":             execSegDebugger,
	"dynamic-codesigning":                       execSegJIT,
	"com.apple.private.skip-library-validation": execSegSkipLV,
	"com.apple.private.amfi.can-load-cdhash":    execSegCanLoadCDHash,
	"com.apple.private.amfi.can-execute-cdhash": execSegCanExecCDHash,
}

// quoteID makes an identifier printable on one line.
func quoteID(s string) string {
	if strings.ContainsAny(s, "\x00\n\r") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
