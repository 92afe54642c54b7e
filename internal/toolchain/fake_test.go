package toolchain

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/toolchain/toolchaintest"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

// fakeGoScript is the bin/go of a fake toolchain: a shell script printing what a real
// go prints for `go version`.
func fakeGoScript(v string, p Platform) string {
	return fmt.Sprintf("#!/bin/sh\necho \"go version go%s %s/%s\"\n", v, p.OS, p.Arch)
}

// fakeGoDir caches fake go executables across test processes (fuzz workers, and
// runs): they depend only on version and platform.
var fakeGoDir = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("gonative-fakego-%d", os.Getuid()))
	return dir, os.MkdirAll(dir, 0o755)
})

// fakeGo is the bin/go of a fake toolchain: a real executable for p whose build info
// says go v, printing what a real go prints for `go version`
// (internal/toolchain/toolchaintest). The installer reads it as it reads a real one.
func fakeGo(t testing.TB, v string, p Platform) string {
	t.Helper()
	dir, err := fakeGoDir()
	if err != nil {
		t.Fatal(err)
	}
	b, err := toolchaintest.GoExecutable(dir, v, p.OS, p.Arch)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakeModuleZip builds a golang.org/toolchain module zip (no directory entries, no
// modes, as the real ones).
func fakeModuleZip(t testing.TB, v string, p Platform) []byte {
	t.Helper()
	prefix := ModulePath + "@" + ModuleVersion(v, p) + "/"
	files := map[string]string{
		"bin/go":    fakeGo(t, v, p),
		"bin/gofmt": "#!/bin/sh\necho gofmt\n",
		"pkg/tool/" + p.OS + "_" + p.Arch + "/compile": "#!/bin/sh\n",
		"src/_go.mod":      "module std\n",
		"VERSION":          "go" + v + "\n",
		"src/fmt/print.go": strings.Repeat("package fmt\n", 2000),
	}
	return zipOf(t, prefix, files)
}

func zipOf(t testing.TB, prefix string, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeTarGz builds a download-site archive (entries under go/, with modes).
func fakeTarGz(t testing.TB, v string, p Platform, extra ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name string, mode int64, body string) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.WriteHeader(&tar.Header{Name: "go/", Mode: 0o755, Typeflag: tar.TypeDir})
	add("go/bin/go", 0o755, fakeGo(t, v, p))
	add("go/bin/gofmt", 0o755, "#!/bin/sh\n")
	add("go/VERSION", 0o644, "go"+v+"\n")
	for _, h := range extra {
		tw.WriteHeader(h)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// fakeWorld is a module proxy, a checksum database and a download site on loopback.
type fakeWorld struct {
	t      testing.TB
	srv    *httptest.Server
	dbName string
	dbKey  string // verifier key

	mu       sync.Mutex
	zips     map[string][]byte // module version → zip served
	trusted  map[string][]byte // module version → zip the database knows
	archives map[string][]byte // download site file name → bytes
	index    []map[string]any
	zipGets  atomic.Int32
	ranges   []string
	delay    time.Duration
	sumdbOff bool // proxy does not pass the database through
}

func newFakeWorld(t testing.TB) *fakeWorld {
	w := &fakeWorld{t: t, dbName: "sum.fake.test", zips: map[string][]byte{}, trusted: map[string][]byte{}, archives: map[string][]byte{}}
	skey, vkey, err := note.GenerateKey(nil, w.dbName)
	if err != nil {
		t.Fatal(err)
	}
	w.dbKey = vkey
	ts := sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		w.mu.Lock()
		z, ok := w.trusted[vers]
		w.mu.Unlock()
		if path != ModulePath || !ok {
			// Not found, which the server answers 404, as the real one does.
			return nil, &os.PathError{Op: "lookup", Path: path + "@" + vers, Err: os.ErrNotExist}
		}
		h, err := hashZipBytes(z)
		if err != nil {
			return nil, err
		}
		return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod h1:fake=\n", path, vers, h, path, vers)), nil
	})
	dbsrv := sumdb.NewServer(ts)
	mux := http.NewServeMux()
	mux.HandleFunc("/proxy/golang.org/toolchain/@v/", func(rw http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/proxy/golang.org/toolchain/@v/")
		w.mu.Lock()
		defer w.mu.Unlock()
		if name == "list" {
			for mv := range w.zips {
				fmt.Fprintln(rw, mv)
			}
			return
		}
		mv, ok := strings.CutSuffix(name, ".zip")
		z, found := w.zips[mv]
		if !ok || !found {
			http.NotFound(rw, r)
			return
		}
		w.zipGets.Add(1)
		if rg := r.Header.Get("Range"); rg != "" {
			w.ranges = append(w.ranges, rg)
		}
		d := w.delay
		w.mu.Unlock()
		time.Sleep(d)
		http.ServeContent(rw, r, name, time.Time{}, bytes.NewReader(z))
		w.mu.Lock()
	})
	mux.HandleFunc("/proxy/sumdb/", func(rw http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/proxy/sumdb/"+w.dbName)
		if !ok || w.sumdbOff {
			http.NotFound(rw, r)
			return
		}
		if rest == "/supported" {
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = rest
		dbsrv.ServeHTTP(rw, r2)
	})
	mux.HandleFunc("/db/", func(rw http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/db")
		dbsrv.ServeHTTP(rw, r2)
	})
	mux.HandleFunc("/dl/", func(rw http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/dl/")
		w.mu.Lock()
		defer w.mu.Unlock()
		if name == "" && r.URL.Query().Get("mode") == "json" {
			json.NewEncoder(rw).Encode(w.index)
			return
		}
		b, ok := w.archives[name]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		http.ServeContent(rw, r, name, time.Time{}, bytes.NewReader(b))
	})
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

func hashZipBytes(z []byte) (string, error) {
	f, err := os.CreateTemp("", "fakezip")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	f.Write(z)
	f.Close()
	return dirhash.HashZip(f.Name(), dirhash.Hash1)
}

// addToolchain serves (and records in the database) a fake toolchain.
func (w *fakeWorld) addToolchain(v string, p Platform) []byte {
	z := fakeModuleZip(w.t, v, p)
	w.mu.Lock()
	defer w.mu.Unlock()
	mv := ModuleVersion(v, p)
	w.zips[mv], w.trusted[mv] = z, z
	return z
}

// addArchive publishes a .tar.gz on the download site with its SHA-256.
func (w *fakeWorld) addArchive(v string, p Platform, body []byte, sum string) {
	name := fmt.Sprintf("go%s.%s-%s.tar.gz", v, p.OS, p.Arch)
	if sum == "" {
		h := sha256.Sum256(body)
		sum = hex.EncodeToString(h[:])
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.archives[name] = body
	w.index = append(w.index, map[string]any{"version": "go" + v, "stable": true, "files": []map[string]any{{
		"filename": name, "os": p.OS, "arch": p.Arch, "version": "go" + v, "sha256": sum, "size": len(body), "kind": "archive",
	}}})
}

func (w *fakeWorld) fetcher(t testing.TB, st Store) *Fetcher {
	proxies, err := goenv.ParseGOPROXY(w.srv.URL + "/proxy")
	if err != nil {
		t.Fatal(err)
	}
	db, err := goenv.ParseGOSUMDB(w.dbKey)
	if err != nil {
		t.Fatal(err)
	}
	return &Fetcher{Proxies: proxies, SumDB: db, DLURL: w.srv.URL + "/dl/", Client: w.srv.Client(), Store: st}
}
