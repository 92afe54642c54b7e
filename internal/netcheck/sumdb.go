package netcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/finding"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// sumdbPath checks the checksum database as cmd/go reaches it
// (cmd/go/internal/modfetch/sumdb.go): the base URL (GOSUMDB's URL, else the first
// proxy answering 200 for /sumdb/NAME/supported, else direct), the signed tree head
// (/latest) verified with GOSUMDB's key, its consistency with the head cmd/go cached
// in $GOPATH/pkg/sumdb/NAME/latest, and a /lookup of the module, compared with the
// go.mod the proxy served and the main module's go.sum. resolved delivers the
// proxy path's result (the version to look up).
func (r *run) sumdbPath(ctx context.Context, mod string, resolved <-chan proxyResult) {
	db := r.cfg.SumDB
	if r.cfg.SumDBUnknown || r.cfg.SumDBErr != nil || db.Off || module.MatchPrefixPatterns(r.cfg.NoSumDB, mod) {
		<-resolved
		return // the settings findings say why (unknown, broken, off or excluded)
	}
	add := func(f Finding) { f.Area = AreaSumDB; r.add(f) }
	v, err := note.NewVerifier(db.Key)
	if err != nil {
		<-resolved
		add(Finding{ID: "sumdb.key", Severity: Error, Title: "GOSUMDB key does not parse: " + err.Error()})
		return
	}

	base, trail, err := r.sumdbBase(ctx)
	if err != nil {
		<-resolved
		fix := tlsOrNetFix(err)
		if fix == nil {
			fix = &Fix{Text: "A proxy that answers /sumdb/" + db.Name + "/supported with an error other than 404/410 makes the database unavailable (after ','); fix the proxy, or use '|'."}
		}
		add(Finding{ID: "sumdb.unreachable", Severity: Error,
			Title:    "checksum database " + db.Name + " unavailable: " + err.Error(),
			Evidence: trail, Fix: fix})
		return
	}
	trail = append(trail, "checksum database reached at "+redactURL(base))

	// The signed tree head.
	latest, err := r.get(ctx, "sumdb latest", base, "GET", base+"/latest")
	var head tlog.Tree
	headOK := false
	if err != nil {
		add(Finding{ID: "sumdb.latest", Severity: Error, Title: "checksum database " + db.Name + ": GET /latest failed: " + err.Error(), Evidence: trail,
			Fix: tlsOrNetFix(err)})
	} else if n, err := note.Open(latest, note.VerifierList(v)); err != nil {
		f := Finding{ID: "sumdb.signature", Severity: Error, Evidence: trail,
			Fix: &Fix{Text: "Whoever answers at " + redactURL(base) + " is not the database GOSUMDB names (a misconfigured mirror, or an attack). Point GOSUMDB at the database whose key you have, or GOPROXY at a proxy that passes the real one through; never set GOSUMDB=off to make this go away."}}
		var une *note.UnverifiedNoteError
		if errors.As(err, &une) {
			f.Title = "SECURITY ERROR: the checksum database's tree head is not signed by GOSUMDB's key " + db.Name
			for _, s := range une.Note.UnverifiedSigs {
				f.Evidence = append(f.Evidence, fmt.Sprintf("signature by %q (key hash %08x): not GOSUMDB's key", s.Name, s.Hash))
			}
			f.Evidence = append(f.Evidence, "GOSUMDB key: "+db.Key)
		} else {
			f.Title = "checksum database " + db.Name + ": the tree head does not verify: " + err.Error()
		}
		add(f)
	} else if t, err := tlog.ParseTree([]byte(n.Text)); err != nil {
		add(Finding{ID: "sumdb.latest", Severity: Error, Title: "checksum database " + db.Name + ": bad tree head: " + err.Error(), Evidence: trail})
	} else {
		head, headOK = t, true
		trail = append(trail, fmt.Sprintf("signed tree head: %s, hash %s, signature verified with %s", records(t.N), t.Hash, db.Name))
	}

	// The head cmd/go cached.
	cachedFile, cached, cacheErr := r.cachedHead(db.Name)
	if errors.Is(cacheErr, atomicfile.ErrNotRegular) {
		add(Finding{ID: "sumdb.cache", Severity: Error,
			Title:    cachedFile + " is not a regular file: go reads the cached tree head whole before every lookup, so it blocks there (a named pipe) or fails",
			Evidence: []string{cacheErr.Error()},
			Fix:      &Fix{Needs: finding.NeedsNetwork, Text: "Remove it; go writes a new one at its next lookup.", Commands: []string{"rm " + cachedFile}}})
	}
	var cachedTree tlog.Tree
	cachedOK := false
	if len(cached) > 0 {
		if n, err := note.Open(cached, note.VerifierList(v)); err != nil {
			add(Finding{ID: "sumdb.cache", Severity: Warning, Title: cachedFile + " does not verify with GOSUMDB's key: " + err.Error(),
				Evidence: []string{"go reports it as an error on its next lookup"},
				Fix:      &Fix{Needs: finding.NeedsNetwork, Text: "If GOSUMDB changed on purpose, remove the stale head.", Commands: []string{"rm " + cachedFile}}})
		} else if t, err := tlog.ParseTree([]byte(n.Text)); err == nil {
			cachedTree, cachedOK = t, true
			trail = append(trail, fmt.Sprintf("cached head %s: %s, hash %s", cachedFile, records(t.N), t.Hash))
		}
	} else if cachedFile != "" {
		trail = append(trail, "no cached head at "+cachedFile+" (go has not used this database here yet)")
	}
	if headOK && cachedOK && head.N == cachedTree.N && head.Hash != cachedTree.Hash {
		add(Finding{ID: "sumdb.security", Severity: Error,
			Title: "SECURITY ERROR: the checksum database " + db.Name + " serves a tree inconsistent with the one go cached: two different trees of the same size",
			Evidence: append(trail, fmt.Sprintf("server: %s, hash %s", records(head.N), head.Hash),
				fmt.Sprintf("cached: %s, hash %s", records(cachedTree.N), cachedTree.Hash)),
			Fix: securityFix(cachedFile)})
		<-resolved
		return
	}

	ops := &sumdbOps{r: r, ctx: ctx, base: base, key: db.Key, name: db.Name, cached: cached, mem: map[string][]byte{}}
	if headOK && cachedOK && head.N != cachedTree.N {
		if f, ok := r.consistency(ctx, ops, base, head, cachedTree, cachedFile, trail); !ok {
			add(f)
			<-resolved
			return
		} else if f.ID != "" {
			add(f)
		}
	}

	res := <-resolved
	if res.version == "" || !headOK {
		add(Finding{ID: "sumdb.lookup", Severity: Info, Title: "no lookup made (the module's version is unknown): consistency with the cached head is unknown", Evidence: trail})
		return
	}
	c := sumdb.NewClient(ops)
	lines, err := c.Lookup(mod, res.version)
	if ops.security != "" {
		add(Finding{ID: "sumdb.security", Severity: Error,
			Title:    "SECURITY ERROR: the checksum database " + db.Name + " is inconsistent with the tree head go cached (" + cachedFile + ")",
			Evidence: append(trail, strings.Split(strings.TrimSpace(ops.security), "\n")...),
			Fix:      securityFix(cachedFile)})
		return
	}
	target := mod + "@" + res.version
	if err != nil {
		add(Finding{ID: "sumdb.lookup", Severity: Error, Title: "checksum database lookup of " + target + " failed: " + err.Error(), Evidence: trail, Fix: tlsOrNetFix(err)})
		return
	}
	trail = append(trail, lines...)
	if cachedOK {
		trail = append(trail, fmt.Sprintf("consistent with the cached head (%s)", records(cachedTree.N)))
	}
	// The go.mod the proxy served against the database (modfetch/fetch.go, checkGoMod).
	if res.gomod != nil {
		h, err := goModSum(res.gomod)
		want := lineHash(lines, mod, res.version+"/go.mod")
		if err == nil && want != "" && h != want {
			add(Finding{ID: "sumdb.gomod-mismatch", Severity: Error,
				Title:    "SECURITY ERROR: the go.mod the proxy served for " + target + " does not match the checksum database",
				Evidence: append(trail, "proxy's go.mod: "+h, "checksum database: "+want),
				Fix:      &Fix{Text: "The proxy serves altered content: stop using it and tell its owner; do not turn GOSUMDB off."}})
			return
		}
	}
	// The zip the proxy served against the database (modfetch/fetch.go, checkMod).
	if want := lineHash(lines, mod, res.version); res.ziphash != "" && want != "" && res.ziphash != want {
		add(Finding{ID: "sumdb.zip-mismatch", Severity: Error,
			Title:    "SECURITY ERROR: the module zip the proxy served for " + target + " does not match the checksum database (go fails with \"verifying module: checksum mismatch\")",
			Evidence: append(trail, "proxy's zip: "+res.ziphash, "checksum database: "+want),
			Fix:      &Fix{Text: "The proxy serves altered content: stop using it and tell its owner; do not turn GOSUMDB off."}})
		return
	} else if res.ziphash != "" && want != "" {
		trail = append(trail, "the proxy's zip matches the checksum database: "+want)
	}
	// The main module's go.sum.
	if gosum := r.goSum(); gosum != nil {
		for _, suffix := range []string{"", "/go.mod"} {
			want := lineHash(lines, mod, res.version+suffix)
			have := lineHash(strings.Split(string(gosum), "\n"), mod, res.version+suffix)
			if want != "" && have != "" && want != have {
				add(Finding{ID: "sumdb.gosum-mismatch", Severity: Error,
					Title:    "SECURITY ERROR: go.sum records a different hash for " + mod + " " + res.version + suffix + " than the checksum database",
					Evidence: append(trail, "go.sum: "+have, "checksum database: "+want),
					Fix:      &Fix{Needs: finding.NeedsPerson, Text: "Find out who changed go.sum (git log -p go.sum); if the entry is wrong, delete it and let go add the database's.", Commands: []string{"git log -p -- go.sum"}}})
				return
			}
			if have != "" {
				trail = append(trail, "go.sum agrees: "+mod+" "+res.version+suffix+" "+have)
			}
		}
	}
	add(Finding{ID: "sumdb.ok", Severity: Info, Title: "checksum database " + db.Name + ": tree head verified, " + target + " found", Evidence: trail})
}

// sumdbBase finds how cmd/go reaches the database (modfetch/sumdb.go, initBase).
func (r *run) sumdbBase(ctx context.Context) (string, []string, error) {
	db := r.cfg.SumDB
	if db.URL != "" {
		return strings.TrimSuffix(db.URL, "/"), []string{"GOSUMDB names the URL " + redactURL(db.URL) + ": proxies are bypassed"}, nil
	}
	var trail []string
	for _, p := range r.cfg.Proxies {
		if p.IsDirect() || p.IsOff() {
			trail = append(trail, redactURL(p.URL)+": go connects to the database directly")
			break
		}
		u := joinURL(p.URL, "sumdb/"+db.Name)
		_, err := r.get(ctx, "sumdb supported", p.URL, "GET", u+"/supported")
		if err == nil {
			trail = append(trail, "GET "+redactURL(u)+"/supported: 200 OK: go uses this proxy for the database, and only it")
			return u, trail, nil
		}
		if errors.Is(err, errNotFound) || p.FallBackOnError {
			trail = append(trail, "GET "+redactURL(u)+"/supported: "+shortErr(err)+": go tries the next entry")
			continue
		}
		trail = append(trail, "GET "+redactURL(u)+"/supported: "+shortErr(err))
		return "", trail, fmt.Errorf("%s: %w", redactURL(p.URL), err)
	}
	return db.DirectURL(), trail, nil
}

// cachedHead reads $GOPATH/pkg/sumdb/NAME/latest (cfg.SumdbDir is the first GOPATH
// entry's pkg/sumdb).
func (r *run) cachedHead(name string) (string, []byte, error) {
	gopath := r.opts.Env.value("GOPATH")
	sep := ":"
	if r.opts.Env.GOOS == "windows" {
		sep = ";"
	}
	first, _, _ := strings.Cut(gopath, sep)
	if first == "" || r.opts.Env.Machine == nil {
		return "", nil, nil
	}
	file := joinOS(r.opts.Env.GOOS, first, "pkg", "sumdb", name, "latest")
	b, err := r.opts.Env.readFile(file)
	if err != nil {
		return file, nil, err
	}
	return file, b, nil
}

func joinOS(goos string, elem ...string) string {
	if goos == "windows" {
		return strings.Join(elem, `\`)
	}
	return path.Join(elem...)
}

// goSum is the main module's go.sum (beside GOMOD), nil when there is none.
func (r *run) goSum() []byte {
	gomod := r.opts.Env.value("GOMOD")
	if gomod == "" || gomod == "/dev/null" || gomod == "NUL" || r.opts.Env.Machine == nil {
		return nil
	}
	b, err := r.opts.Env.readFile(strings.TrimSuffix(gomod, ".mod") + ".sum")
	if err != nil {
		return nil
	}
	return b
}

// lineHash returns the hash of "mod ver h1:..." among go.sum-style lines.
func lineHash(lines []string, mod, ver string) string {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == mod && f[1] == ver {
			return f[2]
		}
	}
	return ""
}

func securityFix(cachedFile string) *Fix {
	return &Fix{Text: "The database (or whatever answers for it) has forked its log: this is what an attack looks like. Do not delete " + cachedFile +
		" to make it go away; report it to the database's operator (for the default database, golang.org/issue) and keep the evidence."}
}

func tlsOrNetFix(err error) *Fix {
	switch {
	case tlsFailure(err):
		return &Fix{Text: "TLS failed: see the TLS trust findings."}
	case viaForwardProxy(err):
		return &Fix{Text: "The forward proxy (HTTPS_PROXY) failed the connection: check its address and credentials."}
	}
	return nil
}

// sumdbOps is the sumdb.ClientOps of one lookup: remote reads go through the run's
// client (and are recorded), the key is GOSUMDB's, the latest head starts as the one
// cmd/go cached, and nothing is written: netcheck never changes go's state.
type sumdbOps struct {
	r      *run
	ctx    context.Context
	base   string
	key    string
	name   string
	cached []byte

	mu       sync.Mutex
	mem      map[string][]byte
	security string
}

func (o *sumdbOps) ReadRemote(p string) ([]byte, error) {
	step := "sumdb tile"
	if strings.HasPrefix(p, "/lookup/") {
		step = "sumdb lookup"
	}
	return o.r.get(o.ctx, step, o.base, "GET", o.base+p)
}

func (o *sumdbOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.key), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if b, ok := o.mem[file]; ok {
		return b, nil
	}
	if file == o.name+"/latest" {
		return bytes.Clone(o.cached), nil
	}
	return []byte{}, nil
}

func (o *sumdbOps) WriteConfig(file string, old, new []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	cur, ok := o.mem[file]
	if !ok && file == o.name+"/latest" {
		cur = o.cached
	}
	if len(cur) > 0 && !bytes.Equal(cur, old) {
		return sumdb.ErrWriteConflict
	}
	o.mem[file] = bytes.Clone(new)
	return nil
}

func (o *sumdbOps) ReadCache(file string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if b, ok := o.mem["cache/"+file]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func (o *sumdbOps) WriteCache(file string, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mem["cache/"+file] = bytes.Clone(data)
}

func (o *sumdbOps) Log(string) {}

func (o *sumdbOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.security = msg
}

// consistency proves that the smaller of the server's and the cached tree is a prefix
// of the larger, from tiles the server serves (what sumdb.Client does in checkTrees,
// done here so that an inconsistency is reported as the security error it is, not as
// "downloaded inconsistent tile"). ok is false when the check found a problem that ends
// the database checks; f may carry a lesser finding.
func (r *run) consistency(ctx context.Context, ops *sumdbOps, base string, server, cached tlog.Tree, cachedFile string, trail []string) (f Finding, ok bool) {
	ev := append(trail[:len(trail):len(trail)], fmt.Sprintf("server: %s, hash %s", records(server.N), server.Hash),
		fmt.Sprintf("cached: %s, hash %s", records(cached.N), cached.Hash))
	security := Finding{ID: "sumdb.security", Area: AreaSumDB, Severity: Error,
		Title:    "SECURITY ERROR: the checksum database " + r.cfg.SumDB.Name + " serves a tree inconsistent with the tree head go cached (" + cachedFile + ")",
		Evidence: ev, Fix: securityFix(cachedFile)}
	if cached.N > server.N {
		return Finding{ID: "sumdb.stale", Area: AreaSumDB, Severity: Warning,
			Title:    "the checksum database " + r.cfg.SumDB.Name + " serves an older tree than the one go cached: a stale mirror, or a rollback",
			Evidence: ev}, true
	}
	tr := &tileReader{ops: ops, r: r, ctx: ctx, base: base}
	h, err := tlog.TreeHash(cached.N, tlog.TileHashReader(server, tr))
	switch {
	case inconsistentTile(err):
		security.Evidence = append(security.Evidence, err.Error())
		return security, false
	case err != nil:
		return Finding{ID: "sumdb.tiles", Area: AreaSumDB, Severity: Error,
			Title: "checksum database " + r.cfg.SumDB.Name + ": reading tiles failed: " + err.Error(), Evidence: ev, Fix: tlsOrNetFix(err)}, false
	case h != cached.Hash:
		security.Evidence = append(security.Evidence, fmt.Sprintf("the server's tree has hash %s at size %d", h, cached.N))
		return security, false
	}
	return Finding{}, true
}

// tileReader reads the database's tiles (tlog.TileReader) through the run's client.
type tileReader struct {
	ops  *sumdbOps // receives the tiles read; may be nil
	r    *run
	ctx  context.Context
	base string
}

func (t *tileReader) Height() int { return 8 } // sumdb.Client's default tile height

func (t *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := t.r.get(t.ctx, "sumdb tile", t.base, "GET", t.base+"/"+tile.Path())
		if err != nil {
			return nil, &tileReadError{err}
		}
		out[i] = b
	}
	return out, nil
}

// SaveTiles keeps the verified tiles for the lookup's client (sumdb.Client reads
// them from its cache as NAME/tile/...: client.go, tileCacheKey), so no tile is
// fetched twice.
func (t *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	if t.ops == nil {
		return
	}
	for i, tile := range tiles {
		t.ops.WriteCache(t.ops.name+"/"+tile.Path(), data[i])
	}
}

func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}
