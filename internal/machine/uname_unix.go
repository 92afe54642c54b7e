//go:build unix

package machine

import "golang.org/x/sys/unix"

// uname returns the kernel release and machine of this system.
func uname() (string, string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", err
	}
	return unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:]), nil
}
