package doctor

import (
	"strings"
	"testing"
)

// gonativeMachine is a Linux machine with gonative's store in /home/me/gn (go1.27.3
// the default, linked from bin/go) and a Go in /usr/local/go.
func gonativeMachine(path string) *fake {
	f := newFake("linux", "amd64").
		goroot("/home/me/gn/versions/go1.27.3", "linux", "amd64", "go1.27.3").
		goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
	f.link("/home/me/gn/bin/go", "/home/me/gn/versions/go1.27.3/bin/go")
	f.env["GONATIVE_HOME"] = "/home/me/gn"
	f.env["PATH"] = path
	return f
}

func TestShadowKnowsGonative(t *testing.T) {
	// After eval "$(gonative env)": gonative's go first is the intended state.
	fs := run(t, gonativeMachine("/home/me/gn/bin:/usr/local/go/bin:/usr/bin"), "go.shadow")
	if worst(fs) != Info || len(fs) != 1 || !strings.Contains(fs[0].Title, "gonative's go is first on PATH") ||
		!strings.Contains(fs[0].Title, "/usr/local/go/bin/go (go1.26.8 linux/amd64)") {
		t.Errorf("gonative first:\n%s", dump(fs))
	}
	for _, f := range fs {
		if f.Fix != nil && strings.Contains(strings.Join(f.Fix.Commands, " "), "/usr/local/go/bin:$PATH") {
			t.Errorf("the fix undoes gonative env: %v", f.Fix.Commands)
		}
	}
	// The shell hook's pinned GOROOT first is gonative's too.
	fs = run(t, gonativeMachine("/home/me/gn/versions/go1.27.3/bin:/usr/local/go/bin:/home/me/gn/bin"), "go.shadow")
	if worst(fs) != Info || !strings.Contains(fs[0].Title, "gonative's go is first on PATH") {
		t.Errorf("pinned first:\n%s", dump(fs))
	}
	// Another go before gonative's links: what is really wrong, and the fix.
	fs = run(t, gonativeMachine("/usr/local/go/bin:/home/me/gn/bin:/usr/bin"), "go.shadow")
	if worst(fs) != Warning || !strings.Contains(fs[0].Title, "comes before gonative's /home/me/gn/bin/go") ||
		fs[0].Fix == nil || fs[0].Fix.Commands[0] != `eval "$(gonative env)"` {
		t.Errorf("gonative shadowed:\n%s", dump(fs))
	}
	// Without gonative, the advice is unchanged.
	f := gonativeMachine("/usr/local/go/bin:/home/me/gn/bin")
	delete(f.env, "GONATIVE_HOME")
	fs = run(t, f, "go.shadow")
	if worst(fs) != Warning || fs[0].Fix == nil || !strings.Contains(fs[0].Fix.Commands[0], "export PATH=/home/me/gn/bin:$PATH") {
		t.Errorf("no store:\n%s", dump(fs))
	}
}

func TestGOPATHBinNotCreatedYet(t *testing.T) {
	// A fresh machine: GOPATH/bin does not exist until the first go install.
	fs := run(t, newFake("linux", "amd64"), "env.path")
	if worst(fs) != Info || len(fs) != 1 || !strings.Contains(fs[0].Title, "/home/me/go/bin, which does not exist yet (the first go install creates it)") {
		t.Errorf("fresh machine:\n%s", dump(fs))
	}
	// Once it exists and is not on PATH, tools are missed: a warning.
	fs = run(t, newFake("linux", "amd64").dir("/home/me/go/bin"), "env.path")
	if worst(fs) != Warning {
		t.Errorf("existing GOPATH/bin:\n%s", dump(fs))
	}
}
