package exe

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadUnknown(t *testing.T) {
	for _, data := range []string{"", "#!/bin/sh\necho hi\n", "\xca\xfe\xba\xbe\x00\x00\x00\x34 java class file", "MZ"} {
		f := Read(context.Background(), strings.NewReader(data), int64(len(data)), Options{})
		if f == nil {
			t.Fatalf("Read(%q) = nil", data)
		}
		if f.Format == FormatUnknown && !errors.Is(f.Err, ErrNotExecutable) {
			t.Errorf("Read(%q).Err = %v, want one wrapping %v", data, f.Err, ErrNotExecutable)
		}
	}
}

// TestInspectUnreadable checks that a file that cannot be opened is an error of the
// file as a whole, not a crash.
func TestInspectUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("\x7fELF"), 0o000); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(context.Background(), p, Options{}); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("err = %v, want permission denied", err)
	}
}

// FuzzRead feeds arbitrary bytes to the format dispatcher and every parser behind it:
// nothing may panic (Read recovers, but a recovered panic is still a bug).
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"\x7fELF\x02\x01\x01\x00",
		"\xcf\xfa\xed\xfe\x0c\x00\x00\x01",
		"\xca\xfe\xba\xbe\x00\x00\x00\x02",
		"\xca\xfe\xba\xbf\x00\x00\x00\x01",
		"MZ\x90\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Read(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Deps: true})
		if errors.Is(file.Err, ErrInternal) {
			t.Fatalf("parser panicked: %s", file.Error)
		}
		checkInvariants(t, file, data)
	})
}

// checkInvariants checks what every File must satisfy, whatever the input: errors are
// typed and match their text, an unknown fact has its reason (never a silent false),
// and the universal reader agrees with IsFat.
func checkInvariants(t *testing.T, file *File, data []byte) {
	t.Helper()
	if (file.Error == "") != (file.Err == nil) || file.Err != nil && file.Err.Error() != file.Error {
		t.Fatalf("file error %q, typed %v", file.Error, file.Err)
	}
	if file.Format == FormatUnknown && !errors.Is(file.Err, ErrNotExecutable) {
		t.Fatalf("unknown format without ErrNotExecutable: %v", file.Err)
	}
	if fat := IsFat(data[:min(8, len(data))], int64(len(data))); fat != (file.Format == FormatMachOFat) {
		t.Fatalf("IsFat %v, format %s", fat, file.Format)
	}
	for i, s := range file.Slices {
		if (s.Error == "") != (s.Err == nil) || s.Err != nil && s.Err.Error() != s.Error {
			t.Fatalf("slice %d: error %q, typed %v", i, s.Error, s.Err)
		}
		if s.Err != nil {
			var fe *FormatError
			if !errors.As(s.Err, &fe) {
				t.Fatalf("slice %d: error %T %v is not a *FormatError", i, s.Err, s.Err)
			}
		}
		for name, p := range map[string]Fact[bool]{"pie": s.PIE, "stripped": s.Stripped} {
			if !p.Known && p.Why == "" && s.Error == "" && s.Kind != KindOther {
				t.Fatalf("slice %d: %s unknown without a reason or an error: %+v", i, name, s)
			}
		}
		if sig := s.Signature; sig != nil && sig.Valid.Is(true) && sig.Problem != "" {
			t.Fatalf("slice %d: valid signature with a problem %q", i, sig.Problem)
		}
		if g := s.Go; g != nil {
			if !g.Cgo.Known && !strings.HasPrefix(g.Sources["cgo"], "unknown") {
				t.Fatalf("slice %d: cgo unknown, source %q", i, g.Sources["cgo"])
			}
			if g.Version == "" && !strings.HasPrefix(g.Sources["version"], "unknown") && g.Sources["error"] == "" {
				t.Fatalf("slice %d: version unknown, source %q", i, g.Sources["version"])
			}
		}
	}
}

// TestTypedErrors checks that errors name the structure and offset, and that callers
// can tell them apart with errors.Is and errors.As.
func TestTypedErrors(t *testing.T) {
	ctx := context.Background()
	text := "#!/bin/sh\n"
	if f := Read(ctx, strings.NewReader(text), int64(len(text)), Options{}); !errors.Is(f.Err, ErrNotExecutable) {
		t.Errorf("script: %v, want ErrNotExecutable", f.Err)
	}
	// An ELF header that promises 9 program headers at 64 in a 100-byte file.
	b := make([]byte, 100)
	copy(b, "\x7fELF\x02\x01\x01")
	b[16], b[18] = 2, 0x3e // ET_EXEC, EM_X86_64
	b[32] = 64             // e_phoff
	b[54], b[56] = 56, 9   // e_phentsize, e_phnum
	f := Read(ctx, bytes.NewReader(b), int64(len(b)), Options{})
	var fe *FormatError
	if !errors.As(f.Err, &fe) || !errors.Is(f.Err, ErrTruncated) {
		t.Fatalf("err %v (%T), want a *FormatError wrapping ErrTruncated", f.Err, f.Err)
	}
	if fe.Format != "ELF" || fe.Offset != 64 || !strings.HasPrefix(fe.Structure, "program header table") {
		t.Errorf("FormatError %+v", *fe)
	}
	if f.Error == "ELF: EOF" || !strings.Contains(f.Error, "504 bytes") {
		t.Errorf("message %q does not say what was cut", f.Error)
	}
	if s := f.Slices[0]; s.PIE.Known || s.PIE.Why == "" {
		t.Errorf("PIE of an unreadable ELF: %+v, want unknown with why", s.PIE)
	}
}

// TestUnreadFormats: files in formats gonative recognises and does not read are named,
// and still wrap ErrNotExecutable (directory walks skip them); others are not named.
func TestUnreadFormats(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"XCOFF64", []byte{0x01, 0xf7, 0x00, 0x04, 0, 0, 0, 0}, "XCOFF 64-bit (AIX)"},
		{"XCOFF32", []byte{0x01, 0xdf, 0x00, 0x03, 0, 0, 0, 0}, "XCOFF 32-bit (AIX)"},
		{"WebAssembly", []byte("\x00asm\x01\x00\x00\x00"), "WebAssembly module"},
		{"Java class 52.0", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52}, "Java class file (version 52.0)"},
		{"a.out ZMAGIC", []byte{0x0b, 0x01, 0x64, 0x00, 0, 0x10, 0, 0}, "a.out executable"},
		{"COFF object amd64", []byte{0x64, 0x86, 0x03, 0x00, 0x12, 0x34, 0x56, 0x78}, "COFF object file"},
		{"text", []byte("#!/bin/sh\necho hi\n"), ""},
		{"zeros", make([]byte, 16), ""},
		{"COFF machine without sections", []byte{0x64, 0x86, 0x00, 0x00, 0, 0, 0, 0}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := Read(context.Background(), bytes.NewReader(tt.b), int64(len(tt.b)), Options{})
			if !errors.Is(f.Err, ErrNotExecutable) || len(f.Slices) != 0 || f.Format != FormatUnknown {
				t.Fatalf("err %v, %d slices, format %s", f.Err, len(f.Slices), f.Format)
			}
			var u *UnreadFormatError
			switch {
			case tt.want == "" && errors.As(f.Err, &u):
				t.Errorf("named %q", u.Name)
			case tt.want != "" && (!errors.As(f.Err, &u) || u.Name != tt.want):
				t.Errorf("error %q, want the format %q named", f.Error, tt.want)
			case tt.want != "" && f.Error != tt.want+": a format gonative recognises but does not read":
				t.Errorf("error %q", f.Error)
			}
		})
	}
}
