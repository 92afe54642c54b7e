package codesign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/macho"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
)

// darwinGo builds the fixture hello program for darwin/goarch with cgo off: on arm64
// Go's linker signs it ad hoc ("linker-signed"); on amd64 it is unsigned.
func darwinGo(t *testing.T, goarch string) []byte {
	t.Helper()
	p := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=" + goarch, "CGO_ENABLED=0"}, "-trimpath")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustVerify checks out with all three verifiers of this package's tests: exe's,
// the test verifier, and (for thin files) the byte-change rule against in.
func mustVerify(t *testing.T, in, out []byte, res *Result) []*checkedSig {
	t.Helper()
	if err := Verify(context.Background(), out, res); err != nil {
		t.Fatalf("exe's verifier: %v", err)
	}
	sigs, err := verifyAny(out)
	if err != nil {
		t.Fatalf("test verifier: %v", err)
	}
	if !res.Universal {
		if err := changedOutside(in, out); err != nil {
			t.Fatal(err)
		}
	}
	return sigs
}

// TestLinkerEquivalence: re-signing what Go's linker signed gives the same code
// limit and the same page hashes; the first page differs only by the header fields
// that record the signature's size, and restoring them gives the linker's hash.
func TestLinkerEquivalence(t *testing.T) {
	in := darwinGo(t, "arm64")
	linker, err := verifyThin(in)
	if err != nil {
		t.Fatalf("the linker's signature: %v", err)
	}
	if linker.cds[0].flags&flagLinkerSigned == 0 {
		t.Fatalf("Go's linker did not write a linker-signed signature (flags %#x)", linker.cds[0].flags)
	}
	out, res, err := Sign(in, "/tmp/hello", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ours := mustVerify(t, in, out, res)[0]
	l, o := linker.cds[0], ours.cds[0]
	if o.codeLimit != l.codeLimit || len(o.pageHashes) != len(l.pageHashes) {
		t.Fatalf("code limit %d, %d pages; the linker's: %d, %d pages", o.codeLimit, len(o.pageHashes), l.codeLimit, len(l.pageHashes))
	}
	for i := 1; i < len(l.pageHashes); i++ {
		if !bytes.Equal(o.pageHashes[i], l.pageHashes[i]) {
			t.Fatalf("page %d hash differs from the linker's", i)
		}
	}
	// Page 0 holds the header: put back the linker's datasize and __LINKEDIT sizes.
	page0 := bytes.Clone(out[:4096])
	f, _ := macho.NewFile(bytes.NewReader(in))
	off := 32
	for _, ld := range f.Loads {
		raw := ld.Raw()
		if binary.LittleEndian.Uint32(raw) == 0x1d || (binary.LittleEndian.Uint32(raw) == 0x19 && cstr(raw[8:24]) == "__LINKEDIT") {
			copy(page0[off:], raw)
		}
		off += len(raw)
	}
	if h := sha256.Sum256(page0); !bytes.Equal(h[:], l.pageHashes[0]) {
		t.Fatal("page 0 with the linker's header fields restored does not hash as the linker's")
	}
	if o.execBase != l.execBase || o.execLimit != l.execLimit || o.execFlags != l.execFlags {
		t.Errorf("exec segment %d+%d flags %#x; the linker's %d+%d flags %#x", o.execBase, o.execLimit, o.execFlags, l.execBase, l.execLimit, l.execFlags)
	}
	if o.flags != flagAdhoc || o.ident != l.ident || o.version != 0x20400 {
		t.Errorf("flags %#x identifier %q version %#x; want %#x, the linker's %q, 0x20400", o.flags, o.ident, o.version, flagAdhoc, l.ident)
	}
	if _, ok := ours.slots[slotRequirements]; !ok {
		t.Error("no requirements blob (codesign writes an empty one)")
	}
	if res.Slices[0].Previous != PreviousLinkerSigned || res.Slices[0].AddedLoadCommand {
		t.Errorf("result %+v", res.Slices[0])
	}
	// Signing is a function of the input: signing the output again changes nothing.
	again, _, err := Sign(out, "/tmp/hello", Options{})
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("re-signing the signed output changed it (err %v)", err)
	}
}

// TestUnsignedGrows signs a binary with no signature: LC_CODE_SIGNATURE is added and
// __LINKEDIT grows to hold the signature.
func TestUnsignedGrows(t *testing.T) {
	in := darwinGo(t, "amd64")
	if s, err := verifyThin(in); err == nil {
		t.Fatalf("the amd64 fixture is signed already: %+v", s)
	}
	out, res, err := Sign(in, "dir/hello-amd64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sig := mustVerify(t, in, out, res)[0]
	r := res.Slices[0]
	if !r.AddedLoadCommand || r.LinkeditAfter <= r.LinkeditBefore || r.Previous != PreviousNone {
		t.Errorf("result %+v", r)
	}
	if sig.cds[0].ident != "hello-amd64" {
		t.Errorf("identifier %q, want the file's name", sig.cds[0].ident)
	}
	if uint64(sig.dataOff)%16 != 0 {
		t.Errorf("signature at %d, not 16-aligned", sig.dataOff)
	}
}

// TestOptions: identifier, hardened runtime and entitlements are written, and kept
// (entitlements, identifier) when re-signing without them.
func TestOptions(t *testing.T) {
	in := darwinGo(t, "arm64")
	ent := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>com.apple.security.cs.allow-jit</key><true/>
<key>get-task-allow</key><true/>
</dict></plist>
`)
	out, res, err := Sign(in, "x", Options{Identifier: "com.example.hello", HardenedRuntime: true, Entitlements: ent})
	if err != nil {
		t.Fatal(err)
	}
	cd := mustVerify(t, in, out, res)[0].cds[0]
	if cd.ident != "com.example.hello" || cd.flags != flagAdhoc|flagRuntime || cd.nSpecial != slotEntDER {
		t.Errorf("identifier %q flags %#x special slots %d", cd.ident, cd.flags, cd.nSpecial)
	}
	if cd.execFlags != execSegMainBinary|execSegAllowUnsigned {
		t.Errorf("exec-segment flags %#x, want main binary and allow-unsigned (get-task-allow)", cd.execFlags)
	}
	again, res2, err := Sign(out, "y", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sig := mustVerify(t, out, again, res2)[0]
	if !bytes.Contains(sig.slots[slotEntitlements], []byte("allow-jit")) || sig.cds[0].ident != "com.example.hello" {
		t.Errorf("re-signing lost the entitlements or identifier (%q)", sig.cds[0].ident)
	}
	if sig.cds[0].flags != flagAdhoc {
		t.Errorf("flags %#x: the runtime flag is set only when asked", sig.cds[0].flags)
	}
	for _, bad := range []string{"", "not xml", "<plist><array/></plist>", `{"a":1}`, "bplist00"} {
		if _, _, err := Sign(in, "x", Options{Entitlements: []byte(bad)}); !errors.Is(err, ErrEntitlements) {
			t.Errorf("entitlements %q: err %v, want ErrEntitlements", bad, err)
		}
	}
}

// TestEditedAfterSigning: a byte changed after signing is caught by both
// verifiers, and re-signing makes the file valid again.
func TestEditedAfterSigning(t *testing.T) {
	in := darwinGo(t, "arm64")
	in[20000] ^= 0xff
	if _, err := verifyThin(in); err == nil || !strings.Contains(err.Error(), "page 4 hash mismatch") {
		t.Fatalf("the test verifier on an edited file: %v", err)
	}
	f := exe.Read(context.Background(), bytes.NewReader(in), int64(len(in)), exe.Options{HeadersOnly: true})
	if v := f.Slices[0].Signature.Validity(); !v.Known || v.Value {
		t.Fatalf("exe says an edited file's signature is %+v", v)
	}
	out, res, err := Sign(in, "x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, in, out, res)
}

// TestSynthetic covers the cases Go's linker does not write: 32-bit, SHA-1 pairs for
// old minimum macOS versions, dylibs, no room for the load command.
func TestSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        synth
		hashes   []HashType
		wantErr  error
		execMain bool
	}{
		{"arm64 exe", synth{bits: 64, cpu: cpuTypeARM64, pad: 64, filetype: mhExecute, code: 10000, linkedit: 333}, []HashType{HashSHA256}, nil, true},
		{"x86_64 10.9", synth{bits: 64, cpu: 0x01000007, pad: 32, minOS: 0x000a0900, filetype: mhExecute, code: 5000, linkedit: 100}, []HashType{HashSHA1, HashSHA256}, nil, true},
		{"x86_64 10.11.4", synth{bits: 64, cpu: 0x01000007, pad: 32, minOS: 0x000a0b04, filetype: mhExecute, code: 5000, linkedit: 100}, []HashType{HashSHA256}, nil, true},
		{"i386 dylib", synth{bits: 32, cpu: 7, pad: 16, minOS: 0x000a0600, filetype: 6, code: 3000, linkedit: 17}, []HashType{HashSHA1, HashSHA256}, nil, false},
		{"exactly 16 free", synth{bits: 64, cpu: cpuTypeARM64, pad: 16, filetype: mhExecute, code: 1, linkedit: 1}, []HashType{HashSHA256}, nil, true},
		{"15 free", synth{bits: 64, cpu: cpuTypeARM64, pad: 15, filetype: mhExecute, code: 100, linkedit: 10}, nil, ErrNoRoom, false},
		{"no padding", synth{bits: 64, cpu: cpuTypeARM64, pad: 0, filetype: mhExecute, code: 100, linkedit: 10}, nil, ErrNoRoom, false},
		{"object", synth{bits: 64, cpu: cpuTypeARM64, pad: 64, filetype: mhObject, code: 100, linkedit: 10}, nil, ErrUnsupported, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.s.build()
			out, res, err := Sign(in, "synth", Options{})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				var nr *NoRoomError
				if errors.As(err, &nr) && (nr.Have != tc.s.pad || !strings.Contains(err.Error(), "arm64 slice")) {
					t.Errorf("%v: Have %d, want %d", err, nr.Have, tc.s.pad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sig := mustVerify(t, in, out, res)[0]
			var got []HashType
			for _, cd := range sig.cds {
				got = append(got, HashType(cd.hashType))
			}
			if !equalHashes(got, tc.hashes) || !equalHashes(res.Slices[0].Hashes, tc.hashes) {
				t.Errorf("hashes %v (result %v), want %v", got, res.Slices[0].Hashes, tc.hashes)
			}
			if main := sig.cds[0].execFlags&execSegMainBinary != 0; main != tc.execMain {
				t.Errorf("main-binary exec flag %v, want %v", main, tc.execMain)
			}
		})
	}
}

func equalHashes(a, b []HashType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestUniversal signs every slice of universal files: Go's linker-signed arm64 and
// unsigned amd64 slices; a slice that must move because the one before it grew; a
// slice this signer does not sign keeps its bytes.
func TestUniversal(t *testing.T) {
	arm, amd := darwinGo(t, "arm64"), darwinGo(t, "amd64")
	for _, tc := range []struct {
		name    string
		in      []byte
		kept    int // slices kept as they were
		resized bool
	}{
		{"go amd64+arm64", fat(14, amd, arm), 0, true},
		{"gap absorbs the growth", fat(14, synth{bits: 64, cpu: 0x01000007, pad: 32, filetype: mhExecute, code: 5000, linkedit: 100}.build(), arm), 0, false},
		{"packed, must move", fat(2, synth{bits: 64, cpu: 0x01000007, pad: 32, filetype: mhExecute, code: 5000, linkedit: 100}.build(),
			synth{bits: 64, cpu: cpuTypeARM64, pad: 32, filetype: mhExecute, code: 9000, linkedit: 100}.build()), 0, true},
		{"with an object", fat(12, synth{bits: 64, cpu: 0x01000007, pad: 32, filetype: mhObject, code: 50, linkedit: 10}.build(), arm), 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res, err := Sign(tc.in, "u", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Universal || len(res.Slices) != 2 {
				t.Fatalf("result %+v", res)
			}
			if err := Verify(context.Background(), out, res); err != nil {
				t.Fatal(err)
			}
			inF, outF := fatArches(tc.in), fatArches(out)
			kept := 0
			for i, r := range res.Slices {
				a, b := inF[i], outF[i]
				inS, outS := tc.in[a.Offset:a.Offset+a.Size], out[b.Offset:b.Offset+b.Size]
				if b.Offset%(1<<b.Align) != 0 {
					t.Errorf("slice %d at %d, not aligned to 2^%d", i, b.Offset, b.Align)
				}
				if r.Kept != "" {
					kept++
					if !bytes.Equal(inS, outS) {
						t.Errorf("kept slice %d changed", i)
					}
					continue
				}
				if _, err := verifyThin(outS); err != nil {
					t.Errorf("slice %d: %v", i, err)
				}
				if err := changedOutside(inS, outS); err != nil {
					t.Errorf("slice %d: %v", i, err)
				}
			}
			if kept != tc.kept {
				t.Errorf("%d slices kept, want %d", kept, tc.kept)
			}
			// The second slice moves only when the first grew past its start.
			grewPast := outF[0].Offset+outF[0].Size > inF[1].Offset
			if moved := outF[1].Offset != inF[1].Offset; moved != grewPast {
				t.Errorf("second slice moved %v (from %d to %d), want %v", moved, inF[1].Offset, outF[1].Offset, grewPast)
			}
			if grewPast != tc.resized {
				t.Errorf("first slice grew past the second's start: %v, want %v (the case tests the other branch)", grewPast, tc.resized)
			}
		})
	}
}

// TestSignFile signs in place through the atomic writer, keeping the mode, and
// refuses what is not a regular file without writing anything.
func TestSignFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hello")
	if err := os.WriteFile(p, darwinGo(t, "amd64"), 0o751); err != nil {
		t.Fatal(err)
	}
	res, err := SignFile(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if _, err := verifyAny(b); err != nil || res.Slices[0].Identifier != "hello" {
		t.Fatalf("signed file: %v, %+v", err, res.Slices[0])
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o751 {
		t.Errorf("mode %v, want 0751", fi.Mode())
	}
	if _, err := SignFile(context.Background(), dir, Options{}); err == nil {
		t.Error("signing a directory did not fail")
	}
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello, not Mach-O"), 0o644)
	if _, err := SignFile(context.Background(), txt, Options{}); !errors.Is(err, ErrNotMachO) || !strings.Contains(err.Error(), txt) {
		t.Errorf("a text file: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("%d entries in the directory, want 2 (no temporary files left)", len(ents))
	}
}

// fatArch is an entry of a universal header, read by the tests' own parser
// (debug/macho refuses a file whose slices have different types).
type fatArch struct{ Offset, Size, Align uint64 }

func fatArches(b []byte) []fatArch {
	be := binary.BigEndian
	var out []fatArch
	for i := range be.Uint32(b[4:]) {
		e := b[8+20*i:]
		out = append(out, fatArch{uint64(be.Uint32(e[8:])), uint64(be.Uint32(e[12:])), uint64(be.Uint32(e[16:]))})
	}
	return out
}

// TestDataAfterSignature: bytes after a slice's signature that are not padding are
// refused, not dropped.
func TestDataAfterSignature(t *testing.T) {
	in := synth{bits: 64, cpu: cpuTypeARM64, pad: 64, filetype: mhExecute, code: 5000, linkedit: 100}.build()
	signed, _, err := Sign(in, "x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Sign(append(bytes.Clone(signed), 0, 0, 0, 0), "x", Options{}); err != nil {
		t.Errorf("zero padding after the signature: %v", err)
	}
	if _, _, err := Sign(append(bytes.Clone(signed), "appended zip"...), "x", Options{}); !errors.Is(err, ErrLayout) {
		t.Errorf("data after the signature: %v, want ErrLayout", err)
	}
	if _, _, err := Sign(append(bytes.Clone(in), "appended"...), "x", Options{}); !errors.Is(err, ErrLayout) {
		t.Errorf("data after __LINKEDIT: %v, want ErrLayout", err)
	}
}
