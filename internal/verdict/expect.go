package verdict

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// Want is one platform a file must provide, as given to inspect --expect:
// "os/arch", optionally followed by ":KEY=VALUE" conditions on the slice's Go build
// settings (for example "linux/amd64:GOAMD64=v1:CGO_ENABLED=0"). The key "cgo" checks
// whether runtime/cgo is really linked ("cgo=1" or "cgo=0").
type Want struct {
	OS, Arch string
	Settings map[string]string
}

func (w Want) String() string {
	s := w.OS + "/" + w.Arch
	keys := make([]string, 0, len(w.Settings))
	for k := range w.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s += ":" + k + "=" + w.Settings[k]
	}
	return s
}

// ParseWants parses a comma-separated list of wants.
func ParseWants(spec string) ([]Want, error) {
	var wants []Want
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		goos, goarch, ok := strings.Cut(parts[0], "/")
		if !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("expect %q: want OS/ARCH such as darwin/arm64", item)
		}
		w := Want{OS: goos, Arch: goarch}
		for _, kv := range parts[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("expect %q: condition %q is not KEY=VALUE", item, kv)
			}
			if w.Settings == nil {
				w.Settings = map[string]string{}
			}
			w.Settings[k] = v
		}
		wants = append(wants, w)
	}
	if len(wants) == 0 {
		return nil, fmt.Errorf("expect %q: no platform given", spec)
	}
	return wants, nil
}

// Unmet returns, for each want that f does not satisfy, why. A want is met by a slice
// of the same OS and architecture whose Go build settings (when it is a Go binary) agree
// with the slice's header and with the want's conditions.
func Unmet(f *exe.File, wants []Want) []string {
	var out []string
	for _, w := range wants {
		var why []string
		found := false
		for i := range f.Slices {
			s := &f.Slices[i]
			if s.OS != w.OS || s.Arch != w.Arch {
				continue
			}
			if p := mismatch(s, w); p != "" {
				why = append(why, p)
				continue
			}
			found = true
			break
		}
		if found {
			continue
		}
		if len(why) == 0 {
			have := make([]string, 0, len(f.Slices))
			for _, s := range f.Slices {
				have = append(have, s.OS+"/"+s.Arch)
			}
			why = append(why, fmt.Sprintf("no %s/%s slice (has %s)", w.OS, w.Arch, orNone(strings.Join(have, ", "))))
		}
		out = append(out, strings.Join(why, "; "))
	}
	return out
}

func mismatch(s *exe.Slice, w Want) string {
	g := s.Go
	if g != nil {
		if v := g.Settings["GOOS"]; v != "" && v != s.OS {
			return fmt.Sprintf("%s/%s slice says GOOS=%s in its build info", s.OS, s.Arch, v)
		}
		if v := g.Settings["GOARCH"]; v != "" && v != s.Arch {
			return fmt.Sprintf("%s/%s slice says GOARCH=%s in its build info", s.OS, s.Arch, v)
		}
	}
	for k, want := range w.Settings {
		if k == "cgo" {
			if g != nil && !g.CgoLinked().Known {
				return fmt.Sprintf("%s/%s: cgo linked is unknown (%s), want cgo=%s", s.OS, s.Arch, g.CgoLinked().Why, want)
			}
			linked := g != nil && g.CgoLinked().Value
			if (want == "1" || want == "true") != linked {
				return fmt.Sprintf("%s/%s: cgo linked is %v, want cgo=%s", s.OS, s.Arch, linked, want)
			}
			continue
		}
		if g == nil {
			return fmt.Sprintf("%s/%s: not a Go binary, cannot check %s=%s", s.OS, s.Arch, k, want)
		}
		if !g.SettingsKnown() {
			return fmt.Sprintf("%s/%s: %s is unknown (%s), want %s", s.OS, s.Arch, k, g.Sources["settings"], want)
		}
		if got := g.Settings[k]; got != want {
			return fmt.Sprintf("%s/%s: %s=%s, want %s", s.OS, s.Arch, k, orNone(got), want)
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
