package bench

import (
	"context"
	"syscall"
	"testing"

	"github.com/gonative/gonative/internal/machine"
)

// TestInNamespaceKeepsProcessGroup: the DNS probe's namespaces are added to the
// command machine.Command made, whose process group (proctree) ends the probe's
// whole tree with its context; neither replaces the other.
func TestInNamespaceKeepsProcessGroup(t *testing.T) {
	cmd := machine.Real().Command(context.Background(), "true")
	if !inNamespace(cmd) {
		t.Fatal("inNamespace is false on Linux")
	}
	a := cmd.SysProcAttr
	const want = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS
	if a == nil || !a.Setpgid || a.Cloneflags&want != want || len(a.UidMappings) != 1 || len(a.GidMappings) != 1 || cmd.Cancel == nil {
		t.Errorf("SysProcAttr = %+v, Cancel set %v; want a process group and the three namespaces", a, cmd.Cancel != nil)
	}
}
