//go:build unix

package build

import (
	"os"

	"golang.org/x/sys/unix"
)

// linkAt makes name, in the directory root holds, a hard link to the file at p. The
// new name is resolved by the directory's handle (linkat(2)), so a directory swapped
// for a link after root was opened does not move it.
func linkAt(root *os.Root, p, name string) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Linkat(unix.AT_FDCWD, p, int(d.Fd()), name, 0); err != nil {
		return &os.LinkError{Op: "linkat", Old: p, New: name, Err: err}
	}
	return nil
}
