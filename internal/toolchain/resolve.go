package toolchain

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/goenv"
)

// Offered returns the versions among rels built for p, oldest first, each once.
func Offered(rels []Release, p Platform) []string {
	var vs []string
	for _, r := range rels {
		if r.Platform == p && !slices.Contains(vs, r.Version) {
			vs = append(vs, r.Version)
		}
	}
	SortVersions(vs)
	return vs
}

// allVersions returns every version in rels, oldest first, each once.
func allVersions(rels []Release) []string {
	var vs []string
	for _, r := range rels {
		if !slices.Contains(vs, r.Version) {
			vs = append(vs, r.Version)
		}
	}
	SortVersions(vs)
	return vs
}

// DescribeRange is "go1.21.0 to go1.27.3" for vs, or "none".
func DescribeRange(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	vs = slices.Clone(vs)
	SortVersions(vs)
	return fmt.Sprintf("go%s to go%s", vs[0], vs[len(vs)-1])
}

// ErrUnknownVersion is wrapped by the errors of ResolveOffered and ExplainMissing when
// no source knows a version; ErrNotOffered when a source has it, but not for the platform.
var (
	ErrUnknownVersion = errors.New("unknown Go version")
	ErrNotOffered     = errors.New("not offered for this platform")
)

// offerError is an error that reads as its message and matches a sentinel.
type offerError struct {
	msg  string
	kind error
}

func (e *offerError) Error() string        { return e.msg }
func (e *offerError) Is(target error) bool { return target == e.kind }

// ResolveOffered turns q into one version that rels offer for p. An exact q is returned
// as it is (the download says whether it exists); otherwise the error says whether the
// version is unknown or not built for p. source describes where rels came from.
func ResolveOffered(q Query, rels []Release, p Platform, source string) (string, error) {
	if q.Exact() {
		return q.Version, nil
	}
	here, all := Offered(rels, p), allVersions(rels)
	if v, ok := q.Resolve(here); ok {
		return v, nil
	}
	if v, ok := q.Resolve(all); ok {
		return "", &offerError{fmt.Sprintf("go%s is not offered for %s (%s): %s", v, p, source, DescribeRange(here)), ErrNotOffered}
	}
	return "", &offerError{fmt.Sprintf("unknown Go version %q (%s offers %s)", q, source, DescribeRange(all)), ErrUnknownVersion}
}

// ExplainMissing turns a failed download of version v for p into "unknown version" or
// "not offered for this platform" from rels, the sources' list of releases; it returns
// err itself when v is offered for p (the failure was something else) or rels is empty.
func ExplainMissing(rels []Release, v string, p Platform, source string, err error) error {
	if len(rels) == 0 {
		return err
	}
	here := Offered(rels, p)
	if slices.Contains(here, v) {
		return err
	}
	var plats []string
	for _, r := range rels {
		if r.Version == v && !slices.Contains(plats, r.Platform.String()) {
			plats = append(plats, r.Platform.String())
		}
	}
	if len(plats) > 0 {
		return &offerError{fmt.Sprintf("go%s is not offered for %s (%s has it for %s; for %s it offers %s)", v, p, source, strings.Join(plats, ", "), p, DescribeRange(here)), ErrNotOffered}
	}
	return &offerError{fmt.Sprintf("unknown Go version %s (%s offers %s for %s)", v, source, DescribeRange(here), p), ErrUnknownVersion}
}

// NotInstalledError says that no installed version matches a query.
type NotInstalledError struct {
	Query     Query
	Installed []string // the installed versions
}

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("go%s is not installed (installed: %s)", e.Query, JoinVersions(e.Installed))
}

// Is makes errors.Is(err, fs.ErrNotExist) true.
func (e *NotInstalledError) Is(target error) bool { return target == fs.ErrNotExist }

// JoinVersions is "go1.26.2, go1.27.3", or "none".
func JoinVersions(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = "go" + v
	}
	return strings.Join(out, ", ")
}

// Versions returns the installed versions, oldest first.
func (s Store) Versions() ([]string, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	vs := make([]string, 0, len(list))
	for _, i := range list {
		vs = append(vs, i.Version)
	}
	return vs, nil
}

// Resolve turns arg (1.27.3, go1.27.3, 1.27 or latest) into an installed version. It
// fails with a *NotInstalledError when none matches.
func (s Store) Resolve(arg string) (string, error) {
	q, err := ParseQuery(arg)
	if err != nil {
		return "", err
	}
	vs, err := s.Versions()
	if err != nil {
		return "", err
	}
	if v, ok := q.Resolve(vs); ok {
		return v, nil
	}
	return "", &NotInstalledError{Query: q, Installed: vs}
}

// ModuleAsks is the version a module asks for: the toolchain line of its go.work or
// go.mod, else its go line (a 1.21 or later language version gets ".0", as cmd/go
// does).
func ModuleAsks(m goenv.ModFile) (string, error) {
	if m.File == "" {
		return "", errors.New("no go.mod or go.work here")
	}
	if v := goenv.ToolchainVersion(m.Toolchain); v != "" {
		return v, nil
	}
	if m.Go == "" {
		return "", fmt.Errorf("%s has no go line", m.File)
	}
	if goenv.IsLangVersion(m.Go) && goenv.CompareVersions(m.Go, "1.21") >= 0 {
		return m.Go + ".0", nil
	}
	return m.Go, nil
}

// PinPath rewrites a PATH list for a directory's pin: every directory inside the store's
// versions/ is dropped, and binDir (the pinned toolchain's bin, or "" for none) is put
// first. sep is the list separator.
func (s Store) PinPath(path, binDir string, sep string) string {
	var keep []string
	if binDir != "" {
		keep = append(keep, binDir)
	}
	prefix := s.VersionsDir() + string(filepath.Separator)
	for _, d := range strings.Split(path, sep) {
		if path == "" {
			break
		}
		if !strings.HasPrefix(filepath.Clean(d)+string(filepath.Separator), prefix) {
			keep = append(keep, d)
		}
	}
	return strings.Join(keep, sep)
}

// ErrPinTooOld is matched (errors.Is) by a *PinTooOldError.
var ErrPinTooOld = errors.New("the pinned version is older than the module's go line")

// PinTooOldError is a pin of a toolchain older than the go line of the go.work or
// go.mod that cmd/go obeys: cmd/go never runs such a toolchain for the module. With
// GOTOOLCHAIN=auto (the default) it switches away to the go line's version, with
// GOTOOLCHAIN=local it refuses ("go.mod requires go >= ...").
type PinTooOldError struct {
	Version string // the pinned toolchain ("1.25.3")
	Needs   string // the go line ("1.26")
	File    string // the go.mod or go.work
}

func (e *PinTooOldError) Error() string {
	return fmt.Sprintf("go%s is older than the go %s that %s requires: cmd/go would not run it here (it switches to go%s with GOTOOLCHAIN=auto and refuses with local)",
		e.Version, e.Needs, e.File, e.Needs)
}

// Is makes every *PinTooOldError match ErrPinTooOld.
func (e *PinTooOldError) Is(target error) bool { return target == ErrPinTooOld }

// CheckLocalPin says whether a pin of toolchain v in the working directory would run,
// as cmd/go decides: a *PinTooOldError when v is older than the go line of the go.work
// or go.mod cmd/go obeys there, nil when it is not older or there is no module.
func (m *Manager) CheckLocalPin(v string) error {
	mf, err := goenv.FindModFile(m.Dir, m.Getenv("GOWORK"), ReadInput)
	if err != nil || mf.File == "" || mf.Go == "" {
		return nil
	}
	if goenv.CompareVersions(v, mf.Go) < 0 {
		return &PinTooOldError{Version: v, Needs: mf.Go, File: mf.File}
	}
	return nil
}
