package bench

import (
	"os"
	"os/exec"
	"syscall"
)

// inNamespace makes cmd start in new user, network and mount namespaces, mapped to
// root inside (what `unshare -rnm` does), so the DNS probe can bring up its own
// loopback, bind-mount /etc/resolv.conf and serve DNS on port 53 without touching the
// machine's network or files. The fields of cmd.SysProcAttr already set (the process
// group machine.Command's proctree gave it) are kept.
func inNamespace(cmd *exec.Cmd) bool {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	a := cmd.SysProcAttr
	a.Cloneflags |= syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	return true
}
