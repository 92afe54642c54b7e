package machine

import (
	"os"

	"golang.org/x/sys/unix"
)

// pTranslated is P_TRANSLATED, the p_flag bit the kernel sets on a process that runs
// under Rosetta (xnu bsd/sys/proc.h; LLVM's Host::IsProcessTranslated reads it the
// same way, reviews.llvm.org/D82813). Not verified on hardware here.
const pTranslated = 0x00020000

// parentTranslated reports whether this process's parent (the shell or the terminal
// that started it) runs under Rosetta 2, read from kern.proc.pid.<ppid>'s kinfo_proc.
func parentTranslated() (bool, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", os.Getppid())
	if err != nil {
		return false, err
	}
	return kp.Proc.P_flag&pTranslated != 0, nil
}
