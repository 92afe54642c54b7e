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
		if f.Format == FormatUnknown && f.Error != ErrNotExecutable.Error() {
			t.Errorf("Read(%q).Error = %q, want %q", data, f.Error, ErrNotExecutable)
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
		if strings.Contains(file.Error, "internal error") {
			t.Fatalf("parser panicked: %s", file.Error)
		}
	})
}
