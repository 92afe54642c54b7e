package toolchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb"
)

// sumdbLookup returns the h1: hash the checksum database records for the toolchain
// module version mv, through a golang.org/x/mod/sumdb client whose state lives in the
// store's sumdb/ directory.
func (f *Fetcher) sumdbLookup(ctx context.Context, mv string) (string, error) {
	ops := &sumdbOps{ctx: ctx, f: f, dir: filepath.Join(f.Store.Root, "sumdb")}
	c := sumdb.NewClient(ops)
	lines, err := c.Lookup(ModulePath, mv)
	if ops.security != "" {
		return "", fmt.Errorf("checksum database %s: SECURITY ERROR: %s", f.SumDB.Name, ops.security)
	}
	if err != nil {
		// sumdb.Client.Lookup wraps the remote error with %v, which drops the chain:
		// the ops remember that the lookup itself was not found.
		if ops.lookupMissing() || errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("checksum database %s has no record of %s@%s: refusing to install", f.SumDB.Name, ModulePath, mv)
		}
		return "", fmt.Errorf("checksum database %s: %w", f.SumDB.Name, err)
	}
	prefix := ModulePath + " " + mv + " "
	for _, l := range lines {
		if h, ok := strings.CutPrefix(l, prefix); ok {
			return strings.TrimSpace(h), nil
		}
	}
	return "", fmt.Errorf("checksum database %s: no hash for %s@%s", f.SumDB.Name, ModulePath, mv)
}

// sumdbOps implements sumdb.ClientOps over HTTP (or file://) with its configuration
// and tile cache in dir.
type sumdbOps struct {
	ctx context.Context
	f   *Fetcher
	dir string

	once     sync.Once
	base     string
	baseErr  error
	mu       sync.Mutex
	security string
	missing  bool // a /lookup/ request answered not found
}

// lookupMissing reports whether the database answered a lookup with not found.
func (o *sumdbOps) lookupMissing() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.missing
}

// initBase finds how to reach the database, as cmd/go does (modfetch/sumdb.go,
// initBase): an explicit URL in GOSUMDB; else the first proxy in the list that
// answers 200 for <proxy>/sumdb/<name>/supported (a 404/410, or any error after '|',
// tries the next); else the database directly.
func (o *sumdbOps) initBase() {
	db := o.f.SumDB
	if db.URL != "" {
		o.base = strings.TrimSuffix(db.URL, "/")
		return
	}
	for _, p := range o.f.Proxies {
		if p.IsDirect() || p.IsOff() {
			break
		}
		u := p.URL + "/sumdb/" + db.Name
		_, err := o.f.get(o.ctx, u+"/supported")
		if err == nil {
			o.base = u
			return
		}
		if !p.Next(errors.Is(err, ErrNotFound)) {
			o.baseErr = fmt.Errorf("checksum database through %s: %w", p.URL, err)
			return
		}
	}
	o.base = db.DirectURL()
}

func (o *sumdbOps) ReadRemote(path string) ([]byte, error) {
	o.once.Do(o.initBase)
	if o.baseErr != nil {
		return nil, o.baseErr
	}
	b, err := o.f.get(o.ctx, o.base+path)
	if err != nil && strings.HasPrefix(path, "/lookup/") && errors.Is(err, ErrNotFound) {
		o.mu.Lock()
		o.missing = true
		o.mu.Unlock()
	}
	return b, err
}

func (o *sumdbOps) file(kind, name string) (string, error) {
	rel := filepath.FromSlash(name)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("sumdb: bad file name %q", name)
	}
	return filepath.Join(o.dir, kind, rel), nil
}

func (o *sumdbOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.f.SumDB.Key), nil
	}
	p, err := o.file("config", file)
	if err != nil {
		return nil, err
	}
	b, err := readInput(p, maxSumDBFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// maxSumDBFile bounds a file of the checksum database client's state: a signed tree
// head or a tile (at most 8 KiB of hashes and a few lines of note).
const maxSumDBFile = 1 << 20

// WriteConfig replaces the configuration file (the latest signed tree head) with new
// if it still holds old: a compare-and-swap across every gonative process sharing the
// store, under an exclusive lock on file.lock beside it, as cmd/go does for its own
// checksum database state (cmd/go/internal/modfetch/sumdb.go, WriteConfig, with
// lockedfile). The new content is renamed into place, so readers never see half of
// it.
func (o *sumdbOps) WriteConfig(file string, old, new []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, err := o.file("config", file)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(p + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := o.ReadConfig(file)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, old) {
		return sumdb.ErrWriteConflict
	}
	return writeFileAtomic(p, new)
}

func (o *sumdbOps) ReadCache(file string) ([]byte, error) {
	p, err := o.file("cache", file)
	if err != nil {
		return nil, err
	}
	return readInput(p, maxSumDBFile)
}

func (o *sumdbOps) WriteCache(file string, data []byte) {
	if p, err := o.file("cache", file); err == nil {
		writeFileAtomic(p, data)
	}
}

func (o *sumdbOps) Log(string) {}

func (o *sumdbOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.security = msg
}
