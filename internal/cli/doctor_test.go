package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/machine"
)

// TestDoctorExitCodes runs the doctor on fake machines: exit 3 when an error-severity
// finding exists (a Linux arm64 box with no go on PATH), 0 otherwise.
func TestDoctorExitCodes(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"platform":                               "linux/arm64\n",
		"uname":                                  "6.8.0 aarch64\n",
		"root/etc/ssl/certs/ca-certificates.crt": "",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(machine.FakeEnv, dir)
	t.Setenv("PATH", "/usr/local/go/bin")
	t.Setenv("HOME", "/home/me")
	for _, tt := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"doctor", "go.arch"}, ExitProblems, "no go on PATH"},
		{[]string{"doctor", "host.os"}, ExitOK, "linux/arm64, kernel 6.8.0"},
		{[]string{"doctor", "nope"}, ExitFailed, ""},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.out) {
			t.Errorf("gonative %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.code, stdout.String(), stderr.String())
		}
	}
	var stdout bytes.Buffer
	Run(context.Background(), []string{"doctor", "--json"}, strings.NewReader(""), &stdout, &bytes.Buffer{})
	var r struct {
		SchemaVersion int `json:"schema_version"`
		Findings      []struct {
			ID, Severity string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || r.SchemaVersion != 1 || len(r.Findings) == 0 {
		t.Errorf("--json: %v, %+v\n%s", err, r, stdout.String())
	}
}
