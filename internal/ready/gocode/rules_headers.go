package gocode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
)

// include is one top-level #include line of a cgo preamble.
type include struct {
	Line   int    // the line of the Go file it is on, from 1
	Header string // as written, delimiters kept: <zlib.h> or "x.h"
}

// name is the header's name without its delimiters.
func (i include) name() string { return i.Header[1 : len(i.Header)-1] }

// quoted reports whether the header is written "x.h" (searched from the file's
// directory first).
func (i include) quoted() bool { return i.Header[0] == '"' }

// preambleLine is one line of a cgo preamble and the Go file's line it is on.
type preambleLine struct {
	line int
	text string
}

// scanIncludes returns the #include lines of the cgo preambles of a Go file (the
// comment before each `import "C"`, as cmd/cgo takes it) that are outside every
// #if/#ifdef/#ifndef block: a plain list of includes cannot judge the others. Lines
// inside C comments and continuation lines of another directive are not directives.
// A file go/parser cannot read up to its imports has none.
func scanIncludes(src []byte) []include {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly|parser.ParseComments)
	if f == nil {
		return nil
	}
	_ = err // a later syntax error leaves the imports readable
	var incs []include
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		for _, s := range g.Specs {
			is, ok := s.(*ast.ImportSpec)
			if !ok || is.Path == nil || is.Path.Value != `"C"` {
				continue
			}
			cg := is.Doc
			if cg == nil && len(g.Specs) == 1 && !g.Lparen.IsValid() {
				cg = g.Doc
			}
			if cg == nil {
				continue
			}
			incs = append(incs, preambleIncludes(preambleLines(fset, cg))...)
		}
	}
	return incs
}

// preambleLines splits a comment group into its lines, each with the line of the
// file it is on (//line directives ignored: the finding is about the file itself).
func preambleLines(fset *token.FileSet, cg *ast.CommentGroup) []preambleLine {
	var ls []preambleLine
	for _, c := range cg.List {
		start := fset.PositionFor(c.Slash, false).Line
		if body, ok := strings.CutPrefix(c.Text, "//"); ok {
			ls = append(ls, preambleLine{start, body})
			continue
		}
		body := strings.TrimSuffix(strings.TrimPrefix(c.Text, "/*"), "*/")
		for i, l := range strings.Split(body, "\n") {
			ls = append(ls, preambleLine{start + i, l})
		}
	}
	return ls
}

// preambleIncludes are the top-level #include lines of a preamble, as the C
// preprocessor would see them.
func preambleIncludes(ls []preambleLine) []include {
	var incs []include
	depth := 0
	inComment, continued := false, false
	for _, l := range ls {
		startsInComment := inComment
		s := stripCComments(l.text, &inComment)
		wasContinued := continued
		continued = strings.HasSuffix(strings.TrimRight(s, " \t"), `\`)
		// A line that starts inside a C comment or continues another line may or may
		// not be a directive: its #if counts (fewer includes judged), its #endif and
		// #include do not.
		unsure := wasContinued || startsInComment
		s = strings.TrimSpace(s)
		rest, ok := strings.CutPrefix(s, "#")
		if !ok {
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		word := rest
		if i := strings.IndexFunc(rest, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }); i >= 0 {
			word = rest[:i]
		}
		switch word {
		case "if", "ifdef", "ifndef":
			depth++
		case "endif":
			if depth > 0 && !unsure {
				depth--
			}
		case "include":
			if depth > 0 || unsure {
				continue
			}
			if h, ok := headerOf(strings.TrimLeft(rest[len(word):], " \t")); ok {
				incs = append(incs, include{Line: l.line, Header: h})
			}
		}
	}
	return incs
}

// headerOf is the <name> or "name" that an #include's operand starts with.
func headerOf(s string) (string, bool) {
	if len(s) < 3 {
		return "", false
	}
	end := byte('>')
	switch s[0] {
	case '<':
	case '"':
		end = '"'
	default:
		return "", false // a macro: not judged
	}
	i := strings.IndexByte(s[1:], end)
	if i <= 0 {
		return "", false
	}
	h := s[:i+2]
	if strings.ContainsAny(h[1:len(h)-1], "<>\"\x00") || strings.TrimSpace(h[1:len(h)-1]) != h[1:len(h)-1] {
		return "", false
	}
	return h, true
}

// stripCComments removes the C comments of one line; inComment carries a /* … */
// comment over lines.
func stripCComments(s string, inComment *bool) string {
	var b strings.Builder
	for len(s) > 0 {
		if *inComment {
			i := strings.Index(s, "*/")
			if i < 0 {
				return b.String()
			}
			s = s[i+2:]
			*inComment = false
			b.WriteByte(' ')
			continue
		}
		i := strings.Index(s, "/*")
		j := strings.Index(s, "//")
		if j >= 0 && (i < 0 || j < i) {
			b.WriteString(s[:j])
			return b.String()
		}
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		*inComment = true
	}
	return b.String()
}

// headerUse is a header a package includes and where it first does.
type headerUse struct {
	include
	file string // the Go file, absolute
}

// headers reports, for a Linux target with a C compiler, the headers of each cgo
// package's preambles that the target's compiler does not find with the package's
// #cgo CFLAGS/CPPFLAGS (and its pkg-config packages' --cflags): one compiler run per
// package, all its headers in one input.
func (st *state) headers(ctx context.Context, t build.Target) []result {
	c := st.cc[t]
	if t.OS != "linux" || c.err != nil {
		return nil
	}
	cc := strings.Fields(c.tc.CC)
	if len(cc) == 0 {
		cc = []string{"gcc"}
	}
	d, _ := build.Debian(t.Arch)
	var rs []result
	for _, p := range cgoPkgs(st.lists[t]) {
		uses := st.packageHeaders(p)
		if len(uses) == 0 {
			continue
		}
		flags, pcNote := st.pkgConfigCflags(ctx, c.tc, p)
		flags = append(searchFlags(append(append([]string{}, p.CgoCPPFLAGS...), p.CgoCFLAGS...)), flags...)
		missing, cmdline := st.probeHeaders(ctx, cc, p.Dir, flags, uses)
		for _, u := range uses {
			msg, ok := missing[u.Header]
			if !ok {
				continue
			}
			rs = append(rs, result{t, p.ImportPath, st.missingHeader(ctx, t, d, p, u, cmdline, msg, pcNote)})
			k := pkgTarget{t, p.ImportPath}
			if st.missing == nil {
				st.missing = map[pkgTarget][]string{}
			}
			st.missing[k] = append(st.missing[k], u.name())
		}
	}
	return rs
}

// packageHeaders are the top-level includes of p's cgo files, each header once (its
// first use), less those the package's own directory provides (cgo compiles with -I
// of it; a "x.h" is searched there first too).
func (st *state) packageHeaders(p *listedPkg) []headerUse {
	var uses []headerUse
	seen := map[string]bool{}
	for _, name := range p.CgoFiles {
		file := filepath.Join(p.Dir, name)
		data, err := st.in.Machine.ReadFile(file)
		if err != nil {
			continue
		}
		for _, inc := range scanIncludes(data) {
			if seen[inc.Header] {
				continue
			}
			seen[inc.Header] = true
			n := inc.name()
			if !path.IsAbs(n) && !strings.Contains(n, "..") {
				if _, err := st.in.Machine.Stat(filepath.Join(p.Dir, filepath.FromSlash(n))); err == nil {
					continue
				}
			}
			uses = append(uses, headerUse{inc, file})
		}
	}
	return uses
}

// searchFlags keeps, of a package's C flags, those that decide where headers are
// found and what #if sees: -I, -isystem, -iquote, -idirafter, -D, -U and --sysroot.
// No other flag of a package's (a dependency's flags come from outside) reaches the
// compiler this rule runs.
func searchFlags(flags []string) []string {
	two := []string{"-I", "-isystem", "-iquote", "-idirafter", "-D", "-U", "--sysroot"}
	var out []string
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		for _, p := range two {
			if f == p && i+1 < len(flags) {
				out = append(out, f, flags[i+1])
				i++
				break
			}
			if strings.HasPrefix(f, p) && len(f) > len(p) && (p != "--sysroot" || f[len(p)] == '=') {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// pkgConfigCflags are `pkg-config --cflags` of p's pkg-config packages from the
// target's isolated pkg-config, filtered by searchFlags; note says why there are
// none when pkg-config failed (cgo.no-target-lib reports the package).
func (st *state) pkgConfigCflags(ctx context.Context, tc build.CToolchain, p *listedPkg) ([]string, string) {
	var pcs []string
	for _, pc := range p.CgoPkgConfig {
		if !strings.HasPrefix(pc, "-") {
			pcs = append(pcs, pc)
		}
	}
	if len(pcs) == 0 {
		return nil, ""
	}
	prog := "pkg-config"
	for _, kv := range tc.Env {
		if v, ok := strings.CutPrefix(kv, "PKG_CONFIG="); ok && v != "" {
			prog = v
		}
	}
	out, _, err := st.in.Machine.Output(ctx, tc.Env, prog, append([]string{"--cflags", "--"}, pcs...)...)
	if err != nil {
		return nil, fmt.Sprintf("%s --cflags %s failed, so the headers were looked for without its flags", prog, strings.Join(pcs, " "))
	}
	return searchFlags(strings.Fields(string(out))), ""
}

// probeTimeout bounds one compiler run: it preprocesses a few lines.
const probeTimeout = time.Minute

// missingMark is the #error text a probe prints for a header __has_include does not
// find.
const missingMark = "gonative-missing-header "

// probeInput is the C the compiler preprocesses: for each header, __has_include and
// an #error naming it when it is missing, so one run answers for all; a compiler
// without __has_include includes them (and stops at the first missing).
func probeInput(uses []headerUse) string {
	var b strings.Builder
	b.WriteString("#if defined(__has_include)\n")
	for _, u := range uses {
		fmt.Fprintf(&b, "#if !__has_include(%s)\n#error %s%s\n#endif\n", u.Header, missingMark, u.Header)
	}
	b.WriteString("#else\n")
	for _, u := range uses {
		fmt.Fprintf(&b, "#include %s\n", u.Header)
	}
	b.WriteString("#endif\n")
	return b.String()
}

var (
	probeMissing = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(regexp.QuoteMeta(missingMark) + `(<[^>\n]+>|"[^"\n]+")`)
	})
	probeFatal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`fatal error: '?([^:'\n]+)'?(?::| file not found)`) })
)

// parseProbe maps each header the compiler's standard error says is missing to the
// line that says so.
func parseProbe(stderr []byte, uses []headerUse) map[string]string {
	missing := map[string]string{}
	for _, line := range strings.Split(string(stderr), "\n") {
		if m := probeMissing().FindStringSubmatch(line); m != nil {
			missing[m[1]] = oneLine(line)
			continue
		}
		if m := probeFatal().FindStringSubmatch(line); m != nil && (strings.Contains(line, "No such file or directory") || strings.Contains(line, "file not found")) {
			for _, u := range uses {
				if u.name() == m[1] {
					missing[u.Header] = oneLine(line)
				}
			}
		}
	}
	return missing
}

// probeHeaders runs the target's compiler once on the probe of uses, in the
// package's directory with -I of it (as cgo does), and returns the missing headers
// and the command line it ran (for the evidence). A compiler that cannot run answers
// nothing.
func (st *state) probeHeaders(ctx context.Context, cc []string, dir string, flags []string, uses []headerUse) (map[string]string, string) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	args := append(append(append([]string{}, cc[1:]...), flags...), "-I", dir, "-E", "-x", "c", "-", "-o", "/dev/null")
	cmd := st.in.Machine.Command(ctx, cc[0], args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(probeInput(uses))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	cmdline := strings.Join(cc, " ") + " " + strings.Join(args, " ")
	var ee interface{ ExitCode() int }
	if err != nil && !errors.As(err, &ee) {
		return nil, cmdline
	}
	return parseProbe(stderr.Bytes(), uses), cmdline
}

// missingHeader is a cgo.no-target-header finding at the #include line (a
// dependency's: at go.mod's require line); the fix names the target's Debian package
// when dpkg -S knows the host's package of the same header.
func (st *state) missingHeader(ctx context.Context, t build.Target, d build.DebianToolchain, p *listedPkg, u headerUse, cmdline, msg, pcNote string) finding.Finding {
	where := st.rel(u.file)
	f := finding.Finding{
		ID: IDNoTargetHdr, Area: finding.AreaCgo, Severity: finding.Warning,
		Title: fmt.Sprintf("%s includes %s, which the C compiler for %s does not find", p.ImportPath, u.Header, t),
		Path:  where, Line: u.Line,
	}
	if where == "" {
		f.Path, f.Line = "go.mod", 0
		if p.Module != nil {
			f.Path, f.Line = st.goMod(p.Module.Path)
		}
		where = u.file
	}
	f.Evidence = []string{
		oneLine(where + ":" + strconv.Itoa(u.Line) + ": #include " + u.Header),
		oneLine(cmdline) + ": " + msg,
	}
	if pcNote != "" {
		f.Evidence = append(f.Evidence, pcNote)
	}
	patterns := []string{"*/include/" + u.name()}
	host, hostOK := build.Debian(st.in.Machine.Platform().GOARCH)
	if hostOK {
		patterns = append(patterns, "*/include/"+host.Triplet+"/"+u.name())
	}
	ev, hostFile, fix := st.debianFix(ctx, d, patterns...)
	if fix != nil {
		f.Evidence = append(f.Evidence, ev)
		if hostOK && strings.Contains(hostFile, "/"+host.Triplet+"/") {
			f.Evidence = append(f.Evidence, "the host's copy is in its architecture's directory ("+host.Triplet+"): the header may exist only for "+host.Arch)
			fix.Text += fmt.Sprintf(" If that package has no %s for %s either, the header is specific to %s: give the code that includes it a build constraint.", u.name(), t, host.Arch)
		}
		f.Fix = fix
		return f
	}
	f.Fix = (&finding.Fix{Text: fmt.Sprintf("Install the development files that provide %s for %s (Debian: the :%s package that holds include/%s), add its directory with #cgo %s,%s CFLAGS: -I…, or build %s with CGO_ENABLED=0 if the package works without cgo.", u.Header, t, d.Arch, u.name(), t.OS, t.Arch, t)}).Settle()
	return f
}
