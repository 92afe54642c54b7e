package gocode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
)

// typeError is the first error the type checker (or the compiler, for a dependency
// go vet had to compile) reported in one package.
type typeError struct {
	Package string // import path from go vet's "# path" header (test variants folded)
	File    string // as go vet printed it: relative to the module's directory, or absolute
	Line    int
	Column  int
	Msg     string
}

// vetRun is go vet's verdict on one target.
type vetRun struct {
	Target build.Target
	// Cgo says whether go vet ran with cgo (a C compiler was found for the target).
	Cgo    bool
	Errors []typeError // the first error of each package, in output order
	// Failed is set, with Stderr's first line, when go vet failed and printed no
	// error this parser knows.
	Failed string
}

// vet runs `go vet -json PKGS` for t: analyzers' reports go to standard output as
// JSON and are not read (they are not about the target); type errors go to standard
// error under a "# package" line. The packages are those go list found no error in
// (one missing import stops go vet for every package).
func vet(ctx context.Context, m machine.Machine, dir string, t build.Target, cgo bool, cc string, pkgs []string) (*vetRun, error) {
	if len(pkgs) == 0 {
		return &vetRun{Target: t, Cgo: cgo}, nil
	}
	_, stderr, err := runGo(ctx, m, dir, goEnv(t, cgo, cc), append([]string{"vet", "-json"}, pkgs...)...)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, fmt.Errorf("%w: go vet for %s: %v", ErrGo, t, err)
	}
	r := &vetRun{Target: t, Cgo: cgo, Errors: parseVet(stderr)}
	if err != nil && len(r.Errors) == 0 {
		r.Failed = oneLine(firstLine(string(stderr)))
		if r.Failed == "" {
			r.Failed = err.Error()
		}
	}
	return r, nil
}

var (
	vetHeader = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^# (\S+)(?: \[(\S+)\])?$`) })
	vetError  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:vet: )?(\S+?\.(?:go|s|c|h)):([1-9]\d*):(?:([1-9]\d*):)? (.+)$`)
	})
)

// parseVet reads go vet's standard error: a "# import/path" line (or "# [path]",
// "# path [path.test]" for test variants) before each package's errors, each error
// "file:line:col: message", with "vet: " before the type checker's. It keeps the
// first error of each package.
func parseVet(stderr []byte) []typeError {
	var errs []typeError
	seen := map[string]bool{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := vetHeader().FindStringSubmatch(line); m != nil {
			pkg = strings.Trim(m[1], "[]")
			continue
		}
		m := vetError().FindStringSubmatch(line)
		if m == nil || pkg == "" || seen[pkg] {
			continue
		}
		ln, err := strconv.Atoi(m[2])
		if err != nil || ln <= 0 {
			continue
		}
		col, _ := strconv.Atoi(m[3])
		seen[pkg] = true
		errs = append(errs, typeError{Package: pkg, File: m[1], Line: ln, Column: col, Msg: oneLine(m[4])})
	}
	return errs
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
