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
//
// A writer that must stay inside a directory (gonative init writing into a cloned
// repository, whose .github may be a link to anywhere) takes an os.Root: WriteFileIn
// and CreateIn resolve the whole path beneath it, parents included, so a symbolic
// link that leads out of it is an error, never a write elsewhere.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
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
	// root, when set, is the directory name and tmp are resolved beneath
	// (CreateIn): every component, symbolic links included, stays inside it.
	root *os.Root
	tmp  string
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

// WriteFileIn is WriteFile for name beneath root: the whole path is resolved inside
// root, so a symbolic link among its parent directories that leads out of root
// (a cloned repository's .github -> /etc) is an error instead of a write elsewhere.
func WriteFileIn(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	f, err := CreateIn(root, name, perm, Options{})
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", f.display(), err)
	}
	return f.Commit()
}

// CreateIn is CreateWith for name beneath root (see WriteFileIn). The temporary file
// is made beside the target, inside root; errors name the file by root's name joined
// with name.
func CreateIn(root *os.Root, name string, perm fs.FileMode, opts Options) (*File, error) {
	f := &File{name: name, perm: perm, opts: opts, root: root}
	if err := checkTarget(rootFS{root}, name, f.display(), opts); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(name)
	for range 100 {
		tmp := filepath.Join(dir, "."+base+".tmp"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		file, err := root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", f.display(), err)
		}
		f.File, f.tmp = file, tmp
		return f, nil
	}
	return nil, fmt.Errorf("create %s: no unused temporary name beside it", f.display())
}

// display is the file's name in messages.
func (f *File) display() string {
	if f.root != nil {
		return filepath.Join(f.root.Name(), f.name)
	}
	return f.name
}

// statFS is where a target is looked up: the file system as the process sees it, or
// beneath an os.Root.
type statFS interface {
	Lstat(name string) (fs.FileInfo, error)
	Stat(name string) (fs.FileInfo, error)
}

type osFS struct{}

func (osFS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)  { return os.Stat(name) }

type rootFS struct{ *os.Root }

// CheckTarget says whether name may be replaced by a writer: it may not exist, or be
// a regular file that is none of opts.Inputs. Anything else (a device such as
// /dev/null, a named pipe, a socket, a symbolic link) is refused unless opts.Force is
// set; a directory and an input are always refused.
func CheckTarget(name string, opts Options) error {
	return checkTarget(osFS{}, name, name, opts)
}

// checkTarget is CheckTarget for name looked up in fsys; display names it in errors.
func checkTarget(fsys statFS, name, display string, opts Options) error {
	fi, err := fsys.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", display, err)
	}
	lookup := name
	name = display
	if fi.IsDir() {
		return &refused{fmt.Sprintf("write %s: it is a directory", name), ErrNotRegular, false, fs.ModeDir}
	}
	// Stat, not Lstat: a link to an input is that input. The output once, each input
	// once.
	ofi, oerr := fsys.Stat(lookup)
	for _, in := range opts.Inputs {
		if oerr != nil {
			break
		}
		if ifi, ierr := os.Stat(in); ierr == nil && os.SameFile(ofi, ifi) {
			return &refused{text: fmt.Sprintf("write %s: it is the input %s; choose another output", name, in), kind: ErrSameFile}
		}
	}
	if !fi.Mode().IsRegular() && !opts.Force {
		return &refused{fmt.Sprintf("write %s: it is %s, not a regular file: refusing to replace it", name, TypeName(fi.Mode())), ErrNotRegular, true, fi.Mode()}
	}
	return nil
}

// refused is a writer's refusal: its text, and ErrNotRegular or ErrSameFile for
// errors.Is.
type refused struct {
	text  string
	kind  error
	force bool        // Options.Force would override it (ErrNeedsForce)
	mode  fs.FileMode // the type of the file refused, when it is one
}

func (e *refused) Error() string { return e.text }
func (e *refused) Unwrap() error { return e.kind }

// Is matches ErrNeedsForce when Options.Force would override the refusal, and
// syscall.EISDIR when the file refused is a directory, as a read of it would fail.
func (e *refused) Is(target error) bool {
	return e.force && target == ErrNeedsForce || target == syscall.EISDIR && e.mode.IsDir()
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
	if f.root != nil {
		if err == nil {
			if err = checkTarget(rootFS{f.root}, f.name, f.display(), f.opts); err != nil {
				f.root.Remove(f.tmp)
				return err
			}
			err = f.root.Rename(f.tmp, f.name)
		}
		if err != nil {
			f.root.Remove(f.tmp)
			return fmt.Errorf("write %s: %w", f.display(), err)
		}
		return nil
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
	if f.root != nil {
		f.root.Remove(f.tmp)
		return
	}
	os.Remove(f.Name())
}

// OpenInputIn is OpenInput for name beneath root (see WriteFileIn).
func OpenInputIn(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	display := filepath.Join(root.Name(), name)
	f, err := openNonblockIn(root, name, display)
	if err != nil {
		return nil, nil, err
	}
	return checkInput(f, display)
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
	return checkInput(f, name)
}

// checkInput keeps f if it is a regular file, and closes it with an error naming it
// otherwise.
func checkInput(f *os.File, name string) (*os.File, fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &refused{fmt.Sprintf("%s: it is %s, not a regular file: refused", name, TypeName(fi.Mode())), ErrNotRegular, false, fi.Mode()}
	}
	return f, fi, nil
}
