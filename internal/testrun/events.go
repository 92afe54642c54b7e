package testrun

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// testEvent is the part of a test2json event (go doc test2json) that results need.
type testEvent struct {
	Action      string
	Package     string
	ImportPath  string // build-output, build-fail (Go 1.24 and later)
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// Tag returns the test2json event line with a "Target" field added first, and false
// when line is no JSON object (it is returned as it is). Every other field, known or
// not, is kept byte for byte.
func Tag(line []byte, target string) ([]byte, bool) {
	if len(line) == 0 || line[0] != '{' || !json.Valid(line) {
		return line, false
	}
	t, _ := json.Marshal(target)
	rest := bytes.TrimLeft(line[1:], " \t\r\n")
	out := make([]byte, 0, len(line)+len(t)+12)
	out = append(out, `{"Target":`...)
	out = append(out, t...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...), true
}

// collector turns one target's go test -json lines into results.
type collector struct {
	target   string
	packages []*PackageResult
	pkgs     map[string]*PackageResult
	tests    map[[2]string][]string // output lines of each running test
	build    map[string][]string    // build output by import path
}

func newCollector(target string) *collector {
	return &collector{target: target, pkgs: map[string]*PackageResult{}, tests: map[[2]string][]string{}, build: map[string][]string{}}
}

// add reads one line of go test -json output; it returns its event (false for a
// line that is no event).
func (c *collector) add(line []byte) (Event, bool) {
	tagged, ok := Tag(line, c.target)
	if !ok {
		return Event{}, false
	}
	var e testEvent
	if json.Unmarshal(line, &e) != nil {
		return Event{}, false
	}
	ev := Event{Target: c.target, JSON: tagged, Action: e.Action, Package: e.Package, Test: e.Test, Output: e.Output, Elapsed: e.Elapsed}
	switch e.Action {
	case "build-output":
		c.build[e.ImportPath] = append(c.build[e.ImportPath], e.Output)
		return ev, true
	case "build-fail", "start":
		return ev, true
	}
	if e.Package == "" {
		return ev, true
	}
	p := c.pkgs[e.Package]
	if p == nil {
		p = &PackageResult{Package: e.Package}
		c.pkgs[e.Package] = p
		c.packages = append(c.packages, p)
	}
	if e.Action == "output" {
		p.Output = append(p.Output, e.Output)
	}
	if e.Test == "" {
		switch e.Action {
		case "pass", "fail", "skip":
			p.Action, p.Elapsed, p.FailedBuild = e.Action, e.Elapsed, e.FailedBuild
			if e.FailedBuild != "" {
				p.Output = append(c.build[e.FailedBuild], p.Output...)
			}
			ev.Done = p
		}
		return ev, true
	}
	k := [2]string{e.Package, e.Test}
	switch e.Action {
	case "output":
		c.tests[k] = append(c.tests[k], e.Output)
	case "pass":
		p.Passed++
		delete(c.tests, k)
	case "fail":
		p.Failed++
		delete(c.tests, k)
	case "skip":
		p.Skipped++
		p.Skips = append(p.Skips, Skip{Test: e.Test, Reason: SkipReason(c.tests[k])})
		delete(c.tests, k)
	}
	return ev, true
}

// SkipReason is the message a test gave to Skip, from its output lines: the last
// "file.go:NN: message" entry (with its continuation lines), without the file
// prefix; testscript's own log entries (testscript.go) are passed over, as
// scripts/testsum does.
func SkipReason(output []string) string {
	var entries [][]string
	for _, l := range output {
		t := strings.TrimSpace(l)
		switch {
		case t == "", strings.HasPrefix(t, "=== "), strings.HasPrefix(t, "--- "):
			continue
		case logPrefix().MatchString(t):
			entries = append(entries, []string{t})
		case len(entries) > 0:
			entries[len(entries)-1] = append(entries[len(entries)-1], t)
		}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		m := logPrefix().FindStringSubmatch(e[0])
		if m[1] == "testscript.go" {
			continue
		}
		e[0] = strings.TrimPrefix(e[0], m[0])
		return strings.Join(e, " ")
	}
	return "(no reason given)"
}

var logPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([\w.-]+\.go):\d+: `) })

// Seconds formats a duration in seconds as go test does ("0.52s").
func Seconds(s float64) string { return strconv.FormatFloat(s, 'f', 2, 64) + "s" }
