package codesign

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/gonative/gonative/internal/exe"
)

// Options says how to sign.
type Options struct {
	// Identifier is the CodeDirectory's identifier. "" keeps the one the slice's
	// signature had, else uses the file's name, as codesign does.
	Identifier string
	// Entitlements is an XML property list to embed (slot 5), with its DER form
	// (slot 7) as codesign writes it for macOS 12 and later. nil keeps the slice's
	// entitlements (XML and DER) when it had some.
	Entitlements []byte
	// HardenedRuntime sets the runtime flag (0x10000, codesign --options runtime).
	HardenedRuntime bool
	// CMS, when set, signs the CodeDirectories with an identity; nil signs ad hoc.
	CMS CMSSigner
}

// CMSSigner makes the CMS blob of a signature made with an identity.
type CMSSigner interface {
	// TeamID is the team identifier written into the CodeDirectories ("" none).
	TeamID() string
	// Reserve is the most bytes a CMS signature from Sign can take: the space is set
	// aside before the pages are hashed, since the header that records it is hashed.
	Reserve() int
	// DesignatedRequirement returns the designated requirement (a Requirement blob,
	// 0xfade0c00) for a signature with this identifier.
	DesignatedRequirement(identifier string) ([]byte, error)
	// Sign returns the DER CMS SignedData over cds[0] (detached), with the CDHash
	// attributes of every CodeDirectory in cds.
	Sign(cds []CodeDirectory) ([]byte, error)
}

// CodeDirectory is one CodeDirectory blob of a signature, as written.
type CodeDirectory struct {
	Hash  HashType
	Bytes []byte
}

// CDHash is the CodeDirectory's hash by its own hash type, full length (the
// CDHash macOS records is its first 20 bytes).
func (cd CodeDirectory) CDHash() []byte { return cd.Hash.sum(cd.Bytes) }

// Previous says what signature a slice had before it was signed.
type Previous int

// Kinds of previous signature.
const (
	PreviousNone         Previous = iota // unsigned
	PreviousLinkerSigned                 // ad hoc, by the linker
	PreviousAdHoc                        // ad hoc
	PreviousCMS                          // with a certificate
)

func (p Previous) String() string {
	switch p {
	case PreviousLinkerSigned:
		return "linker-signed ad hoc"
	case PreviousAdHoc:
		return "ad hoc"
	case PreviousCMS:
		return "certificate"
	}
	return "unsigned"
}

// SliceResult is what signing did to one slice.
type SliceResult struct {
	Index int    // in the universal header (0 for a thin file)
	Arch  string // lipo's name: arm64, x86_64 ...
	// Kept is why the slice was kept as it was (not signed); "" when it was signed.
	Kept       string
	Identifier string
	TeamID     string
	Hashes     []HashType // the CodeDirectories, primary first
	CDHash     []byte     // of the primary CodeDirectory, 20 bytes
	CodeLimit  int64
	Pages      int
	// SignatureSize is LC_CODE_SIGNATURE's datasize.
	SignatureSize int
	Previous      Previous
	// AddedLoadCommand is true when LC_CODE_SIGNATURE was added.
	AddedLoadCommand bool
	// LinkeditSize is __LINKEDIT's file size before and after.
	LinkeditBefore, LinkeditAfter uint64
	HardenedRuntime               bool
	Entitlements                  bool // an entitlements blob is embedded
	CMS                           bool
	// Timestamp is true when the CMS signature carries an RFC 3161 time stamp.
	Timestamp bool
}

// Result is what signing did to a file.
type Result struct {
	Universal bool
	Slices    []SliceResult
}

// Sign signs the Mach-O file b (thin or universal) and returns the signed bytes.
// name is the file's name (its base is the default identifier). b is not modified.
func Sign(b []byte, name string, opts Options) ([]byte, *Result, error) {
	var ent *newEntitlements
	if opts.Entitlements != nil {
		v, err := parsePlist(opts.Entitlements)
		if err != nil {
			return nil, nil, err
		}
		der, err := entitlementsDER(v)
		if err != nil {
			return nil, nil, err
		}
		ent = &newEntitlements{flags: v.execSegFlags(), der: der}
	}
	if exe.IsFat(b[:min(len(b), 8)], int64(len(b))) {
		return signFat(b, name, opts, ent)
	}
	out, r, err := signSlice(b, name, opts, ent)
	if errors.Is(err, ErrNotMachO) {
		return nil, nil, err
	}
	if err != nil {
		arch := "unknown"
		if len(b) >= 12 {
			arch = archName(binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:]))
		}
		return nil, nil, &SliceError{Arch: arch, Err: err}
	}
	return out, &Result{Slices: []SliceResult{r}}, nil
}

// archName is lipo's name of a Mach-O CPU type.
func archName(cpu, sub uint32) string {
	_, n := exe.MachOCPU(cpu, sub)
	return n
}

// newEntitlements are the --entitlements of a signature: the exec-segment flags they
// ask for and their DER form.
type newEntitlements struct {
	flags uint64
	der   []byte
}

// layout is where a slice's new signature goes and how big it is.
type layout struct {
	sigOff    uint64 // = the code limit
	blobs     []blob // in SuperBlob order, the CMS blob's data nil until signed
	cdSizes   []int  // per hash type
	superLen  int    // of the SuperBlob, CMS reserve included
	ident     string
	team      string
	hashes    []HashType
	special   map[HashType]map[uint32][]byte // hashes of slots 1 and 3
	nSpecial  uint32
	flags     uint32
	execFlags uint64
	// textOff and textSize are __TEXT's file range: the exec segment.
	textOff, textSize uint64
}

// signSlice signs the thin Mach-O b.
func signSlice(b []byte, name string, opts Options, ent *newEntitlements) ([]byte, SliceResult, error) {
	im, err := parseImage(b)
	if err != nil {
		return nil, SliceResult{}, err
	}
	r := SliceResult{Arch: archName(im.cpu, binary.LittleEndian.Uint32(b[8:]))}
	if im.filetype == mhObject {
		return nil, r, fmt.Errorf("%w: an object file (MH_OBJECT) is not signed; sign the linked executable", ErrUnsupported)
	}
	le := im.linkedit
	if le == nil {
		return nil, r, fmt.Errorf("%w: the slice has no __LINKEDIT segment", ErrLayout)
	}
	leEnd := le.fileoff + le.filesize
	if leEnd > uint64(len(b)) {
		return nil, r, fmt.Errorf("%w: __LINKEDIT (%d bytes at %d) runs past the end of the slice (%d bytes)", ErrMalformed, le.filesize, le.fileoff, len(b))
	}
	if err := im.linkeditLast(b); err != nil {
		return nil, r, err
	}
	r.LinkeditBefore = le.filesize

	var old *oldSignature
	var sigOff uint64
	if im.sigCmdOff >= 0 {
		sigOff = uint64(im.sigOff)
		end := sigOff + uint64(im.sigSize)
		switch {
		case end > uint64(len(b)):
			return nil, r, fmt.Errorf("%w: the signature (%d bytes at %d) runs past the end of the slice (%d bytes)", ErrMalformed, im.sigSize, im.sigOff, len(b))
		case sigOff < le.fileoff || sigOff > leEnd:
			return nil, r, fmt.Errorf("%w: the signature at %d is not inside __LINKEDIT (%d-%d)", ErrLayout, sigOff, le.fileoff, leEnd)
		case !allZero(b[end:]):
			// The new signature replaces everything from sigOff on: only padding
			// may follow the old one.
			return nil, r, fmt.Errorf("%w: data follows the signature (bytes %d-%d)", ErrLayout, end, len(b))
		}
		old = readOldSignature(b[sigOff:end])
		switch {
		case old.cms:
			r.Previous = PreviousCMS
		case old.flags&flagLinkerSigned != 0:
			r.Previous = PreviousLinkerSigned
		default:
			r.Previous = PreviousAdHoc
		}
	} else {
		if !allZero(b[leEnd:]) {
			return nil, r, fmt.Errorf("%w: %d bytes follow __LINKEDIT", ErrLayout, uint64(len(b))-leEnd)
		}
		hdrEnd := uint64(im.hdrSize) + uint64(im.sizeofcmds)
		have := im.contentStart - hdrEnd
		if have < codeSignatureSize || !allZero(b[hdrEnd:hdrEnd+codeSignatureSize]) {
			return nil, r, &NoRoomError{Arch: r.Arch, Need: codeSignatureSize, Have: int(min(have, 1<<30))}
		}
		old = readOldSignature(nil)
		sigOff = (leEnd + 15) &^ 15
		r.AddedLoadCommand = true
	}

	lay, err := plan(im, old, sigOff, name, opts, ent)
	if err != nil {
		return nil, r, err
	}
	dataSize := uint64(lay.superLen)
	if sigOff+dataSize > codeLimitMax32 {
		return nil, r, fmt.Errorf("%w: the signed slice would pass 4 GiB", ErrUnsupported)
	}

	out := make([]byte, sigOff+dataSize)
	copy(out, b[:min(uint64(len(b)), sigOff)])
	lePut := binary.LittleEndian
	if r.AddedLoadCommand {
		at := im.hdrSize + int(im.sizeofcmds)
		lePut.PutUint32(out[at:], lcCodeSignature)
		lePut.PutUint32(out[at+4:], codeSignatureSize)
		lePut.PutUint32(out[at+8:], uint32(sigOff))
		lePut.PutUint32(out[at+12:], uint32(dataSize))
		lePut.PutUint32(out[16:], im.ncmds+1)
		lePut.PutUint32(out[20:], im.sizeofcmds+codeSignatureSize)
	} else {
		lePut.PutUint32(out[im.sigCmdOff+12:], uint32(dataSize))
	}
	newFile := sigOff + dataSize - le.fileoff
	newVM := max(le.vmsize, (newFile+im.segmentPage()-1)&^(im.segmentPage()-1))
	if im.bits == 64 {
		lePut.PutUint64(out[le.cmdOff+32:], newVM)
		lePut.PutUint64(out[le.cmdOff+48:], newFile)
	} else {
		if newVM > codeLimitMax32 {
			return nil, r, fmt.Errorf("%w: __LINKEDIT would pass 4 GiB", ErrUnsupported)
		}
		lePut.PutUint32(out[le.cmdOff+28:], uint32(newVM))
		lePut.PutUint32(out[le.cmdOff+36:], uint32(newFile))
	}
	r.LinkeditAfter = newFile

	// The pages are hashed after the header edits: the header is in the first page.
	code := out[:sigOff]
	var cds []CodeDirectory
	for i, h := range lay.hashes {
		cd := lay.codeDirectory(h, code, lay.cdSizes[i])
		cds = append(cds, CodeDirectory{Hash: h, Bytes: cd})
	}
	var cms []byte
	if opts.CMS != nil {
		if cms, err = opts.CMS.Sign(cds); err != nil {
			return nil, r, fmt.Errorf("CMS signature: %w", err)
		}
		if len(cms) > opts.CMS.Reserve() {
			return nil, r, fmt.Errorf("CMS signature: %d bytes, more than the %d reserved", len(cms), opts.CMS.Reserve())
		}
	}
	lay.writeSuperBlob(out[sigOff:], cds, cms)

	r.Identifier, r.TeamID = lay.ident, lay.team
	r.Hashes = lay.hashes
	r.CDHash = cds[0].CDHash()[:20]
	r.CodeLimit = int64(sigOff)
	r.Pages = int((sigOff + pageSize - 1) / pageSize)
	r.SignatureSize = int(dataSize)
	r.HardenedRuntime = opts.HardenedRuntime
	r.CMS = opts.CMS != nil
	if id, ok := opts.CMS.(*Identity); ok {
		r.Timestamp = id.Timestamper != nil
	}
	for _, bl := range lay.blobs {
		r.Entitlements = r.Entitlements || bl.slot == slotEntitlements
	}
	return out, r, nil
}

// linkeditLast checks that no other segment's content lies after __LINKEDIT's start:
// the signature goes at its end, the end of the file.
func (im *image) linkeditLast(b []byte) error {
	le := binary.LittleEndian
	off := im.hdrSize
	for range im.ncmds {
		cmd, size := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		if (cmd == lcSegment64 || cmd == lcSegment) && off != im.linkedit.cmdOff {
			var fo, fs uint64
			if cmd == lcSegment64 {
				fo, fs = le.Uint64(b[off+40:]), le.Uint64(b[off+48:])
			} else {
				fo, fs = uint64(le.Uint32(b[off+32:])), uint64(le.Uint32(b[off+36:]))
			}
			if fs > 0 && fo+fs > im.linkedit.fileoff {
				return fmt.Errorf("%w: segment %s (%d-%d) lies after __LINKEDIT's start (%d)", ErrLayout, cString(b[off+8:off+24]), fo, fo+fs, im.linkedit.fileoff)
			}
		}
		off += int(size)
	}
	return nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// plan decides the signature's contents and sizes.
func plan(im *image, old *oldSignature, sigOff uint64, name string, opts Options, newEnt *newEntitlements) (*layout, error) {
	lay := &layout{sigOff: sigOff, special: old.special}
	switch {
	case opts.Identifier != "":
		lay.ident = opts.Identifier
	case old.identifier != "":
		lay.ident = old.identifier
	default:
		lay.ident = filepath.Base(name)
	}
	if bytes.IndexByte([]byte(lay.ident), 0) >= 0 {
		return nil, fmt.Errorf("the identifier %s holds a NUL byte", quoteID(lay.ident))
	}
	if opts.CMS != nil {
		lay.team = opts.CMS.TeamID()
	} else {
		lay.flags |= flagAdhoc
	}
	if opts.HardenedRuntime {
		lay.flags |= flagRuntime
	}
	lay.hashes = []HashType{HashSHA256}
	if im.needsSHA1() {
		lay.hashes = []HashType{HashSHA1, HashSHA256}
	}
	if im.filetype == mhExecute {
		lay.execFlags = execSegMainBinary
	}
	if im.text != nil {
		lay.textOff, lay.textSize = im.text.fileoff, im.text.filesize
	}

	var dr []byte
	if opts.CMS != nil {
		var err error
		if dr, err = opts.CMS.DesignatedRequirement(lay.ident); err != nil {
			return nil, fmt.Errorf("designated requirement: %w", err)
		}
	}
	lay.blobs = append(lay.blobs, blob{slotRequirements, requirementsFor(old.blobs[slotRequirements], dr)})
	ent, der := old.blobs[slotEntitlements], old.blobs[slotEntDER]
	if newEnt != nil {
		ent, der = newBlob(magicEntitlements, opts.Entitlements), newBlob(magicEntitlementDER, newEnt.der)
		lay.execFlags |= newEnt.flags
	} else if ent != nil {
		f, err := entitlementFlags(ent[8:])
		if err == nil {
			lay.execFlags |= f
		}
	}
	if ent != nil {
		lay.blobs = append(lay.blobs, blob{slotEntitlements, ent})
	}
	if der != nil {
		lay.blobs = append(lay.blobs, blob{slotEntDER, der})
	}
	lay.nSpecial = slotRequirements
	for _, bl := range lay.blobs {
		lay.nSpecial = max(lay.nSpecial, bl.slot)
	}
	for _, m := range old.special {
		for slot := range m {
			lay.nSpecial = max(lay.nSpecial, slot)
		}
	}

	nPages := (sigOff + pageSize - 1) / pageSize
	strs := len(lay.ident) + 1
	if lay.team != "" {
		strs += len(lay.team) + 1
	}
	count := len(lay.blobs) + len(lay.hashes) + 1
	total := 12 + 8*count
	for _, h := range lay.hashes {
		n := uint64(cdHeaderSize+strs) + (uint64(lay.nSpecial)+nPages)*uint64(h.size())
		if n > 1<<31 {
			return nil, fmt.Errorf("%w: the CodeDirectory would be %d bytes", ErrUnsupported, n)
		}
		lay.cdSizes = append(lay.cdSizes, int(n))
		total += int(n)
	}
	for _, bl := range lay.blobs {
		total += len(bl.data)
	}
	total += 8 // the CMS blob wrapper's header
	if opts.CMS != nil {
		total += opts.CMS.Reserve()
	}
	lay.superLen = total
	return lay, nil
}

// codeDirectory builds the CodeDirectory of hash type h over code, size bytes.
func (lay *layout) codeDirectory(h HashType, code []byte, size int) []byte {
	be := binary.BigEndian
	cd := make([]byte, size)
	hs := h.size()
	identOff := cdHeaderSize
	teamOff := 0
	at := identOff + len(lay.ident) + 1
	if lay.team != "" {
		teamOff = at
		at += len(lay.team) + 1
	}
	hashOff := at + int(lay.nSpecial)*hs
	nPages := (len(code) + pageSize - 1) / pageSize
	be.PutUint32(cd[0:], magicCodeDirectory)
	be.PutUint32(cd[4:], uint32(size))
	be.PutUint32(cd[8:], cdVersion)
	be.PutUint32(cd[12:], lay.flags)
	be.PutUint32(cd[16:], uint32(hashOff))
	be.PutUint32(cd[20:], uint32(identOff))
	be.PutUint32(cd[24:], lay.nSpecial)
	be.PutUint32(cd[28:], uint32(nPages))
	be.PutUint32(cd[32:], uint32(len(code))) // codeLimit; codeLimit64 stays 0 below 4 GiB
	cd[36] = uint8(hs)
	cd[37] = uint8(h)
	cd[39] = pageShift
	be.PutUint32(cd[48:], uint32(teamOff))
	be.PutUint64(cd[64:], lay.textOff)
	be.PutUint64(cd[72:], lay.textSize)
	be.PutUint64(cd[80:], lay.execFlags)
	copy(cd[identOff:], lay.ident)
	if teamOff != 0 {
		copy(cd[teamOff:], lay.team)
	}
	// Special slots: slot n's hash is n hashes before hashOff.
	for _, bl := range lay.blobs {
		copy(cd[hashOff-int(bl.slot)*hs:], h.sum(bl.data))
	}
	for slot, v := range lay.special[h] {
		copy(cd[hashOff-int(slot)*hs:], v)
	}
	hashPages(h, code, cd[hashOff:])
	return cd
}

// hashPages writes the hash of every 4 KiB page of code (the last one short) to
// out, in parallel for large inputs.
func hashPages(h HashType, code []byte, out []byte) {
	n := (len(code) + pageSize - 1) / pageSize
	hs := h.size()
	workers := min(runtime.GOMAXPROCS(0), max(1, n/256))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			for p := lo; p < hi; p++ {
				page := code[p*pageSize : min(len(code), (p+1)*pageSize)]
				if h == HashSHA256 {
					s := sha256.Sum256(page)
					copy(out[p*hs:], s[:])
				} else {
					copy(out[p*hs:], h.sum(page))
				}
			}
		})
	}
	wg.Wait()
}

// writeSuperBlob writes the SuperBlob into out (zeroed, superLen bytes): the
// CodeDirectories, the other blobs by slot, and the CMS blob (empty for ad hoc).
func (lay *layout) writeSuperBlob(out []byte, cds []CodeDirectory, cms []byte) {
	be := binary.BigEndian
	all := []blob{{slotCodeDirectory, cds[0].Bytes}}
	all = append(all, lay.blobs...)
	for i, cd := range cds[1:] {
		all = append(all, blob{slotAlternateCD + uint32(i), cd.Bytes})
	}
	all = append(all, blob{slotCMS, newBlob(magicBlobWrapper, cms)})
	at := 12 + 8*len(all)
	for i, bl := range all {
		be.PutUint32(out[12+8*i:], bl.slot)
		be.PutUint32(out[16+8*i:], uint32(at))
		copy(out[at:], bl.data)
		at += len(bl.data)
	}
	be.PutUint32(out[0:], magicEmbeddedSig)
	be.PutUint32(out[4:], uint32(at))
	be.PutUint32(out[8:], uint32(len(all)))
}
