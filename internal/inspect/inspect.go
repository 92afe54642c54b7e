// Package inspect reads files and directory trees of executables for `gonative
// inspect`: it walks the paths in parallel, reads every file with internal/exe, hands
// the code of each slice to internal/isa (scanning it only when the scan can change
// an answer, or when asked), judges it with internal/verdict, and keeps the results
// in a persistent cache keyed by the file's identity.
//
// It returns data; internal/cli prints it.
package inspect

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/verdict"
)

// ScanMode says when the machine code of a slice is scanned.
type ScanMode int

// Scan modes.
const (
	// ScanAuto scans only where the scan can change the verdict: x86-64 code that is
	// not Go, judged for Rosetta 2 (a darwin/arm64 host, or a Linux host whose
	// binfmt_misc handler for x86-64 is Rosetta). Everything else is settled by the
	// build settings (GOAMD64, GOARM64) and the ELF ISA note.
	ScanAuto ScanMode = iota
	// ScanAlways scans every x86-64 and arm64 slice (inspect -v, --isa).
	ScanAlways
)

// Options say how to inspect.
type Options struct {
	// Deps asks for the Go module dependency list.
	Deps bool
	// Scan says when code is scanned.
	Scan ScanMode
	// MaxScanBytes bounds the code scanned per slice (0: isa.DefaultMaxBytes).
	MaxScanBytes int64
	// Host is the machine the files are judged against.
	Host host.Host
	// Wants, when set, are the platforms every file must have (--expect).
	Wants []verdict.Want
	// Cache keeps results between runs; nil disables it.
	Cache *Cache
	// Workers is the number of files read at once; 0 means 2×GOMAXPROCS.
	Workers int
	// Notary, when set, looks up each signed darwin slice's notarization ticket
	// (inspect --online); the launch verdicts use what it finds.
	Notary TicketLookup
	// Libraries, when set, marks the libraries this machine's package manager owns
	// (Result.Libraries). It is applied after the cache: the cache holds what the
	// file says, not what this machine has.
	Libraries *host.Libraries
}

// Result is one file's report: what exe read, what inspect adds to it (each slice's
// isa report, the verdict, the --expect gate), and how it was found. Its JSON form is
// Report.
type Result struct {
	*exe.File
	// ISA is isa's report on each slice (by index as File.Slices; nil, or shorter,
	// where a slice has none).
	ISA []*isa.Report
	// ISAProblems says, by slice, why its instruction-set analysis failed ("" where
	// it did not).
	ISAProblems []string
	// Libraries are, by slice, its libraries with Library.System settled by this
	// machine's package manager (Options.Libraries, host.Libraries.Marked); nil when
	// none was asked or the file is not ELF, and then the slice's own
	// (SliceLibraries).
	Libraries [][]exe.Library
	Verdict   *verdict.Verdict
	Unmet     []string // with Options.Wants: the platforms it lacks
	// Launch are, by slice, the launch verdicts of a darwin slice (one per way of
	// launching, verdict.Launches; nil for other slices).
	Launch [][]verdict.LaunchVerdict
	// Notarized are, by slice, whether Apple's notary service has a ticket for the
	// slice's CDHash: looked up only with Options.Notary (nil without).
	Notarized []exe.Fact[bool]
	// TeamsAgree is whether the signed darwin slices name one team
	// (verdict.TeamsAgree).
	TeamsAgree exe.Fact[bool]
	// Named is true for a path given by the caller (not found in a directory).
	Named bool
	// Err is set when the file could not be read at all (missing, unreadable, not a
	// regular file). Only named paths report it; others are skipped.
	Err error
	// Cached is true when the result came from the cache.
	Cached bool
}

// SliceISA returns isa's report on slice i, nil when there is none.
func (r *Result) SliceISA(i int) *isa.Report { return at(r.ISA, i) }

// SliceLibraries returns the libraries slice i needs, with this machine's marks when
// they were asked for.
func (r *Result) SliceLibraries(i int) []exe.Library {
	if i < len(r.Libraries) {
		return r.Libraries[i]
	}
	return r.Slices[i].Libraries
}

// Skip reports whether the result is a non-executable found while walking a
// directory: it is not reported.
func (r *Result) Skip() bool {
	return r.Err == nil && !r.Named && (r.File == nil || r.Format == exe.FormatUnknown)
}

// Walk inspects the paths, walking directories (regular files only, symbolic links
// are not followed inside them), with workers in parallel, and calls emit with the
// results in walk order. The work per file is bounded (Options.MaxScanBytes), so one
// pathological file holds back the output of later ones by a bounded time. An error
// from emit stops the walk and is returned.
func Walk(ctx context.Context, paths []string, opts Options, emit func(*Result) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Files go to the workers, and their results come back, a batch at a time (feed
	// makes the batches): a cached result takes microseconds, and a hand-off per file
	// woke a waiting goroutine per file.
	jobs := make(chan []job, 8)
	results := make(chan []done, 8)
	var walkErr error
	go func() {
		defer close(jobs)
		walkErr = feed(ctx, paths, opts, jobs)
	}()

	workers := opts.Workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range jobs {
				out := make([]done, len(batch))
				for k := range batch {
					j := &batch[k]
					out[k] = done{j.i, inspectFile(ctx, j, opts)}
				}
				select {
				case results <- out:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	if err := emitInOrder(results, emit, cancel); err != nil {
		return err
	}
	if walkErr != nil {
		return walkErr
	}
	return ctx.Err()
}

// job is one file to inspect: its place in the walk, its path, whether the caller
// named it, and what the feed found out before sending it (prepare): its stat (nil
// when it failed: read stats again and reports the error), its cache key and where
// the cache holds its entry, and what it costs.
type job struct {
	i     int
	path  string
	named bool
	st    fs.FileInfo
	key   cacheKey
	keyed bool     // key is the file's (Cache.key: it may be cached), and ref looked up
	ref   entryRef // where the cache holds its entry, when found
	found bool
	cost  int64 // the bytes it may take to read: 0 when the cache holds its result
}

// done is the result of job i.
type done struct {
	i int
	r *Result
}

// feed sends the files to inspect: the named paths, and the regular files under the
// named directories (symbolic links are not followed inside them), each job with its
// place in the walk order. It stops when ctx is done.
//
// Files are taken a group at a time (firstStatBatch, then statBatch: memory stays
// bounded whatever the length of the list, and the workers start at once), stat'ed
// and looked up in the cache in parallel (prepare), then sent largest first, in
// batches (batchJobs): the workers start on the files that take longest, and the run
// does not end with one of them alone on a core while the others have nothing left
// (a large library near the end of a list held one core for its whole scan). A batch
// holds files until they may take batchBytes to read; a file the cache holds counts
// as none, so a cached run hands files over a few dozen at a time. The results still
// come out in walk order (emitInOrder).
func feed(ctx context.Context, paths []string, opts Options, jobs chan<- []job) error {
	f := feeder{ctx: ctx, opts: opts, jobs: jobs, limit: firstStatBatch}
	for base := 0; base < len(paths); {
		batch := paths[base:min(base+f.limit, len(paths))]
		base += len(batch)
		sts := statAll(batch)
		for k, p := range batch {
			if st := sts[k]; st != nil && st.IsDir() {
				if err := f.walk(p); err != nil {
					return err
				}
				continue
			}
			f.add(job{path: p, named: true, st: sts[k]})
		}
		if !f.send() {
			return nil
		}
	}
	f.send()
	return nil
}

// feeder is feed's state: the jobs not sent yet, and the next place in the walk.
type feeder struct {
	ctx     context.Context
	opts    Options
	jobs    chan<- []job
	pending []job
	next    int
	limit   int // pending jobs that make a group: firstStatBatch, then statBatch
}

// add adds j, at the next place in the walk, to the pending jobs.
func (f *feeder) add(j job) {
	if f.pending == nil {
		f.pending = make([]job, 0, f.limit)
	}
	j.i = f.next
	f.next++
	f.pending = append(f.pending, j)
}

// walk adds the regular files under dir to the pending jobs, sending them a group
// at a time.
func (f *feeder) walk(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // unreadable subdirectory: skip it, as find(1) would warn
		}
		if !d.Type().IsRegular() {
			return nil // directories, symlinks, devices, FIFOs, sockets
		}
		f.add(job{path: path})
		if len(f.pending) >= f.limit && !f.send() {
			return f.ctx.Err()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("inspect %s: %w", dir, err)
	}
	return nil
}

// send prepares the pending jobs and sends them largest first, in batches; false
// when ctx is done.
func (f *feeder) send() bool {
	f.limit = statBatch
	if len(f.pending) == 0 {
		return true
	}
	js := f.pending
	prepare(js, f.opts)
	slices.SortStableFunc(js, func(a, b job) int { return cmp.Compare(b.cost, a.cost) })
	for len(js) > 0 {
		n, cost := 0, int64(0)
		for n < len(js) && n < batchJobs && (n == 0 || cost+js[n].cost <= batchBytes) {
			cost += js[n].cost
			n++
		}
		select {
		case f.jobs <- js[:n:n]:
		case <-f.ctx.Done():
			return false
		}
		js = js[n:]
	}
	f.pending = nil // the batches sent keep the array
	return true
}

// How files are grouped: at most batchJobs in a batch, and no more than batchBytes
// of files the cache does not hold (a larger file goes alone).
const (
	batchJobs  = 32
	batchBytes = 1 << 20
)

// How many paths are stat'ed ahead of the workers: statBatch at a time, after a
// first group of firstStatBatch.
const (
	statBatch      = 512
	firstStatBatch = 32
)

// statAll stats the named paths, a few at a time (a list of a thousand files on
// stdin is common, and a stat of a long path costs microseconds); nil where the stat
// failed: read stats again and reports the error.
func statAll(paths []string) []fs.FileInfo {
	sts := make([]fs.FileInfo, len(paths))
	parallel(len(paths), func(i int) {
		if st, err := statFile(paths[i]); err == nil {
			sts[i] = st
		}
	})
	return sts
}

// prepare stats the jobs found by walking a directory, and finds every job's cache
// key and cost, a few at a time.
func prepare(js []job, opts Options) {
	parallel(len(js), func(i int) {
		j := &js[i]
		if !j.named {
			j.st, _ = statFile(j.path)
		}
		if j.st == nil {
			return // read stats again and reports the error
		}
		j.cost = max(j.st.Size(), 1)
		if opts.Cache != nil && j.st.Mode().IsRegular() {
			if j.key, j.keyed = opts.Cache.key(j.st, opts); j.keyed {
				if j.ref, j.found = opts.Cache.lookup(j.key); j.found {
					j.cost = 0
				}
			}
		}
	})
}

// parallel calls f(0) .. f(n-1), on a few goroutines when n is large enough to be
// worth them.
func parallel(n int, f func(int)) {
	workers := min(n/64+1, 2*runtime.GOMAXPROCS(0))
	if workers == 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// emitInOrder calls emit with the results in walk order, holding early results until
// their predecessors arrive. An error from emit cancels the walk and is returned;
// the results still coming are drained.
func emitInOrder(results <-chan []done, emit func(*Result) error, cancel func()) error {
	pending := map[int]*Result{}
	next := 0
	var emitErr error
	for batch := range results {
		for _, res := range batch {
			pending[res.i] = res.r
		}
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if emitErr == nil {
				if emitErr = emit(r); emitErr != nil {
					cancel()
				}
			}
		}
	}
	return emitErr
}

// File inspects one file; named says the caller gave its path (an error to open it is
// then reported in Result.Err). It never panics.
func File(ctx context.Context, path string, named bool, opts Options) *Result {
	return inspectFile(ctx, &job{path: path, named: named}, opts)
}

// inspectFile inspects j's file.
func inspectFile(ctx context.Context, j *job, opts Options) (r *Result) {
	path, named := j.path, j.named
	r = &Result{Named: named}
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("%w: %v", exe.ErrInternal, p)
			r.File = &exe.File{Path: path, Format: exe.FormatUnknown, Error: err.Error(), Err: err}
		}
	}()
	err := read(ctx, j, opts, r)
	if err != nil {
		r.File = &exe.File{Path: path, Format: exe.FormatUnknown}
		if named {
			r.Err = err
		}
		return r
	}
	f := r.File
	if f.Format == exe.FormatUnknown && !named {
		return r
	}
	r.Libraries = opts.Libraries.Marked(f)
	v := verdict.Judge(f, r.ISA, opts.Host)
	r.Verdict = &v
	if opts.Wants != nil {
		r.Unmet = verdict.Unmet(f, opts.Wants)
	}
	r.Launch, r.Notarized = launchVerdicts(ctx, f, opts.Notary)
	r.TeamsAgree = verdict.TeamsAgree(f)
	return r
}

// read fills r with the file's report (File, ISA, ISAProblems), from the cache when
// it holds one for this very file (same device, inode, size, modification and change
// times) and these options. j.st, when not nil, is the file's stat, just taken, and
// j.key its key when j.keyed.
func read(ctx context.Context, j *job, opts Options, r *Result) error {
	path, st := j.path, j.st
	// Stat before opening: a cached result needs no open.
	if st == nil {
		var err error
		if st, err = os.Stat(path); err != nil {
			return err
		}
	}
	if !st.Mode().IsRegular() {
		return &fs.PathError{Op: "inspect", Path: path, Err: exe.NotRegularError(st.Mode())}
	}
	// The feed looked the file up already (job.keyed); File's callers did not.
	key, cacheable, ref, found := j.key, j.keyed, j.ref, j.found
	if opts.Cache != nil && !cacheable {
		if key, cacheable = opts.Cache.key(st, opts); cacheable {
			ref, found = opts.Cache.lookup(key)
		}
	}
	if found {
		if e, ok := opts.Cache.read(key, ref); ok {
			r.File, r.ISA, r.ISAProblems = e.result()
			r.File.Path = path
			r.Cached = true
			return nil
		}
	}
	fd, st2, err := openRegular(path)
	if err != nil {
		return err
	}
	defer fd.Close()
	f := exe.Read(ctx, fd, st2.Size(), exe.Options{Deps: opts.Deps})
	f.Path = path
	r.File = f
	r.ISA, r.ISAProblems = Analyze(ctx, f, opts)
	// Files that are not executables are cached too (a small entry): a re-run over a
	// tree of sources opens none of them.
	if cacheable && ctx.Err() == nil {
		// Store only when the file did not change while it was read.
		if st3, err := fd.Stat(); err == nil && sameFile(st, st2) && sameFile(st2, st3) {
			opts.Cache.put(key, newEntry(f, r.ISA, r.ISAProblems))
		}
	}
	return nil
}

// openRegular opens path for reading, only if the open file is a regular file. The
// open never blocks: a named pipe or a device put at the path (after a stat, or
// where the cache expects a pack) is refused, not waited on.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fd, err := openFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		fd.Close()
		return nil, nil, &fs.PathError{Op: "inspect", Path: path, Err: exe.NotRegularError(st.Mode())}
	}
	return fd, st, nil
}

// openFile is os.OpenFile; a test counts the opens through it.
var openFile = os.OpenFile

// statFile is os.Stat for the named paths; a test counts the stats through it.
var statFile = os.Stat

// sameFile reports whether two stats describe the same unchanged file.
func sameFile(a, b fs.FileInfo) bool {
	ia, oka := identity(a)
	ib, okb := identity(b)
	return oka && okb && ia == ib
}

// Analyze returns, by slice index, each runnable x86-64, 386 and arm64 slice's
// instruction-set report under opts' scan policy (opts.Scan, opts.Host,
// opts.MaxScanBytes): the required level always, the code scanned only when it can
// change the verdict or when asked. problems says why a slice's analysis failed ("" if
// it did not). Both are nil when no slice has a report or a problem. f's slices must
// still be readable; f is not changed.
func Analyze(ctx context.Context, f *exe.File, opts Options) (reports []*isa.Report, problems []string) {
	fail := func(i int, err error) {
		if problems == nil {
			problems = make([]string, len(f.Slices))
		}
		problems[i] = err.Error()
	}
	for i := range f.Slices {
		s := &f.Slices[i]
		if s.Reader() == nil || !s.Kind.Runnable() || s.Error != "" {
			continue // a damaged slice is not scanned: it never runs anyway
		}
		switch s.Arch {
		case "amd64", "386", "arm64":
		default:
			continue
		}
		in := isa.Input{Go: s.Go != nil, MaxBytes: opts.MaxScanBytes}
		if s.Go != nil && (len(s.Go.Settings) > 0 || s.Go.Sources["settings"] == "buildinfo") {
			// Build info was read: a missing GOAMD64 is Go's default, v1. Without
			// build info the level is unknown, never assumed.
			in.GoSettings = s.Go.Settings
			if in.GoSettings == nil {
				in.GoSettings = map[string]string{}
			}
		}
		scan := opts.Scan == ScanAlways && s.Arch != "386"
		var code *exe.Code
		var err error
		switch {
		case scan && s.Go == nil:
			code, err = s.LazyCode(isa.Guard(s.Arch))
		case scan:
			code, err = s.LazyCode(nil) // Go's own variants are dispatched by internal/cpu
		default:
			code, err = s.CodeInfo()
		}
		if err != nil {
			fail(i, err)
			continue
		}
		in.Scan = scan
		rep, err := isa.Analyze(ctx, s.Reader(), code, in)
		if err == nil && !scan && opts.Scan == ScanAuto && scanChangesVerdict(s, rep, opts.Host) {
			if code, err = s.LazyCode(isa.Guard(s.Arch)); err == nil {
				in.Scan = true
				rep, err = isa.Analyze(ctx, s.Reader(), code, in)
			}
		}
		if err != nil {
			fail(i, err)
			continue
		}
		if reports == nil {
			reports = make([]*isa.Report, len(f.Slices))
		}
		reports[i] = rep
	}
	return reports, problems
}

// scanChangesVerdict reports whether scanning the code of slice s, whose unscanned
// report is r, can change how h runs it. Only the Rosetta 2 verdict of x86-64 code
// that is not Go rests on the code: whether it executes AVX (macOS 15 and later) or
// AVX-512 (never), for a slice of the host's OS. The required level comes from
// GOAMD64/GOARM64 and the ELF ISA note, never from a scan, so a host's CPU features
// need no scan.
func scanChangesVerdict(s *exe.Slice, r *isa.Report, h host.Host) bool {
	if r.Arch != "amd64" || r.Rosetta != nil || r.Go || !hostTranslatesX86(h) {
		return false
	}
	return s.OS == h.OS || (h.OS == "linux" && s.OS == "")
}

// hostTranslatesX86 reports whether h runs x86-64 code through Rosetta 2.
func hostTranslatesX86(h host.Host) bool {
	if h.OS == "darwin" && h.Arch == "arm64" {
		return true
	}
	if h.OS == "linux" && h.Arch != "amd64" {
		if b, ok := h.Handler("amd64"); ok && verdict.RosettaHandler(b) {
			return true
		}
	}
	return false
}
