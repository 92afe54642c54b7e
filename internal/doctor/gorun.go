package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/machine"
)

// GoRun is what the active go said when the doctor ran it: `go env -json` and
// `go version`, once per session, concurrently, with GOTOOLCHAIN=local so that nothing
// is downloaded. `go env` alone is not enough: it deliberately ignores a bad GOFLAGS
// (cmd/go/internal/base/goflags.go, InitGOFLAGS: hideErrors for "env" and "bug"),
// which `go version` rejects like every other command.
type GoRun struct {
	// Go is the go that was run ("" when there is none on PATH).
	Go string `json:"go,omitempty"`
	// Ran is false when the doctor could not run it at all (a fake machine's binary,
	// a Machine without Exec): what go would say is then unknown, not fine.
	Ran bool `json:"ran"`
	// Why says why it was not run (when Ran is false).
	Why string `json:"why,omitempty"`
	// Env is `go env -json`'s answer (nil when it failed).
	Env map[string]string `json:"-"`
	// Version is `go version`'s output ("go version go1.26.8 linux/amd64").
	Version string `json:"version,omitempty"`
	// Failures are the commands that did not start, exited non-zero or timed out.
	Failures []GoFailure `json:"failures,omitempty"`
	// Warnings are the lines go printed on standard error while succeeding, once each.
	Warnings []string `json:"warnings,omitempty"`

	envErr error
}

// GoFailure is one go command that failed.
type GoFailure struct {
	// Command is what ran ("go env -json").
	Command string `json:"command"`
	// Message is what go printed on standard error, or why it did not start.
	Message string `json:"message"`
	// Exit is the exit status; -1 when go did not start or was killed.
	Exit int `json:"exit"`
	// TimedOut is true when go did not finish within the doctor's time-out: that
	// says nothing about whether it can run.
	TimedOut bool `json:"timed_out,omitempty"`
	// Garbled is true when go env -json succeeded but printed no JSON (a wrapper that
	// writes to standard output): go runs, the doctor just lacks its answers.
	Garbled bool `json:"garbled,omitempty"`
}

// CannotRun reports whether go ran and failed, or could not start: every go command
// the user runs fails the same way.
func (r GoRun) CannotRun() bool {
	return slices.ContainsFunc(r.Failures, func(f GoFailure) bool { return !f.TimedOut && !f.Garbled })
}

// exitCoder is an error from a program that ran and exited (*exec.ExitError).
type exitCoder interface {
	error
	ExitCode() int
}

// goCommands are the commands the doctor runs; go env -json is first.
var goCommands = [][]string{{"env", "-json"}, {"version"}}

// GoRun runs the active go once per session (see GoRun).
func (s *Session) GoRun(ctx context.Context) GoRun {
	s.goRunOnce.Do(func() {
		s.goRun = s.runGo(ctx)
		s.goRunDone.Store(true)
	})
	return s.goRun
}

func (s *Session) runGo(ctx context.Context) GoRun {
	g, ok := s.ActiveGo(ctx)
	if !ok {
		return GoRun{Why: errNoGo.Error(), envErr: errNoGo}
	}
	r := GoRun{Go: g.Path, Ran: true}
	type result struct {
		out, stderr []byte
		err         error
	}
	results := make([]result, len(goCommands))
	var wg sync.WaitGroup
	for i, args := range goCommands {
		wg.Go(func() {
			var res result
			res.out, res.stderr, res.err = s.Run(ctx, noSwitch, g.Path, args...)
			results[i] = res
		})
	}
	wg.Wait()
	for i, res := range results {
		cmd := "go " + strings.Join(goCommands[i], " ")
		if res.err != nil {
			var ee exitCoder // *exec.ExitError, or a test's stand-in
			switch {
			case errors.As(res.err, &ee) && ctx.Err() == nil && !errors.Is(res.err, context.DeadlineExceeded):
				msg := strings.TrimSpace(string(res.stderr))
				if msg == "" {
					msg = res.err.Error()
				}
				r.Failures = append(r.Failures, GoFailure{Command: cmd, Message: msg, Exit: ee.ExitCode()})
			case errors.Is(res.err, context.DeadlineExceeded) || ctx.Err() != nil:
				r.Failures = append(r.Failures, GoFailure{Command: cmd, Message: res.err.Error(), Exit: -1, TimedOut: true})
			case errors.Is(res.err, machine.ErrCannotRun) || errors.Is(res.err, exec.ErrNotFound):
				// The doctor cannot run it here; that says nothing about the go.
				r.Ran, r.Why = false, res.err.Error()
			default:
				// It did not start: exec format error, bad CPU type, permission denied.
				r.Failures = append(r.Failures, GoFailure{Command: cmd, Message: res.err.Error(), Exit: -1})
			}
			if i == 0 {
				r.envErr = res.err
			}
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(res.stderr)), "\n") {
			if line = strings.TrimSpace(line); line != "" && !slices.Contains(r.Warnings, line) {
				r.Warnings = append(r.Warnings, line)
			}
		}
		switch i {
		case 0:
			m := map[string]string{}
			if err := json.Unmarshal(res.out, &m); err != nil {
				r.envErr = fmt.Errorf("go env -json: %w", err)
				r.Failures = append(r.Failures, GoFailure{Command: cmd, Message: "its output is not JSON: " + err.Error(), Garbled: true})
				continue
			}
			r.Env = m
		case 1:
			r.Version = strings.TrimSpace(string(res.out))
		}
	}
	return r
}

// settingName matches the names of settings in what go prints ("$GOFLAGS",
// "GOEXPERIMENT", "GO111MODULE=yes").
var settingName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b[A-Z][A-Z0-9_]*[A-Z0-9]\b`) })

// culprits returns the Go settings that msg names, in the order it names them.
func culprits(msg string, l goenv.Layers) []string {
	var out []string
	for _, name := range settingName().FindAllString(msg, -1) {
		if slices.Contains(out, name) {
			continue
		}
		if _, set := l.Vars[name]; set || slices.Contains(goenv.Known, name) {
			out = append(out, name)
		}
	}
	return out
}

// safeValue is a valid value of a setting, for running `go env -u` while the go env -w
// file holds a value that makes every go command fail: the environment overrides the
// file for that one command (GOTOOLCHAIN=local also keeps go from switching first).
var safeValue = map[string]string{
	"GOTOOLCHAIN":  "local",
	"GOEXPERIMENT": "none",
	"GO111MODULE":  "on",
	"GOPATH":       `"$HOME/go"`,
	"GOFLAGS":      "-mod=mod",
}

// removeFix says how to remove a setting from the layer that set it. While go cannot
// run, plain `go env -u` fails too (for an invalid GOTOOLCHAIN, a relative GOPATH, or
// a GOTOOLCHAIN naming a toolchain that cannot be downloaded, which go tries to switch
// to first), so the bad value is overridden for that one command, or the file edited.
func removeFix(st goenv.Setting, goRuns bool) (text string, cmds []string) {
	switch st.Source {
	case goenv.SourceEnv:
		return fmt.Sprintf("Unset %s and remove it from your shell start-up files (~/.zshrc, ~/.bashrc, ~/.profile).", st.Name),
			[]string{"unset " + st.Name}
	case goenv.SourceUser:
		if goRuns {
			return fmt.Sprintf("Remove %s from the go env -w file (%s).", st.Name, st.File), []string{"go env -u " + st.Name}
		}
		if v, ok := safeValue[st.Name]; ok {
			return fmt.Sprintf("Remove %s from the go env -w file (%s); plain go env -u fails while go does, so override the bad value for that one command.", st.Name, st.File),
				[]string{fmt.Sprintf("%s=%s go env -u %s", st.Name, v, st.Name)}
		}
		return fmt.Sprintf("Delete the line %s=… from %s (the go env -w file; go env -u cannot run while go fails).", st.Name, st.File),
			[]string{fmt.Sprintf("sed -i.bak '/^%s=/d' %s", st.Name, goenv.ShellQuote(st.File))}
	case goenv.SourceGOROOT:
		return fmt.Sprintf("Delete the line %s=… from %s (shipped with this Go: reinstalling it restores the file), or override it in the environment.", st.Name, st.File), nil
	}
	return "", nil
}

// printable quotes control characters in what a program printed.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) < 0 {
		return s
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

func goRunChecks() []Check {
	return []Check{
		{ID: "go.run", Area: AreaGo, Title: "go env and go version run without errors or warnings (what go itself says)", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoRun},
		{ID: "go.module", Area: AreaGo, Title: "go list -m in the module here (what go build says: inconsistent vendoring, a go.mod go rejects)", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoModule},
		{ID: "go.switch", Area: AreaGo, Title: "the toolchain GOTOOLCHAIN or go.mod switches to is on PATH, cached or installed", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkGoSwitch},
	}
}

func checkGoRun(ctx context.Context, s *Session) []Finding {
	r := s.GoRun(ctx)
	if r.Go == "" {
		return nil // go.arch reports that there is no go
	}
	if !r.Ran {
		return []Finding{{Severity: Info, Title: "go at " + r.Go + " was not run here, so what it says is unknown", Evidence: []string{r.Why}}}
	}
	l := s.Layers(ctx)
	goRuns := !r.CannotRun()
	var fs []Finding
	// One finding per distinct message: go env and go version usually fail alike.
	type failure struct {
		cmds []string
		f    GoFailure
	}
	var failures []failure
	for _, f := range r.Failures {
		i := slices.IndexFunc(failures, func(x failure) bool { return x.f.Message == f.Message })
		if i < 0 {
			failures = append(failures, failure{f: f})
			i = len(failures) - 1
		}
		failures[i].cmds = append(failures[i].cmds, f.Command)
	}
	for _, x := range failures {
		f := x.f
		first, _, _ := strings.Cut(f.Message, "\n")
		var ev []string
		for _, c := range x.cmds {
			status := fmt.Sprintf("exit status %d", f.Exit)
			if f.Exit < 0 {
				status = "did not start"
			}
			if f.TimedOut {
				status = "timed out"
			}
			ev = append(ev, fmt.Sprintf("%s (GOTOOLCHAIN=local): %s", c, status))
		}
		for _, line := range strings.Split(f.Message, "\n") {
			ev = append(ev, "go said: "+printable(line))
		}
		if f.Garbled {
			fs = append(fs, Finding{ID: "go.run:garbled", Severity: Warning,
				Title:    "go env -json printed something that is not JSON (a wrapper or shim writing to standard output?): settings are judged without go's answers",
				Evidence: ev,
				Fix:      &Fix{Needs: finding.NeedsPerson, Text: "Run it yourself and see what else prints; a go wrapper must keep standard output to go.", Commands: []string{"go env -json"}}})
			continue
		}
		if f.TimedOut {
			fs = append(fs, Finding{ID: "go.run:timeout", Severity: Warning,
				Title:    fmt.Sprintf("%s did not finish within %s: whether go works is unknown", strings.Join(x.cmds, " and "), execTimeout),
				Evidence: ev,
				Fix:      &Fix{Needs: finding.NeedsPerson, Text: "Run it yourself to see what it waits for (a network file system, a locked module cache).", Commands: []string{"go env"}}})
			continue
		}
		fix, names := failFix(s, l, f.Message, goRuns)
		for _, n := range names {
			if st, ok := l.Vars[n]; ok {
				ev = append(ev, "set by "+where(st))
			}
		}
		title := "go cannot run: every go command fails with " + fmt.Sprintf("%q", printable(first))
		if f.Exit < 0 {
			title = fmt.Sprintf("go at %s cannot start: %s", r.Go, printable(first))
		}
		fs = append(fs, Finding{ID: "go.run", Severity: Error, Title: title, Evidence: ev, Fix: fix, Links: []string{linkEnv}})
	}
	for _, w := range r.Warnings {
		fix, names := failFix(s, l, w, goRuns)
		ev := []string{"go env -json and go version print on standard error: " + printable(w)}
		for _, n := range names {
			if st, ok := l.Vars[n]; ok {
				ev = append(ev, "set by "+where(st))
			}
		}
		fs = append(fs, Finding{ID: "go.run:warning", Severity: Warning,
			Title:    "go warns on every command: " + printable(w),
			Evidence: ev, Fix: fix, Links: []string{linkEnv}})
	}
	if len(fs) == 0 {
		v := strings.TrimPrefix(r.Version, "go version ")
		fs = append(fs, Finding{Severity: Info, Title: "go runs (" + v + "): go env and go version print no errors or warnings", Evidence: []string{r.Go}})
	}
	return fs
}

// failFix is the fix for something go printed: remove or correct the settings the
// message names, each in the layer that set it. It returns the names too.
func failFix(s *Session, l goenv.Layers, msg string, goRuns bool) (*Fix, []string) {
	names := culprits(msg, l)
	var texts, cmds []string
	var set []string
	for _, n := range names {
		st, ok := l.Vars[n]
		if !ok {
			continue
		}
		set = append(set, n)
		t, c := removeFix(st, goRuns)
		texts = append(texts, t)
		cmds = append(cmds, c...)
	}
	if len(set) == 0 {
		text := "Run the go command yourself and correct what it names."
		if len(names) > 0 {
			text = fmt.Sprintf("%s: not set in the environment, the go env -w file or $GOROOT/go.env, but computed by go (the settings checks below say how to change it).", strings.Join(names, " and "))
		}
		if strings.Contains(msg, "exec format error") || strings.Contains(msg, "bad CPU type") {
			return &Fix{Needs: finding.NeedsNetwork, Text: "This go is built for another machine: install a native Go.", Commands: []string{"gonative install"}}, names
		}
		return &Fix{Needs: finding.NeedsPerson, Text: text, Commands: []string{"go env"}}, names
	}
	return &Fix{Text: strings.Join(texts, " ") + " Then check with go env.", Commands: cmds}, set
}

// markUnjudged turns every area that found nothing into Unknown when go cannot run:
// its checks read what go would have answered, and a ✓ next to a go that fails every
// command would be a false all-clear.
func markUnjudged(areas []AreaResult) {
	for i := range areas {
		if areas[i].Status == OK {
			areas[i].Status = Unknown
			sum := "not all-clear while go cannot run"
			if areas[i].Summary != "" {
				sum = areas[i].Summary + "; " + sum
			}
			areas[i].Summary = sum
		}
	}
}

// checkGoModule asks go itself about the module of the working directory: `go -C DIR
// list -m` loads go.mod (and go.work, vendor/modules.txt) as go build does, offline
// (GOPROXY=off, GOTOOLCHAIN=local: it lists only the main modules, so it downloads
// nothing), and its error is the finding: GOFLAGS=-mod=vendor without a vendor
// directory, a go.mod that does not parse.
func checkGoModule(ctx context.Context, s *Session) []Finding {
	r := s.GoRun(ctx)
	if r.Go == "" || !r.Ran || r.CannotRun() || r.Env == nil {
		return nil // go.run says why go does not run
	}
	mod, err := modFileHere(s)
	if err != nil || mod.File == "" {
		return nil
	}
	wd, err := s.M.Getwd()
	if err != nil {
		return nil
	}
	// go -C needs Go 1.20.
	if v := r.Env["GOVERSION"]; !strings.HasPrefix(v, "go") || goenv.CompareVersions(strings.TrimPrefix(v, "go"), "1.20") < 0 {
		return []Finding{{Severity: Info, Title: "go list -m not run: " + orDash(v) + " has no go -C (Go 1.20)"}}
	}
	g, _ := s.ActiveGo(ctx)
	_, stderr, err := s.Run(ctx, append(slices.Clone(noSwitch), "GOPROXY=off"), g.Path, "-C", wd, "list", "-m")
	var ee exitCoder
	switch {
	case err == nil:
		return []Finding{{Severity: Info, Title: "go list -m loads " + mod.File}}
	case !errors.As(err, &ee) || ctx.Err() != nil:
		return []Finding{{Severity: Info, Title: "go list -m did not run, so whether go loads " + mod.File + " is unknown", Evidence: []string{printable(err.Error())}}}
	}
	msg := strings.TrimSpace(string(stderr))
	if msg == "" {
		msg = err.Error()
	}
	if strings.Contains(msg, "GOPROXY=off") {
		return []Finding{{Severity: Info, Title: "go list -m needs the network here, so whether go loads " + mod.File + " is unknown", Evidence: []string{"go said: " + printable(msg)}}}
	}
	first, _, _ := strings.Cut(msg, "\n")
	return []Finding{{Severity: Error,
		Title:    fmt.Sprintf("go fails in %s: go build, test, list and run here fail with %q", path.Dir(mod.File), printable(first)),
		Evidence: []string{"go -C " + wd + " list -m", "go said: " + printable(msg)},
		Fix:      moduleFix(ctx, s, msg), Links: []string{"https://go.dev/ref/mod#vendoring"}}}
}

// moduleFix says how to make go load the module again. Inconsistent vendoring with
// -mod=vendor in GOFLAGS: take -mod=vendor out of the layer that set it (go build
// then uses the module cache); otherwise go mod vendor (which may download).
func moduleFix(ctx context.Context, s *Session, msg string) *Fix {
	if !strings.Contains(msg, "inconsistent vendoring") {
		return &Fix{Text: "Correct what go names in the module's files."}
	}
	if st, ok := s.Layers(ctx).Vars["GOFLAGS"]; ok && slices.Contains(strings.Fields(st.Value), "-mod=vendor") && st.Source != goenv.SourceGOROOT {
		rest := slices.DeleteFunc(strings.Fields(st.Value), func(f string) bool { return f == "-mod=vendor" })
		return &Fix{Text: fmt.Sprintf("GOFLAGS (%s) forces -mod=vendor, but vendor/ does not match go.mod: take -mod=vendor out of GOFLAGS, or run go mod vendor to write vendor/.", st.Source),
			Commands: goenv.SetLines(st.Source, "GOFLAGS", strings.Join(rest, " ")), Layer: layerOf(st.Source)}
	}
	return &Fix{Text: "vendor/ does not match go.mod: write it again (or remove it to use the module cache).", Commands: []string{"go mod vendor"}, Layer: finding.LayerFile, Needs: finding.NeedsNetwork}
}
