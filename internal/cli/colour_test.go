package cli

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/doctor"
)

func TestColourWanted(t *testing.T) {
	tty, err := os.OpenFile("/dev/null", os.O_WRONLY, 0) // a file, not a terminal
	if err != nil {
		t.Skip("no /dev/null")
	}
	defer tty.Close()
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"not a terminal", nil, false},
		{"forced", map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"forced off", map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"NO_COLOR wins", map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, false},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		if got := colourWanted(tty, getenv); got != tt.want {
			t.Errorf("%s: colourWanted = %v, want %v", tt.name, got, tt.want)
		}
		if got := colourWanted(&bytes.Buffer{}, getenv); got != tt.want {
			t.Errorf("%s (buffer): colourWanted = %v, want %v", tt.name, got, tt.want)
		}
	}
	on := palette{on: true}
	if got := on.severity(doctor.Error, "✗"); got != "\x1b[31m✗\x1b[0m" {
		t.Errorf("error mark = %q", got)
	}
	if got := on.severity(doctor.Info, "•"); got != "•" {
		t.Errorf("info mark = %q", got)
	}
	if got := (palette{}).severity(doctor.Error, "✗"); got != "✗" {
		t.Errorf("off: %q", got)
	}
}

func TestSortNewestFirst(t *testing.T) {
	vs := []string{"1.26.2", "latest", "1.27.3", "1.28rc1", "1.9.7", "1.27.10"}
	sortNewestFirst(vs)
	if want := []string{"latest", "1.28rc1", "1.27.10", "1.27.3", "1.26.2", "1.9.7"}; !slices.Equal(vs, want) {
		t.Errorf("sortNewestFirst = %v, want %v", vs, want)
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"completion", "tcsh"}, strings.NewReader(""), &stdout, &stderr); code != ExitFailed {
		t.Errorf("completion tcsh: exit %d, want %d (%s)", code, ExitFailed, stderr.String())
	}
	stdout.Reset()
	if code := Run(context.Background(), []string{"completion", "zsh"}, strings.NewReader(""), &stdout, &stderr); code != ExitOK || !strings.Contains(stdout.String(), "#compdef gonative") {
		t.Errorf("completion zsh: exit %d", code)
	}
}
