package goenv

import (
	"context"
	"maps"
	"os/exec"
	"strings"
	"testing"
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
	got := Run(context.Background(), "GOVERSION", "GOTOOLCHAIN")
	if !strings.HasPrefix(got["GOVERSION"], "go") || got["GOTOOLCHAIN"] != "local" {
		t.Errorf("Run(GOVERSION, GOTOOLCHAIN) = %v, want go env's version and GOTOOLCHAIN=local", got)
	}
}

func TestRunNoGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if got := Run(context.Background(), "GOVERSION"); got != nil {
		t.Errorf("Run without a go on PATH = %v, want nil", got)
	}
}
