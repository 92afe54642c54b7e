package inspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/verdict"
)

// corpusDir is the real-world corpus of scripts/corpus.sh.
func corpusDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("GONATIVE_CORPUS")
	if d == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("no user cache directory: %v", err)
		}
		d = filepath.Join(cache, "gonative", "corpus", "files")
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("no real-world corpus at %s (run scripts/corpus.sh)", d)
	}
	return d
}

// treeFiles are the files the equivalence tests read: the real-world corpus, this
// toolchain's tools, a few system programs and libraries, and Go fixtures built
// with GOAMD64=v3 and with cgo.
func treeFiles(t *testing.T) []string {
	t.Helper()
	paths := []string{corpusDir(t)}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	paths = append(paths, filepath.Join(strings.TrimSpace(string(out)), "pkg", "tool"))
	for _, p := range []string{"/usr/bin/ls", "/usr/bin/bash", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"} {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	paths = append(paths,
		fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64", "GOAMD64=v3", "CGO_ENABLED=0"}, "-trimpath"),
		fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}, "-trimpath"))
	// Files changed in the last two seconds are not cached (their times may not show
	// a change yet): let the fixtures age.
	time.Sleep(2100 * time.Millisecond)
	return paths
}

// walk returns the JSON lines of the reported results.
func walk(t *testing.T, paths []string, opts Options) map[string]*Result {
	t.Helper()
	got := map[string]*Result{}
	err := Walk(context.Background(), paths, opts, func(r *Result) error {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Path, r.Err)
		}
		if !r.Skip() {
			got[r.Path] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var hosts = []string{"linux/amd64", "darwin/arm64", "darwin/arm64,macos=14.5", "linux/arm64,binfmt=amd64:/usr/libexec/rosetta",
	"linux/amd64,features=fpu+sse2", "linux/arm64,features=fp+asimd"}

// TestCacheIdentical proves a cached result is the fresh one: every field, for every
// file of the tree, in both scan modes and for several hosts.
func TestCacheIdentical(t *testing.T) {
	paths := treeFiles(t)
	for _, spec := range []string{"linux/amd64,features=fpu+sse2", "darwin/arm64,macos=14.5"} {
		h, err := host.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []ScanMode{ScanAuto, ScanAlways} {
			opts := Options{Host: h, Scan: mode}
			fresh := walk(t, paths, opts)
			dir := t.TempDir()
			for run := range 2 {
				c, err := OpenCache(dir, 0, "test")
				if err != nil {
					t.Fatal(err)
				}
				opts.Cache = c
				got := walk(t, paths, opts)
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				hits := 0
				for p, r := range fresh {
					g := got[p]
					if g == nil {
						t.Fatalf("%s, %v, run %d: %s not reported", spec, mode, run, p)
					}
					if g.Cached {
						hits++
					}
					if a, b := jsonOf(t, r), jsonOf(t, g); a != b {
						t.Errorf("%s, mode %v, run %d, %s:\nfresh  %s\ncached %s", spec, mode, run, p, a, b)
					}
				}
				if run == 0 && hits != 0 || run == 1 && hits != len(fresh) {
					t.Errorf("%s, mode %v, run %d: %d cache hits of %d files", spec, mode, run, hits, len(fresh))
				}
			}
		}
	}
}

// contract is what must not depend on whether the code was scanned: the verdict,
// every fact exe reads, and the required level.
func contract(t *testing.T, r *Result) string {
	t.Helper()
	rep := r.Report()
	for i := range rep.Slices {
		s := &rep.Slices[i]
		if s.ISA != nil {
			s.ISA = &isa.Report{Arch: s.ISA.Arch, RequiredLevel: s.ISA.RequiredLevel, RequiredSource: s.ISA.RequiredSource,
				ISANote: s.ISA.ISANote, Go: s.ISA.Go}
		}
		s.Notes = nil
	}
	return jsonOf(t, rep)
}

// TestScanSkippedVsForced proves the automatic mode scans wherever the scan can
// change an answer: verdicts and contract fields are the same as with every slice
// scanned, for hosts that judge CPU features and Rosetta.
func TestScanSkippedVsForced(t *testing.T) {
	paths := treeFiles(t)
	for _, spec := range hosts {
		h, err := host.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		auto := walk(t, paths, Options{Host: h})
		forced := walk(t, paths, Options{Host: h, Scan: ScanAlways})
		scanned := 0
		for p, a := range auto {
			f := forced[p]
			if f == nil {
				t.Fatalf("%s: %s missing with the scan forced", spec, p)
			}
			if x, y := contract(t, a), contract(t, f); x != y {
				t.Errorf("%s, %s:\nauto   %s\nforced %s", spec, p, x, y)
			}
			for i := range a.Slices {
				ar := a.SliceISA(i)
				if ar == nil {
					continue
				}
				if ar.Scanned {
					scanned++
				}
				// Where the automatic mode judged Rosetta without a scan, the scan agrees.
				if fr := f.SliceISA(i); ar.Rosetta != nil && (fr == nil || fr.Rosetta == nil || fr.Rosetta.Runs != ar.Rosetta.Runs) {
					t.Errorf("%s, %s: Rosetta %+v unscanned, %+v scanned", spec, p, ar.Rosetta, fr)
				}
			}
		}
		t.Logf("%s: %d files, %d slices scanned in the automatic mode", spec, len(auto), scanned)
		if _, rosetta := h.Handler("amd64"); h.OS == "linux" && !rosetta && scanned > 0 {
			t.Errorf("%s: the automatic mode scanned %d slices, which cannot change a verdict here", spec, scanned)
		}
	}
}

// TestSystemRunnable checks that every executable and library of this machine built
// for it is judged runnable here: a code scan alone never says "does not run" (code
// behind IFUNC, CPUID or HWCAP dispatch is used only when the CPU has it).
func TestSystemRunnable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /usr/bin and /usr/lib of a Linux machine")
	}
	h, err := host.Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	if len(h.CPUFeatures) == 0 {
		t.Fatal("this machine's CPU features are unknown: nothing would be judged against them")
	}
	check := func(paths []string, mode ScanMode, h host.Host, baseline bool) {
		n := 0
		err := Walk(context.Background(), paths, Options{Host: h, Scan: mode}, func(r *Result) error {
			if r.Skip() || r.Err != nil || len(r.Slices) != 1 {
				return nil
			}
			s := r.Slices[0]
			if s.Arch != h.Arch || (s.OS != "linux" && s.OS != "") || !s.Kind.Runnable() || s.Error != "" {
				return nil
			}
			if ir := r.SliceISA(0); baseline && ir != nil && ir.RequiredLevel != "" && ir.RequiredLevel != "x86-64-v1" && ir.RequiredLevel != "v8.0" {
				// A level the bytes prove required (GOAMD64, GOARM64, the ELF ISA
				// note; a Go program built for v2, say) rightly excludes a baseline
				// CPU: only levels taken from the code alone are in question here.
				return nil
			}
			n++
			if r.Verdict.Runs == verdict.No {
				t.Errorf("%s (scan mode %d): %s", r.Path, mode, r.Verdict.Reason)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 50 {
			t.Errorf("only %d executables for %s under %v", n, h, paths)
		}
		t.Logf("%v, scan mode %d: %d executables for %s judged", paths, mode, n, h)
	}
	check([]string{"/usr/bin"}, ScanAlways, h, false)
	// The same programs on a baseline CPU (x86-64-v1, ARMv8.0): glibc's and OpenSSL's
	// AVX2/AVX-512 (or LSE) variants sit behind ifunc and CPUID/HWCAP dispatch, so
	// nothing may be judged "does not run" from the code alone.
	base := h
	switch h.Arch {
	case "amd64":
		base.CPUFeatures = []string{"fpu", "sse", "sse2"}
	case "arm64":
		base.CPUFeatures = []string{"fp", "asimd"}
	}
	check([]string{"/usr/bin"}, ScanAlways, base, true)
	if testing.Short() {
		t.Log("-short: /usr/lib not walked")
		return
	}
	check([]string{"/usr/lib"}, ScanAuto, h, false)
}

// TestCacheChangedFile checks that a file changed in place, even to the same size
// within the same second, is read again.
func TestCacheChangedFile(t *testing.T) {
	src := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "CGO_ENABLED=0"}, "-trimpath")
	v3 := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3", "CGO_ENABLED=0"}, "-trimpath")
	b1, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	b3, err := os.ReadFile(v3)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(p, b1, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	time.Sleep(2100 * time.Millisecond) // older than the cache's recency cut-off
	h, _ := host.Parse("linux/amd64")
	dir := t.TempDir()
	level := func(wantCached bool) string {
		t.Helper()
		c, err := OpenCache(dir, 0, "test")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := File(context.Background(), p, true, Options{Host: h, Cache: c})
		if r.Cached != wantCached {
			t.Errorf("cached = %v, want %v", r.Cached, wantCached)
		}
		return r.SliceISA(0).RequiredLevel
	}
	if l := level(false); l != "x86-64-v1" {
		t.Fatalf("level %s", l)
	}
	if l := level(true); l != "x86-64-v1" {
		t.Fatalf("cached level %s", l)
	}
	// Rewrite in place with other content, and set the old modification time back:
	// the change time and the size still tell.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b3)
	f.Close()
	os.Chtimes(p, old, old)
	time.Sleep(2100 * time.Millisecond)
	if l := level(false); l != "x86-64-v3" {
		t.Errorf("after the change: level %s, want x86-64-v3 (a stale cache entry was used)", l)
	}
}

// TestCacheBound checks that the cache never grows past its bound and survives
// damaged packs.
func TestCacheBound(t *testing.T) {
	paths := []string{corpusDir(t)}
	dir := t.TempDir()
	const bound = 64 << 10
	for i := range 4 {
		c, err := OpenCache(dir, bound, "test")
		if err != nil {
			t.Fatal(err)
		}
		h, _ := host.Parse("linux/amd64")
		// Each run with other options: new entries every time.
		walk(t, paths, Options{Host: h, Cache: c, MaxScanBytes: int64(i + 1), Scan: ScanAlways})
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		n, err := c.Size()
		if err != nil {
			t.Fatal(err)
		}
		if n > bound {
			t.Errorf("run %d: cache holds %d bytes, bound %d", i, n, bound)
		}
	}
	// A damaged pack is a miss, not an error.
	packs, _ := filepath.Glob(filepath.Join(dir, "*.pack"))
	for _, p := range packs {
		b, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.Repeat([]byte{0xff}, len(b)), 0o644)
	}
	c, err := OpenCache(dir, bound, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.packs) != 0 {
		t.Errorf("%d damaged packs read", len(c.packs))
	}
}

// TestScanLimit checks the per-file bound: the scan stops and the report says where.
func TestScanLimit(t *testing.T) {
	p := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}, "-trimpath")
	h, _ := host.Parse("linux/amd64")
	const limit = 256 << 10
	r := File(context.Background(), p, true, Options{Host: h, Scan: ScanAlways, MaxScanBytes: limit})
	rep := r.SliceISA(0)
	if rep == nil || rep.ScanStoppedAt != limit || rep.ScannedBytes != limit || rep.CodeBytes <= limit {
		t.Fatalf("report %+v", rep)
	}
	found := false
	for _, n := range rep.Notes {
		found = found || strings.Contains(n, "scan stopped at 0.3 MB")
	}
	if !found {
		t.Errorf("notes %q do not say where the scan stopped", rep.Notes)
	}
}

// BenchmarkWalk inspects the real-world corpus without a cache, in the automatic
// mode (first run) and with every slice scanned; bytes/s is over the files' sizes.
func BenchmarkWalk(b *testing.B) {
	dir := corpusDir(b)
	var size int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	h, _ := host.Parse("linux/amd64")
	for _, bm := range []struct {
		name string
		mode ScanMode
	}{{"auto", ScanAuto}, {"isa", ScanAlways}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				Walk(context.Background(), []string{dir}, Options{Host: h, Scan: bm.mode}, func(*Result) error { return nil })
			}
		})
	}
}

// sparseELF writes an x86-64 ELF executable whose one executable segment covers
// size bytes of a sparse file: a pathological input that once took a minute of CPU.
func sparseELF(t *testing.T, size int64) string {
	t.Helper()
	le := binary.LittleEndian
	h := make([]byte, 64+56)
	copy(h, "\x7fELF\x02\x01\x01")
	le.PutUint16(h[16:], 2)  // ET_EXEC
	le.PutUint16(h[18:], 62) // EM_X86_64
	le.PutUint32(h[20:], 1)
	le.PutUint64(h[24:], 0x400000+120)
	le.PutUint64(h[32:], 64) // e_phoff
	le.PutUint16(h[52:], 64)
	le.PutUint16(h[54:], 56)
	le.PutUint16(h[56:], 1)
	p := h[64:]
	le.PutUint32(p, 1)     // PT_LOAD
	le.PutUint32(p[4:], 5) // R+X
	le.PutUint64(p[16:], 0x400000)
	le.PutUint64(p[24:], 0x400000)
	le.PutUint64(p[32:], uint64(size))
	le.PutUint64(p[40:], uint64(size))
	le.PutUint64(p[48:], 0x1000)
	path := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(h); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Skipf("no sparse file of %d bytes here: %v", size, err)
	}
	return path
}

// TestScanBoundedPerFile is issue 9's pathological file: a sparse 2 GiB ELF whose
// code covers it. The scan stops at the default bound and says so, and the file
// after it in the walk is still reported.
func TestScanBoundedPerFile(t *testing.T) {
	p := sparseELF(t, 2<<30)
	next := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}, "-trimpath")
	h, _ := host.Parse("linux/amd64")
	var got []*Result
	err := Walk(context.Background(), []string{p, next}, Options{Host: h, Scan: ScanAlways}, func(r *Result) error {
		got = append(got, r)
		return nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("Walk: %v, %d results", err, len(got))
	}
	rep := got[0].SliceISA(0)
	if rep == nil || rep.ScanStoppedAt != isa.DefaultMaxBytes || rep.CodeBytes != 2<<30 {
		t.Fatalf("sparse file: %+v", rep)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "scan stopped at 268.4 MB of 2147.5 MB of code") {
		t.Errorf("notes %q", rep.Notes)
	}
	if got[1].Path != next || got[1].SliceISA(0) == nil {
		t.Errorf("the next file: %+v", got[1])
	}
}

// TestCacheConcurrent runs two inspections of the same tree into one cache at once
// (as two gonative processes would): each writes its own pack, atomically, and a
// third run finds every result, identical to a fresh read.
func TestCacheConcurrent(t *testing.T) {
	paths := []string{corpusDir(t)}
	h, _ := host.Parse("linux/amd64")
	fresh := walk(t, paths, Options{Host: h})
	dir := t.TempDir()
	done := make(chan error, 2)
	for range 2 {
		go func() {
			c, err := OpenCache(dir, 0, "test")
			if err != nil {
				done <- err
				return
			}
			err = Walk(context.Background(), paths, Options{Host: h, Cache: c}, func(*Result) error { return nil })
			if cerr := c.Close(); err == nil {
				err = cerr
			}
			done <- err
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	c, err := OpenCache(dir, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := walk(t, paths, Options{Host: h, Cache: c})
	for p, r := range fresh {
		g := got[p]
		if g == nil || !g.Cached {
			t.Errorf("%s: not served from the cache", p)
			continue
		}
		if a, b := jsonOf(t, r), jsonOf(t, g); a != b {
			t.Errorf("%s:\nfresh  %s\ncached %s", p, a, b)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// FuzzLoadPack feeds arbitrary bytes to the cache as a pack: opening never fails or
// panics, every indexed entry lies inside the pack, and reading it is a hit only when
// its checksum and JSON are sound.
func FuzzLoadPack(f *testing.F) {
	// A real pack of two entries as the seed.
	dir := f.TempDir()
	c, err := OpenCache(dir, 0, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	c.put(cacheKey{1}, newEntry(&exe.File{Path: "a", Format: exe.FormatELF, Size: 1}, nil, nil))
	c.put(cacheKey{2}, newEntry(&exe.File{Path: "b", Format: exe.FormatPE, Size: 2}, nil, nil))
	c.Close()
	packs, _ := filepath.Glob(filepath.Join(dir, "*.pack"))
	if len(packs) != 1 {
		f.Fatalf("%d packs written", len(packs))
	}
	seed, _ := os.ReadFile(packs[0])
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "1.pack"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := OpenCache(dir, 0, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, p := range c.packs {
			for e := p.index; len(e) >= packIndexEntry; e = e[packIndexEntry:] {
				k := cacheKey(e[:32])
				if ref, ok := c.lookup(k); ok && (ref.off < 0 || ref.off+int64(ref.n) > int64(len(b))) {
					t.Fatalf("entry %x at %d+%d outside the pack (%d bytes)", k[:4], ref.off, ref.n, len(b))
				}
				if f, ok := c.get(k); ok && f == nil {
					t.Fatal("a hit without a file")
				}
			}
		}
	})
}

// TestWalkNamedOrder gives Walk more named paths than one stat batch holds, with
// directories and missing paths among them: every result comes in the order of the
// list (a directory's files in its place), and a missing path is an error.
func TestWalkNamedOrder(t *testing.T) {
	dir := t.TempDir()
	var paths, want []string
	for i := range 2*statBatch + 77 {
		p := filepath.Join(dir, fmt.Sprintf("f%04d", i))
		switch {
		case i%300 == 7:
			// missing
		case i%500 == 9:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"a", "b"} {
				if err := os.WriteFile(filepath.Join(p, n), []byte("\x7fELF"), 0o644); err != nil {
					t.Fatal(err)
				}
				want = append(want, filepath.Join(p, n))
			}
			paths = append(paths, p)
			continue
		default:
			if err := os.WriteFile(p, []byte("not an executable"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		paths = append(paths, p)
		want = append(want, p)
	}
	var got []string
	err := Walk(context.Background(), paths, Options{}, func(r *Result) error {
		_, statErr := os.Stat(r.Path)
		if (r.Err != nil) != (statErr != nil) || r.Named == strings.HasPrefix(filepath.Base(filepath.Dir(r.Path)), "f") {
			t.Errorf("%s: err %v, named %v", r.Path, r.Err, r.Named)
		}
		got = append(got, r.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d results, want %d, or out of order", len(got), len(want))
	}
}

// TestWalkStartsAtOnce: the first file of a long list goes to the workers once the
// first firstStatBatch named paths are stat'ed, not the first statBatch (512): the
// workers start at once instead of waiting for 512 stats (about 1 ms on the 2-core
// development box).
func TestWalkStartsAtOnce(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range statBatch + 10 {
		p := filepath.Join(dir, fmt.Sprintf("f%04d", i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// A stat beyond the first group waits until the first batch has been received,
	// and says so: the feed must send the first batch before it needs one.
	gate, early := make(chan struct{}), make(chan struct{}, 1)
	var stats atomic.Int64
	defer func(f func(string) (fs.FileInfo, error)) { statFile = f }(statFile)
	statFile = func(p string) (fs.FileInfo, error) {
		if stats.Add(1) > firstStatBatch {
			select {
			case <-gate:
			default:
				select {
				case early <- struct{}{}:
				default:
				}
				<-gate
			}
		}
		return os.Stat(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := make(chan []job)
	done := make(chan error, 1)
	go func() {
		err := feed(ctx, paths, Options{}, jobs)
		close(jobs)
		done <- err
	}()
	select {
	case b := <-jobs:
		close(gate)
		if len(b) == 0 || b[0].path != paths[0] {
			t.Errorf("first batch of %d jobs, want %s first", len(b), paths[0])
		}
		n := len(b)
		for b := range jobs {
			n += len(b)
		}
		if err := <-done; err != nil || n != len(paths) {
			t.Fatalf("feed: %v, %d jobs of %d", err, n, len(paths))
		}
	case <-early:
		close(gate)
		t.Errorf("the feed stat'ed more than the first %d paths before sending a batch (a group is %d)", firstStatBatch, statBatch)
		for range jobs {
		}
	}
}

// TestFeedLargestFirst: a group of files goes to the workers largest first, each
// job with its place in the walk (Walk emits in that order), so that the run does not
// end on one large file; files found in a directory are grouped with the named ones.
func TestFeedLargestFirst(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{10, 3000, 0, 70000, 3000, 5}
	var paths []string
	for i, n := range sizes {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	missing := filepath.Join(dir, "missing")
	sub := t.TempDir()
	big := filepath.Join(sub, "big")
	if err := os.WriteFile(big, make([]byte, 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	pick := func(ks ...int) (out []string) {
		for _, k := range ks {
			out = append(out, append(slices.Clone(paths), missing, big)[k])
		}
		return out
	}
	for _, tt := range []struct {
		name      string
		paths     []string
		walk, got []string // the files in walk order, and in the order sent
	}{
		{"files", paths, paths, pick(3, 1, 4, 0, 5, 2)},
		{"missing", append(slices.Clone(paths), missing), pick(0, 1, 2, 3, 4, 5, 6), pick(3, 1, 4, 0, 5, 2, 6)},
		// A directory among them: its file takes its place in the walk, and is sent
		// by its size among the named files.
		{"with a directory", append([]string{paths[0], sub}, paths[1:]...), pick(0, 7, 1, 2, 3, 4, 5), pick(7, 3, 1, 4, 0, 5, 2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			jobs := make(chan []job, 64)
			if err := feed(context.Background(), tt.paths, Options{}, jobs); err != nil {
				t.Fatal(err)
			}
			close(jobs)
			var sent []string
			walk := make([]string, len(tt.walk))
			for b := range jobs {
				for _, j := range b {
					sent = append(sent, j.path)
					if j.i < 0 || j.i >= len(walk) || walk[j.i] != "" {
						t.Fatalf("job %s has index %d: not a place in the walk of %d files", j.path, j.i, len(walk))
					}
					walk[j.i] = j.path
				}
			}
			if !slices.Equal(sent, tt.got) || !slices.Equal(walk, tt.walk) {
				t.Errorf("sent %q\nin walk order %q\nwant %q\nand %q", sent, walk, tt.got, tt.walk)
			}
		})
	}
}

// TestFeedBatches: files go to the workers in batches of at most batchJobs files
// and batchBytes of files to read, a larger file alone, and a file the cache holds
// counts as nothing to read: a cached run hands its files over batchJobs at a time.
func TestFeedBatches(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	add := func(n, size int) {
		for range n {
			p := filepath.Join(dir, fmt.Sprintf("f%03d", len(paths)))
			if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	add(2, batchBytes+1)                // alone, each
	add(3, batchBytes/3)                // together
	add(batchJobs+5, 10)                // batchJobs, then the rest
	time.Sleep(2100 * time.Millisecond) // older than the cache's recency cut-off
	sizes := func(opts Options) (got []int) {
		jobs := make(chan []job, 64)
		if err := feed(context.Background(), paths, opts, jobs); err != nil {
			t.Fatal(err)
		}
		close(jobs)
		for b := range jobs {
			got = append(got, len(b))
		}
		return got
	}
	// The first group is firstStatBatch files: the 2 large ones, the 3 medium ones
	// and 27 small ones; then the 10 small ones left.
	want := []int{1, 1, 3, batchJobs - 5, 10}
	if got := sizes(Options{}); !slices.Equal(got, want) {
		t.Errorf("no cache: batches of %v files, want %v", got, want)
	}
	// Cached, the size does not count: only batchJobs does.
	c, err := OpenCache(t.TempDir(), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := host.Parse("linux/amd64")
	opts := Options{Host: h, Cache: c}
	for _, p := range paths {
		File(context.Background(), p, true, opts)
	}
	c.Close()
	if c, err = OpenCache(c.dir, 0, "test"); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opts.Cache = c
	if got, want := sizes(opts), []int{firstStatBatch, len(paths) - firstStatBatch}; !slices.Equal(got, want) {
		t.Errorf("cached: batches of %v files, want %v", got, want)
	}
	// A cached walk looks each file up once: the feed's lookup serves the read.
	before := c.packs[0].finds
	n := 0
	if err := Walk(context.Background(), paths, opts, func(r *Result) error {
		if !r.Cached {
			t.Errorf("%s: not cached", r.Path)
		}
		n++
		return nil
	}); err != nil || n != len(paths) {
		t.Fatalf("walk: %v, %d results of %d", err, n, len(paths))
	}
	if finds := c.packs[0].finds - before; finds != len(paths) {
		t.Errorf("a cached walk of %d files made %d lookups, want one each", len(paths), finds)
	}
}
