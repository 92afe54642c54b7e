package goenv

import (
	"context"
	"github.com/gonative/gonative/internal/machine"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseGoEnvLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		out   string
		want  map[string]string
	}{
		{"two", []string{"GOPROXY", "GOSUMDB"}, "p1\ns1\n", map[string]string{"GOPROXY": "p1", "GOSUMDB": "s1"}},
		{"empty value skipped", []string{"GOPROXY", "GOSUMDB"}, "\ns1\n", map[string]string{"GOSUMDB": "s1"}},
		{"crlf", []string{"GOMODCACHE"}, "C:\\m\r\n", map[string]string{"GOMODCACHE": "C:\\m"}},
		{"short output", []string{"A", "B"}, "a\n", map[string]string{"A": "a"}},
		{"nothing", []string{"A"}, "", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseGoEnvLines(tc.names, tc.out); !maps.Equal(got, tc.want) {
				t.Errorf("parseGoEnvLines(%q, %q) = %v, want %v", tc.names, tc.out, got, tc.want)
			}
		})
	}
}

func TestRunAsksGo(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
	got := Run(context.Background(), machine.Real(), "GOVERSION", "GOTOOLCHAIN")
	if !strings.HasPrefix(got["GOVERSION"], "go") || got["GOTOOLCHAIN"] != "local" {
		t.Errorf("Run(GOVERSION, GOTOOLCHAIN) = %v, want go env's version and GOTOOLCHAIN=local", got)
	}
}

func TestRunNoGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if got := Run(context.Background(), machine.Real(), "GOVERSION"); got != nil {
		t.Errorf("Run without a go on PATH = %v, want nil", got)
	}
}

func TestRunOnMachine(t *testing.T) {
	m := machine.Fake(fstest.MapFS{}, nil)
	var ran []string
	m.Run = func(_ context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		ran = append(append(env, name), args...)
		return []byte("go1.99.0\nlocal\n"), nil, nil
	}
	got := Run(context.Background(), m, "GOVERSION", "GOTOOLCHAIN")
	if !slices.Equal(ran, []string{"GOTOOLCHAIN=local", "go", "env", "GOVERSION", "GOTOOLCHAIN"}) {
		t.Errorf("ran %q", ran)
	}
	if !maps.Equal(got, map[string]string{"GOVERSION": "go1.99.0", "GOTOOLCHAIN": "local"}) {
		t.Errorf("Run = %v", got)
	}
}
