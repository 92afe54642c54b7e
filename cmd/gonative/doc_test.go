package main

// The doc-test harness: every example of README.md and docs/*.md that shows gonative's
// output is run and compared, so the pages cannot drift from the tool.
//
// The convention, in the markdown: a fenced block that shows a session is written
//
//	<!-- doctest: run SETUP -->
//	```console
//	$ gonative inspect -v hello
//	hello
//	...
//	  verdict: runs natively on linux/amd64
//	```
//
// Lines starting with "$ " are shell commands, the lines after them their output
// (stdout and stderr as a terminal shows them; a line "..." stands for any lines,
// and docNormalize says what else may differ). SETUP names
// testdata/docs/SETUP.txtar: its files are written into $WORK and its comment is the
// testscript that runs first (build a fixture, start loopback servers, cd). The blocks
// of a page with the same setup run in page order in one script, so a page can tell a
// story (install, then list). A block that cannot run here is marked instead
//
//	<!-- doctest: skip REASON -->
//
// and a block the harness does not run yet
//
//	<!-- doctest: pending REASON -->
//
// A block that shows a file gonative writes (gonative init's Dockerfile, workflow,
// devcontainer.json) is the file as SETUP's script left it, PATH relative to $WORK:
//
//	<!-- doctest: file SETUP PATH -->     the whole file ("..." lines stand for any lines)
//	<!-- doctest: excerpt SETUP PATH -->  lines that follow one another in the file
//
// compared byte for byte, line by line (no normalisation: a written file is the same on
// every machine). File blocks run in the script of their page and setup, in page order
// with its sessions.
//
// TestDocExamples runs the "run" blocks, compares the "file" and "excerpt" blocks, and
// lists the others with their reasons; TestDocExamplesMarked fails on a block that
// shows gonative's output or a file gonative writes without a marker.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// docMarkerKind is what a page says the harness does with a block.
type docMarkerKind int

const (
	docUnmarked docMarkerKind = iota // no marker: an error if the block shows output
	docRun                           // run with a setup and compare
	docSkip                          // cannot run here (needs a Mac, the network), with the reason
	docPending                       // could run, not run yet, with the reason
	docFile                          // the whole of a file a setup's gonative wrote
	docExcerpt                       // consecutive lines of a file a setup's gonative wrote
)

func (k docMarkerKind) String() string {
	switch k {
	case docRun:
		return "run"
	case docSkip:
		return "skip"
	case docPending:
		return "pending"
	case docFile:
		return "file"
	case docExcerpt:
		return "excerpt"
	}
	return "unmarked"
}

// docBlock is one fenced block of a page.
type docBlock struct {
	Page  string        // the page's path, as the test names it
	Line  int           // line of the opening fence, from 1
	Info  string        // the fence's info string ("console", "sh", "")
	Kind  docMarkerKind // the marker before the fence
	Arg   string        // the setup (run, file, excerpt) or the reason (skip, pending)
	Path  string        // the file, relative to $WORK (file, excerpt)
	Body  []string      // the lines between the fences
	Error string        // a malformed marker, said as the test reports it
}

var (
	docMarkerRE = regexp.MustCompile(`^<!--\s*doctest:\s*(\S+)\s*(.*?)\s*-->\s*$`)
	docFenceRE  = regexp.MustCompile("^(```+|~~~+)\\s*([^`\\s]*)")
	// docPromptRE is a command line of a session that runs gonative, possibly after
	// variable assignments, cd or another command of a pipeline.
	docPromptRE = regexp.MustCompile(`^\$ .*\bgonative\b`)
)

// parseDocBlocks returns the fenced blocks of a page with the marker before each
// (blank lines may stand between the marker and the fence). A fence left open at the
// end of the page closes there.
func parseDocBlocks(page, text string) []docBlock {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var blocks []docBlock
	var marker *docBlock // the last marker seen, until a fence or other text
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := docMarkerRE.FindStringSubmatch(l); m != nil {
			marker = &docBlock{Line: i + 1, Arg: m[2]}
			switch m[1] {
			case "run":
				marker.Kind = docRun
			case "skip":
				marker.Kind = docSkip
			case "pending":
				marker.Kind = docPending
			case "file", "excerpt":
				marker.Kind = map[bool]docMarkerKind{true: docFile, false: docExcerpt}[m[1] == "file"]
				f := strings.Fields(marker.Arg)
				if len(f) != 2 {
					marker.Error = fmt.Sprintf("line %d: doctest %s wants a setup and a path, has %q", i+1, m[1], marker.Arg)
					break
				}
				marker.Arg, marker.Path = f[0], f[1]
			default:
				marker.Error = fmt.Sprintf("line %d: unknown doctest marker %q (want run, file, excerpt, skip or pending)", i+1, m[1])
			}
			if marker.Error == "" && marker.Arg == "" {
				marker.Error = fmt.Sprintf("line %d: doctest %s without a %s", i+1, m[1], map[bool]string{true: "setup", false: "reason"}[m[1] == "run"])
			}
			continue
		}
		m := docFenceRE.FindStringSubmatch(l)
		if m == nil {
			if strings.TrimSpace(l) != "" {
				marker = nil
			}
			continue
		}
		b := docBlock{Page: page, Line: i + 1, Info: m[2]}
		if marker != nil {
			b.Kind, b.Arg, b.Path, b.Error = marker.Kind, marker.Arg, marker.Path, marker.Error
			marker = nil
		}
		fence := m[1]
		for i++; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], fence) && strings.TrimSpace(strings.TrimLeft(lines[i], fence[:1])) == "" {
				break
			}
			b.Body = append(b.Body, lines[i])
		}
		blocks = append(blocks, b)
	}
	return blocks
}

// docOutputRE matches lines only gonative's output has: an area of doctor or netcheck,
// a verdict, a finding and its fix, fields of inspect's JSON and -v, a line of build.
var docOutputRE = regexp.MustCompile(`^\[[✓✗!?]\] |=> (runs|does not run)|^\s+fix: |"schema_version"|"required_level"|"verdict"|"slices":|` +
	`^(ok|FAIL|BAD) +[a-z0-9]+/[a-z0-9]+ |^ {4}[✗!•] |^ {2,}(format|slice \d+|linkage|cpu level|max used|uses|rosetta|isa note|signature|verdict): `)

// showsOutput reports whether the block is a session that runs gonative, or shows
// what only gonative prints (an excerpt without its command).
func (b docBlock) showsOutput() bool {
	return slices.ContainsFunc(b.Body, docPromptRE.MatchString) || slices.ContainsFunc(b.Body, docOutputRE.MatchString)
}

// docWrittenHeader starts the header comment of every file gonative init writes.
const docWrittenHeader = "Written by `gonative "

// docWrittenInfo are the fence info strings of the kinds of file gonative init writes
// (Dockerfile, .github/workflows/build.yml, .devcontainer/devcontainer.json): a block
// of one of them on a page shows such a file, or an excerpt of it, or is a file of
// someone else's and says so with a skip marker.
var docWrittenInfo = []string{"dockerfile", "yaml", "yml", "jsonc"}

// showsWrittenFile reports whether the block shows a file gonative writes, whole or in
// part: it has the header gonative writes at the top of each file, or the fence names
// the language of one.
func (b docBlock) showsWrittenFile() bool {
	return slices.Contains(docWrittenInfo, strings.ToLower(b.Info)) ||
		slices.ContainsFunc(b.Body, func(l string) bool { return strings.Contains(l, docWrittenHeader) })
}

// docCommand is one "$ " line of a session (with its continuation lines) and the
// output the page shows for it.
type docCommand struct {
	Cmd    string
	Output []string
}

// docSession splits a block into its commands. Lines before the first "$ " line are
// output of nothing and make the block malformed (ok false).
func docSession(body []string) (cmds []docCommand, ok bool) {
	for i := 0; i < len(body); i++ {
		l := body[i]
		if c, found := strings.CutPrefix(l, "$ "); found {
			for strings.HasSuffix(c, `\`) && i+1 < len(body) {
				i++
				c += "\n" + body[i]
			}
			cmds = append(cmds, docCommand{Cmd: c})
			continue
		}
		if len(cmds) == 0 {
			if strings.TrimSpace(l) == "" {
				continue
			}
			return nil, false
		}
		cmds[len(cmds)-1].Output = append(cmds[len(cmds)-1].Output, l)
	}
	return cmds, len(cmds) > 0
}

// docPages returns the pages the harness reads, relative to this package.
func docPages(t testing.TB) []string {
	pages := []string{"../../README.md"}
	for _, glob := range []string{"../../docs/*.md", "../../docs/reference/*.md"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, m...)
	}
	return pages
}

// docAllBlocks reads every page's blocks.
func docAllBlocks(t testing.TB) []docBlock {
	var all []docBlock
	for _, p := range docPages(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, parseDocBlocks(strings.TrimPrefix(p, "../../"), string(b))...)
	}
	return all
}

// docSetupDir holds the setups that "run" markers name.
const docSetupDir = "testdata/docs"

// TestDocExamplesMarked fails when a page shows gonative's output in a block that the
// harness neither runs nor is told to leave (with the reason), and on a malformed
// marker: so a new example cannot drift unnoticed.
func TestDocExamplesMarked(t *testing.T) {
	for _, b := range docAllBlocks(t) {
		where := fmt.Sprintf("%s:%d", b.Page, b.Line)
		switch {
		case b.Error != "":
			t.Errorf("%s: %s", where, b.Error)
		case b.Kind == docUnmarked && b.showsWrittenFile():
			t.Errorf("%s: this block shows a file gonative writes but has no doctest marker: "+
				"put <!-- doctest: file SETUP PATH --> (or excerpt SETUP PATH) before the fence, "+
				"where the script of cmd/gonative/%s/SETUP.txtar writes $WORK/PATH, "+
				"or <!-- doctest: skip REASON --> when the file is not gonative's", where, docSetupDir)
		case b.Kind == docUnmarked && b.showsOutput():
			t.Errorf("%s: this block shows gonative's output but has no doctest marker: "+
				"put <!-- doctest: run SETUP --> before a ```console fence (setups are in cmd/gonative/%s), "+
				"or <!-- doctest: skip REASON --> when it cannot run on a test machine", where, docSetupDir)
		case b.Kind == docUnmarked && b.Info == "console":
			t.Errorf("%s: a ```console block without a doctest marker", where)
		case b.Kind == docRun:
			if b.Info != "console" {
				t.Errorf("%s: a doctest run block must be fenced ```console, not %q", where, b.Info)
			}
			if _, ok := docSession(b.Body); !ok {
				t.Errorf("%s: a doctest run block must start with a \"$ \" command line", where)
			}
			if _, err := os.Stat(filepath.Join(docSetupDir, b.Arg+".txtar")); err != nil {
				t.Errorf("%s: setup %q: %v", where, b.Arg, err)
			}
		case b.Kind == docFile || b.Kind == docExcerpt:
			if _, err := os.Stat(filepath.Join(docSetupDir, b.Arg+".txtar")); err != nil {
				t.Errorf("%s: setup %q: %v", where, b.Arg, err)
			}
			if !filepath.IsLocal(b.Path) {
				t.Errorf("%s: doctest %s path %q is not a path inside $WORK", where, b.Kind, b.Path)
			}
			if len(docTrimBlank(b.Body)) == 0 {
				t.Errorf("%s: doctest %s block is empty", where, b.Kind)
			}
		}
	}
}

// docUpdate rewrites the pages' run and file blocks with what gonative prints and
// writes (paths as the pages show them), for a change of output the pages must follow:
// read the diff.
var docUpdate = flag.Bool("docupdate", false, "rewrite the run and file blocks of README.md and docs/*.md with what gonative prints and writes")

// TestDocExamples runs every "run" block of the pages, one testscript per page and
// setup, and compares each command's output with the page's after normalisation
// (docNormalize). It lists the blocks marked skip and pending with their reasons.
func TestDocExamples(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the doc examples are bash sessions and there is no bash here")
	}
	// The pages show native runs; under qemu-user (the linux/arm64 stage) the native
	// stage has run them already.
	if hw, err := host.Detect(context.Background(), machine.Real()); err != nil {
		t.Fatal(err)
	} else if hw.Arch != runtime.GOARCH {
		t.Skipf("this %s test binary runs emulated on %s hardware: the doc examples run in the native stage", runtime.GOARCH, hw.Arch)
	}
	all := docAllBlocks(t)
	counts := map[docMarkerKind]int{}
	for _, b := range all {
		if b.Kind == docSkip || b.Kind == docPending {
			counts[b.Kind]++
			t.Logf("%s %s:%d: %s", b.Kind, b.Page, b.Line, b.Arg)
		}
	}
	dir := t.TempDir()
	scripts, n := docScripts(t, all)
	t.Logf("doc examples: %d run, %d files and %d excerpts compared, %d skipped (cannot run here), %d pending",
		n[docRun], n[docFile], n[docExcerpt], counts[docSkip], counts[docPending])
	if len(scripts) == 0 {
		t.Fatal("no page has a doctest run block")
	}
	for name, a := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name+".txtar"), txtar.Format(a), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	goenv := map[string]string{}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	for i, v := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		goenv[[]string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"}[i]] = v
	}
	v, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	goversion := strings.TrimSpace(string(v))
	updates := t.TempDir()
	if *docUpdate {
		// After the scripts, which run as parallel subtests.
		t.Cleanup(func() { docApplyUpdates(t, updates) })
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(e *testscript.Env) error {
			// The caches the tests share; not GOROOT, which a user does not export.
			for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
				e.Setenv(k, goenv[k])
			}
			for _, k := range []string{"GOPROXY", "GOSUMDB", "GOFLAGS"} {
				if v := os.Getenv(k); v != "" {
					e.Setenv(k, v)
				}
			}
			home := filepath.Join(e.WorkDir, "home", "me")
			if err := os.MkdirAll(home, 0o777); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("GOTOOLCHAIN", "local")
			e.Setenv("GONATIVE_HOME", "") // the default store, under $HOME
			e.Setenv("DOCGOROOT", goenv["GOROOT"])
			e.Setenv("DOCGOVERSION", goversion)
			e.Setenv("DOCGOCACHE", goenv["GOCACHE"])
			e.Setenv("DOCGOMODCACHE", goenv["GOMODCACHE"])
			if *docUpdate {
				e.Setenv("DOCUPDATE", updates)
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			// [exists:PATH]: this machine has PATH (a binfmt_misc handler, a loader).
			if name, ok := strings.CutPrefix(cond, "exists:"); ok {
				_, err := os.Stat(name)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"doccmp":      cmdDocCmp,
			"docfile":     cmdDocFile,
			"tcproxy":     cmdToolchainProxy,
			"netserve":    cmdNetServe,
			"registry":    cmdImageRegistry,
			"imagefix":    cmdImageFixture,
			"age":         cmdAge,
			"gkmimic":     cmdGKMimic,
			"notaryserve": cmdNotaryServe,
		},
	})
}

// docScripts makes the testscripts of the "run", "file" and "excerpt" blocks: one
// per page and setup, named after both, and the number of blocks of each kind they
// hold.
func docScripts(t *testing.T, all []docBlock) (map[string]*txtar.Archive, map[docMarkerKind]int) {
	scripts := map[string]*txtar.Archive{}
	n := map[docMarkerKind]int{}
	for _, b := range all {
		if b.Kind != docRun && b.Kind != docFile && b.Kind != docExcerpt {
			continue
		}
		cmds, ok := docSession(b.Body)
		if b.Kind == docRun && !ok {
			t.Errorf("%s:%d: not a session (TestDocExamplesMarked says why)", b.Page, b.Line)
			continue
		}
		name := strings.NewReplacer("/", "_", ".md", "").Replace(b.Page) + "-" + b.Arg
		a := scripts[name]
		if a == nil {
			setup, err := txtar.ParseFile(filepath.Join(docSetupDir, b.Arg+".txtar"))
			if err != nil {
				t.Errorf("%s:%d: %v", b.Page, b.Line, err)
				continue
			}
			// Copies: the parsed comment and files share one buffer, which appending
			// to the comment would overwrite.
			a = &txtar.Archive{Comment: slices.Clone(setup.Comment), Files: slices.Clone(setup.Files)}
			scripts[name] = a
		}
		id := fmt.Sprintf(".doctest/%d", b.Line)
		if b.Kind != docRun {
			if !filepath.IsLocal(b.Path) {
				t.Errorf("%s:%d: doctest %s path %q is not a path inside $WORK", b.Page, b.Line, b.Kind, b.Path)
				continue
			}
			a.Files = append(a.Files, txtar.File{Name: id + ".want", Data: []byte(strings.Join(b.Body, "\n") + "\n")})
			a.Comment = fmt.Appendf(a.Comment, "\n# %s:%d\ndocfile %s:%d %s $WORK/%s.want $WORK/%s\n",
				b.Page, b.Line, b.Page, b.Line, b.Kind, id, filepath.ToSlash(b.Path))
			n[b.Kind]++
			continue
		}
		var sh strings.Builder
		// One bash session per page and setup, as a user's terminal: the shell state
		// (variables, functions, PROMPT_COMMAND, the directory) carries from
		// block to block; PROMPT_COMMAND runs before each command, as at a prompt (the
		// hook of gonative env); each command sees in $? the status of the one before.
		sh.WriteString("exec 2>&1\ndoctest_status=0\n[ -f \"$WORK/.doctest/state\" ] && . \"$WORK/.doctest/state\" 2>/dev/null\n")
		for i, c := range cmds {
			fmt.Fprintf(&sh, "eval \"${PROMPT_COMMAND:-}\"\nprintf '%s%d\\n'; (exit $doctest_status)\n%s\ndoctest_status=$?\n", docMark, i, c.Cmd)
		}
		// The prompt after the last command: what the hook says then is that command's.
		sh.WriteString("eval \"${PROMPT_COMMAND:-}\"\n{ declare -p; declare -f; printf 'cd %q\\n' \"$PWD\"; } > \"$WORK/.doctest/state\"\ntrue\n")
		a.Files = append(a.Files,
			txtar.File{Name: id + ".sh", Data: []byte(sh.String())},
			txtar.File{Name: id + ".want", Data: []byte(strings.Join(b.Body, "\n") + "\n")})
		a.Comment = fmt.Appendf(a.Comment, "\n# %s:%d\nexec bash $WORK/%s.sh\ndoccmp %s:%d $WORK/%s.want $WORK/%s.sh\n",
			b.Page, b.Line, id, b.Page, b.Line, id, id)
		n[docRun]++
	}
	return scripts, n
}

// docApplyUpdates writes the blocks that -docupdate collected in dir (files named
// PAGE@LINE, the page's slashes as underscores) into their pages, the last block of
// a page first so that the line numbers of the others hold.
func docApplyUpdates(t *testing.T, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	byPage := map[string]map[int]string{}
	for _, e := range ents {
		page, line, ok := strings.Cut(e.Name(), "@")
		var n int
		if _, err := fmt.Sscan(line, &n); !ok || err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		page = "../../" + strings.ReplaceAll(page, "_", "/")
		if byPage[page] == nil {
			byPage[page] = map[int]string{}
		}
		byPage[page][n] = string(b)
	}
	for page, blocks := range byPage {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for _, blk := range slices.Backward(parseDocBlocks(page, string(b))) {
			body, ok := blocks[blk.Line]
			if !ok {
				continue
			}
			lines = slices.Replace(lines, blk.Line, blk.Line+len(blk.Body), strings.Split(body, "\n")...)
		}
		if err := os.WriteFile(page, []byte(strings.Join(lines, "\n")), 0o666); err != nil {
			t.Fatal(err)
		}
		t.Logf("-docupdate: rewrote %d blocks of %s", len(blocks), page)
	}
}

// docMark starts the line the block's shell prints before each command, so the
// output can be split per command.
const docMark = "\x1edoctest "

// cmdDocCmp runs "doccmp PAGE:LINE WANT SCRIPT": the stdout of the last command (the
// block's shell script) must be the session WANT shows, after normalisation.
func cmdDocCmp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: doccmp PAGE:LINE WANT SCRIPT")
	}
	want, _ := docSession(strings.Split(strings.TrimSuffix(ts.ReadFile(args[1]), "\n"), "\n"))
	got := docTranscript(ts.ReadFile("stdout"), want)
	repl := docReplacer(ts.Getenv("WORK"), ts.Getenv("DOCGOROOT"), ts.Getenv("DOCGOVERSION"),
		ts.Getenv("DOCGOCACHE"), ts.Getenv("DOCGOMODCACHE"))
	var wantLines, gotLines []string
	// A blank line that ends a command's output is the page's spacing.
	for _, c := range want {
		wantLines = append(wantLines, "$ "+c.Cmd)
		wantLines = append(wantLines, docTrimBlank(c.Output)...)
	}
	for _, c := range got {
		gotLines = append(gotLines, "$ "+c.Cmd)
		gotLines = append(gotLines, docTrimBlank(c.Output)...)
	}
	w, g := docNormalizeAll(wantLines, repl), docNormalizeAll(gotLines, repl)
	if !docMatch(w, g) {
		var shown []string
		for _, l := range gotLines {
			shown = append(shown, strings.TrimRight(repl.Replace(l), " "))
		}
		for len(shown) > 0 && shown[len(shown)-1] == "" {
			shown = shown[:len(shown)-1]
		}
		if dir := ts.Getenv("DOCUPDATE"); dir != "" && len(got) > 0 && got[0].Cmd != docBeforeFirst {
			name := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "@").Replace(args[0]))
			if err := os.WriteFile(name, []byte(strings.Join(shown, "\n")), 0o666); err != nil {
				ts.Fatalf("%v", err)
			}
			ts.Logf("%s: rewritten (-docupdate): %s", args[0], docFirstDiff(w, g))
			return
		}
		ts.Fatalf("%s: the page's example differs from what gonative prints now (%s); it prints:\n%s\n(lines compared after docNormalize; a line \"...\" on the page stands for any lines)",
			args[0], docFirstDiff(w, g), strings.Join(shown, "\n"))
	}
}

// cmdDocFile runs "docfile PAGE:LINE KIND WANT FILE": FILE, which gonative wrote, must
// be what the page's block WANT shows: the whole file (KIND file) or lines of it that
// follow one another (KIND excerpt); a line "..." of the block stands for any lines.
func cmdDocFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 || (args[1] != "file" && args[1] != "excerpt") {
		ts.Fatalf("usage: docfile PAGE:LINE file|excerpt WANT FILE")
	}
	want := docTrimBlank(strings.Split(ts.ReadFile(args[2]), "\n"))
	data, err := os.ReadFile(args[3])
	if err != nil {
		ts.Fatalf("%s: the file the block shows: %v", args[0], err)
	}
	got := docTrimBlank(strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"))
	if docFileMatch(args[1] == "excerpt", want, got) {
		return
	}
	if dir := ts.Getenv("DOCUPDATE"); dir != "" && args[1] == "file" {
		name := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "@").Replace(args[0]))
		if err := os.WriteFile(name, []byte(strings.Join(got, "\n")), 0o666); err != nil {
			ts.Fatalf("%v", err)
		}
		ts.Logf("%s: rewritten (-docupdate): %s", args[0], docFirstDiff(want, got))
		return
	}
	what := docFirstDiff(want, got)
	if args[1] == "excerpt" {
		what = "its lines are not lines of the file that follow one another"
	}
	ts.Fatalf("%s: the page's %s differs from the file gonative wrote (%s); the file is:\n%s",
		args[0], args[1], what, strings.Join(got, "\n"))
}

// docFileMatch reports whether a file's lines are what a block shows: all of them
// or, for an excerpt, a run of them; a block line "..." stands for any lines.
func docFileMatch(excerpt bool, block, file []string) bool {
	if excerpt {
		block = slices.Concat([]string{"..."}, block, []string{"..."})
	}
	return docMatch(block, file)
}

// docTrimBlank returns lines without the blank lines at their end.
func docTrimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// docFirstDiff says where two normalised sessions first differ, up to the page's
// first "..." line (past it the match is not line for line).
func docFirstDiff(want, got []string) string {
	for i := range max(len(want), len(got)) {
		switch {
		case i < len(want) && want[i] == "...":
			return "the lines before the page's first ... agree"
		case i >= len(want):
			return fmt.Sprintf("it prints more: line %d %q", i+1, got[i])
		case i >= len(got):
			return fmt.Sprintf("it prints less: the page's line %d %q is missing", i+1, want[i])
		case want[i] != got[i]:
			return fmt.Sprintf("line %d: the page has %q, gonative prints %q", i+1, want[i], got[i])
		}
	}
	return "they agree line for line"
}

// docProgressRE matches the plain progress lines a command prints off a terminal (in
// an order that varies from run to run). A page shows a session as a terminal leaves it,
// where the live progress display is gone at the end, so they are not compared.
var docProgressRE = regexp.MustCompile(`^ {5}\S+/\S+ +building \S+$`)

// docBeforeFirst names the output a block's script printed before its first command
// (a page cannot show it, and -docupdate does not write it).
const docBeforeFirst = "(before the first command)"

// docTranscript splits the output of a block's script into its commands, named as
// the page names them, without progress lines (docProgressRE).
func docTranscript(out string, want []docCommand) []docCommand {
	var got []docCommand
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if docProgressRE.MatchString(l) {
			continue
		}
		if rest, ok := strings.CutPrefix(l, docMark); ok {
			var i int
			fmt.Sscan(rest, &i)
			c := docCommand{Cmd: "?"}
			if i < len(want) {
				c.Cmd = want[i].Cmd
			}
			got = append(got, c)
			continue
		}
		if len(got) == 0 {
			got = append(got, docCommand{Cmd: docBeforeFirst})
		}
		got[len(got)-1].Output = append(got[len(got)-1].Output, l)
	}
	return got
}

// docGoVersion is the Go release the pages show for the go of the machine.
const docGoVersion = "go1.26.8"

// docReplacer turns the facts of a test machine into the ones pages show: the
// script's work directory is the root (so $WORK/home/me/proj reads /home/me/proj), the
// machine's GOROOT is /usr/local/go, its Go release docGoVersion, and the caches the
// tests share are the default ones of /home/me.
func docReplacer(work, goroot, goversion, gocache, gomodcache string) *strings.Replacer {
	var pairs []string
	if gocache != "" {
		pairs = append(pairs, gocache, "/home/me/.cache/go-build")
	}
	if gomodcache != "" {
		pairs = append(pairs, gomodcache, "/home/me/go/pkg/mod")
	}
	if goversion != "" && goversion != docGoVersion {
		pairs = append(pairs, goversion+" ", docGoVersion+" ", goversion+")", docGoVersion+")")
	}
	if goroot != "" {
		pairs = append(pairs, goroot, "/usr/local/go")
	}
	if work != "" {
		pairs = append(pairs, work, "")
	}
	return strings.NewReplacer(pairs...)
}

// The values that differ from run to run or machine to machine, each replaced by a
// placeholder on both sides before comparing.
var docNormalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?`), "<time>"},
	{regexp.MustCompile(`\b[0-9a-f]{7,}\b`), "<hex>"},
	{regexp.MustCompile(`\b0x[0-9a-f]+\b`), "0x<hex>"},
	{regexp.MustCompile(`(^|[^\w/])([A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{44})([^\w+/=]|$)`), "$1<base64>$3"},
	{regexp.MustCompile(`\b([0-9A-F]{2}:){31}[0-9A-F]{2}\b`), "<sha256>"},
	{regexp.MustCompile(`\b\d+(\.\d+)?\s?(B|bytes|kB|KB|KiB|MB|MiB|GB|GiB)\b`), "<size>"},
	{regexp.MustCompile(`\b(\d+(\.\d+)?(ns|µs|us|ms|h|m|s))+\b`), "<duration>"},
	{regexp.MustCompile(`\b\d+(\.\d+)? (ns|µs|us|ms)\b`), "<duration>"},
	{regexp.MustCompile(`"duration_ms": [0-9.]+`), `"duration_ms": <duration>`},
	{regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]|[\w.-]+\.test):\d+`), "$1:<port>"},
	// The machine's kernel and its CA bundle.
	{regexp.MustCompile(`\bkernel [^\s;,)]+`), "kernel <release>"},
	{regexp.MustCompile(`\btrusts \d+ certificates\b`), "trusts <n> certificates"},
	// The Go settings of the environment the examples run in (the tests share caches).
	{regexp.MustCompile(`\bGo settings: \d+ set\b`), "Go settings: <n> set"},
	{regexp.MustCompile(`\s+`), " "},
}

// docNormalize returns a line as the comparison sees it: machine paths replaced,
// times, hashes, sizes, durations and loopback ports made placeholders, runs of white
// space one space, no space at the ends.
func docNormalize(l string, repl *strings.Replacer) string {
	l = repl.Replace(l)
	for _, n := range docNormalizers {
		l = n.re.ReplaceAllString(l, n.with)
	}
	return strings.TrimSpace(l)
}

func docNormalizeAll(lines []string, repl *strings.Replacer) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, docNormalize(l, repl))
	}
	// Trailing blank lines are not shown on a page.
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// docMatch reports whether got is want, where a want line "..." stands for any number
// of lines (none too).
func docMatch(want, got []string) bool {
	// memo[i][j]: want[i:] has been tried against got[j:] and does not match.
	memo := make([][]bool, len(want)+1)
	for i := range memo {
		memo[i] = make([]bool, len(got)+1)
	}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for {
			if memo[i][j] {
				return false
			}
			if i == len(want) {
				return j == len(got)
			}
			if want[i] == "..." {
				for k := j; k <= len(got); k++ {
					if match(i+1, k) {
						return true
					}
				}
				memo[i][j] = true
				return false
			}
			if j == len(got) || want[i] != got[j] {
				memo[i][j] = true
				return false
			}
			i, j = i+1, j+1
		}
	}
	return match(0, 0)
}

// docBlocksOf is parseDocBlocks for the fuzz test's invariant: the text between the
// fences of each block is its body, line for line.
func docBlocksOf(text string) ([]docBlock, []string) {
	return parseDocBlocks("fuzz.md", text), strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}
