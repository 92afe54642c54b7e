package bench

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonative/gonative/internal/machine"
)

// TestProcessesRunOnTheMachine: the launcher of every measured run and the DNS probe
// start through Options.Machine, so a machine that runs nothing (a fake one) runs
// neither, though both programs exist there.
func TestProcessesRunOnTheMachine(t *testing.T) {
	fm := machine.Fake(fstest.MapFS{
		"usr/bin/env": {Data: []byte("\x7fELF"), Mode: 0o755},
		"tmp/probe":   {Data: []byte("\x7fELF"), Mode: 0o755},
	}, nil)
	m := &measurer{o: Options{Machine: fm, Timeout: time.Minute}, launcher: "/usr/bin/env"}
	ctx := context.Background()
	if p, err := m.start(ctx, &Build{path: "/tmp/probe"}, nil, io.Discard); !errors.Is(err, machine.ErrCannotRun) {
		if err == nil {
			p.wait(&Build{path: "/tmp/probe"}, nil)
		}
		t.Errorf("start on a fake machine: %v, want machine.ErrCannotRun", err)
	}
	if _, _, err := m.probe(ctx, "/tmp/probe", nil, "go", false); err == nil || !strings.Contains(err.Error(), machine.ErrCannotRun.Error()) {
		t.Errorf("probe on a fake machine: %v, want it to say %q", err, machine.ErrCannotRun)
	}
}
