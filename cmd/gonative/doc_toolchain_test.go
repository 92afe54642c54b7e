package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

// docSumDBName is the name of the checksum database tcproxy serves.
const docSumDBName = "sum.test"

// cmdToolchainProxy runs "tcproxy DIR": it serves the file:// proxy DIR that
// faketoolchain filled (the golang.org/toolchain module) over HTTP on loopback, with a
// checksum database of its zips reached through the proxy (/sumdb/sum.test/...), as a
// module mirror serves the real toolchains, and sets GOPROXY and GOSUMDB to them.
func cmdToolchainProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tcproxy DIR")
	}
	dir := ts.MkAbs(args[0])
	skey, vkey, err := note.GenerateKey(rand.Reader, docSumDBName)
	if err != nil {
		ts.Fatalf("tcproxy: %v", err)
	}
	at := filepath.Join(dir, "golang.org", "toolchain", "@v")
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		if path != "golang.org/toolchain" || strings.ContainsAny(vers, `/\`) {
			return nil, fmt.Errorf("no module %s@%s", path, vers)
		}
		h, err := dirhash.HashZip(filepath.Join(at, vers+".zip"), dirhash.Hash1)
		if err != nil {
			return nil, err
		}
		mod := filepath.Join(at, vers+".mod")
		hm, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(mod) })
		if err != nil {
			return nil, err
		}
		return fmt.Appendf(nil, "%s %s %s\n%s %s/go.mod %s\n", path, vers, h, path, vers, hm), nil
	}))
	files := http.FileServer(http.Dir(dir))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/sumdb/"+docSumDBName); ok {
			if rest == "/supported" {
				w.WriteHeader(http.StatusOK)
				return
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path = rest
			db.ServeHTTP(w, r2)
			return
		}
		if v, ok := strings.CutSuffix(r.URL.Path, ".info"); ok {
			v = filepath.Base(v)
			if _, err := os.Stat(filepath.Join(at, v+".zip")); err != nil || !strings.HasPrefix(r.URL.Path, "/golang.org/toolchain/@v/") {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintf(w, "{\"Version\":%q,\"Time\":\"2026-01-02T03:04:05Z\"}\n", v)
			return
		}
		files.ServeHTTP(w, r)
	}))
	ts.Defer(s.Close)
	ts.Setenv("GOPROXY", s.URL)
	ts.Setenv("GOSUMDB", vkey)
}
