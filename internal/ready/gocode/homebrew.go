package gocode

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/ready"
)

// cgoDirective matches a #cgo flags line: its constraint options and its flags.
var cgoDirective = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\s*(?://\s*)?#cgo)((?:\s+[!\w,]+?)*)\s+(CFLAGS|CPPFLAGS|CXXFLAGS|FFLAGS|LDFLAGS):(.*)$`)
})

// intelPath matches Intel Homebrew's prefix in a flag: /usr/local/opt, /Cellar,
// /include and /lib.
var intelPath = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/usr/local/(opt|Cellar|include|lib)\b`) })

// directive is a parsed #cgo line.
type directive struct {
	prefix string   // up to and including "#cgo"
	opts   []string // constraint options: space-separated alternatives
	kind   string   // CFLAGS, LDFLAGS, ...
	flags  string
}

func parseDirective(line string) (directive, bool) {
	m := cgoDirective().FindStringSubmatch(line)
	if m == nil {
		return directive{}, false
	}
	return directive{prefix: m[1], opts: strings.Fields(m[2]), kind: m[3], flags: m[4]}, true
}

func (d directive) String() string {
	s := d.prefix
	if len(d.opts) > 0 {
		s += " " + strings.Join(d.opts, " ")
	}
	return s + " " + d.kind + ":" + d.flags
}

// matchOpt reports whether one #cgo option ("darwin,!arm64") holds for t, as cmd/go
// evaluates them (cgo is on; darwin is unix).
func matchOpt(opt string, t build.Target) bool {
	for _, term := range strings.Split(opt, ",") {
		neg := strings.HasPrefix(term, "!")
		name := strings.TrimPrefix(term, "!")
		has := name == t.OS || name == t.Arch || name == "cgo" || name == "gc" ||
			name == "unix" && slices.Contains(unixOS, t.OS)
		if has == neg {
			return false
		}
	}
	return true
}

var unixOS = []string{"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux", "netbsd", "openbsd", "solaris"}

// matches reports whether a directive's options hold for t (none: every target).
func (d directive) matches(t build.Target) bool {
	if len(d.opts) == 0 {
		return true
	}
	return slices.ContainsFunc(d.opts, func(o string) bool { return matchOpt(o, t) })
}

var darwinARM64 = build.Target{OS: "darwin", Arch: "arm64"}

// intelHomebrew reports #cgo flags of the module's own cgo files that apply to
// darwin/arm64 and name Intel Homebrew's /usr/local prefix (Apple Silicon's Homebrew
// is in /opt/homebrew), with the edit that gives darwin/arm64 its own line.
func (st *state) intelHomebrew() []result {
	if !slices.Contains(st.in.Targets, darwinARM64) {
		return nil
	}
	var rs []result
	seen := map[string]bool{}
	for _, t := range sortedTargets(st.lists) {
		for _, p := range ownPkgs(st.lists[t]) {
			for _, name := range p.CgoFiles {
				file := filepath.Join(p.Dir, name)
				if seen[file] {
					continue
				}
				seen[file] = true
				rs = append(rs, st.homebrewFile(p, file)...)
			}
		}
	}
	return rs
}

// homebrewFile is one finding for a cgo file whose #cgo lines for darwin/arm64 name
// /usr/local, with one diff for all of them (diffs per line would overlap).
func (st *state) homebrewFile(p *listedPkg, file string) []result {
	data, err := st.in.Machine.ReadFile(file)
	if err != nil {
		return nil
	}
	rel := st.rel(file)
	h := scanHomebrew(rel, data)
	if h.first == 0 {
		return nil
	}
	f := finding.Finding{
		ID: IDIntelHomebrew, Area: finding.AreaCgo, Severity: finding.Warning,
		Title: fmt.Sprintf("%s: #cgo %s for darwin/arm64 name Intel Homebrew's /usr/local", p.ImportPath, strings.Join(h.kinds, ", ")),
		Path:  rel, Line: h.first,
		Evidence: append(h.evidence,
			"Homebrew installs in /opt/homebrew on Apple Silicon; /usr/local holds the Intel (Rosetta) Homebrew's x86_64 libraries, which an arm64 link rejects"),
	}
	if h.diff != "" && rel != "" {
		f.Fix = (&finding.Fix{
			Text: "Give darwin/arm64 its own #cgo lines with /opt/homebrew (or ask pkg-config: #cgo pkg-config: NAME, which finds the native Homebrew's files).",
			Diff: h.diff,
		}).Settle()
	} else {
		f.Fix = (&finding.Fix{Text: "Give darwin/arm64 its own #cgo lines with /opt/homebrew in place of /usr/local, or use #cgo pkg-config: NAME."}).Settle()
	}
	return []result{{darwinARM64, p.ImportPath, f}}
}

// homebrewScan is what scanHomebrew finds in one file.
type homebrewScan struct {
	first    int      // the line of the first #cgo line at fault (0: none)
	kinds    []string // their flag kinds, sorted
	evidence []string // "file:line: the line", one per line at fault
	diff     string   // the edit of every line at fault ("" when one has no safe edit)
}

// scanHomebrew finds the #cgo lines of a file (at rel) that apply to darwin/arm64 and
// name /usr/local's Homebrew paths, and the diff that splits each of them.
func scanHomebrew(rel string, data []byte) homebrewScan {
	var h homebrewScan
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	edits := map[int][]string{}
	editable := true
	for i, line := range lines {
		body := strings.TrimRight(line, "\r\n")
		d, ok := parseDirective(body)
		if !ok || !d.matches(darwinARM64) || !intelPath().MatchString(d.flags) {
			continue
		}
		if h.first == 0 {
			h.first = i + 1
		}
		if !slices.Contains(h.kinds, d.kind) {
			h.kinds = append(h.kinds, d.kind)
		}
		h.evidence = append(h.evidence, fmt.Sprintf("%s:%d: %s", rel, i+1, oneLine(body)))
		repl, ok := homebrewEdit(d)
		if !ok {
			editable = false
			continue
		}
		eol := line[len(body):]
		var newLines []string
		for j, r := range repl {
			if eol == "" && j < len(repl)-1 {
				r += "\n"
			} else {
				r += eol
			}
			newLines = append(newLines, r)
		}
		edits[i] = newLines
	}
	slices.Sort(h.kinds)
	if h.first != 0 && editable {
		h.diff = unifiedDiff(rel, lines, edits)
	}
	return h
}

// homebrewEdit returns the lines that replace d: the original flags for every
// platform it applied to but darwin/arm64, and /opt/homebrew's for darwin/arm64.
func homebrewEdit(d directive) ([]string, bool) {
	arm := d
	arm.opts = []string{"darwin,arm64"}
	// Again until none is left: a replacement can complete a /usr/local/opt with the
	// text before it ("/usr/local" + "/opt/homebrew"); each round removes one
	// "/usr/local/", so this ends.
	arm.flags = d.flags
	for intelPath().MatchString(arm.flags) {
		arm.flags = intelPath().ReplaceAllString(arm.flags, "/opt/homebrew/$1")
	}
	rest := d
	switch {
	case len(d.opts) == 0:
		rest.opts = []string{"!darwin", "darwin,!arm64"}
	case len(d.opts) == 1 && d.opts[0] == "darwin":
		rest.opts = []string{"darwin,!arm64"}
	case len(d.opts) == 1 && (d.opts[0] == "darwin,arm64" || d.opts[0] == "arm64,darwin"):
		return []string{arm.String()}, true
	default:
		return nil, false
	}
	return []string{rest.String(), arm.String()}, true
}

// unifiedDiff is the diff that replaces each lines[i] of edits by edits[i] in the
// file at rel (the repository's path), as patch -p1 applies it.
func unifiedDiff(rel string, lines []string, edits map[int][]string) string {
	var out []string
	for i, l := range lines {
		if repl, ok := edits[i]; ok {
			out = append(out, repl...)
			continue
		}
		out = append(out, l)
	}
	return ready.UnifiedDiff(rel, lines, out)
}
