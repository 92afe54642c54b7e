package goenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// RunTimeout bounds one `go env` run: a go that hangs (a broken network file system,
// a wrapper script waiting for input) costs at most this long.
const RunTimeout = 10 * time.Second

// Run runs `go env names...` with the go that PATH finds, GOTOOLCHAIN=local and a
// time-out (RunTimeout), and maps each name to its value; empty values are absent.
// It returns nil when there is no go on PATH or it fails.
func Run(ctx context.Context, names ...string) map[string]string {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, gobin, append([]string{"env"}, names...)...)
	c.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	c.WaitDelay = time.Second
	out, err := c.Output()
	if err != nil {
		return nil
	}
	return parseGoEnvLines(names, string(out))
}

// parseGoEnvLines maps names to the lines of `go env names...` output, in order,
// skipping empty values.
func parseGoEnvLines(names []string, out string) map[string]string {
	vals := map[string]string{}
	lines := strings.Split(strings.TrimRight(out, "\r\n"), "\n")
	for i, n := range names {
		if i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			vals[n] = strings.TrimSpace(lines[i])
		}
	}
	return vals
}
