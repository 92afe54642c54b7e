package gocode

import (
	"fmt"
	"go/build/constraint"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
)

// noBuild reports the module's packages that do not build for t: go list's error
// (a missing or excluded import, a bad file), else go vet's first type error. An
// error naming a syscall/unix identifier or field that the target lacks is
// go.arch-only.
func (st *state) noBuild(t build.Target) []result {
	l := st.lists[t]
	var rs []result
	listed := map[string]bool{}
	for _, p := range ownPkgs(l) {
		e := p.Error
		if e == nil && len(p.DepsErrors) > 0 {
			e = p.DepsErrors[0]
		}
		if e == nil {
			continue
		}
		listed[p.ImportPath] = true
		f := finding.Finding{
			ID: IDNoBuild, Area: finding.AreaGo, Severity: finding.Error,
			Title:    fmt.Sprintf("%s does not build for %s", p.ImportPath, t),
			Evidence: []string{fmt.Sprintf("GOOS=%s GOARCH=%s go list -e -deps ./...: %s", t.OS, t.Arch, oneLine(e.Err))},
		}
		if len(e.ImportStack) > 1 {
			f.Evidence = append(f.Evidence, "import stack: "+strings.Join(e.ImportStack, " → "))
		}
		f.Path, f.Line, f.Column = st.position(e.Pos)
		if f.Path == "" {
			f.Path = st.rel(p.Dir)
		}
		f.Fix = reproduce(t, p, "list")
		rs = append(rs, result{t, p.ImportPath, f})
	}
	v := st.vets[t]
	for _, e := range v.Errors {
		p := st.pkgOf(l, e.Package)
		if p == nil || !p.own() || listed[p.ImportPath] {
			continue
		}
		if !v.Cgo && len(p.CgoFiles) > 0 {
			continue // checked without its cgo files: cgo.no-cross-cc says so
		}
		listed[p.ImportPath] = true
		f := finding.Finding{
			ID: IDNoBuild, Area: finding.AreaGo, Severity: finding.Error,
			Title: fmt.Sprintf("%s does not build for %s", p.ImportPath, t),
			Evidence: []string{
				fmt.Sprintf("%s go vet (the type check for %s): %s:%d: %s", cgoWord(v.Cgo), t, e.File, e.Line, e.Msg),
			},
		}
		if title, ok := archOnly(e.Msg, t); ok {
			f.ID, f.Title = IDArchOnly, p.ImportPath+": "+title
			if others := st.vetOK(p.ImportPath, t); len(others) > 0 {
				f.Evidence = append(f.Evidence, "it type-checks for "+strings.Join(others, ", "))
			}
		}
		f.Path, f.Line, f.Column = st.rel(e.File), e.Line, e.Column
		if f.Path == "" {
			f.Path = st.rel(p.Dir)
		}
		f.Fix = reproduce(t, p, "vet")
		rs = append(rs, result{t, p.ImportPath, f})
	}
	if v.Failed != "" {
		rs = append(rs, result{t, "", finding.Finding{
			ID: IDNoBuild, Area: finding.AreaGo, Severity: finding.Error,
			Title:    fmt.Sprintf("go vet failed for %s", t),
			Path:     "go.mod",
			Evidence: []string{fmt.Sprintf("GOOS=%s GOARCH=%s go vet (the packages go list found no error in): %s", t.OS, t.Arch, v.Failed)},
			Fix:      (&finding.Fix{Text: fmt.Sprintf("Run GOOS=%s GOARCH=%s go vet ./... and fix what it says.", t.OS, t.Arch)}).Settle(),
		}})
	}
	return rs
}

func cgoWord(cgo bool) string {
	if cgo {
		return "CGO_ENABLED=1"
	}
	return "CGO_ENABLED=0"
}

// reproduce is the fix of a package that does not build: the command that shows the
// error, for a person to fix.
func reproduce(t build.Target, p *listedPkg, tool string) *finding.Fix {
	return (&finding.Fix{Text: fmt.Sprintf("Make %s build for %s (files with a build constraint or a _%s/_%s name suffix for the target's code); GOOS=%s GOARCH=%s go %s %s shows the error.",
		p.ImportPath, t, t.OS, t.Arch, t.OS, t.Arch, tool, p.ImportPath)}).Settle()
}

// pkgOf maps a package path from go vet's header to the listed package (an external
// test package "p_test" is p's).
func (st *state) pkgOf(l *listing, path string) *listedPkg {
	if p := l.byPath[path]; p != nil {
		return p
	}
	return l.byPath[strings.TrimSuffix(path, "_test")]
}

// vetOK lists the other targets for which go vet found no error in pkg.
func (st *state) vetOK(pkg string, t build.Target) []string {
	var ok []string
	for _, u := range st.in.Targets {
		if u == t {
			continue
		}
		v := st.vets[u]
		if v == nil || v.Failed != "" || st.lists[u].byPath[pkg] == nil {
			continue
		}
		if !slices.ContainsFunc(v.Errors, func(e typeError) bool { return strings.TrimSuffix(e.Package, "_test") == pkg }) {
			ok = append(ok, u.String())
		}
	}
	return ok
}

var (
	undefinedSys = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`undefined: ((?:syscall|unix|windows|unsafe)\.\w+)`) })
	noField      = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\(type \*?((?:syscall|unix|windows)\.\w+)\) has no field or method (\w+)`)
	})
	sysType = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b((?:syscall|unix|windows)\.\w+)\b`) })
)

// archOnly maps a type error about a syscall/unix name to a title: an identifier or
// a field that exists on other platforms and not on t, or a field of another type.
func archOnly(msg string, t build.Target) (string, bool) {
	if m := undefinedSys().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s does not exist on %s", m[1], t), true
	}
	if m := noField().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s has no field %s on %s", m[1], m[2], t), true
	}
	if strings.HasPrefix(msg, "cannot use ") || strings.Contains(msg, "mismatched types") {
		if m := sysType().FindStringSubmatch(msg); m != nil {
			return fmt.Sprintf("a value of %s has another type on %s", m[1], t), true
		}
	}
	return "", false
}

// position splits go list's "file:line:col" (or "file:line") into a repository
// path, line and column.
func (st *state) position(pos string) (string, int, int) {
	if pos == "" {
		return "", 0, 0
	}
	var nums []int
	file := pos
	for range 2 {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		digits := file[i+1:]
		n, err := strconv.Atoi(digits)
		if err != nil || n <= 0 || digits[0] < '1' || digits[0] > '9' {
			break
		}
		nums = append([]int{n}, nums...)
		file = file[:i]
	}
	switch len(nums) {
	case 0:
		return st.rel(pos), 0, 0
	case 1:
		return st.rel(file), nums[0], 0
	}
	return st.rel(file), nums[0], nums[1]
}

// asmFallback reports the packages with assembly for amd64 and none for t: the
// module's own (warning) and those of modules it requires directly (info).
func (st *state) asmFallback(t build.Target) []result {
	if t.Arch == "amd64" {
		return nil
	}
	l, ref := st.lists[t], st.lists[refTarget(t)]
	if ref == nil {
		return nil
	}
	var rs []result
	for _, p := range l.Pkgs {
		if !p.own() && !p.direct() || len(p.SFiles) > 0 {
			continue
		}
		q := ref.byPath[p.ImportPath]
		if q == nil || len(perfAsm(q.SFiles)) == 0 {
			continue
		}
		f := finding.Finding{
			ID: IDAsmFallback, Area: finding.AreaGo, Severity: finding.Warning,
			Title: fmt.Sprintf("%s has assembly for amd64 and none for %s: the pure-Go fallback runs there", p.ImportPath, t.Arch),
			Evidence: []string{
				fmt.Sprintf("go list for %s: SFiles %s", refTarget(t), strings.Join(q.SFiles, " ")),
				fmt.Sprintf("go list for %s: no SFiles", t),
			},
		}
		fb, line := st.fallback(p, q)
		if fb != "" {
			f.Evidence = append(f.Evidence, fmt.Sprintf("compiled instead on %s: %s", t, fb))
		} else {
			f.Evidence = append(f.Evidence, fmt.Sprintf("no file replaces them on %s: the generic code is in the files both compile", t))
		}
		if p.own() {
			f.Evidence = append(f.Evidence, "a package of this module")
			f.Path, f.Line = st.rel(filepath.Join(p.Dir, firstOr(fb, q.SFiles[0]))), line
			f.Fix = (&finding.Fix{Text: fmt.Sprintf("Measure the fallback on %s (go test -bench . %s on an arm64 machine); where it matters, add %s assembly (a _%s.s file and its _%s.go declarations) or build the generic code with a faster algorithm.", t.Arch, p.ImportPath, t.Arch, t.Arch, t.Arch)}).Settle()
		} else {
			f.Severity = finding.Info
			f.Evidence = append(f.Evidence, fmt.Sprintf("a package of %s %s, which go.mod requires directly", p.Module.Path, p.Module.Version))
			f.Path, f.Line = st.goMod(p.Module.Path)
			f.Fix = (&finding.Fix{Text: fmt.Sprintf("Measure the fallback on %s; where it matters, look for a version of %s or another library with %s assembly.", t.Arch, p.Module.Path, t.Arch)}).Settle()
		}
		rs = append(rs, result{t, p.ImportPath, f})
	}
	return rs
}

func firstOr(a, b string) string {
	if a != "" {
		return strings.Fields(a)[0]
	}
	return b
}

// cpuAsm matches assembly files that only detect CPU features (CPUID, XGETBV):
// arm64 reads its features another way, so their absence costs nothing.
var cpuAsm = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)cpu`) })

// perfAsm are the assembly files that are a performance path: not CPU detection.
func perfAsm(sfiles []string) []string {
	var out []string
	for _, s := range sfiles {
		if !cpuAsm().MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

// fallbackName matches the names the generic code goes by.
var fallbackName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(generic|purego|noasm|fallback|other|portable|ref|stub|safe)`)
})

// fallback names the files p compiles on the target and q (amd64) does not, the
// likely generic fallback first, and the line of the first one's build constraint.
func (st *state) fallback(p, q *listedPkg) (string, int) {
	var added []string
	for _, g := range p.GoFiles {
		if !slices.Contains(q.GoFiles, g) && !slices.Contains(q.CgoFiles, g) {
			added = append(added, g)
		}
	}
	if len(added) == 0 {
		return "", 0
	}
	slices.SortStableFunc(added, func(a, b string) int {
		ma, mb := fallbackName().MatchString(a), fallbackName().MatchString(b)
		switch {
		case ma && !mb:
			return -1
		case mb && !ma:
			return 1
		}
		return 0
	})
	if len(added) > 3 {
		added = append(added[:3], fmt.Sprintf("(and %d more)", len(added)-3))
	}
	line, _ := st.buildLine(filepath.Join(p.Dir, added[0]))
	return strings.Join(added, " "), line
}

// buildLine returns the 1-based line of a file's //go:build constraint and the
// constraint (0 and nil when it has none).
func (st *state) buildLine(path string) (int, constraint.Expr) {
	data, err := st.in.Machine.ReadFile(path)
	if err != nil {
		return 0, nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "package ") {
			break
		}
		if constraint.IsGoBuild(line) {
			x, err := constraint.Parse(line)
			if err != nil {
				return i + 1, nil
			}
			return i + 1, x
		}
	}
	return 0, nil
}

// excluded reports the module's packages go list does not list for t although it
// lists them for another platform (build constraints exclude every non-test file),
// and the test files whose //go:build line names an architecture and excludes t
// while amd64 includes them.
func (st *state) excluded(t build.Target) []result {
	l := st.lists[t]
	var rs []result
	seen := map[string]bool{}
	for _, u := range sortedTargets(st.lists) {
		if u == t {
			continue
		}
		for _, q := range ownPkgs(st.lists[u]) {
			if seen[q.ImportPath] || l.byPath[q.ImportPath] != nil {
				continue
			}
			seen[q.ImportPath] = true
			var where []string
			for _, w := range sortedTargets(st.lists) {
				if st.lists[w].byPath[q.ImportPath] != nil {
					where = append(where, w.String())
				}
			}
			f := finding.Finding{
				ID: IDExcluded, Area: finding.AreaGo, Severity: finding.Info,
				Title: fmt.Sprintf("%s is excluded on %s: build constraints exclude all its files", q.ImportPath, t),
				Evidence: []string{
					fmt.Sprintf("go list ./... for %s does not list it; it lists it for %s", t, strings.Join(where, ", ")),
				},
			}
			if len(q.GoFiles) > 0 {
				file := filepath.Join(q.Dir, q.GoFiles[0])
				line, x := st.buildLine(file)
				f.Path, f.Line = st.rel(file), line
				if x != nil {
					f.Evidence = append(f.Evidence, fmt.Sprintf("%s: //go:build %s", q.GoFiles[0], x))
				}
			} else {
				f.Path = st.rel(q.Dir)
			}
			f.Fix = (&finding.Fix{Text: fmt.Sprintf("If %s should work on %s, add files for it (a _%s.go file or a //go:build line that includes it); otherwise nothing to do, as long as no package for %s imports it.", q.ImportPath, t, t.OS, t)}).Settle()
			rs = append(rs, result{t, q.ImportPath, f})
		}
	}
	ref := st.lists[refTarget(t)]
	if t.Arch == "amd64" || ref == nil {
		return rs
	}
	for _, p := range ownPkgs(l) {
		q := ref.byPath[p.ImportPath]
		if q == nil {
			continue
		}
		for _, name := range p.IgnoredGoFiles {
			if !strings.HasSuffix(name, "_test.go") || !slices.Contains(q.TestGoFiles, name) && !slices.Contains(q.XTestGoFiles, name) {
				continue
			}
			file := filepath.Join(p.Dir, name)
			line, x := st.buildLine(file)
			if x == nil || !namesArch(x) {
				continue
			}
			rs = append(rs, result{t, p.ImportPath, finding.Finding{
				ID: IDExcluded, Area: finding.AreaGo, Severity: finding.Info,
				Title: fmt.Sprintf("%s: tests in %s do not run on %s", p.ImportPath, name, t),
				Path:  st.rel(file), Line: line,
				Evidence: []string{
					fmt.Sprintf("//go:build %s includes %s and excludes %s", x, refTarget(t), t),
				},
				Fix: (&finding.Fix{Text: fmt.Sprintf("If the code these tests cover also runs on %s, widen the //go:build line (or add %s's own test file) so go test checks it there.", t.Arch, t.Arch)}).Settle(),
			}})
		}
	}
	return rs
}

// namesArch reports whether a constraint names a GOARCH.
func namesArch(x constraint.Expr) bool {
	found := false
	x.Eval(func(tag string) bool {
		if slices.Contains(goarches, tag) {
			found = true
		}
		return false
	})
	return found
}

// goarches are the GOARCH values (go tool dist list).
var goarches = []string{"386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64", "ppc64le", "riscv64", "s390x", "wasm"}

func sortedTargets(m map[build.Target]*listing) []build.Target {
	var ts []build.Target
	for t := range m {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b build.Target) int { return strings.Compare(a.String(), b.String()) })
	return ts
}
