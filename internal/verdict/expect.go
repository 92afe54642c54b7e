package verdict

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// Want is one platform a file must provide, as given to inspect --expect:
// "os/arch", optionally followed by ":KEY=VALUE" conditions on the slice's Go build
// settings (for example "linux/amd64:GOAMD64=v1:CGO_ENABLED=0"). The key "cgo" checks
// whether runtime/cgo is really linked ("cgo=1" or "cgo=0"). The code signature's
// conditions (Gatekeeper's facts): "signed=developer-id" (a valid signature by a
// Developer ID Application certificate that chains to Apple's root),
// "signed=adhoc" (a valid ad hoc signature, the linker's included),
// "signed=apple-development", "signed=app-store", "signed=any" (any valid
// signature); "team=ABCDE12345" (the team of the CodeDirectory and of the
// certificate); "hardened" (the hardened runtime).
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
		if k == condHardened {
			s += ":" + k
			continue
		}
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
			if kv == condHardened {
				k, ok = kv, true
			}
			if !ok || k == "" {
				return nil, fmt.Errorf("expect %q: condition %q is not KEY=VALUE (or hardened)", item, kv)
			}
			if err := checkSignatureCond(k, v); err != nil {
				return nil, fmt.Errorf("expect %q: condition %q: %w", item, kv, err)
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

// mismatch says why slice s does not meet w: every unmet condition, in the order of
// their keys, "" when it meets them all.
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
	keys := make([]string, 0, len(w.Settings))
	for k := range w.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if p := condMismatch(s, k, w.Settings[k]); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// condMismatch says why slice s does not meet the condition k=want, "" when it
// does.
func condMismatch(s *exe.Slice, k, want string) string {
	g := s.Go
	if isSignatureCond(k) {
		return signatureMismatch(s, k, want)
	}
	if k == "cgo" {
		if g != nil && !g.CgoLinked().Known {
			return fmt.Sprintf("%s/%s: cgo linked is unknown (%s), want cgo=%s", s.OS, s.Arch, g.CgoLinked().Why, want)
		}
		linked := g != nil && g.CgoLinked().Value
		if (want == "1" || want == "true") != linked {
			return fmt.Sprintf("%s/%s: cgo linked is %v, want cgo=%s", s.OS, s.Arch, linked, want)
		}
		return ""
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
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// The code signature's conditions of a Want.
const (
	condSigned   = "signed"
	condTeam     = "team"
	condHardened = "hardened"
)

// signedValues are the values of signed=, each with the signer kinds it accepts
// (nil: any valid signature).
var signedValues = map[string][]exe.SignerKind{
	"developer-id":      {exe.SignerDeveloperID},
	"adhoc":             {exe.SignerAdHoc, exe.SignerLinkerAdHoc},
	"apple-development": {exe.SignerAppleDevelopment},
	"app-store":         {exe.SignerAppStore},
	"any":               nil,
}

func isSignatureCond(k string) bool { return k == condSigned || k == condTeam || k == condHardened }

// checkSignatureCond says what is wrong with a signature condition, nil when it is
// well formed (or not a signature condition).
func checkSignatureCond(k, v string) error {
	switch k {
	case condSigned:
		if _, ok := signedValues[v]; !ok {
			return fmt.Errorf("signed= takes developer-id, adhoc, apple-development, app-store or any, not %q", v)
		}
	case condTeam:
		if len(v) != 10 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			return fmt.Errorf("team= takes a 10-character Apple team ID (capital letters and digits), not %q", v)
		}
	case condHardened:
		if v != "" {
			return fmt.Errorf("hardened takes no value")
		}
	}
	return nil
}

// signatureMismatch says why slice s does not meet the signature condition k=want,
// "" when it does. A fact the bytes do not settle never meets a condition.
func signatureMismatch(s *exe.Slice, k, want string) string {
	plat := s.OS + "/" + s.Arch
	sig := s.Signature
	if sig == nil {
		return fmt.Sprintf("%s: no code signature can be read (not Mach-O)", plat)
	}
	if !sig.Present && k != condSigned {
		return fmt.Sprintf("%s: unsigned, want %s", plat, condText(k, want))
	}
	switch k {
	case condSigned:
		valid := sig.Validity()
		switch {
		case !valid.Known:
			return fmt.Sprintf("%s: signature validity is unknown (%s), want signed=%s", plat, valid.Why, want)
		case !sig.Present:
			return fmt.Sprintf("%s: unsigned, want signed=%s", plat, want)
		case !valid.Value:
			return fmt.Sprintf("%s: signature INVALID (%s), want signed=%s", plat, sig.Why(), want)
		}
		kinds := signedValues[want]
		if kinds == nil {
			return ""
		}
		if !sig.Kind.Known {
			return fmt.Sprintf("%s: signer is unknown (%s), want signed=%s", plat, sig.Kind.Why, want)
		}
		if !slices.Contains(kinds, sig.Kind.Value) {
			return fmt.Sprintf("%s: signed %s, want signed=%s", plat, kindText(sig.Kind.Value), want)
		}
		if !sig.CMS {
			return ""
		}
		switch {
		case !sig.AppleRoot.Known:
			return fmt.Sprintf("%s: whether its certificate chains to Apple's root is unknown (%s), want signed=%s", plat, sig.AppleRoot.Why, want)
		case !sig.AppleRoot.Value:
			return fmt.Sprintf("%s: its certificate does not chain to Apple's root, want signed=%s", plat, want)
		case !sig.CMSVerified.Known:
			return fmt.Sprintf("%s: whether its CMS signature verifies is unknown (%s), want signed=%s", plat, sig.CMSVerified.Why, want)
		case !sig.CMSVerified.Value:
			return fmt.Sprintf("%s: its CMS signature does not verify over its CodeDirectory, want signed=%s", plat, want)
		}
	case condTeam:
		if sig.TeamID != want {
			return fmt.Sprintf("%s: team %s in its CodeDirectory, want team=%s", plat, orNone(sig.TeamID), want)
		}
		if sig.CMS && sig.CertTeamID != want {
			return fmt.Sprintf("%s: team %s in its certificate, want team=%s", plat, orNone(sig.CertTeamID), want)
		}
	case condHardened:
		if !sig.Hardened {
			return fmt.Sprintf("%s: hardened runtime is off, want hardened", plat)
		}
	}
	return ""
}

func condText(k, v string) string {
	if k == condHardened {
		return k
	}
	return k + "=" + v
}
