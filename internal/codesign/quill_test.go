package codesign

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// quillPath returns the quill (github.com/anchore/quill) to compare with, from
// GONATIVE_QUILL or PATH, or skips: it cannot be installed with `go install
// ...@version` through the module proxy (the proxy answers 403 for its version
// list), only built from a module that requires it (docs/sign.md says how).
func quillPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GONATIVE_QUILL"); p != "" {
		return p
	}
	p, err := exec.LookPath("quill")
	if err != nil {
		t.Skip("quill not found (set GONATIVE_QUILL or put quill on PATH; docs/sign.md says how to build it)")
	}
	return p
}

// quillDescribe is the part of `quill describe -o json` compared here.
type quillDescribe []struct {
	SuperBlob struct {
		CodeDirectories []struct {
			Blob struct {
				Digest struct{ Algorithm, Value string }
			}
			PageDigests []struct{ Value string }
		}
	}
}

// TestQuillAgrees compares with quill, a signer and reader written by others: quill's
// ad hoc signature of the same binary verifies with the test verifier and has the
// same hash for every whole page after the header's; quill reads gonative's
// signature with the CDHash and page hashes gonative reports.
func TestQuillAgrees(t *testing.T) {
	quill := quillPath(t)
	in := darwinGo(t, "arm64")
	dir := t.TempDir()
	qp := filepath.Join(dir, "hello")
	if err := os.WriteFile(qp, in, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, quill, "sign", "-q", "--ad-hoc", qp).CombinedOutput(); err != nil {
		t.Fatalf("quill sign: %v\n%s", err, out)
	}
	qb, _ := os.ReadFile(qp)
	qs, err := verifyThin(qb)
	if err != nil {
		t.Fatalf("the test verifier on quill's signature: %v", err)
	}
	out, res, err := Sign(in, qp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ours := mustVerify(t, in, out, res)[0]
	// quill v0.5.1 places its signature after the linker's (its code limit is
	// larger) and writes an empty identifier; the pages both hash whole, after the
	// header's, are the same bytes and must have the same hashes.
	q, o := qs.cds[0], ours.cds[0]
	whole := int(min(q.codeLimit, o.codeLimit) / 4096)
	if whole < 2 {
		t.Fatalf("quill: limit %d; gonative: %d", q.codeLimit, o.codeLimit)
	}
	for i := 1; i < whole; i++ {
		if !bytes.Equal(q.pageHashes[i], o.pageHashes[i]) {
			t.Fatalf("page %d differs from quill's", i)
		}
	}
	t.Logf("quill: code limit %d, identifier %q; gonative: %d, %q; %d pages compared", q.codeLimit, q.ident, o.codeLimit, o.ident, whole-1)

	gp := filepath.Join(dir, "ours")
	os.WriteFile(gp, out, 0o755)
	js, err := exec.CommandContext(ctx, quill, "describe", "-q", "-o", "json", gp).Output()
	if err != nil {
		t.Fatalf("quill describe: %v", err)
	}
	var d quillDescribe
	if err := json.Unmarshal(js, &d); err != nil || len(d) != 1 || len(d[0].SuperBlob.CodeDirectories) != 1 {
		t.Fatalf("quill describe: %v\n%.300s", err, js)
	}
	cd := d[0].SuperBlob.CodeDirectories[0]
	if cd.Blob.Digest.Value[:40] != hex.EncodeToString(res.Slices[0].CDHash) {
		t.Errorf("quill's CDHash %s, gonative's %x", cd.Blob.Digest.Value, res.Slices[0].CDHash)
	}
	if len(cd.PageDigests) != len(o.pageHashes) {
		t.Fatalf("quill reads %d page hashes, gonative wrote %d", len(cd.PageDigests), len(o.pageHashes))
	}
	for i, pd := range cd.PageDigests {
		if pd.Value != hex.EncodeToString(o.pageHashes[i]) {
			t.Fatalf("quill reads page %d's hash as %s", i, pd.Value)
		}
	}
}

// TestQuillReadsCMS: quill parses gonative's CMS signature, lists the test identity's
// certificates and does not trust the chain (quill checks it with Go's x509 against
// Apple's roots; Go rejects the leaf's critical Developer ID marker first).
func TestQuillReadsCMS(t *testing.T) {
	quill := quillPath(t)
	ca := newTestCA(t)
	id, err := LoadPKCS12(ca.p12(t, "pw"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Sign(darwinGo(t, "arm64"), "hello", Options{CMS: id})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hello")
	os.WriteFile(p, out, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	text, err := exec.CommandContext(ctx, quill, "describe", "-q", p).CombinedOutput()
	if err != nil {
		t.Fatalf("quill describe: %v\n%s", err, text)
	}
	for _, want := range []string{"TeamID:   ABCDE12345", "OU:  ABCDE12345", "CN:  Developer ID Certification Authority (test)", "Valid: false (x509: "} {
		if !strings.Contains(string(text), want) {
			t.Errorf("quill describe does not say %q:\n%s", want, text)
		}
	}
}
