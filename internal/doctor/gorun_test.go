package doctor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
)

// linuxGo returns a fake Linux amd64 box with go1.26.8 in /usr/local/go, whose
// go env -json and go version answer (and run).
func linuxGo() *fake {
	f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
	f.env["PATH"] = "/usr/local/go/bin:/usr/bin:/bin"
	f.exec["/usr/local/go/bin/go env -json"] = `{"GOROOT":"/usr/local/go","GOPATH":"/home/me/go","GOHOSTOS":"linux","GOHOSTARCH":"amd64","GOPROXY":"https://proxy.example.com,direct","GOMODCACHE":"/home/me/go/pkg/mod"}`
	f.exec["/usr/local/go/bin/go version"] = "go version go1.26.8 linux/amd64\n"
	return f
}

// fails makes both go commands exit with status 1 and msg on standard error.
func (f *fake) fails(msg string) *fake {
	for _, c := range []string{"env -json", "version"} {
		key := "/usr/local/go/bin/go " + c
		delete(f.exec, key)
		f.stderr[key] = msg + "\n"
		f.exit[key] = 1
	}
	return f
}

func TestNewChecks(t *testing.T) {
	flagsGo := "package goexperiment\n\ntype Flags struct {\n\tFieldTrack bool\n\tArenas     bool // arenas\n\n\tRegabiArgs bool\n}\n"
	tests := []struct {
		name     string
		check    string
		setup    func() *fake
		want     Severity
		contains string // in some finding's title
		fix      string // in some finding's fix commands ("" for none)
	}{
		// go.run: what go says.
		{"go runs", "go.run", linuxGo, OK, "go runs (go1.26.8 linux/amd64)", ""},
		{"go fails, env", "go.run", func() *fake {
			f := linuxGo().fails("go: unknown GOEXPERIMENT bogus")
			f.env["GOEXPERIMENT"] = "bogus"
			return f
		}, Error, `every go command fails with "go: unknown GOEXPERIMENT bogus"`, "unset GOEXPERIMENT"},
		{"go fails, go env -w", "go.run", func() *fake {
			f := linuxGo().fails("go: unknown GOEXPERIMENT bogus")
			f.file("/home/me/.config/go/env", "GOEXPERIMENT=bogus\n")
			return f
		}, Error, "unknown GOEXPERIMENT bogus", "GOEXPERIMENT=none go env -u GOEXPERIMENT"},
		{"go fails, unknown setting in go env -w", "go.run", func() *fake {
			f := linuxGo().fails("go: GOPATH entry is relative; must be absolute path: \"x\".")
			f.file("/home/me/.config/go/env", "GOPATH=x\n")
			return f
		}, Error, "GOPATH entry is relative", `GOPATH="$HOME/go" go env -u GOPATH`},
		{"go fails, go.env", "go.run", func() *fake {
			f := linuxGo().fails("go: unknown GOEXPERIMENT bogus")
			f.file("/usr/local/go/go.env", "GOEXPERIMENT=bogus\n")
			return f
		}, Error, "unknown GOEXPERIMENT bogus", ""},
		{"go warns", "go.run", func() *fake {
			f := linuxGo()
			f.env["GOPATH"] = "/usr/local/go"
			f.stderr["/usr/local/go/bin/go env -json"] = "warning: both GOPATH and GOROOT are the same directory (/usr/local/go); see https://go.dev/wiki/InstallTroubleshooting\n"
			f.stderr["/usr/local/go/bin/go version"] = f.stderr["/usr/local/go/bin/go env -json"]
			return f
		}, Warning, "go warns on every command: warning: both GOPATH and GOROOT", "unset GOPATH"},
		{"go not runnable here", "go.run", func() *fake {
			f := linuxGo()
			delete(f.exec, "/usr/local/go/bin/go env -json")
			delete(f.exec, "/usr/local/go/bin/go version")
			return f
		}, OK, "was not run here, so what it says is unknown", ""},
		{"go env prints no JSON", "go.run", func() *fake {
			f := linuxGo()
			f.exec["/usr/local/go/bin/go env -json"] = "using go1.26.8\n{}"
			return f
		}, Warning, "not JSON", ""},
		{"no go", "go.run", func() *fake { return newFake("linux", "amd64") }, OK, "", ""},

		// go.switch
		{"no switch", "go.switch", linuxGo, OK, "", ""},
		{"switch, not installed", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.99.0"
			return f
		}, Warning, "unknown offline (gonative doctor --online and gonative netcheck ask GOPROXY)", "unset GOTOOLCHAIN"},
		{"switch, go env -w", "go.switch", func() *fake {
			f := linuxGo()
			f.file("/home/me/.config/go/env", "GOTOOLCHAIN=go1.99.0\n")
			return f
		}, Warning, "not installed", "GOTOOLCHAIN=local go env -u GOTOOLCHAIN"},
		{"switch, cached", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.99.0"
			f.bin("/home/me/go/pkg/mod/golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/bin/go", "linux", []string{"amd64"}, "go1.99.0")
			return f
		}, OK, "already in the module cache", ""},
		{"switch, cached for another platform", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.99.0"
			f.bin("/home/me/go/pkg/mod/golang.org/toolchain@v0.0.1-go1.99.0.linux-arm64/bin/go", "linux", []string{"arm64"}, "go1.99.0")
			return f
		}, Warning, "not installed", ""},
		{"switch, on PATH", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.99.0+path"
			f.bin("/usr/bin/go1.99.0", "linux", []string{"amd64"}, "go1.99.0")
			return f
		}, OK, "found on PATH at /usr/bin/go1.99.0", ""},
		{"switch, path mode", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "path"
			f.file("/work/go.mod", "module m\n\ngo 1.99.0\n")
			return f
		}, Error, `cannot find "go1.99.0" in PATH`, "GOTOOLCHAIN=local go mod edit -go=1.26.8"},
		{"switch, toolchain line", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "auto"
			f.file("/work/go.mod", "module m\n\ngo 1.21\n\ntoolchain go1.99.1\n")
			return f
		}, Warning, "switches to go1.99.1 (toolchain line in /work/go.mod", "GOTOOLCHAIN=local go mod edit -toolchain=none"},
		{"switch, GOPROXY=off", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.99.0"
			f.env["GOPROXY"] = "off"
			f.exec["/usr/local/go/bin/go env -json"] = strings.Replace(f.exec["/usr/local/go/bin/go env -json"], "https://proxy.example.com,direct", "off", 1)
			return f
		}, Error, "GOPROXY=off forbids downloading it", ""},
		{"switch, language version", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.22"
			return f
		}, Error, "is a language version, not a release", "unset GOTOOLCHAIN"},
		{"switch, installed by gonative", "go.switch", func() *fake {
			f := linuxGo()
			f.env["GOTOOLCHAIN"] = "go1.99.0"
			f.bin("/home/me/.local/share/gonative/versions/go1.99.0/bin/go", "linux", []string{"amd64"}, "go1.99.0")
			return f
		}, OK, "installed by gonative at /home/me/.local/share/gonative/versions/go1.99.0/bin/go but not on PATH", ""},

		// env.gopath
		{"gopath default", "env.gopath", linuxGo, OK, "GOPATH=/home/me/go lies outside GOROOT", ""},
		{"gopath is goroot", "env.gopath", func() *fake {
			f := linuxGo()
			f.env["GOPATH"] = "/usr/local/go/"
			return f
		}, Warning, "is GOROOT", "unset GOPATH"},
		{"gopath inside goroot, go env -w", "env.gopath", func() *fake {
			f := linuxGo()
			f.file("/home/me/.config/go/env", "GOPATH=/home/me/go:/usr/local/go/gopath\n")
			return f
		}, Warning, "/usr/local/go/gopath lies inside GOROOT", "go env -u GOPATH"},
		{"go installed in ~/go", "env.gopath", func() *fake {
			f := newFake("linux", "amd64").goroot("/home/me/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/home/me/go/bin:/usr/bin"
			return f
		}, Warning, "is GOROOT", `go env -w GOPATH="$HOME/gopath"`},
		{"gopath relative", "env.gopath", func() *fake {
			f := linuxGo().fails(`go: GOPATH entry is relative; must be absolute path: "rel".`)
			f.env["GOPATH"] = "rel"
			return f
		}, Error, `GOPATH entry "rel" is relative`, "unset GOPATH"},
		{"gopath tilde", "env.gopath", func() *fake {
			f := linuxGo()
			f.env["GOPATH"] = "~/go"
			return f
		}, Error, "starts with ~", "unset GOPATH"},
		{"gopath prefix is not inside", "env.gopath", func() *fake {
			f := linuxGo()
			f.env["GOPATH"] = "/usr/local/gopath"
			return f
		}, OK, "lies outside GOROOT", ""},

		// env.modules
		{"GO111MODULE unset", "env.modules", linuxGo, OK, "not set", ""},
		{"GO111MODULE=on", "env.modules", func() *fake { f := linuxGo(); f.env["GO111MODULE"] = "on"; return f }, OK, "the default since Go 1.16", "unset GO111MODULE"},
		{"GO111MODULE=off", "env.modules", func() *fake { f := linuxGo(); f.env["GO111MODULE"] = "off"; return f }, Warning, "puts go in GOPATH mode", "unset GO111MODULE"},
		{"GO111MODULE=off in a module", "env.modules", func() *fake {
			f := linuxGo()
			f.file("/home/me/.config/go/env", "GO111MODULE=off\n")
			f.file("/work/go.mod", "module m\n")
			return f
		}, Warning, "makes go ignore /work/go.mod", "go env -u GO111MODULE"},
		{"GO111MODULE=auto", "env.modules", func() *fake { f := linuxGo(); f.env["GO111MODULE"] = "auto"; return f }, Warning, "since Go 1.22 only loses features", "unset GO111MODULE"},
		{"GO111MODULE=yes", "env.modules", func() *fake {
			f := linuxGo()
			f.file("/home/me/.config/go/env", "GO111MODULE=yes\n")
			return f
		}, Error, `GO111MODULE="yes" is invalid`, "GO111MODULE=on go env -u GO111MODULE"},

		// env.experiment
		{"experiment unset", "env.experiment", linuxGo, OK, "", ""},
		{"experiment accepted by go", "env.experiment", func() *fake { f := linuxGo(); f.env["GOEXPERIMENT"] = "arenas"; return f }, OK, "go accepts them", ""},
		{"experiment rejected by go", "env.experiment", func() *fake {
			f := linuxGo().fails("go: unknown GOEXPERIMENT bogus")
			f.env["GOEXPERIMENT"] = "arenas,bogus"
			return f
		}, Error, `does not know the experiment "bogus"`, "unset GOEXPERIMENT"},
		{"experiment from the toolchain's source", "env.experiment", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.file("/usr/local/go/src/internal/goexperiment/flags.go", flagsGo)
			f.env["GOEXPERIMENT"] = "noarenas,regabi,bogus"
			return f
		}, Error, "does not know bogus", "unset GOEXPERIMENT"},
		{"experiment known to the source", "env.experiment", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.file("/usr/local/go/src/internal/goexperiment/flags.go", flagsGo)
			f.env["GOEXPERIMENT"] = "none,fieldtrack"
			return f
		}, OK, "knows them", ""},
		{"experiment unknowable", "env.experiment", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.env["GOEXPERIMENT"] = "bogus"
			return f
		}, OK, "is unknown", ""},

		// env.private
		{"GOINSECURE=*", "env.private", func() *fake { f := linuxGo(); f.env["GOINSECURE"] = "*"; return f }, Warning, "matches every module path", "unset GOINSECURE"},
		{"GONOSUMDB=github.com", "env.private", func() *fake {
			f := linuxGo()
			f.file("/home/me/.config/go/env", "GONOSUMDB=github.com,example.com/corp\n")
			return f
		}, Warning, "matches every module on github.com", "go env -u GONOSUMDB"},
		{"GOPRIVATE=*/*", "env.private", func() *fake { f := linuxGo(); f.env["GOPRIVATE"] = "*/*"; return f }, Warning, "every module path", ""},
		{"GOPRIVATE narrow", "env.private", func() *fake { f := linuxGo(); f.env["GOPRIVATE"] = "github.com/mycorp,*.corp.example.com"; return f }, OK, "covers only the modules it names", ""},
		{"GONOPROXY broad is info", "env.private", func() *fake { f := linuxGo(); f.env["GONOPROXY"] = "golang.org"; return f }, OK, "bypassing GOPROXY", ""},
		{"GONOSUMCHECK", "env.private", func() *fake { f := linuxGo(); f.env["GONOSUMCHECK"] = "1"; return f }, Warning, "GONOSUMCHECK is not a Go setting", "unset GONOSUMCHECK"},
		{"unrelated GO variable", "env.private", func() *fake { f := linuxGo(); f.env["GOLANGCI_LINT_CACHE"] = "/tmp"; return f }, OK, "", ""},

		// env.goflags: what go says, and values
		{"GOFLAGS unknown flag", "env.goflags", func() *fake {
			f := linuxGo()
			f.env["GOFLAGS"] = "-foo"
			f.stderr["/usr/local/go/bin/go version"] = "go: parsing $GOFLAGS: unknown flag -foo\n"
			f.exit["/usr/local/go/bin/go version"] = 1
			return f
		}, Error, "is rejected by go", "unset GOFLAGS"},
		{"GOFLAGS bad value", "env.goflags", func() *fake { f := linuxGo(); f.env["GOFLAGS"] = "-mod=bogus"; return f }, Error, "holds a value go rejects", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, tt.setup(), tt.check)
			// OK stands for "nothing worse than info".
			if got := worst(fs); got != tt.want && !(tt.want == OK && got == Info) {
				t.Errorf("severity = %s, want %s\n%s", got, tt.want, dump(fs))
			}
			if tt.contains != "" && !slices.ContainsFunc(fs, func(f Finding) bool { return strings.Contains(f.Title, tt.contains) }) {
				t.Errorf("no finding with %q\n%s", tt.contains, dump(fs))
			}
			if tt.fix != "" && !slices.ContainsFunc(fs, func(f Finding) bool {
				return f.Fix != nil && slices.ContainsFunc(f.Fix.Commands, func(c string) bool { return strings.Contains(c, tt.fix) })
			}) {
				t.Errorf("no fix %q\n%s", tt.fix, dumpFixes(fs))
			}
			for _, f := range fs {
				if f.Severity.Worse(Info) && f.Fix == nil {
					t.Errorf("%s has no fix", f.ID)
				}
			}
		})
	}
}

func dumpFixes(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Fix != nil {
			b.WriteString("  " + f.ID + ": " + f.Fix.Text + " " + strings.Join(f.Fix.Commands, " | ") + "\n")
		}
	}
	return b.String()
}

// TestGoCannotRunMarksAreas: no area is ✓ while go cannot run, and the run's worst is
// an error (doctor exits 3).
func TestGoCannotRunMarksAreas(t *testing.T) {
	f := linuxGo().fails("go: unknown GOEXPERIMENT bogus")
	f.env["GOEXPERIMENT"] = "bogus"
	r := Run(context.Background(), f.machine(t), Default().Checks(), Options{Timeout: 5 * time.Second})
	if r.Worst() != Error {
		t.Errorf("worst = %s, want error", r.Worst())
	}
	for _, a := range r.Areas {
		if a.Status == OK {
			t.Errorf("area %s is ok while go cannot run", a.Area)
		}
		if a.Area == AreaGo && a.Status != Error {
			t.Errorf("go area = %s, want error", a.Status)
		}
	}
	// The same machine with a go that runs: areas may be ✓ again.
	r = Run(context.Background(), linuxGo().machine(t), Default().Checks(), Options{Timeout: 5 * time.Second})
	for _, a := range r.Areas {
		if a.Status == Unknown {
			t.Errorf("area %s is unknown while go runs", a.Area)
		}
	}
	// A timeout says nothing about go: areas are not marked.
	if (GoRun{Failures: []GoFailure{{TimedOut: true}}}).CannotRun() {
		t.Error("a timeout counts as go cannot run")
	}
}

func TestCulprits(t *testing.T) {
	l := goenv.Layers{Vars: map[string]goenv.Setting{"GOFLAGS": {Name: "GOFLAGS", Value: "-x"}, "GONOSUMCHECK": {Name: "GONOSUMCHECK"}}}
	for msg, want := range map[string][]string{
		"go: unknown GOEXPERIMENT bogus":                                 []string{"GOEXPERIMENT"},
		"go: parsing $GOFLAGS: unknown flag -foo":                        []string{"GOFLAGS"},
		"warning: both GOPATH and GOROOT are the same directory (/x)":    []string{"GOPATH", "GOROOT"},
		"go: unknown environment setting GO111MODULE=yes":                []string{"GO111MODULE"},
		"go: download go1.99.0 for linux/amd64: toolchain not available": nil,
		"NOTASETTING GONOSUMCHECK":                                       []string{"GONOSUMCHECK"},
	} {
		if got := culprits(msg, l); !slices.Equal(got, want) {
			t.Errorf("culprits(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestExperiments(t *testing.T) {
	src := "package goexperiment\n\n// Flags ...\ntype Flags struct {\n\tFieldTrack        bool\n\tPreemptibleLoops  bool // comment\n\t// Arenas enables.\n\tArenas bool\n\tNotBool int\n}\n\ntype Other struct {\n\tX bool\n}\n"
	got := Experiments([]byte(src))
	want := []string{"arenas", "fieldtrack", "preemptibleloops", "regabi"}
	if !slices.Equal(got, want) {
		t.Errorf("Experiments = %q, want %q", got, want)
	}
	for v, bad := range map[string][]string{
		"arenas":                 nil,
		"noarenas,fieldtrack":    nil,
		"none":                   nil,
		"regabi,noregabi":        nil,
		"bogus":                  {"bogus"},
		"arenas,,nobogus":        {"nobogus"},
		"x":                      {"x"},
		"nopreemptibleloops,zzz": {"zzz"},
	} {
		if got := UnknownExperiments(v, want); !slices.Equal(got, bad) {
			t.Errorf("UnknownExperiments(%q) = %q, want %q", v, got, bad)
		}
	}
	if Experiments([]byte("package x")) != nil {
		t.Error("Experiments of a file without Flags is not nil")
	}
}

func TestCoverage(t *testing.T) {
	for pat, want := range map[string]string{
		"*":                            "every module path",
		"*/*":                          "every module path",
		"*,example.com":                "every module path",
		"github.com":                   "every module on github.com",
		"github.com/*":                 "every module on github.com",
		"*.com":                        "every module on github.com, gitlab.com, gitee.com, go.googlesource.com, cloud.google.com",
		"github.com/corp":              "",
		"example.com/corp,gopkg.in":    "every module on gopkg.in",
		"golang.org,google.golang.org": "every module on golang.org, google.golang.org",
		"":                             "",
	} {
		if got := Coverage(pat); got != want {
			t.Errorf("Coverage(%q) = %q, want %q", pat, got, want)
		}
	}
}

func TestGoFlagValues(t *testing.T) {
	for f, bad := range map[string]bool{
		"-race": false, "-race=true": false, "-race=maybe": true, "--trimpath=1": false,
		"-mod=mod": false, "-mod=vendor": false, "-mod=bogus": true, "-mod": true,
		"-buildvcs=auto": false, "-buildvcs=false": false, "-buildvcs=sometimes": true, "-buildvcs": false,
		"-p=4": false, "-p=0": true, "-p=x": true, "-tags=a,b": false, "-tags": true,
		"-buildmode=pie": false, "-buildmode=dll": true, "-covermode=atomic": false,
		"-unknownflag=1": false, // go version judges names
	} {
		if got := goFlagValueProblem(f) != ""; got != bad {
			t.Errorf("goFlagValueProblem(%q) = %q, want bad=%v", f, goFlagValueProblem(f), bad)
		}
	}
}

func TestRemoveFix(t *testing.T) {
	for _, tt := range []struct {
		st     goenv.Setting
		goRuns bool
		want   string
	}{
		{goenv.Setting{Name: "GOTOOLCHAIN", Source: goenv.SourceEnv}, false, "unset GOTOOLCHAIN"},
		{goenv.Setting{Name: "GOTOOLCHAIN", Source: goenv.SourceUser, File: "/h/env"}, true, "go env -u GOTOOLCHAIN"},
		{goenv.Setting{Name: "GOTOOLCHAIN", Source: goenv.SourceUser, File: "/h/env"}, false, "GOTOOLCHAIN=local go env -u GOTOOLCHAIN"},
		{goenv.Setting{Name: "GOROOT", Source: goenv.SourceUser, File: "/h/it's env"}, false, `sed -i.bak '/^GOROOT=/d' '/h/it'\''s env'`},
	} {
		_, cmds := removeFix(tt.st, tt.goRuns)
		if !slices.Contains(cmds, tt.want) {
			t.Errorf("removeFix(%+v, %v) = %q, want %q", tt.st, tt.goRuns, cmds, tt.want)
		}
	}
}

func FuzzExperiments(f *testing.F) {
	f.Add([]byte("type Flags struct {\n\tArenas bool\n}\n"), "arenas,nobogus")
	f.Add([]byte("type Flags struct {"), "none")
	f.Add([]byte(""), "")
	f.Fuzz(func(t *testing.T, src []byte, value string) {
		known := Experiments(src)
		if known != nil && !slices.Contains(known, "regabi") {
			t.Fatalf("Experiments lost the regabi alias: %q", known)
		}
		if !slices.IsSorted(known) || len(slices.Compact(slices.Clone(known))) != len(known) {
			t.Fatalf("Experiments not sorted and unique: %q", known)
		}
		for _, k := range known {
			if k != strings.ToLower(k) || strings.ContainsAny(k, " \t\n,") {
				t.Fatalf("bad experiment name %q", k)
			}
			// Every name the toolchain declares is accepted, on and off.
			if bad := UnknownExperiments(k+",no"+k, known); len(bad) > 0 {
				t.Fatalf("UnknownExperiments(%q) = %q", k, bad)
			}
		}
		// Whatever is reported unknown was in the value.
		for _, b := range UnknownExperiments(value, known) {
			if !slices.Contains(strings.Split(value, ","), b) && !strings.Contains(value, b) {
				t.Fatalf("UnknownExperiments(%q) reported %q", value, b)
			}
		}
	})
}
