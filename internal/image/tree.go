package image

import (
	"archive/tar"
	"errors"
	"io/fs"
	"path"
	"strings"
)

// node is what a tree remembers of one flattened entry.
type node struct {
	typ   byte
	mode  fs.FileMode
	link  string // symlink target, or hard link target (clean, absolute)
	layer int
	// Facts read from the content of ELF files and scripts.
	arch    string // GOARCH of an ELF file
	glibc   string // GLIBC_x.y a libc defines (its newest)
	shebang string // "#!" interpreter of a script
}

// tree is the flattened file system's metadata, without contents.
type tree map[string]*node

var (
	errNotFound = errors.New("no such file in the image")
	errLoop     = errors.New("too many levels of symbolic links")
	errTooLong  = errors.New("file name too long")
)

// pathMax is Linux's PATH_MAX: a longer path, or link target, fails with
// ENAMETOOLONG; resolve refuses them, which also bounds its work.
const pathMax = 4096

// resolve follows symbolic links (and hard links) in p within the image: an absolute
// target starts again at the image's root and ".." stops there, as in a container, so
// no link leads outside. It returns the final path and its node.
func (t tree) resolve(p string) (string, *node, error) {
	if len(p) >= pathMax {
		return p, nil, errTooLong
	}
	hops := 0
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		if len(next) >= pathMax {
			return next, nil, errTooLong
		}
		n := t[next]
		if n == nil {
			if len(rest) > 0 {
				cur = next // a directory the layers imply without an entry of its own
				continue
			}
			return next, nil, errNotFound
		}
		switch n.typ {
		case tar.TypeSymlink:
			if hops++; hops > 40 {
				return next, nil, errLoop
			}
			if len(n.link) >= pathMax {
				return next, nil, errTooLong
			}
			target := strings.Split(strings.Trim(n.link, "/"), "/")
			if strings.HasPrefix(n.link, "/") {
				cur = "/"
			}
			rest = append(target, rest...)
			continue
		case tar.TypeLink:
			if hops++; hops > 40 {
				return next, nil, errLoop
			}
			if len(rest) == 0 {
				if tn := t[n.link]; tn != nil && tn.typ != tar.TypeSymlink && tn.typ != tar.TypeLink {
					return n.link, tn, nil
				}
				return next, nil, errNotFound
			}
		}
		cur = next
	}
	if cur == "/" {
		return "/", &node{typ: tar.TypeDir, mode: fs.ModeDir | 0o755}, nil
	}
	if n := t[cur]; n != nil {
		return cur, n, nil
	}
	return cur, &node{typ: tar.TypeDir, mode: fs.ModeDir | 0o755}, nil
}

// lookPath finds a command the way a container runtime does: names with a slash are
// paths; others are searched in the image's PATH.
func (t tree) lookPath(cmd string, env []string) (string, *node, error) {
	if strings.Contains(cmd, "/") {
		return t.resolve(path.Join("/", cmd))
	}
	pathVar := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathVar = v
		}
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" || !strings.HasPrefix(dir, "/") {
			continue
		}
		if p, n, err := t.resolve(path.Join(dir, cmd)); err == nil && n.typ != tar.TypeDir {
			return p, n, nil
		}
	}
	return "", nil, errNotFound
}
