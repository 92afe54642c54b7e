package doctor

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/finding"
)

const (
	brewARM   = arch.HomebrewAppleSilicon // Apple Silicon Homebrew's prefix
	brewIntel = arch.HomebrewIntel        // Intel Homebrew's prefix, also Rosetta's on Apple Silicon
	linkBrew  = "https://docs.brew.sh/Installation"
)

func brewChecks() []Check {
	return []Check{
		{ID: "brew.prefix", Area: AreaHomebrew, Title: "Homebrew prefixes and the architecture of what they hold", OS: "darwin", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkBrewPrefix},
		{ID: "brew.path", Area: AreaHomebrew, Title: "which brew comes first on PATH", OS: "darwin", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkBrewPath},
	}
}

// brewPrefix is one Homebrew installation.
type brewPrefix struct {
	prefix string
	archs  []string // architectures of the binaries in prefix/bin
	files  int      // binaries read
}

// brewPrefixes finds the Homebrew installations (a bin/brew in either prefix) and reads
// up to 30 binaries in each bin directory: brew itself is a shell script, so the
// prefix's architecture is what it installed.
func brewPrefixes(ctx context.Context, s *Session) []brewPrefix {
	var out []brewPrefix
	for _, p := range []string{brewARM, brewIntel} {
		if _, err := s.M.Stat(path.Join(p, "bin", "brew")); err != nil {
			if _, err := s.M.Stat(path.Join(p, "Homebrew")); err != nil || p != brewIntel {
				continue
			}
		}
		bp := brewPrefix{prefix: p}
		entries, _ := s.M.ReadDir(path.Join(p, "bin"))
		for _, e := range entries {
			if bp.files >= 30 || ctx.Err() != nil {
				break
			}
			name := path.Join(p, "bin", e.Name())
			if e.Name() == "brew" {
				continue
			}
			if r, err := s.M.EvalSymlinks(name); err == nil {
				name = r
			}
			f, err := s.Inspect(ctx, name)
			if err != nil || f == nil || len(f.Slices) == 0 || f.Slices[0].Arch == "unknown" || f.Slices[0].Arch == "" {
				continue
			}
			bp.files++
			// A universal binary says nothing about the prefix; count thin ones.
			if len(f.Slices) == 1 && !slices.Contains(bp.archs, f.Slices[0].Arch) {
				bp.archs = append(bp.archs, f.Slices[0].Arch)
			}
		}
		sort.Strings(bp.archs)
		out = append(out, bp)
	}
	return out
}

func (b brewPrefix) describe() string {
	if len(b.archs) == 0 {
		return b.prefix + " (no binaries read)"
	}
	return fmt.Sprintf("%s: %s binaries (%d read)", b.prefix, strings.Join(b.archs, "+"), b.files)
}

func checkBrewPrefix(ctx context.Context, s *Session) []Finding {
	ps := brewPrefixes(ctx, s)
	if len(ps) == 0 {
		return []Finding{{Severity: Info, Title: "Homebrew is not installed"}}
	}
	var ev []string
	for _, p := range ps {
		ev = append(ev, p.describe())
	}
	hw := hardwareArch(ctx, s)
	var intel, arm *brewPrefix
	for i := range ps {
		if ps[i].prefix == brewIntel {
			intel = &ps[i]
		} else {
			arm = &ps[i]
		}
	}
	var fs []Finding
	if hw == "arm64" && intel != nil {
		title := "Intel Homebrew (/usr/local, runs under Rosetta) is installed on this Apple Silicon Mac"
		if arm != nil {
			title = "mixed Homebrew: Intel (/usr/local) next to Apple Silicon (/opt/homebrew); libraries and tools resolve from whichever prefix comes first"
		}
		fs = append(fs, Finding{ID: "brew.prefix:intel", Severity: Warning, Title: title, Evidence: ev,
			Fix: &Fix{Needs: finding.NeedsMacOS, Text: "Migrate to Apple Silicon Homebrew, then uninstall the Intel one (Homebrew treats /usr/local on Apple Silicon as unsupported, Tier 3).",
				Commands: []string{
					"arch -x86_64 /usr/local/bin/brew bundle dump --file=~/Brewfile",
					"/opt/homebrew/bin/brew bundle --file=~/Brewfile",
					`echo 'eval "$(/opt/homebrew/bin/brew shellenv)"' >> ~/.zprofile`,
				}},
			Links: []string{linkBrew, "https://docs.brew.sh/Support-Tiers"}})
	}
	if arm != nil && slices.Contains(arm.archs, "amd64") {
		fs = append(fs, Finding{ID: "brew.prefix:arm-has-intel", Severity: Warning,
			Title: "/opt/homebrew holds x86_64 binaries: something was installed there from a translated shell", Evidence: ev,
			Fix: &Fix{Needs: finding.NeedsMacOS, Text: "Reinstall those formulae from a native shell.", Commands: []string{"/opt/homebrew/bin/brew reinstall $(/opt/homebrew/bin/brew list --formula)"}}})
	}
	if len(fs) == 0 {
		return []Finding{{Severity: Info, Title: "Homebrew: " + strings.Join(ev, "; "), Evidence: ev}}
	}
	return fs
}

func checkBrewPath(ctx context.Context, s *Session) []Finding {
	brews := s.findAll(ctx, "brew")
	if len(brews) == 0 {
		return nil
	}
	first := brews[0]
	l := s.Lookup()
	ev := []string{"first brew on PATH: " + first}
	iArm, okArm := l.Contains(brewARM + "/bin")
	iIntel, okIntel := l.Contains(brewIntel + "/bin")
	if okArm {
		ev = append(ev, fmt.Sprintf("%s/bin is PATH entry %d", brewARM, iArm))
	}
	if okIntel {
		ev = append(ev, fmt.Sprintf("%s/bin is PATH entry %d", brewIntel, iIntel))
	}
	if hardwareArch(ctx, s) == "arm64" && strings.HasPrefix(first, brewIntel+"/") {
		_, armBrew := s.M.Stat(brewARM + "/bin/brew")
		fix := &Fix{Needs: finding.NeedsMacOS, Text: "Put Apple Silicon Homebrew first on PATH in ~/.zprofile.", Commands: []string{`eval "$(/opt/homebrew/bin/brew shellenv)"`}}
		if armBrew != nil {
			fix = &Fix{Needs: finding.NeedsMacOS, Text: "Install Apple Silicon Homebrew (it goes to /opt/homebrew) and migrate.", Commands: []string{"arch -x86_64 /usr/local/bin/brew bundle dump --file=~/Brewfile"}}
		}
		return []Finding{{Severity: Warning,
			Title:    "brew on your PATH resolves to " + first + ", the Intel Homebrew: what it installs is x86_64 and runs under Rosetta",
			Evidence: ev, Fix: fix, Links: []string{linkBrew}}}
	}
	if okArm && okIntel && iIntel < iArm {
		return []Finding{{Severity: Warning,
			Title:    "/usr/local/bin comes before /opt/homebrew/bin on PATH: Intel tools (go, pkg-config, clang wrappers) shadow the native ones",
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsMacOS, Text: "Put /opt/homebrew/bin first.", Commands: []string{`eval "$(/opt/homebrew/bin/brew shellenv)"`}},
			Links:    []string{linkBrew}}}
	}
	return []Finding{{Severity: Info, Title: "brew on PATH: " + first, Evidence: ev}}
}

// findAll returns the paths of every executable name on PATH, in PATH order, without
// reading them.
func (s *Session) findAll(ctx context.Context, name string) []string {
	found, _ := s.Lookup().Find(name)
	var out []string
	for _, f := range found {
		out = append(out, f.Path)
	}
	return out
}
