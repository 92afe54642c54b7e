package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// elfWithInterp is a minimal x86-64 ELF executable whose PT_INTERP holds interp.
func elfWithInterp(interp string) []byte {
	const ehsize, phsize = 64, 56
	b := make([]byte, ehsize+phsize)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)  // ET_EXEC
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], ehsize) // e_phoff
	le.PutUint16(b[52:], ehsize)
	le.PutUint16(b[54:], phsize)
	le.PutUint16(b[56:], 1) // e_phnum
	ph := b[ehsize:]
	le.PutUint32(ph, 3) // PT_INTERP
	le.PutUint64(ph[8:], uint64(len(b)))
	le.PutUint64(ph[32:], uint64(len(interp)))
	le.PutUint64(ph[40:], uint64(len(interp)))
	return append(b, interp...)
}

// TestInspectQuotesControlCharacters: escape sequences in an ELF interpreter and in
// file names found while walking reach the terminal quoted, and the interpreter
// ends at its first NUL (issue 9, item 9).
func TestInspectQuotesControlCharacters(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("control characters are not allowed in Windows file names")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "evil\x1b]0;owned\x07\x1b[2J")
	if err := os.WriteFile(name, elfWithInterp("/lib/ld\x1b[31m.so\x00\x1b[2Jjunk"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"inspect", dir}, {"inspect", "-v", dir}} {
		var out, errb bytes.Buffer
		Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		text := out.String() + errb.String()
		if strings.ContainsAny(text, "\x1b\x07") {
			t.Errorf("%v: raw control characters reach the terminal: %q", args, text)
		}
		if !strings.Contains(text, `evil\x1b]0;owned\x07\x1b[2J`) {
			t.Errorf("%v: file name not shown quoted: %q", args, text)
		}
		if args[1] == "-v" && (!strings.Contains(text, `/lib/ld\x1b[31m.so`) || strings.Contains(text, "junk")) {
			t.Errorf("%v: interpreter not quoted or not cut at its NUL: %q", args, text)
		}
	}
}

// TestInspectJSONMasksPasswords: a URL password in a file (here an ELF interpreter)
// is masked in inspect's JSON as in its text, and every JSON output of the commands
// goes through the masking encoder.
func TestInspectJSONMasksPasswords(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "prog")
	if err := os.WriteFile(name, elfWithInterp("https://alice:pw-canary-4711@host.test/ld.so"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"inspect", "--json", name}, {"inspect", "-v", name}} {
		var out, errb bytes.Buffer
		Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		text := out.String() + errb.String()
		if strings.Contains(text, "pw-canary-4711") || !strings.Contains(text, "alice:xxxxx@host.test") {
			t.Errorf("%v: the password is not masked: %s", args, text)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "quote.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("json.NewEncoder(")) {
			t.Errorf("%s: json.NewEncoder writes output without masking: use newJSONEncoder or writeJSON", f)
		}
	}
}
