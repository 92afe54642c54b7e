// Package finding holds the one shape of "a problem found" that doctor, netcheck and
// image's checks report: a Finding with its id, area, severity, title, evidence and a
// fix as data (shell lines, the layer they change, what they need). One severity scale
// lets every report sort, count and exit on the same rule.
package finding

// Severity orders findings. The values are part of the JSON contract of doctor and
// netcheck.
type Severity string

// Severities, least severe first.
const (
	OK      Severity = "ok"
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
	// Unknown is a status (never a finding's severity) for what could not be judged:
	// doctor's areas while go cannot run, for instance.
	Unknown Severity = "unknown"
)

func (s Severity) rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Error:
		return 3
	}
	return 0
}

// Worse reports whether s is more severe than t.
func (s Severity) Worse(t Severity) bool { return s.rank() > t.rank() }

// Finding is one thing a check found. The JSON tags are doctor's and netcheck's
// contract; a field a report does not use stays empty and is left out.
type Finding struct {
	// ID names the kind of finding ("proxy.status", "tools.arch:gopls",
	// "entrypoint-missing"); a qualifier after ':' names the instance.
	ID string `json:"id"`
	// Check is the id of the doctor check that found it ("" outside the doctor); the
	// doctor groups a finding in its check's area.
	Check string `json:"check,omitempty"`
	// Area groups the finding in a report whose findings have no Check (netcheck's).
	Area     Area     `json:"area,omitempty"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Path is the file the finding is about, when it is about one (a path in an image).
	Path string `json:"path,omitempty"`
	// Line is the 1-based line of Path the finding is about (0: the whole file), and
	// Column its 1-based column (0: the whole line): ready's findings in a repository.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Evidence lists the facts that led to the finding (paths, values, headers).
	Evidence []string `json:"evidence,omitempty"`
	Fix      *Fix     `json:"fix,omitempty"`
	Links    []string `json:"links,omitempty"`
	// StopsGo is set when every go command the user runs fails because of this
	// finding although the doctor's own go runs (it runs go with GOTOOLCHAIN=local):
	// the other areas are then not all-clear.
	StopsGo bool `json:"stops_go,omitempty"`
}

// Worst returns the most severe severity of fs (OK when fs is empty).
func Worst(fs []Finding) Severity {
	w := OK
	for _, f := range fs {
		if f.Severity.Worse(w) {
			w = f.Severity
		}
	}
	return w
}

// Area groups findings in a report: doctor's areas, and netcheck's, which doctor's
// network area holds.
type Area string

// Areas of doctor's report, in report order.
const (
	AreaHost     Area = "host"
	AreaGo       Area = "go"
	AreaSettings Area = "settings" // also netcheck's: GOPROXY, GOSUMDB, GOPRIVATE, HTTPS_PROXY
	AreaCgo      Area = "cgo"
	AreaHomebrew Area = "homebrew"
	AreaTools    Area = "tools"
	AreaNetwork  Area = "network"
	// ready's areas (AreaGo and AreaCgo are shared with the doctor).
	AreaDockerfile Area = "dockerfile"
	AreaCI         Area = "ci"
	AreaScripts    Area = "scripts"
)

// Areas of netcheck's report (after AreaSettings), in report order.
const (
	AreaProxy Area = "proxy"
	AreaSumDB Area = "sumdb"
	AreaTLS   Area = "tls"
)

// Title names the area in a summary.
func (a Area) Title() string {
	switch a {
	case AreaHost:
		return "Host"
	case AreaGo:
		return "Go on PATH"
	case AreaSettings:
		return "Settings"
	case AreaCgo:
		return "cgo toolchain"
	case AreaHomebrew:
		return "Homebrew"
	case AreaTools:
		return "Installed tools"
	case AreaNetwork:
		return "Network"
	case AreaDockerfile:
		return "Dockerfiles"
	case AreaCI:
		return "CI"
	case AreaScripts:
		return "Build scripts"
	case AreaProxy:
		return "Module proxy"
	case AreaSumDB:
		return "Checksum database"
	case AreaTLS:
		return "TLS trust"
	}
	return string(a)
}

// Fix says how to make a finding go away: what to do, the shell lines that do it, the
// layer those lines change and what they need that a script cannot provide.
type Fix struct {
	Text string `json:"text"`
	// Diff is the fix as an edit: a unified diff relative to the directory the report
	// is about, which `patch -p1` (or `git apply`) applies as printed.
	Diff string `json:"diff,omitempty"`
	// Commands are shell lines (sh syntax), run in order in the user's shell.
	Commands []string `json:"commands,omitempty"`
	// Layer is where the commands act: the layer that set the faulty value.
	Layer Layer `json:"layer,omitempty"`
	// Needs is what the commands need beyond a POSIX shell on this machine; a fix whose
	// Needs is empty and that has commands can be executed as printed (RunsHere).
	Needs Needs `json:"needs,omitempty"`
}

// RunsHere reports whether the fix's commands can be executed as printed by sh on this
// machine, without a person, root, another OS or the network.
func (f *Fix) RunsHere() bool { return f != nil && len(f.Commands) > 0 && f.Needs == "" }

// Settle returns f with what its shape implies made explicit: a fix without commands
// needs a person (it says what to do; nothing can execute it). A nil fix stays nil;
// f itself is not changed.
func (f *Fix) Settle() *Fix {
	if f == nil || len(f.Commands) > 0 || f.Needs != "" {
		return f
	}
	g := *f
	g.Needs = NeedsPerson
	return &g
}

// Layer names what a fix's commands change.
type Layer string

// Layers a fix acts on.
const (
	// LayerShell is the shell's environment (export/unset); to keep the change, the
	// same line goes in the shell's start-up file.
	LayerShell Layer = "shell"
	// LayerProfile is a shell start-up file (~/.profile, ~/.bashrc, ~/.zshrc) that
	// exports the value, and the shell's environment with it.
	LayerProfile Layer = "shell start-up file"
	// LayerGoEnv is the user's go env file (go env -w / go env -u).
	LayerGoEnv Layer = "go env file"
	// LayerGOROOT is $GOROOT/go.env, shipped with the toolchain: go env -u does not
	// touch it; the shell or the go env file overrides it.
	LayerGOROOT Layer = "$GOROOT/go.env"
	// LayerFile is a file the commands name (a cache, a settings or certificate file).
	LayerFile Layer = "file"
	// LayerSystem is installed software or OS settings.
	LayerSystem Layer = "system"
)

// Needs says why a fix cannot be executed as printed here.
type Needs string

// What a fix may need.
const (
	NeedsMacOS   Needs = "macos"   // a Mac (xcode-select, security, Homebrew in /opt/homebrew)
	NeedsWindows Needs = "windows" // a Windows host (certutil)
	NeedsRoot    Needs = "root"    // sudo: package managers, system certificate stores, the clock
	NeedsNetwork Needs = "network" // a download (an installer, a toolchain)
	NeedsPerson  Needs = "person"  // a judgement or an edit the commands only point at
)
