package goenv

import (
	"context"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/machine"
)

// RunTimeout bounds one `go env` run: a go that hangs (a broken network file system,
// a wrapper script waiting for input) costs at most this long.
const RunTimeout = 10 * time.Second

// Run runs `go env names...` on the machine m with the go that its PATH finds,
// GOTOOLCHAIN=local and a time-out (RunTimeout), and maps each name to its value;
// empty values are absent. It returns nil when there is no go on PATH or it fails.
func Run(ctx context.Context, m machine.Machine, names ...string) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	out, _, err := m.Output(ctx, []string{"GOTOOLCHAIN=local"}, "go", append([]string{"env"}, names...)...)
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
