package exe

import (
	"bytes"
	"errors"
	"testing"
)

// tinySigned is a small Mach-O executable with an LC_CODE_SIGNATURE, signed by resign
// as o says: a fuzzing seed that reaches the page hashing.
func tinySigned(t testing.TB, o signOpts) []byte {
	t.Helper()
	const codeLimit = 1200
	b := machoFile(cpuTypeARM64, 0, mhExecute, mhPIE,
		loadCmd(lcBuildVersion, "", 1, 14<<16, 14<<16, 0),
		dylibCmd(lcLoadDylib, "/usr/lib/libSystem.B.dylib"),
		loadCmd(lcCodeSignature, "", codeLimit, 0))
	b = append(b, make([]byte, codeLimit-len(b))...)
	for i := 600; i < codeLimit; i++ {
		b[i] = byte(i * 7)
	}
	return resign(t, b, o)
}

// machoSeeds are the seeds both fuzz targets start from (the committed corpus under
// testdata/fuzz adds a truncated real header).
func machoSeeds(t testing.TB) [][]byte {
	signed := tinySigned(t, signOpts{hashTypes: []uint8{csHashSHA256}, pageShift: 9, ident: "a.out", flags: csAdhoc | csLinkerSigned})
	alt := tinySigned(t, signOpts{hashTypes: []uint8{csHashSHA1, csHashSHA256}, pageShift: 10, ident: "x", team: "T", requirements: true, cms: true})
	dylib := machoFile(cpuTypeARM64, 2, mhDylib, 0,
		loadCmd(lcBuildVersion, "", 2, 17<<16, 18<<16, 0),
		dylibCmd(lcLoadWeakDylib, "@rpath/libfoo.dylib"),
		loadCmd(lcSymtab, "", 0, 0, 0, 0),
		loadCmd(lcVersionMinMacOSX, "", 10<<16, 10<<16),
		loadCmd(lcLoadDylinker, "/usr/lib/dyld", 12))
	fat, _ := makeFat(false, 4, fatMember{cpuTypeARM64, 0, signed}, fatMember{cpuTypeX86_64, 3, dylib})
	fat64, _ := makeFat(true, 2, fatMember{cpuTypeARM64, 0, alt})
	return [][]byte{signed, alt, dylib, fat, fat64}
}

// FuzzReadMachO feeds bytes to readMachO: it must never panic (readMachO turns a panic
// into an "internal error") nor hang.
func FuzzReadMachO(f *testing.F) {
	for _, b := range machoSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := readMachO(bytes.NewReader(b), int64(len(b)))
		if errors.Is(s.Err, ErrInternal) {
			t.Fatal(s.Error)
		}
		if s.Arch == "" || s.Kind == "" {
			t.Fatalf("empty arch or kind: %+v", s)
		}
		if s.Signature != nil && s.Signature.Valid.Is(true) && s.Signature.Problem != "" {
			t.Fatalf("valid signature with a problem: %+v", s.Signature)
		}
	})
}

// FuzzReadFat feeds bytes to readFat (and so to readMachO for every member).
func FuzzReadFat(f *testing.F) {
	for _, b := range machoSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		slices, err := readFat(bytes.NewReader(b), int64(len(b)))
		if errors.Is(err, ErrInternal) {
			t.Fatal(err)
		}
		if len(slices) > MaxFatArchs {
			t.Fatalf("%d slices", len(slices))
		}
		for _, s := range slices {
			if errors.Is(s.Err, ErrInternal) {
				t.Fatal(s.Error)
			}
			if s.Offset < 0 || s.Size < 0 {
				t.Fatalf("negative offset or size: %+v", s)
			}
		}
	})
}

// TestFuzzSeeds checks that the signed seeds are valid, so fuzzing starts from inputs
// that reach every check.
func TestFuzzSeeds(t *testing.T) {
	seeds := machoSeeds(t)
	for i, b := range seeds[:2] {
		s := readMachO(bytes.NewReader(b), int64(len(b)))
		if s.Error != "" || !s.Signature.Valid.Is(true) {
			t.Errorf("seed %d: error %q signature %+v", i, s.Error, s.Signature)
		}
	}
	f, err := readFat(bytes.NewReader(seeds[3]), int64(len(seeds[3])))
	if err != nil || len(f) != 2 || !f[0].Signature.Valid.Is(true) || f[1].Kind != KindSharedLib {
		t.Errorf("fat seed: %v %+v", err, f)
	}
}
