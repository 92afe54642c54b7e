//go:build !unix

package atomicfile

import "os"

// openNonblock checks the type before opening (there is no O_NONBLOCK here): a named
// pipe is refused without being opened.
func openNonblock(name string) (*os.File, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &refused{name + ": it is " + TypeName(fi.Mode()) + ", not a regular file: refused", ErrNotRegular, false, fi.Mode()}
	}
	return os.Open(name)
}

// openNonblockIn is openNonblock for name beneath root.
func openNonblockIn(root *os.Root, name, display string) (*os.File, error) {
	fi, err := root.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &refused{display + ": it is " + TypeName(fi.Mode()) + ", not a regular file: refused", ErrNotRegular, false, fi.Mode()}
	}
	return root.Open(name)
}
