package doctor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// goFlagKinds describes the build flags that GOFLAGS most often carries, as cmd/go
// declares them (cmd/go/internal/work/build.go, AddBuildFlags and AddCoverFlags;
// cmd/go/internal/base/flag.go, AddBuildFlagsNX and AddModFlag). A bool flag takes no
// value or one strconv.ParseBool accepts; any other flag needs "=value", and a listed
// set of values is all cmd/go accepts. Flags not listed are judged by go itself
// (`go version` rejects names no command knows).
var goFlagKinds = map[string][]string{
	// bool flags: nil
	"a": nil, "n": nil, "x": nil, "v": nil, "race": nil, "msan": nil, "asan": nil,
	"trimpath": nil, "linkshared": nil, "modcacherw": nil, "work": nil, "cover": nil, "json": nil,
	// flags with a value: the values cmd/go accepts, or {""} for any
	"mod":       {"readonly", "vendor", "mod"}, // work/init.go, buildModeInit: "-mod=%s not supported"
	"buildvcs":  {"true", "false", "auto"},     // work/build.go, buildvcsFlag (a bool flag with "auto")
	"covermode": {"set", "count", "atomic"},    // work/build.go, coverModeFlag
	"compiler":  {"gc", "gccgo"},               // work/build.go, buildCompiler
	"buildmode": {"archive", "c-archive", "c-shared", "default", "exe", "pie", "plugin", "shared"},
	"p":         {""}, "tags": {""}, "ldflags": {""}, "gcflags": {""}, "asmflags": {""}, "gccgoflags": {""},
	"pkgdir": {""}, "installsuffix": {""}, "overlay": {""}, "modfile": {""}, "pgo": {""},
	"coverpkg": {""}, "toolexec": {""},
}

// goFlagValueProblem returns what cmd/go says about one well-formed GOFLAGS entry
// ("-mod=vendor", "-race"), or "" when the table above does not object.
func goFlagValueProblem(f string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-")
	name, value, hasValue := strings.Cut(name, "=")
	kind, known := goFlagKinds[name]
	if !known {
		return ""
	}
	switch {
	case name == "buildvcs":
		if hasValue && value != "auto" {
			if _, err := strconv.ParseBool(value); err != nil {
				return fmt.Sprintf("-buildvcs=%s: want true, false or auto", value)
			}
		}
	case kind == nil:
		if hasValue {
			if _, err := strconv.ParseBool(value); err != nil {
				return fmt.Sprintf("invalid boolean value %q for flag -%s", value, name)
			}
		}
	case !hasValue:
		return fmt.Sprintf("flag needs an argument: -%s (write -%s=value)", name, name)
	case name == "p":
		if n, err := strconv.Atoi(value); err != nil || n <= 0 {
			return fmt.Sprintf("-p=%s: want a positive number", value)
		}
	case kind[0] != "" && !slices.Contains(kind, value):
		return fmt.Sprintf("-%s=%s not supported (can be %s)", name, value, strings.Join(kind, ", "))
	}
	return ""
}
