package inspect

import (
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
)

// mixedTree writes a small tree like an unpacked package: files that are not
// executables (a README, package.json, JavaScript, a man page, a licence) and one Go
// executable, and lets it age past the cache's recency cut-off. It returns the
// files, the executable last.
func mixedTree(tb testing.TB) []string {
	tb.Helper()
	exePath := fixture.Go(tb, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}, "-trimpath")
	dir := tb.TempDir()
	var paths []string
	for i, name := range []string{"README.md", "package.json", "index.js", "index.d.ts", "tool.1", "LICENSE"} {
		p := filepath.Join(dir, name)
		body := strings.Repeat(fmt.Sprintf("line %d of %s: not an executable\n", i, name), 50+i)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	b, err := os.ReadFile(exePath)
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, "tool")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		tb.Fatal(err)
	}
	paths = append(paths, p)
	// Files changed in the last two seconds are not cached.
	time.Sleep(2100 * time.Millisecond)
	return paths
}

// countOpens counts the files inspect opens until the test ends.
func countOpens(tb testing.TB) *atomic.Int64 {
	var n atomic.Int64
	old := openFile
	openFile = func(name string, flag int, perm fs.FileMode) (*os.File, error) {
		n.Add(1)
		return old(name, flag, perm)
	}
	tb.Cleanup(func() { openFile = old })
	return &n
}

// TestCachedRunOpensNoFile proves that a run over a tree whose results are cached
// opens none of its files, executables or not (issue 33: a tree of unpacked
// packages is mostly files that are not executables), in both scan modes and
// whether the files are named or found in a directory; and that a changed file is
// opened again.
func TestCachedRunOpensNoFile(t *testing.T) {
	paths := mixedTree(t)
	h, _ := host.Parse("linux/amd64")
	opens := countOpens(t)
	for _, mode := range []ScanMode{ScanAuto, ScanAlways} {
		for _, named := range []bool{true, false} {
			args := paths
			if !named {
				args = []string{filepath.Dir(paths[0])}
			}
			dir := t.TempDir()
			for run := range 2 {
				c, err := OpenCache(dir, 0, "test")
				if err != nil {
					t.Fatal(err)
				}
				opens.Store(0)
				hits := 0
				err = Walk(context.Background(), args, Options{Host: h, Scan: mode, Cache: c}, func(r *Result) error {
					if r.Cached {
						hits++
					}
					return nil
				})
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
				want := int64(len(paths))
				if run == 1 {
					want = 0
				}
				if n := opens.Load(); n != want {
					t.Errorf("scan %v, named %v, run %d: %d files opened, want %d", mode, named, run, n, want)
				}
				if run == 1 && named && hits != len(paths) {
					t.Errorf("scan %v, run %d: %d cache hits of %d files", mode, run, hits, len(paths))
				}
			}
		}
	}
}

// TestCachedLookupAllocs bounds the allocations of a cached lookup of a file that
// is not an executable: the key allocates nothing, the entry is read into a pooled
// buffer and decoded with its strings sharing one copy (3 allocations in all). It
// fails when the key is formatted with fmt again (2 allocations a file) or each
// string of an entry allocated (8 in all before issue 33). A Go executable's lookup
// is bounded too: it fails when entries are decoded through reflection again (44
// allocations). Counting allocations does not depend on the machine's load, as a
// wall-clock budget would.
func TestCachedLookupAllocs(t *testing.T) {
	paths := mixedTree(t)
	h, _ := host.Parse("linux/amd64")
	c, err := OpenCache(t.TempDir(), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Host: h, Cache: c}
	for _, p := range paths {
		File(context.Background(), p, true, opts)
	}
	c.flushLocked()
	c.Close()
	if c, err = OpenCache(c.dir, 0, "test"); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opts.Cache = c
	st, err := os.Stat(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	k, ok := c.key(st, opts)
	if !ok {
		t.Fatal("not cacheable")
	}
	if n := testing.AllocsPerRun(100, func() { c.key(st, opts) }); n != 0 {
		t.Errorf("key: %v allocations, want 0", n)
	}
	if _, ok := c.get(k); !ok {
		t.Fatal("not cached")
	}
	for _, tc := range []struct {
		what string
		path string
		max  float64
	}{
		{"a file that is not an executable", paths[0], maxNegativeLookupAllocs},
		{"a Go executable", paths[len(paths)-1], maxExecutableLookupAllocs},
	} {
		st, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(100, func() {
			var r Result
			if err := read(context.Background(), &job{path: tc.path, named: true, st: st}, opts, &r); err != nil || !r.Cached {
				t.Fatalf("read: %v, cached %v", err, r.Cached)
			}
		})
		t.Logf("cached lookup of %s: %v allocations", tc.what, n)
		if n > tc.max {
			t.Errorf("cached lookup of %s: %v allocations, want <= %v", tc.what, n, tc.max)
		}
	}
}

// Bounds of TestCachedLookupAllocs. A Go executable's entry decodes to a report of
// a few structs, slices and maps (18 allocations); the reflection decoder took 44
// (a reflect.Value per map key and element, a map assignment through reflect).
const (
	maxNegativeLookupAllocs   = 4
	maxExecutableLookupAllocs = 24
)

// BenchmarkCachedLookup measures the per-file work of a cached run (stat, key,
// lookup, decode), for files that are not executables and for a Go executable.
func BenchmarkCachedLookup(b *testing.B) {
	paths := mixedTree(b)
	h, _ := host.Parse("linux/amd64")
	dir := b.TempDir()
	c, err := OpenCache(dir, 0, "bench")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Host: h, Cache: c}
	for _, p := range paths {
		File(context.Background(), p, true, opts)
	}
	c.Close()
	for _, bm := range []struct {
		name  string
		paths []string
	}{{"not-executable", paths[:len(paths)-1]}, {"executable", paths[len(paths)-1:]}} {
		b.Run(bm.name, func(b *testing.B) {
			c, err := OpenCache(dir, 0, "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			opts := Options{Host: h, Cache: c}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := bm.paths[i%len(bm.paths)]
				i++
				st, err := os.Stat(p)
				if err != nil {
					b.Fatal(err)
				}
				var r Result
				if err := read(context.Background(), &job{path: p, named: true, st: st}, opts, &r); err != nil || !r.Cached {
					b.Fatalf("%s: %v, cached %v", p, err, r.Cached)
				}
			}
		})
	}
}

// TestCacheReadsPackWhole checks the lookups that a pack read whole serves (after
// packWholeAfter lookups in it): every file is a hit with the entry it had, and an
// entry damaged on disk is still a miss there (its checksum is checked as for an
// entry read on its own).
func TestCacheReadsPackWhole(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 2 * packWholeAfter {
		p := filepath.Join(dir, fmt.Sprintf("file%03d.txt", i))
		if err := os.WriteFile(p, []byte(strings.Repeat(fmt.Sprintf("text %d\n", i), i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	time.Sleep(2100 * time.Millisecond) // past the cache's recency cut-off
	h, _ := host.Parse("linux/amd64")
	cdir := t.TempDir()
	run := func() (map[string]string, map[string]bool, *Cache) {
		t.Helper()
		c, err := OpenCache(cdir, 0, "test")
		if err != nil {
			t.Fatal(err)
		}
		got, cached := map[string]string{}, map[string]bool{}
		err = Walk(context.Background(), paths, Options{Host: h, Cache: c, Workers: 1}, func(r *Result) error {
			got[r.Path], cached[r.Path] = jsonOf(t, r.Report()), r.Cached
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, cached, c
	}
	fresh, _, c := run()
	c.Close()
	again, cached, c := run()
	if c.packs[0].data == nil {
		t.Errorf("the pack was not read whole after %d lookups", len(paths))
	}
	// Damage the entry of the last file, which the pack read whole serves.
	last := paths[len(paths)-1]
	st, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := c.key(st, Options{Host: h})
	ref, ok := c.lookup(k)
	if !ok {
		t.Fatalf("%s is not in the cache", last)
	}
	pack, off, n := ref.p.f.Name(), ref.off, ref.n
	c.Close()
	for _, p := range paths {
		if !cached[p] || again[p] != fresh[p] {
			t.Errorf("%s: cached %v\nfresh  %s\ncached %s", p, cached[p], fresh[p], again[p])
		}
	}
	b, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	b[off+int64(n)-1] ^= 0xff
	if err := os.WriteFile(pack, b, 0o600); err != nil {
		t.Fatal(err)
	}
	third, cached, c := run()
	defer c.Close()
	if c.packs[0].data == nil {
		t.Errorf("the pack was not read whole")
	}
	for _, p := range paths {
		if want := p != last; cached[p] != want || third[p] != fresh[p] {
			t.Errorf("%s after the damage: cached %v, want %v\nfresh %s\ngot   %s", p, cached[p], want, fresh[p], third[p])
		}
	}
}

// BenchmarkOpenCacheLookup measures a run that looks up one file in a cache of n
// entries: the open (reading the packs' indexes) and the lookup. It is what
// `gonative inspect one-file` pays for the cache, whatever its size.
func BenchmarkOpenCacheLookup(b *testing.B) {
	for _, n := range []int{1000, 30000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			c, err := OpenCache(dir, 0, "bench")
			if err != nil {
				b.Fatal(err)
			}
			e := newEntry(&exe.File{Format: exe.FormatELF, Slices: []exe.Slice{{OS: "linux", Arch: "amd64"}}}, nil, nil)
			for i := range n {
				var k cacheKey
				binary.LittleEndian.PutUint64(k[:], uint64(i)*0x9e3779b97f4a7c15)
				c.put(k, e)
			}
			c.Close()
			var k cacheKey
			binary.LittleEndian.PutUint64(k[:], uint64(n/2)*0x9e3779b97f4a7c15)
			for b.Loop() {
				c, err := OpenCache(dir, 0, "bench")
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := c.get(k); !ok {
					b.Fatal("not found")
				}
				c.Close()
			}
		})
	}
}
