// Package toolchain installs, lists and selects native Go toolchains: it resolves
// versions against a source (a GOPROXY serving the golang.org/toolchain module, verified
// against GOSUMDB, or the official download site's JSON index with SHA-256), installs
// them atomically into a store, exposes them as links (go, gofmt, goX.Y.Z), and decides
// which go a directory runs and why. It returns data; internal/cli prints.
package toolchain

import (
	"fmt"
	"go/version"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/goenv"
)

// ModulePath is the module that carries Go toolchains through module proxies.
const ModulePath = "golang.org/toolchain"

// Platform is a GOOS/GOARCH pair.
type Platform struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// ModuleVersion is the golang.org/toolchain module version carrying Go version v
// ("1.27.3") for p: "v0.0.1-go1.27.3.linux-amd64".
func ModuleVersion(v string, p Platform) string {
	return "v0.0.1-go" + v + "." + p.OS + "-" + p.Arch
}

// parseModuleVersion splits a golang.org/toolchain module version into the Go version
// and platform; ok is false for anything else.
func parseModuleVersion(mv string) (v string, p Platform, ok bool) {
	rest, ok := strings.CutPrefix(mv, "v0.0.1-go")
	if !ok {
		return "", Platform{}, false
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return "", Platform{}, false
	}
	v, plat := rest[:i], rest[i+1:]
	os, arch, ok := strings.Cut(plat, "-")
	if !ok || v == "" || os == "" || arch == "" || goenv.ToolchainVersion("go"+v) != v {
		return "", Platform{}, false
	}
	return v, Platform{os, arch}, true
}

// Query is what a user asked for: an exact version, a language version meaning its
// newest patch, or the newest stable release.
type Query struct {
	// Version is "1.27.3", "1.27" or "1.28rc1"; empty for Latest.
	Version string
	// Latest is true for "latest".
	Latest bool
}

// ParseQuery parses a version argument: "1.27.3", "go1.27.3", "1.27" (newest patch of
// 1.27), "1.28rc1", or "latest".
func ParseQuery(arg string) (Query, error) {
	if arg == "latest" {
		return Query{Latest: true}, nil
	}
	v := strings.TrimPrefix(arg, "go")
	if v == "" || !strings.Contains(v, ".") || goenv.ToolchainVersion("go"+v) != v {
		return Query{}, fmt.Errorf("invalid Go version %q (want 1.27.3, go1.27.3, 1.27 or latest)", arg)
	}
	return Query{Version: v}, nil
}

// Exact reports whether q names one release (not a language version or latest).
func (q Query) Exact() bool {
	return !q.Latest && (!goenv.IsLangVersion(q.Version) || goenv.CompareVersions(q.Version, "1.21") < 0)
}

func (q Query) String() string {
	if q.Latest {
		return "latest"
	}
	return q.Version
}

// Resolve picks the release q names among available versions: the exact version, the
// newest stable patch of a language version (falling back to its newest pre-release
// when there is no stable one yet), or the newest stable release. ok is false when none
// matches.
func (q Query) Resolve(available []string) (string, bool) {
	vs := slices.Clone(available)
	SortVersions(vs)
	if q.Exact() {
		if slices.Contains(vs, q.Version) {
			return q.Version, true
		}
		return "", false
	}
	var pre string
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if !q.Latest && langOf(v) != q.Version {
			continue
		}
		if Stable(v) {
			return v, true
		}
		if pre == "" {
			pre = v
		}
	}
	if !q.Latest && pre != "" {
		return pre, true
	}
	return "", false
}

// SortVersions sorts Go versions oldest first with go/version's ordering.
func SortVersions(vs []string) {
	slices.SortFunc(vs, goenv.CompareVersions)
}

// Stable reports whether v is a release (not a beta or release candidate).
func Stable(v string) bool { return !strings.Contains(v, "rc") && !strings.Contains(v, "beta") }

// langOf returns the language version of v: "1.27.3" → "1.27".
func langOf(v string) string { return strings.TrimPrefix(version.Lang("go"+v), "go") }
