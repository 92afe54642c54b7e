package toolchain

// The JSON documents of the toolchain commands (list, list --remote, which). One
// spelling of a version everywhere: "go1.27.3", as the text output and the goX.Y.Z
// links spell it; an empty list is [], never null.

// ListReport is `gonative list --json`: the installed toolchains and those GOTOOLCHAIN
// left in the module cache.
type ListReport struct {
	Installed []ListedInstalled `json:"installed"`
	ModCache  []ListedCached    `json:"module_cache"`
	Store     string            `json:"store"`
}

// ListedInstalled is an installed toolchain in a ListReport; Active marks the one a go
// command in the working directory runs.
type ListedInstalled struct {
	Installed
	Version string `json:"version"`
	Active  bool   `json:"active,omitempty"`
}

// ListedCached is a module cache toolchain in a ListReport.
type ListedCached struct {
	CachedToolchain
	Version string `json:"version"`
}

// NewListReport is the ListReport of a store at root holding installed, of the module
// cache's cached toolchains (the Usable ones), and of active, the version selected here ("" for none).
func NewListReport(root string, installed []Installed, cached []CachedToolchain, active string) ListReport {
	r := ListReport{Installed: []ListedInstalled{}, ModCache: []ListedCached{}, Store: root}
	for _, i := range installed {
		r.Installed = append(r.Installed, ListedInstalled{i, "go" + i.Version, i.Version == active})
	}
	for _, c := range Usable(cached) {
		r.ModCache = append(r.ModCache, ListedCached{c, "go" + c.Version})
	}
	return r
}

// RemoteReport is `gonative list --remote --json`: what a source offers for a
// platform, oldest first.
type RemoteReport struct {
	Platform Platform `json:"platform"`
	Source   string   `json:"source"`
	Versions []string `json:"versions"`
}

// NewRemoteReport is the RemoteReport of versions offered by source for p.
func NewRemoteReport(p Platform, source string, versions []string) RemoteReport {
	r := RemoteReport{Platform: p, Source: source, Versions: []string{}}
	for _, v := range versions {
		r.Versions = append(r.Versions, "go"+v)
	}
	return r
}

// WhichReport is `gonative which --json`: gonative's choice (absent when it chooses
// nothing) and what a go call really runs, their fields side by side.
type WhichReport struct {
	*Selection
	Verdict
}

// NewWhichReport is the WhichReport of sel (nil when nothing is selected) and v.
func NewWhichReport(sel *Selection, v Verdict) WhichReport {
	var r WhichReport
	if sel != nil {
		s := *sel
		if s.Version != "" {
			s.Version = "go" + s.Version
		}
		r.Selection = &s
	}
	r.Verdict = v
	if r.RunsVersion != "" {
		r.RunsVersion = "go" + r.RunsVersion
	}
	if r.OnPath.Version != "" {
		r.OnPath.Version = "go" + r.OnPath.Version
	}
	return r
}
