// Package atomicfile writes files so that readers see the old content or the new, never
// a half-written file: the data goes to a temporary file in the same directory, which
// is then renamed over the target.
//
// Renaming also matters for executables on macOS: overwriting a signed binary in place
// keeps the kernel's cached signature of the old bytes, and the next run is killed.
//
// Hostile input is normal input: a writer replaces only a regular file (never a
// device, a named pipe, a socket, a directory or a symbolic link, unless the caller
// forces it) and never one of its own inputs. OpenInput is the matching rule for
// readers: it opens without blocking and refuses anything but a regular file.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotRegular is wrapped by the errors of writers asked to replace something that is
// not a regular file, and of OpenInput for an input that is not one.
var ErrNotRegular = errors.New("not a regular file")

// ErrNeedsForce is wrapped, beside ErrNotRegular, by a writer's refusal that
// Options.Force overrides: an output that is a link, a FIFO, a socket or a device
// (never a directory, and never an input).
var ErrNeedsForce = errors.New("replacing it needs force")

// ErrSameFile is wrapped by the error of a writer whose output is one of its inputs.
var ErrSameFile = errors.New("the output is one of the inputs")

// Options tunes Create.
type Options struct {
	// Force allows replacing something that is not a regular file (a device, a named
	// pipe, a socket, a symbolic link: the link itself is replaced, never its target).
	// A directory is never replaced, and an input never, even with Force.
	Force bool
	// Inputs are the files the output is made from: the output must not be one of
	// them (the same file by device and inode, whatever the names).
	Inputs []string
}

// WriteFile writes data to name with permissions perm, atomically. It refuses to
// replace anything but a regular file.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := Create(name, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Commit()
}

// File is a temporary file that becomes name on Commit.
type File struct {
	*os.File
	name string
	perm fs.FileMode
	opts Options
}

// Create starts writing name: the returned File is a temporary file beside it.
// Call Commit to rename it into place, or Abort to remove it. It refuses to replace
// anything but a regular file (see CheckTarget).
func Create(name string, perm fs.FileMode) (*File, error) {
	return CreateWith(name, perm, Options{})
}

// CreateWith is Create with options: Force to replace what is not a regular file,
// Inputs that the output must not be.
func CreateWith(name string, perm fs.FileMode, opts Options) (*File, error) {
	if err := CheckTarget(name, opts); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &File{File: f, name: name, perm: perm, opts: opts}, nil
}

// CheckTarget says whether name may be replaced by a writer: it may not exist, or be
// a regular file that is none of opts.Inputs. Anything else (a device such as
// /dev/null, a named pipe, a socket, a symbolic link) is refused unless opts.Force is
// set; a directory and an input are always refused.
func CheckTarget(name string, opts Options) error {
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if fi.IsDir() {
		return &refused{fmt.Sprintf("write %s: it is a directory", name), ErrNotRegular, false}
	}
	// Stat, not Lstat: a link to an input is that input. The output once, each input
	// once.
	ofi, oerr := os.Stat(name)
	for _, in := range opts.Inputs {
		if oerr != nil {
			break
		}
		if ifi, ierr := os.Stat(in); ierr == nil && os.SameFile(ofi, ifi) {
			return &refused{fmt.Sprintf("write %s: it is the input %s; choose another output", name, in), ErrSameFile, false}
		}
	}
	if !fi.Mode().IsRegular() && !opts.Force {
		return &refused{fmt.Sprintf("write %s: it is %s, not a regular file: refusing to replace it", name, TypeName(fi.Mode())), ErrNotRegular, true}
	}
	return nil
}

// refused is a writer's refusal: its text, and ErrNotRegular or ErrSameFile for
// errors.Is.
type refused struct {
	text  string
	kind  error
	force bool // Options.Force would override it (ErrNeedsForce)
}

func (e *refused) Error() string { return e.text }
func (e *refused) Unwrap() error { return e.kind }
func (e *refused) Is(target error) bool {
	return e.force && target == ErrNeedsForce
}

// TypeName names the type of a file mode in words: "a directory", "a symbolic link",
// "a named pipe", "a socket", "a device", "a regular file".
func TypeName(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

// Commit flushes the file to disk, sets its permissions and renames it over the
// target, checking the target once more just before. On error the temporary file is
// removed.
func (f *File) Commit() error {
	err := f.Sync()
	if err == nil {
		err = f.Chmod(f.perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = CheckTarget(f.name, f.opts)
		if err != nil {
			os.Remove(f.Name())
			return err
		}
		err = os.Rename(f.Name(), f.name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	return nil
}

// Abort closes and removes the temporary file; the target is untouched.
func (f *File) Abort() {
	f.Close()
	os.Remove(f.Name())
}

// OpenInput opens name for reading without ever blocking on it (a named pipe with no
// writer or a terminal would block a plain open) and refuses anything that is not a
// regular file, checked on the open file so that nothing can be swapped in between.
// Some files that claim to be regular block reads all the same (/proc/kmsg, size 0):
// read at most the returned FileInfo's Size bytes (io.NewSectionReader), never to
// EOF. The error names the file and what it is.
func OpenInput(name string) (*os.File, fs.FileInfo, error) {
	f, err := openNonblock(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &refused{fmt.Sprintf("%s: it is %s, not a regular file: refused", name, TypeName(fi.Mode())), ErrNotRegular, false}
	}
	return f, fi, nil
}
