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
	// machine's package manager (Options.Libraries); nil when none was asked, and
	// then the slice's own (SliceLibraries).
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

// markLibraries returns, by slice, f's libraries with l's marks (nil when l is nil):
// host.Libraries.Mark applied to a copy, so that f stays what the file says.
func markLibraries(l *host.Libraries, f *exe.File) [][]exe.Library {
	if l == nil {
		return nil
	}
	c := *f
	c.Slices = slices.Clone(f.Slices)
	for i := range c.Slices {
		c.Slices[i].Libraries = slices.Clone(c.Slices[i].Libraries)
	}
	l.Mark(&c)
	out := make([][]exe.Library, len(c.Slices))
	for i := range c.Slices {
		out[i] = c.Slices[i].Libraries
	}
	return out
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

	// Buffered: a cached result takes microseconds, and a hand-off per file through
	// unbuffered channels would keep the workers waiting for each other.
	jobs := make(chan job, 64)
	results := make(chan done, 64)
	var walkErr error
	go func() {
		defer close(jobs)
		walkErr = feed(ctx, paths, jobs)
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
			for j := range jobs {
				r := inspectFile(ctx, j.path, j.st, j.named, opts)
				select {
				case results <- done{j.i, r}:
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
// named it, and a named path's stat (nil when it failed).
type job struct {
	i     int
	path  string
	named bool
	st    fs.FileInfo
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
// Named files are stat'ed a batch at a time, and a batch of files (no directory among
// them) is sent largest first: the workers start on the files that take longest, and
// the run does not end with one of them alone on a core while the others have
// nothing left (a large library near the end of a list held one core for its whole
// scan). The results still come out in walk order (emitInOrder).
func feed(ctx context.Context, paths []string, jobs chan<- job) error {
	i := 0 // the walk-order index of the next path
	send := func(j job) bool {
		select {
		case jobs <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// Named paths are stat'ed a batch at a time: memory stays bounded whatever the
	// length of the list.
	for base := 0; base < len(paths); {
		// The first batch is small, so that the workers start at once.
		n := statBatch
		if base == 0 {
			n = firstStatBatch
		}
		batch := paths[base:min(base+n, len(paths))]
		sts := statAll(batch)
		if order := bySize(sts); order != nil {
			for _, k := range order {
				if !send(job{i + k, batch[k], true, sts[k]}) {
					return nil
				}
			}
			i += len(batch)
			base += len(batch)
			continue
		}
		for k, p := range batch {
			st := sts[k]
			if st == nil || !st.IsDir() {
				if !send(job{i, p, true, st}) {
					return nil
				}
				i++
				continue
			}
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					if path == p {
						return err
					}
					return nil // unreadable subdirectory: skip it, as find(1) would warn
				}
				if !d.Type().IsRegular() {
					return nil // directories, symlinks, devices, FIFOs, sockets
				}
				if !send(job{i, path, false, nil}) {
					return ctx.Err()
				}
				i++
				return nil
			})
			if err != nil {
				return fmt.Errorf("inspect %s: %w", p, err)
			}
		}
		base += len(batch)
	}
	return nil
}

// bySize returns the order in which to send a batch of named paths, given their
// stats: the largest first (the stable order of the walk among equal sizes; a failed
// stat counts as empty). nil when a path is a directory, whose files the walk finds
// in order.
func bySize(sts []fs.FileInfo) []int {
	order := make([]int, len(sts))
	for k, st := range sts {
		if st != nil && st.IsDir() {
			return nil
		}
		order[k] = k
	}
	size := func(k int) int64 {
		if sts[k] == nil {
			return 0
		}
		return sts[k].Size()
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size(b), size(a)) })
	return order
}

// emitInOrder calls emit with the results in walk order, holding early results until
// their predecessors arrive. An error from emit cancels the walk and is returned;
// the results still coming are drained.
func emitInOrder(results <-chan done, emit func(*Result) error, cancel func()) error {
	pending := map[int]*Result{}
	next := 0
	var emitErr error
	for res := range results {
		pending[res.i] = res.r
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

// How many named paths are stat'ed ahead of the walk: statBatch at a time, after a
// first batch of firstStatBatch.
const (
	statBatch      = 512
	firstStatBatch = 32
)

// statAll stats the paths, a few at a time (a list of a thousand files on stdin is
// common, and a stat of a long path costs microseconds); nil where the stat failed:
// read stats again and reports the error.
func statAll(paths []string) []fs.FileInfo {
	sts := make([]fs.FileInfo, len(paths))
	workers := min(len(paths)/64+1, 2*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(paths); i += workers {
				if st, err := statFile(paths[i]); err == nil {
					sts[i] = st
				}
			}
		}()
	}
	wg.Wait()
	return sts
}

// File inspects one file; named says the caller gave its path (an error to open it is
// then reported in Result.Err). It never panics.
func File(ctx context.Context, path string, named bool, opts Options) *Result {
	return inspectFile(ctx, path, nil, named, opts)
}

// inspectFile is File; st, when not nil, is the file's stat, just taken.
func inspectFile(ctx context.Context, path string, st fs.FileInfo, named bool, opts Options) (r *Result) {
	r = &Result{Named: named}
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("%w: %v", exe.ErrInternal, p)
			r.File = &exe.File{Path: path, Format: exe.FormatUnknown, Error: err.Error(), Err: err}
		}
	}()
	err := read(ctx, path, st, opts, r)
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
	r.Libraries = markLibraries(opts.Libraries, f)
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
// times) and these options. st, when not nil, is the file's stat, just taken.
func read(ctx context.Context, path string, st fs.FileInfo, opts Options, r *Result) error {
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
	var key cacheKey
	cacheable := false
	if opts.Cache != nil {
		if key, cacheable = opts.Cache.key(st, opts); cacheable {
			if e, ok := opts.Cache.get(key); ok {
				r.File, r.ISA, r.ISAProblems = e.result()
				r.File.Path = path
				r.Cached = true
				return nil
			}
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
