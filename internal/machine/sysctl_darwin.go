package machine

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// sysctl reads a sysctl by name. Integer sysctls (hw.optional.arm64,
// sysctl.proc_translated) come back in decimal; the rest as strings.
func sysctl(name string) (string, error) {
	if v, err := unix.SysctlUint32(name); err == nil {
		return strconv.FormatUint(uint64(v), 10), nil
	}
	return unix.Sysctl(name)
}
