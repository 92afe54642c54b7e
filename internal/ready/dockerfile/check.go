package dockerfile

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

// Rule ids: a finding's ID is one of these.
const (
	RulePlatformConstant = "dockerfile.platform-constant"
	RuleTargetArgSet     = "dockerfile.target-arg-set"
	RuleEmulatedBuild    = "dockerfile.go-build-emulated"
	RuleCrossNoGOARCH    = "dockerfile.cross-no-goarch"
	RuleGOARCHConstant   = "dockerfile.goarch-constant"
	RuleDownloadOneArch  = "dockerfile.download-one-arch"
	RuleCgoNoCrossCC     = "dockerfile.cgo-no-cross-compiler"
	RuleBaseNoPlatform   = "dockerfile.base-no-platform"
	RuleBaseUnknown      = "dockerfile.base-unknown"
	RuleParse            = "dockerfile.parse"
)

// Rules describe every rule of this package (SARIF's tool.driver.rules); Anchor is
// the rule's section of docs/ready.md.
var Rules = []ready.Rule{
	{ID: RulePlatformConstant, Title: "FROM --platform is a constant: one platform for every target, emulated on other runners", Anchor: "dockerfile-platform-constant"},
	{ID: RuleTargetArgSet, Title: "TARGETARCH/TARGETOS/TARGETPLATFORM given a default or set by hand: every image gets the same platform's binary", Anchor: "dockerfile-target-arg-set"},
	{ID: RuleEmulatedBuild, Title: "Go compiled in a stage that runs on the target platform: emulated (QEMU) for every other architecture", Anchor: "dockerfile-go-build-emulated"},
	{ID: RuleCrossNoGOARCH, Title: "Go compiled on $BUILDPLATFORM without GOARCH: every image gets the builder's architecture", Anchor: "dockerfile-cross-no-goarch"},
	{ID: RuleGOARCHConstant, Title: "GOARCH hard-coded: every image gets the same architecture's binary", Anchor: "dockerfile-goarch-constant"},
	{ID: RuleDownloadOneArch, Title: "A download whose URL names one architecture", Anchor: "dockerfile-download-one-arch"},
	{ID: RuleCgoNoCrossCC, Title: "cgo cross-compiled with no C cross compiler for the target", Anchor: "dockerfile-cgo-no-cross-compiler"},
	{ID: RuleBaseNoPlatform, Title: "A base image publishes no entry for a target platform (--online)", Anchor: "dockerfile-base-no-platform"},
	{ID: RuleBaseUnknown, Title: "A base image's platforms could not be read (--online)", Anchor: "dockerfile-base-unknown"},
	{ID: RuleParse, Title: "A Dockerfile that cannot be parsed", Anchor: "dockerfile-parse"},
}

// Links cited by the findings.
const (
	linkMultiPlatform = "https://docs.docker.com/build/building/multi-platform/#cross-compiling-a-go-application"
	linkBuildx510     = "https://github.com/docker/buildx/issues/510"
	linkXX            = "https://github.com/tonistiigi/xx"
	linkQEMUGo        = "https://github.com/golang/go/issues/48439"
)

// qemuCost is the measured cost of compiling under QEMU that findings cite.
const qemuCost = "measured elsewhere: an arm64 go build under QEMU took 4× (multigres-operator#243), 9.2× (prefect-operator#306) and 54× (promlens-public#11, cgo) the time of a native or cross build"

// skipDirs are directories never searched for Dockerfiles.
var skipDirs = map[string]bool{"vendor": true, ".git": true, "node_modules": true, "testdata": true}

// maxDirs bounds the walk of a repository.
const maxDirs = 100000

// Checker is ready's Dockerfile checker. Registry reads base images' platforms when
// the input is Online; nil is the registries themselves (go-containerregistry, every
// request bounded in time).
type Checker struct {
	Registry Registry
}

// Check is the Dockerfile checker with the real registries.
func Check(ctx context.Context, in ready.Input) ([]finding.Finding, error) {
	return Checker{}.Check(ctx, in)
}

// Check finds every Dockerfile under in.Dir and returns its findings.
func (c Checker) Check(ctx context.Context, in ready.Input) ([]finding.Finding, error) {
	files, err := Find(ctx, in.Machine, in.Dir)
	if err != nil {
		return nil, err
	}
	reg := c.Registry
	if in.Online && reg == nil {
		reg = NewRemote()
	}
	var out []finding.Finding
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := in.Machine.ReadFile(path.Join(in.Dir, rel))
		if err != nil {
			out = append(out, finding.Finding{ID: RuleParse, Area: finding.AreaDockerfile, Severity: finding.Warning,
				Title: "Dockerfile could not be read; not checked", Path: rel, Evidence: []string{err.Error()},
				Fix: &finding.Fix{Text: "Make it a readable regular file.", Needs: finding.NeedsPerson}})
			continue
		}
		fs, err := checkFile(ctx, in, rel, b, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// IsDockerfile reports whether a file name is a Dockerfile's: Dockerfile and
// Containerfile (any case), Dockerfile.NAME, Dockerfile-NAME and Containerfile.NAME
// (as written: a dockerfile.go is Go), NAME.Dockerfile (any case); never a
// .dockerignore.
func IsDockerfile(name string) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, ".dockerignore") {
		return false
	}
	return n == "dockerfile" || n == "containerfile" || strings.HasSuffix(n, ".dockerfile") ||
		strings.HasPrefix(name, "Dockerfile.") || strings.HasPrefix(name, "Dockerfile-") ||
		strings.HasPrefix(name, "Containerfile.")
}

// Find returns the Dockerfiles under dir (relative, slash-separated, sorted),
// skipping vendor, .git, node_modules and testdata directories and symbolic links.
func Find(ctx context.Context, m machine.Machine, dir string) ([]string, error) {
	var out []string
	queue := []string{"."}
	for n := 0; len(queue) > 0; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if n == maxDirs {
			return nil, fmt.Errorf("%s: more than %d directories", dir, maxDirs)
		}
		rel := queue[0]
		queue = queue[1:]
		entries, err := m.ReadDir(path.Join(dir, rel))
		if err != nil {
			if rel == "." {
				return nil, err
			}
			continue
		}
		for _, e := range entries {
			name := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				if !skipDirs[e.Name()] {
					queue = append(queue, name)
				}
			case e.Type().IsRegular() && IsDockerfile(e.Name()):
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// kind is where a stage runs.
type kind int

const (
	onTarget   kind = iota // no --platform, or $TARGETPLATFORM: each target's platform
	onBuild                // --platform=$BUILDPLATFORM: the builder's platform
	onConstant             // --platform=linux/arm64: one platform
	onVariable             // another variable: not judged
)

// stage is one FROM and the instructions up to the next.
type stage struct {
	index    int
	name     string // the AS name, lower case
	from     Instruction
	base     string // the image (or stage) as written
	kind     kind
	platform string // the --platform value
	parent   *stage // the earlier stage it is built on
	insts    []Instruction
	args     map[string]bool // ARG names declared in the stage
	children int             // later stages built FROM this one
	final    bool
}

// label names a stage in evidence.
func (s *stage) label() string {
	if s.name != "" {
		return fmt.Sprintf("stage %q (FROM %s)", s.name, s.base)
	}
	return fmt.Sprintf("stage %d (FROM %s)", s.index, s.base)
}

// chain is s and the stages it is built on, s first.
func (s *stage) chain() []*stage {
	var c []*stage
	for t := s; t != nil && len(c) < 64; t = t.parent {
		c = append(c, t)
	}
	return c
}

// env returns the value an ENV of s (or a stage it is built on) gives key, and
// whether one does.
func (s *stage) env(key string) (string, bool) {
	for _, t := range s.chain() {
		for i := len(t.insts) - 1; i >= 0; i-- {
			if t.insts[i].Keyword != "ENV" {
				continue
			}
			for _, kv := range envPairs(t.insts[i].Args) {
				if kv[0] == key {
					return kv[1], true
				}
			}
		}
	}
	return "", false
}

// scripts is every RUN script of s and the stages it is built on.
func (s *stage) scripts() string {
	var b strings.Builder
	for _, t := range s.chain() {
		for _, in := range t.insts {
			if in.Keyword == "RUN" {
				b.WriteString(in.Script() + "\n")
			}
		}
	}
	return b.String()
}

var (
	goBuildRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s;&|(])(go|xx-go)\s+(build|install)(?:\s|$)`) })
	makeRE    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:^|&&|\|\||[;|(\n]|\bthen|\bdo)[ \t]*(?:[A-Za-z_][A-Za-z0-9_]*=\S*[ \t]+)*make(?:\s|$)`)
	})
	goarchSetRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s;&|(])GOARCH=("?)([^\s"';&|)]*)`) })
	goosSetRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s;&|(])GOOS=`) })
	cgoOnRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s;&|(])CGO_ENABLED=["']?1`) })
	archVarRE   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\$\{?(TARGETARCH|TARGETPLATFORM|TARGETVARIANT|BUILDARCH|BUILDPLATFORM)\b|uname\s+-m|dpkg\s+--print-architecture|apk\s+--print-arch`)
	})
	targetArchRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{?TARGET(ARCH|PLATFORM)\b`) })
	urlRE        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`https?://[^\s"'<>|;&)\x60]+`) })
	archWordRE   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(amd64|x86_64|x86-64|x64|linux64|aarch64|arm64)(?:[^a-z0-9]|$)`)
	})
	downloadRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s;&|(])(curl|wget)(?:\s|$)`) })
	crossCCRE  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`gcc-(aarch64|x86-64|arm|riscv64|powerpc64le|s390x)-linux-gnu|crossbuild-essential-|xx-apt|xx-apk|xx-clang|xx-go|xx-info|zig\s+cc|\bCC=\S*(-linux-gnu|-linux-musl|zig|clang\s+--target)|osxcross|musl-cross`)
	})
)

// targetArgs are the platform arguments BuildKit sets; a default or an ENV of one
// replaces BuildKit's value.
var targetArgs = []string{"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"}

// fileCheck is the state of one Dockerfile's check.
type fileCheck struct {
	in       ready.Input
	rel      string
	f        *File
	stages   []*stage
	global   map[string]string // global ARG defaults
	linux    []build.Target    // the linux targets
	makeGo   bool              // a Makefile beside it (or at the root) runs go build
	findings []finding.Finding
}

// checkFile parses one Dockerfile and runs every rule on it.
func checkFile(ctx context.Context, in ready.Input, rel string, src []byte, reg Registry) ([]finding.Finding, error) {
	f, err := Parse(src)
	if err != nil {
		line := 0
		var se *SyntaxError
		if errors.As(err, &se) {
			line = se.Line
		}
		return []finding.Finding{{ID: RuleParse, Area: finding.AreaDockerfile, Severity: finding.Warning,
			Title: "Dockerfile could not be parsed; its stages were not checked", Path: rel, Line: line,
			Evidence: []string{err.Error()},
			Fix:      &finding.Fix{Text: "Fix the syntax: BuildKit rejects the file too.", Needs: finding.NeedsPerson}}}, nil
	}
	c := &fileCheck{in: in, rel: rel, f: f, global: map[string]string{}}
	for _, t := range in.Targets {
		if t.OS == "linux" {
			c.linux = append(c.linux, t)
		}
	}
	c.makeGo = makefileBuildsGo(in.Machine, in.Dir, path.Dir(rel))
	c.stages = stages(f, c.global)
	c.targetArgs()
	for _, s := range c.stages {
		c.platformConstant(s)
		c.emulatedBuild(s)
		c.crossNoGOARCH(s)
		c.goarchConstant(s)
		c.downloads(s)
		c.cgoNoCrossCC(s)
	}
	if in.Online && reg != nil {
		if err := c.basePlatforms(ctx, reg); err != nil {
			return nil, err
		}
	}
	return c.findings, nil
}

// stages splits f into its stages and records the global ARG defaults.
func stages(f *File, global map[string]string) []*stage {
	var out []*stage
	byName := map[string]*stage{}
	var cur *stage
	for _, in := range f.Instructions {
		switch {
		case in.Keyword == "FROM":
			words := strings.Fields(in.Args)
			s := &stage{index: len(out), from: in, args: map[string]bool{}}
			if len(words) > 0 {
				s.base = words[0]
			}
			if len(words) >= 3 && strings.EqualFold(words[1], "AS") {
				s.name = strings.ToLower(words[2])
			}
			s.parent = byName[strings.ToLower(expandGlobal(s.base, global))]
			p, has := in.Flag("platform")
			s.platform = p
			switch {
			case !has:
				s.kind = onTarget
				if s.parent != nil {
					s.kind, s.platform = s.parent.kind, s.parent.platform
				}
			case isVar(p, "BUILDPLATFORM"):
				s.kind = onBuild
			case isVar(p, "TARGETPLATFORM"):
				s.kind = onTarget
			case strings.Contains(p, "$"):
				s.kind = onVariable
			default:
				s.kind = onConstant
			}
			if s.parent != nil {
				s.parent.children++
			}
			if s.name != "" {
				byName[s.name] = s
			}
			out = append(out, s)
			cur = s
		case cur == nil:
			if in.Keyword == "ARG" {
				for _, kv := range argPairs(in.Args) {
					global[kv[0]] = kv[1]
				}
			}
		default:
			cur.insts = append(cur.insts, in)
			if in.Keyword == "ARG" {
				for _, kv := range argPairs(in.Args) {
					cur.args[kv[0]] = true
				}
			}
		}
	}
	if len(out) > 0 {
		out[len(out)-1].final = true
	}
	return out
}

// globalRefRE is a reference to an argument in a FROM: $NAME or ${NAME}.
var globalRefRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})`)
})

// expandGlobal replaces the references in a FROM's image to global ARGs that have a
// default by that default, as BuildKit does before it looks the name up among the
// stages (FROM build-base-${BASE_VARIANT} with ARG BASE_VARIANT=alpine is the stage
// build-base-alpine). References to other arguments stay as written.
func expandGlobal(s string, global map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return globalRefRE().ReplaceAllStringFunc(s, func(ref string) string {
		m := globalRefRE().FindStringSubmatch(ref)
		name := m[1] + m[2]
		if v, ok := global[name]; ok && v != "" && !strings.Contains(v, "$") {
			return v
		}
		return ref
	})
}

// isVar reports whether s is exactly $name or ${name}.
func isVar(s, name string) bool { return s == "$"+name || s == "${"+name+"}" }

// argPairs splits an ARG's arguments into name and default ("" when none).
func argPairs(args string) [][2]string {
	var out [][2]string
	for _, w := range words(args) {
		k, v, _ := strings.Cut(w, "=")
		out = append(out, [2]string{k, unquote(v)})
	}
	return out
}

// envPairs splits an ENV's arguments into keys and values (KEY=VALUE ..., or the
// legacy KEY VALUE).
func envPairs(args string) [][2]string {
	ws := words(args)
	if len(ws) > 0 && !strings.Contains(ws[0], "=") {
		k, v, _ := strings.Cut(strings.TrimSpace(args), " ")
		return [][2]string{{k, unquote(strings.TrimSpace(v))}}
	}
	var out [][2]string
	for _, w := range ws {
		if k, v, ok := strings.Cut(w, "="); ok {
			out = append(out, [2]string{k, unquote(v)})
		}
	}
	return out
}

// words splits s at blanks outside quotes, keeping the quotes.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	var q byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case q != 0:
			if ch == q {
				q = 0
			}
			cur.WriteByte(ch)
		case ch == '"' || ch == '\'':
			q = ch
			cur.WriteByte(ch)
		case ch == ' ' || ch == '\t':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(ch)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// unquote removes one pair of surrounding quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// makefileBuildsGo reports whether a Makefile in the Dockerfile's directory or at
// the repository's root runs go build or go install.
func makefileBuildsGo(m machine.Machine, root, dir string) bool {
	for _, d := range []string{dir, "."} {
		for _, n := range []string{"Makefile", "makefile", "GNUmakefile"} {
			b, err := m.ReadFile(path.Join(root, d, n))
			if err == nil && goBuildRE().Match(b) {
				return true
			}
		}
	}
	return false
}

// consumers are the later stages that copy from s (COPY --from, RUN --mount=from=)
// or are built on it.
func (c *fileCheck) consumers(s *stage) []*stage {
	var out []*stage
	for _, t := range c.stages[s.index+1:] {
		if t.parent == s || slices.ContainsFunc(t.insts, func(in Instruction) bool { return c.refers(in, s) }) {
			out = append(out, t)
		}
	}
	return out
}

// refers reports whether in copies or mounts from stage s.
func (c *fileCheck) refers(in Instruction, s *stage) bool {
	names := []string{strconv.Itoa(s.index)}
	if s.name != "" {
		names = append(names, s.name)
	}
	for _, f := range in.Flags {
		v := strings.ToLower(f.Value)
		switch f.Name {
		case "from":
			if slices.Contains(names, v) {
				return true
			}
		case "mount":
			for _, kv := range strings.Split(v, ",") {
				if k, val, _ := strings.Cut(kv, "="); k == "from" && slices.Contains(names, val) {
					return true
				}
			}
		}
	}
	return false
}

// ships reports whether what s makes reaches an image of the target platform: s is
// the last stage; or a stage on the target's (or a constant) platform that runs
// commands copies from it or is built on it; or a stage that ships is built on it,
// or copies from it and runs nothing (it only collects files). A tool built on the
// builder's platform to run during the build (a stage that runs it) does not ship.
func (c *fileCheck) ships(s *stage) bool {
	if s.final {
		return true
	}
	for _, t := range c.consumers(s) {
		runs := slices.ContainsFunc(t.insts, func(in Instruction) bool { return in.Keyword == "RUN" })
		if runs && (t.kind == onTarget || t.kind == onConstant) {
			return true // run, or built on, for the target
		}
		if (t.parent == s || !runs) && c.ships(t) {
			return true
		}
	}
	return false
}

// builds returns the stage's first RUN that compiles Go (go build, go install,
// xx-go build, or make when a Makefile runs go build), and whether there is one.
func (c *fileCheck) builds(s *stage) (Instruction, bool) {
	for _, in := range s.insts {
		if in.Keyword != "RUN" {
			continue
		}
		sc := in.Script()
		if c.compilesGo(sc) {
			return in, true
		}
	}
	return Instruction{}, false
}

// foreignBuildRE is a command that configures another project's build (CMake, an
// autoconf configure script): a make after it builds that project, not the
// repository's Makefile.
var foreignBuildRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:cmake|\S*/configure)(?:\s|$)`)
})

// commandSepRE separates the commands of a shell script.
var commandSepRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`&&|\|\||[;\n]`) })

// compilesGo reports whether a RUN script compiles Go: go build, go install, xx-go
// build, or make when a Makefile of the repository runs go build and the make is
// not one that follows a cmake or configure since the last cd (another project's
// generated Makefile).
func (c *fileCheck) compilesGo(sc string) bool {
	if goBuildRE().MatchString(sc) {
		return true
	}
	if !c.makeGo || !makeRE().MatchString(sc) {
		return false
	}
	foreign := false
	for _, cmd := range commandSepRE().Split(sc, -1) {
		cmd = strings.TrimLeft(strings.TrimSpace(cmd), "( ")
		switch {
		case cmd == "cd" || strings.HasPrefix(cmd, "cd "):
			foreign = false
		case foreignBuildRE().MatchString(cmd):
			foreign = true
		case !foreign && makeRE().MatchString(cmd):
			return true
		}
	}
	return false
}

// add records a finding of this file.
func (c *fileCheck) add(f finding.Finding) {
	f.Area = finding.AreaDockerfile
	f.Path = c.rel
	c.findings = append(c.findings, f)
}

// emulatedFor says which linux targets run emulated on which builder.
func (c *fileCheck) emulatedFor() string {
	var ts []string
	for _, t := range c.linux {
		ts = append(ts, t.String())
	}
	return fmt.Sprintf("targets %s: on an amd64 builder every non-amd64 target runs under QEMU, on an arm64 builder every non-arm64 one", strings.Join(ts, ", "))
}
