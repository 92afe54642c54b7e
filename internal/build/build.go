package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"

	"github.com/gonative/gonative/internal/atomicfile"
)

// CgoMode says when cgo is on.
type CgoMode string

// Cgo modes.
const (
	CgoAuto CgoMode = "auto" // on for the targets whose packages need it
	CgoOff  CgoMode = "off"  // off everywhere, even where packages have cgo files
	CgoOn   CgoMode = "on"   // on everywhere
)

// Options describes a build.
type Options struct {
	Dir       string   // the directory go runs in (the module)
	Packages  []string // package patterns; default "."
	Targets   []Target
	OutDir    string // default "dist"
	Universal bool   // merge darwin/arm64 and darwin/amd64 into NAME_darwin_universal
	LDFlags   string
	Tags      string
	TrimPath  bool
	Jobs      int // go builds at once; default DefaultJobs()
	Cgo       CgoMode
	CC, SDK   map[string]string // overrides keyed by "os/arch" or "" (see Resolver)
	// Smoke runs every output this machine can run with SmokeArgs when set.
	Smoke     bool
	SmokeArgs []string

	Go string // the go command; default "go"
	// Machine is where programs are looked up and run, with its environment
	// (machine.RealWith for another one); default machine.Real().
	Machine machine.Machine
	// Host is the machine's hardware; default the process's platform.
	Host host.Host
	// Progress, when set, is called (from several goroutines, one call at a time) as
	// each target moves on.
	Progress func(Event)
	// Trace, when set, is called (one call at a time) as each step ends: every go
	// command, build, verification and write, with its start and duration.
	Trace func(Step)
	// CacheDir, when set, is where the answer of `go tool dist list` is kept per
	// toolchain (see CacheDir), so that a build with a known toolchain does not run
	// it; empty for no cache.
	CacheDir string
	// ReuseDir is where earlier outputs are looked for, recorded by its SHA256SUMS,
	// so that go build finds an output up to date and does not link it again (see
	// reuse.go); empty: OutDir. When it is not OutDir, the outputs are also stored
	// there after a build that wrote them.
	ReuseDir string

	gc []string // the garbage collector's settings of every go build (gcEnv), set by Build
}

// Stage is where a target is.
type Stage string

// Stages.
const (
	StageQueued   Stage = "queued"
	StageBuilding Stage = "building"
	StageVerify   Stage = "verifying"
	StageSmoke    Stage = "smoke"
	StageDone     Stage = "done"
	StageFailed   Stage = "failed"
	StageProblems Stage = "problems"
)

// Event reports progress on one output.
type Event struct {
	Output  string // file name
	Target  string
	Stage   Stage
	Elapsed time.Duration
	Err     error
}

// Output is one file a build wrote, with what verification found in it.
type Output struct {
	Target  string `json:"target"` // "linux/arm64", or "darwin/universal"
	Package string `json:"package"`
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`

	Cgo        bool        `json:"cgo"` // cgo was on for this build
	CToolchain *CToolchain `json:"c_toolchain,omitempty"`

	Format      string   `json:"format"`
	Arches      []string `json:"arches,omitempty"` // the slices' GOARCH
	OS          string   `json:"os,omitempty"`
	CgoLinked   bool     `json:"cgo_linked"`
	Static      bool     `json:"static"`
	Interpreter string   `json:"interpreter,omitempty"`
	GLIBC       string   `json:"glibc,omitempty"` // the newest GLIBC_x.y symbol version needed
	Signature   string   `json:"signature,omitempty"`
	GoVersion   string   `json:"go_version,omitempty"`

	Smoke *Smoke `json:"smoke,omitempty"`
	// Notes are facts worth knowing that are not problems.
	Notes    []string `json:"notes,omitempty"`
	Problems []string `json:"problems,omitempty"`
	Error    string   `json:"error,omitempty"` // the build failed
	Elapsed  float64  `json:"elapsed_seconds"`

	// built is where the output waits (in a temporary directory beside Path) until
	// every output is built; only then are they all moved to their Paths.
	built string
	// upToDate is set when go build kept the earlier output it was seeded with
	// (see reuse.go): nothing was linked.
	upToDate bool
}

// Result is what Build did.
type Result struct {
	Outputs []*Output `json:"outputs"`
	// Kept lists the earlier outputs that manifest.json owned and that are still in
	// the directory, re-hashed into the new SHA256SUMS.
	Kept     []*Output `json:"kept,omitempty"`
	Sums     string    `json:"sums,omitempty"`     // path of SHA256SUMS
	Manifest string    `json:"manifest,omitempty"` // path of manifest.json
	Elapsed  float64   `json:"elapsed_seconds"`
}

// Failed reports whether a build failed.
func (r *Result) Failed() bool {
	return slices.ContainsFunc(r.Outputs, func(o *Output) bool { return o.Error != "" })
}

// HasProblems reports whether verification or a smoke run found problems.
func (r *Result) HasProblems() bool {
	return slices.ContainsFunc(r.Outputs, func(o *Output) bool { return len(o.Problems) > 0 })
}

// PlanError is returned when the build cannot start: every problem found while
// planning, before anything was built.
type PlanError struct{ Problems []error }

// Unwrap returns the problems, so errors.Is can look for ErrNoToolchain.
func (e *PlanError) Unwrap() []error { return e.Problems }

func (e *PlanError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// job is one go build of one package for one target.
type job struct {
	pkg    mainPkg
	target Target
	cgo    bool
	want   cgoWant
	tc     *CToolchain
	env    []string
	out    *Output
	early  *earlyBuild // its go build, started before the plan (early.go), or nil
}

// Build plans, builds, verifies and (optionally) smoke-runs the packages for every
// target. It returns a *PlanError, without writing anything, when a target cannot be
// built as asked (no C toolchain, cgo needed but off). A failed build or verification is
// in the Result.
func Build(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	o = o.withDefaults()
	progress := func(e Event) {}
	if o.Progress != nil {
		var mu sync.Mutex
		progress = func(e Event) { mu.Lock(); defer mu.Unlock(); o.Progress(e) }
	}
	o.gc = gcEnv(o)
	tr := newTracer(o.Trace)
	made, err := mkdirAll(o.OutDir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(o.OutDir, ".gonative-build-")
	if err != nil {
		removeMade(o.OutDir, made)
		return nil, err
	}
	defer os.RemoveAll(tmp)
	reuse := o.ReuseDir
	if reuse == "" {
		reuse = o.OutDir
	}
	sums := readSums(reuse)
	sem := make(chan struct{}, o.Jobs)
	early := startEarly(ctx, o, tmp, sums, reuse, sem, tr)
	defer early.stop()

	mains, g, err := list(ctx, o, tr)
	var jobs []*job
	if err == nil {
		jobs, err = plan(ctx, o, mains, g, tr)
	}
	if err != nil {
		// Nothing is left behind: not the output directory, if this build made it.
		early.stop()
		os.RemoveAll(tmp)
		removeMade(o.OutDir, made)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx) // stopped, not refused
		}
		return nil, err
	}
	early.adopt(o, jobs, tmp)
	for _, j := range jobs {
		progress(Event{Output: filepath.Base(j.out.Path), Target: j.out.Target, Stage: StageQueued})
	}
	runJobs(ctx, o, jobs, tmp, sums, reuse, progress, tr, sem)
	// A cancelled build (Ctrl-C) has no result: its outputs failed because their go
	// build was stopped, not because of anything in the package.
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}

	res := &Result{}
	for _, j := range jobs {
		res.Outputs = append(res.Outputs, j.out)
	}
	if o.Universal {
		done := tr.begin(StepUniversal, "darwin/universal", "")
		res.Outputs = append(res.Outputs, universals(ctx, o, jobs, tmp, progress)...)
		done(nil)
	}
	if o.Smoke {
		for _, out := range res.Outputs {
			if out.Error != "" {
				continue
			}
			progress(Event{Output: filepath.Base(out.Path), Target: out.Target, Stage: StageSmoke})
			done := tr.begin(StepSmoke, out.Target, filepath.Base(out.Path))
			out.Smoke = smoke(ctx, o, out)
			done(nil)
			if out.Smoke.Ran && !out.Smoke.OK {
				out.Problems = append(out.Problems, "smoke run failed: "+out.Smoke.Detail)
			}
			finish(out, progress)
		}
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	res.Elapsed = time.Since(start).Seconds()
	if res.Failed() {
		// Nothing in the output directory changes: not the binaries, not
		// SHA256SUMS, not manifest.json.
		return res, nil
	}
	// Writers replace only regular files and never an input: check every output
	// before the first rename, so a refused one leaves the directory untouched.
	for _, out := range res.Outputs {
		if err := atomicfile.CheckTarget(out.Path, atomicfile.Options{}); err != nil {
			out.Error = err.Error()
		}
	}
	if res.Failed() {
		return res, nil
	}
	for _, out := range res.Outputs {
		if err := os.Rename(out.built, out.Path); err != nil {
			return res, err
		}
	}
	done := tr.begin(StepSums, "", "")
	err = writeSums(o.OutDir, res)
	done(err)
	if err == nil && o.ReuseDir != "" && o.ReuseDir != o.OutDir {
		storeReuse(o.ReuseDir, res)
	}
	return res, err
}

// list checks the targets (go tool dist list) and lists the packages' graph (go list).
// With o.CacheDir, go list runs first and the targets are checked against the list
// cached for the toolchain it names (go tool dist list runs only when there is none);
// without, both run at once. An unsupported target is the error when both fail: go
// list fails on it too.
func list(ctx context.Context, o Options, tr *tracer) ([]mainPkg, *graph, error) {
	if o.CacheDir != "" {
		done := tr.begin(StepList, o.Targets[0].String(), "")
		mains, g, err := loadGraph(ctx, o)
		done(err)
		goroot := ""
		if g != nil {
			goroot = g.goroot
		}
		if cerr := checkTargetsCached(ctx, o, tr, goroot); cerr != nil {
			return nil, nil, cerr
		}
		return mains, g, err
	}
	checked := make(chan error, 1)
	go func() {
		done := tr.begin(StepDistList, "", "")
		err := checkTargets(ctx, o)
		done(err)
		checked <- err
	}()
	done := tr.begin(StepList, o.Targets[0].String(), "")
	mains, g, err := loadGraph(ctx, o)
	done(err)
	if cerr := <-checked; cerr != nil {
		return nil, nil, cerr
	}
	return mains, g, err
}

// checkTargetsCached is checkTargets with the list cached in o.CacheDir for the
// toolchain in goroot; the list is asked (and stored) when there is none, or the
// toolchain cannot be identified.
func checkTargetsCached(ctx context.Context, o Options, tr *tracer, goroot string) error {
	c := distCache{dir: o.CacheDir}
	key, kerr := toolchainKey(o, goroot)
	if kerr == nil {
		if known, ok := c.get(key); ok {
			return targetsIn(o.Targets, known)
		}
	}
	done := tr.begin(StepDistList, "", "")
	out, err := distList(ctx, o)
	done(err)
	if err != nil {
		return &PlanError{Problems: []error{err}}
	}
	known, ok := parseDistList(out)
	if !ok {
		return &PlanError{Problems: []error{fmt.Errorf("go tool dist list: not a list of platforms: %q", firstLine(out))}}
	}
	if kerr == nil {
		c.put(key, out)
	}
	return targetsIn(o.Targets, known)
}

// runJobs runs the jobs, cap(sem) go builds at a time; each output is verified as
// soon as it is built, outside that limit, while the others build.
// Each is first seeded with the earlier output in reuse whose bytes sums records.
func runJobs(ctx context.Context, o Options, jobs []*job, tmp string, sums map[string]string, reuse string, progress func(Event), tr *tracer, sem chan struct{}) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { runJob(ctx, o, j, tmp, sums, reuse, progress, tr, sem) })
	}
	wg.Wait()
}

func (o Options) withDefaults() Options {
	if len(o.Packages) == 0 {
		o.Packages = []string{"."}
	}
	if len(o.Targets) == 0 {
		o.Targets = DefaultTargets
	}
	if o.OutDir == "" {
		o.OutDir = "dist"
	}
	if o.Dir != "" && !filepath.IsAbs(o.OutDir) {
		o.OutDir = filepath.Join(o.Dir, o.OutDir)
	}
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs()
	}
	if o.Cgo == "" {
		o.Cgo = CgoAuto
	}
	if o.Go == "" {
		o.Go = "go"
	}
	o.Machine, o.Host = OnMachine(o.Machine, o.Host)
	return o
}

// OnMachine returns m, or machine.Real() when nil, and h, or m's platform when h is
// unset: the defaults of every command that builds.
func OnMachine(m machine.Machine, h host.Host) (machine.Machine, host.Host) {
	if m == nil {
		m = machine.Real()
	}
	if h.OS == "" {
		p := m.Platform()
		h = host.Host{OS: p.GOOS, Arch: p.GOARCH}
	}
	return m, h
}

// DefaultJobs is how many go builds Build runs at once by default: the CPU count,
// and at least 4. Each go build already compiles in parallel (-p is GOMAXPROCS), but
// its link and the last packages of its graph run on one core, so on a small machine
// the builds of other targets fill the idle cores: on 2 cores, 4 targets finished as
// soon 4 at a time as 2 at a time, and 1.4x sooner than one at a time (the figures
// are in docs/build.md).
func DefaultJobs() int { return max(runtime.NumCPU(), 4) }

// mainPkg is a main package to build.
type mainPkg struct {
	ImportPath string
	Name       string   // program name
	Only       []Target // the targets that see it, when not every one does
}

// goCmd runs the go command with extra environment and returns its standard output.
func goCmd(ctx context.Context, o Options, env []string, args ...string) ([]byte, error) {
	cmd := o.Machine.Command(ctx, o.Go, args...)
	cmd.Dir = o.Dir
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.Bytes(), fmt.Errorf("go %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}

// cgoNeeds is what `go list -deps` says about one target.
type cgoNeeds struct {
	Packages  []string // non-standard packages with cgo files
	PkgConfig []string // pkg-config package names their #cgo directives ask for
}

// CgoPackages lists the non-standard packages of pkg's graph (for target t with cgo
// enabled) that have cgo files, with its tests' graph too when tests is set (go test
// -c builds it): the analysis Build plans with.
func CgoPackages(ctx context.Context, o Options, pkg string, t Target, tests bool) ([]string, error) {
	n, err := cgoGraph(ctx, o.withDefaults(), pkg, t, tests)
	return n.Packages, err
}

// needsCgo lists the packages of pkg's graph (for target t with cgo enabled) that
// have cgo files. The standard library is left out: net and os/user have pure-Go
// fallbacks; other packages are taken at their word.
func needsCgo(ctx context.Context, o Options, pkg string, t Target) (cgoNeeds, error) {
	return cgoGraph(ctx, o, pkg, t, false)
}

func cgoGraph(ctx context.Context, o Options, pkg string, t Target, tests bool) (cgoNeeds, error) {
	args := []string{"list", "-deps", "-json=ImportPath,Standard,CgoFiles,CgoPkgConfig"}
	if tests {
		args = append(args, "-test")
	}
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	out, err := goCmd(ctx, o, []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch, "CGO_ENABLED=1"}, append(args, pkg)...)
	if err != nil {
		return cgoNeeds{}, fmt.Errorf("%s: %w", t, err)
	}
	var n cgoNeeds
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath   string
			Standard     bool
			CgoFiles     []string
			CgoPkgConfig []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return n, fmt.Errorf("go list: %w", err)
		}
		if p.Standard || len(p.CgoFiles) == 0 {
			continue
		}
		// go list -test repeats a package as "p [p.test]".
		if ip, _, _ := strings.Cut(p.ImportPath, " "); !slices.Contains(n.Packages, ip) {
			n.Packages = append(n.Packages, ip)
		}
		for _, pc := range p.CgoPkgConfig {
			if !strings.HasPrefix(pc, "-") && !slices.Contains(n.PkgConfig, pc) {
				n.PkgConfig = append(n.PkgConfig, pc)
			}
		}
	}
	return n, nil
}

// plan decides, for every package and target, whether cgo is on and with which
// toolchain, and fails before anything is built when a target cannot be built.
func plan(ctx context.Context, o Options, mains []mainPkg, g *graph, tr *tracer) ([]*job, error) {
	needs, errs := cgoAnalysis(ctx, o, mains, g, tr)

	r := Resolver{HostOS: o.Host.OS, HostArch: o.Host.Arch, Machine: o.Machine, CC: o.CC, SDK: o.SDK}
	var problems []error
	var jobs []*job
	for _, m := range mains {
		for _, t := range o.Targets {
			if !m.on(t) {
				continue
			}
			k := planKey{m.ImportPath, t}
			if errs[k] != nil {
				problems = append(problems, errs[k])
				continue
			}
			n := needs[k]
			j := &job{pkg: m, target: t, out: &Output{
				Target: t.String(), Package: m.ImportPath, Path: filepath.Join(o.OutDir, OutputName(m.Name, t)),
			}}
			switch o.Cgo {
			case CgoOn:
				j.cgo = true
			case CgoAuto:
				j.cgo = len(n.Packages) > 0
			}
			if j.cgo {
				tc, err := r.Resolve(t)
				if err != nil {
					if len(n.Packages) > 0 {
						err = fmt.Errorf("%s needs cgo (%s has cgo files) and cannot get it: %w", t, strings.Join(n.Packages, ", "), err)
					}
					problems = append(problems, err)
					continue
				}
				j.tc = &tc
				j.out.CToolchain = &tc
				j.env = append(j.env, tc.Env...)
				if tc.CC != "" {
					j.env = append(j.env, "CC="+tc.CC)
				}
				if tc.CXX != "" {
					j.env = append(j.env, "CXX="+tc.CXX)
				}
				if len(n.PkgConfig) > 0 {
					done := tr.begin(StepPkgConfig, t.String(), "")
					flags, err := pkgConfigFlags(ctx, o, j.env, n.PkgConfig)
					done(err)
					if err != nil {
						problems = append(problems, fmt.Errorf("%s: %w", t, err))
						continue
					}
					j.env = append(j.env, "CGO_CPPFLAGS="+strings.TrimSpace(machine.Getenv(o.Machine, "CGO_CPPFLAGS")+" "+pkgConfigDefine(j.env, flags)))
				}
			}
			j.out.Cgo = j.cgo
			if !j.cgo && len(n.Packages) > 0 {
				j.out.Notes = append(j.out.Notes, fmt.Sprintf("cgo off as asked (--cgo=off) although %s has cgo files: what they provide comes from their non-cgo fallback, if any", strings.Join(n.Packages, ", ")))
			}
			switch {
			case !j.cgo:
				j.want = cgoNo
			case len(n.Packages) > 0:
				j.want = cgoYes
			default:
				j.want = cgoMaybe
			}
			j.env = append(j.env, targetEnv(t, j.cgo)...)
			jobs = append(jobs, j)
		}
	}
	if len(problems) > 0 {
		return nil, &PlanError{Problems: problems}
	}
	return jobs, nil
}

// targetEnv is the environment that makes go build for t, with cgo on or off.
func targetEnv(t Target, cgo bool) []string {
	cgoEnabled := "0"
	if cgo {
		cgoEnabled = "1"
	}
	return []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch, "CGO_ENABLED=" + cgoEnabled}
}

// planKey is one package on one target.
type planKey struct {
	pkg string
	t   Target
}

// cgoAnalysis finds what each package needs from cgo on each target: from the graph
// when it can answer (always with --cgo=off), else from a go list per target, at most
// max(Jobs, 2) at a time.
func cgoAnalysis(ctx context.Context, o Options, mains []mainPkg, g *graph, tr *tracer) (map[planKey]cgoNeeds, map[planKey]error) {
	needs := make(map[planKey]cgoNeeds)
	errs := make(map[planKey]error)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 2))
	for _, m := range mains {
		for _, t := range o.Targets {
			if !m.on(t) {
				continue
			}
			k := planKey{m.ImportPath, t}
			if n, ok := g.needs(m.ImportPath, t, o.Cgo != CgoOff); ok {
				needs[k] = n
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				done := tr.begin(StepListCgo, t.String(), "")
				n, err := needsCgo(ctx, o, m.ImportPath, t)
				done(err)
				mu.Lock()
				defer mu.Unlock()
				needs[k], errs[k] = n, err
			}()
		}
	}
	wg.Wait()
	return needs, errs
}

// envValue returns the last value of key in env.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// pkgConfigFlags runs the target's pkg-config for the names the cgo directives ask for.
func pkgConfigFlags(ctx context.Context, o Options, env []string, names []string) (string, error) {
	pc := envValue(append(o.Machine.Environ(), env...), "PKG_CONFIG")
	if pc == "" {
		pc = "pkg-config"
	}
	cmd := o.Machine.Command(ctx, pc, append([]string{"--cflags", "--libs", "--"}, names...)...)
	cmd.Dir = o.Dir
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s (for the #cgo pkg-config directives): %v\n%s\nsearch path: %s", pc, strings.Join(names, " "), err,
			strings.TrimSpace(stderr.String()), envValue(env, "PKG_CONFIG_LIBDIR"))
	}
	return stdout.String(), nil
}

// pkgConfigDefine is a harmless preprocessor definition that carries a hash of the
// target's pkg-config answer and settings. Go's build cache keys cgo compiles on
// CGO_CPPFLAGS but not on what pkg-config prints (golang/go#24544, #24355), so putting
// the hash there makes a changed .pc file recompile the packages that use it.
func pkgConfigDefine(env []string, flags string) string {
	h := sha256.New()
	for _, kv := range env {
		if strings.HasPrefix(kv, "PKG_CONFIG") {
			fmt.Fprintln(h, kv)
		}
	}
	io.WriteString(h, flags)
	return "-DGONATIVE_PKG_CONFIG_" + hex.EncodeToString(h.Sum(nil))[:16]
}

// runJob builds one output into tmp, verifies it and moves it into place. Its go
// build is the one started early for it (j.early), if any.
func runJob(ctx context.Context, o Options, j *job, tmp string, sums map[string]string, reuse string, progress func(Event), tr *tracer, sem chan struct{}) {
	start := time.Now()
	name := filepath.Base(j.out.Path)
	progress(Event{Output: name, Target: j.out.Target, Stage: StageBuilding})
	c := command(o, j, tmp)
	var r buildRun
	if e := j.early; e != nil {
		<-e.done
		r, start = e.run, e.start
	} else {
		r = goBuild(ctx, o, c, j.out.Target, sums[name], reuse, sem, tr)
	}
	defer func() { j.out.Elapsed = time.Since(start).Seconds() }()
	j.out.upToDate = r.err == nil && r.seed != nil && sameFile(r.seed, c.out)
	r.step.s.UpToDate = j.out.upToDate
	r.step.endAt(r.err, r.ended)
	if r.err != nil {
		j.out.Error = fmt.Sprintf("%s: %v", j.target, r.err)
		progress(Event{Output: name, Target: j.out.Target, Stage: StageFailed, Err: errors.New(j.out.Error), Elapsed: time.Since(start)})
		return
	}
	progress(Event{Output: name, Target: j.out.Target, Stage: StageVerify})
	done := tr.begin(StepVerify, j.out.Target, name)
	verify(ctx, c.out, j.target, j.want, j.out)
	done(nil)
	j.out.upToDate = j.out.upToDate && j.out.SHA256 == sums[name]
	j.out.built = c.out
	finishAt(j.out, progress, time.Since(start))
}

// buildCmd is one go build: its arguments, its environment beyond the machine's, and
// the file it writes.
type buildCmd struct {
	args, env []string
	out       string
}

// key is the whole command, to tell whether two are the same build.
func (c buildCmd) key() string {
	return strings.Join(c.args, "\x00") + "\x01" + strings.Join(c.env, "\x00")
}

// command is the go build of job j into tmp, with the garbage collector's settings
// (gc.go). Its work directory goes into tmp too: go dies of Ctrl-C's SIGINT without
// removing it (it catches the signal only for go run and go test), and tmp is removed
// whatever happens.
func command(o Options, j *job, tmp string) buildCmd {
	out := filepath.Join(tmp, OutputName(j.pkg.Name, j.target))
	args := []string{"build", "-o", out}
	if o.TrimPath {
		args = append(args, "-trimpath")
	}
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	if o.LDFlags != "" {
		args = append(args, "-ldflags", o.LDFlags)
	}
	args = append(args, j.pkg.ImportPath)
	env := append(slices.Clip(j.env), o.gc...)
	return buildCmd{args: args, env: append(env, "GOTMPDIR="+tmp), out: out}
}

// buildRun is what one go build did; its step is open until the output is known to be
// kept (see earlyBuilds), then ended at ended.
type buildRun struct {
	err   error
	seed  os.FileInfo // the earlier output c.out was seeded with (see reuse.go), or nil
	step  *pending
	ended time.Time
}

// goBuild runs c, one of sem's builds at a time, after seeding its output with the
// earlier one in reuse whose sha256 is want.
func goBuild(ctx context.Context, o Options, c buildCmd, target, want, reuse string, sem chan struct{}, tr *tracer) buildRun {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return buildRun{err: context.Cause(ctx), step: tr.open(StepBuild, target, filepath.Base(c.out)), ended: time.Now()}
	}
	defer func() { <-sem }() // the next go build starts while this output is verified
	r := buildRun{step: tr.open(StepBuild, target, filepath.Base(c.out))}
	if seedOutput(reuse, filepath.Base(c.out), want, c.out) {
		r.seed, _ = os.Stat(c.out)
	}
	_, r.err = goCmd(ctx, o, c.env, c.args...)
	r.ended = time.Now()
	return r
}

func finish(out *Output, progress func(Event)) { finishAt(out, progress, 0) }

func finishAt(out *Output, progress func(Event), d time.Duration) {
	e := Event{Output: filepath.Base(out.Path), Target: out.Target, Stage: StageDone, Elapsed: d}
	switch {
	case out.Error != "":
		e.Stage, e.Err = StageFailed, errors.New(out.Error)
	case len(out.Problems) > 0:
		e.Stage, e.Err = StageProblems, errors.New(strings.Join(out.Problems, "; "))
	}
	progress(e)
}

// universals merges the darwin/arm64 and darwin/amd64 outputs of each package.
func universals(ctx context.Context, o Options, jobs []*job, tmp string, progress func(Event)) []*Output {
	var outs []*Output
	byPkg := map[string][]*job{}
	var order []string
	for _, j := range jobs {
		if j.target.OS == "darwin" && (j.target.Arch == "arm64" || j.target.Arch == "amd64") {
			if _, ok := byPkg[j.pkg.ImportPath]; !ok {
				order = append(order, j.pkg.ImportPath)
			}
			byPkg[j.pkg.ImportPath] = append(byPkg[j.pkg.ImportPath], j)
		}
	}
	for _, p := range order {
		js := byPkg[p]
		start := time.Now()
		out := &Output{Target: "darwin/universal", Package: p, Path: filepath.Join(o.OutDir, UniversalName(js[0].pkg.Name)), Cgo: js[0].cgo}
		outs = append(outs, out)
		name := filepath.Base(out.Path)
		progress(Event{Output: name, Target: out.Target, Stage: StageBuilding})
		if len(js) != 2 {
			out.Error = "--universal needs both darwin/arm64 and darwin/amd64 among the targets"
			finish(out, progress)
			continue
		}
		var ins []string
		for _, j := range js {
			if j.out.Error != "" {
				out.Error = fmt.Sprintf("%s was not built", j.out.Target)
				break
			}
			ins = append(ins, j.out.built)
		}
		if out.Error != "" {
			finish(out, progress)
			continue
		}
		tmpOut := filepath.Join(tmp, name)
		u, err := CreateUniversal(tmpOut, ins, CreateOptions{})
		if err != nil {
			out.Error = err.Error()
			finish(out, progress)
			continue
		}
		for _, s := range u.Unsigned {
			out.Notes = append(out.Notes, fmt.Sprintf("the %s slice has no code signature beside the signed ones (Go's linker signs darwin/arm64 only); tools that check the whole file refuse it: gonative sign %s", s.Arch, goenv.ShellQuote(out.Path)))
		}
		progress(Event{Output: name, Target: out.Target, Stage: StageVerify})
		verifyUniversal(ctx, tmpOut, out, map[string]cgoWant{js[0].target.Arch: js[0].want, js[1].target.Arch: js[1].want})
		out.built = tmpOut
		out.Elapsed = time.Since(start).Seconds()
		finishAt(out, progress, time.Since(start))
	}
	return outs
}

// manifestEntry is one output as manifest.json records it: its path is the file name.
type manifestEntry struct {
	*Output
	Path string `json:"path"`
}

type manifest struct {
	Outputs []manifestEntry `json:"outputs"`
	Kept    []manifestEntry `json:"kept,omitempty"`
}

// keptOutputs returns the outputs an earlier manifest.json in dir owned that this
// build did not write and that are still there, each re-hashed (a file changed since
// is recorded as it is now, with a note).
func keptOutputs(dir string, res *Result) []*Output {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil
	}
	var old manifest
	if json.Unmarshal(b, &old) != nil {
		return nil
	}
	written := map[string]bool{}
	for _, o := range res.Outputs {
		written[filepath.Base(o.Path)] = true
	}
	var kept []*Output
	for _, e := range append(old.Outputs, old.Kept...) {
		name := filepath.Base(filepath.Clean("/" + e.Path)) // never outside dir
		if e.Output == nil || written[name] || e.Error != "" || name == "SHA256SUMS" || name == "manifest.json" {
			continue
		}
		written[name] = true
		p := filepath.Join(dir, name)
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		o := *e.Output
		was := o.SHA256
		if err := hashFile(p, &o); err != nil {
			continue
		}
		o.Path = p
		if was != "" && was != o.SHA256 {
			o.Notes = append(o.Notes, "changed since the build that wrote it (sha256 was "+was+")")
		}
		kept = append(kept, &o)
	}
	return kept
}

// writeSums writes SHA256SUMS (sha256sum's format) and manifest.json for the outputs
// that were built and those an earlier manifest owned that are still in dir.
func writeSums(dir string, res *Result) error {
	res.Kept = keptOutputs(dir, res)
	var ok []*Output
	for _, o := range append(slices.Clone(res.Outputs), res.Kept...) {
		if o.Error == "" && o.SHA256 != "" {
			ok = append(ok, o)
		}
	}
	sort.Slice(ok, func(i, j int) bool { return filepath.Base(ok[i].Path) < filepath.Base(ok[j].Path) })
	var sums bytes.Buffer
	for _, o := range ok {
		fmt.Fprintf(&sums, "%s  %s\n", o.SHA256, filepath.Base(o.Path))
	}
	res.Sums = filepath.Join(dir, "SHA256SUMS")
	if err := writeAtomic(res.Sums, 0o644, atomicfile.Options{}, func(w io.Writer) error { _, err := w.Write(sums.Bytes()); return err }); err != nil {
		return err
	}
	var m manifest
	for _, o := range res.Outputs {
		m.Outputs = append(m.Outputs, manifestEntry{o, filepath.Base(o.Path)})
	}
	for _, o := range res.Kept {
		m.Kept = append(m.Kept, manifestEntry{o, filepath.Base(o.Path)})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	res.Manifest = filepath.Join(dir, "manifest.json")
	return writeAtomic(res.Manifest, 0o644, atomicfile.Options{}, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}
