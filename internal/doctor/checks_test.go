package doctor

import (
	"strings"
	"testing"
)

func TestChecks(t *testing.T) {
	tests := []struct {
		name  string
		check string
		setup func() *fake
		want  Severity
		// contains is a substring of some finding's title (or id).
		contains string
	}{
		// host
		{"linux native", "host.arch", func() *fake { return newFake("linux", "amd64") }, OK, "runs natively"},
		{"translated process", "host.arch", func() *fake {
			f := appleSilicon()
			f.goarch = "amd64"
			f.sysctl["sysctl.proc_translated"] = "1"
			return f
		}, Warning, "under Rosetta"},
		{"linux emulated by qemu", "host.arch", func() *fake {
			f := newFake("linux", "arm64")
			f.file("/proc/sys/kernel/arch", "x86_64\n")
			return f
		}, Warning, "runs emulated"},
		{"translated terminal", "host.terminal", func() *fake {
			f := appleSilicon()
			f.exec["uname -m"] = "x86_64\n"
			return f
		}, Warning, "terminal, IDE or shell is translated"},
		{"native terminal", "host.terminal", appleSilicon, OK, "run as arm64"},
		{"rosetta installed", "host.rosetta", appleSilicon, OK, "Rosetta 2 is installed"},
		{"binfmt qemu", "host.binfmt", func() *fake {
			f := newFake("linux", "amd64")
			f.file("/proc/sys/fs/binfmt_misc/qemu-aarch64", "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\noffset 0\n"+
				"magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n")
			return f
		}, OK, "arm64 ELF files run silently through /usr/bin/qemu-aarch64-static"},
		{"32-bit userland", "host.userland", func() *fake {
			f := newFake("linux", "arm")
			f.uname = "aarch64"
			f.file("/proc/sys/kernel/arch", "aarch64\n")
			f.bin("/bin/sh", "linux", []string{"arm"}, "")
			return f
		}, Warning, "32-bit userland"},

		// go
		{"intel go on apple silicon", "go.arch", func() *fake {
			return appleSilicon().goroot("/usr/local/go", "darwin", "amd64", "go1.26.8")
		}, Error, "runs translated under Rosetta 2"},
		{"intel go without rosetta", "go.arch", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "amd64", "go1.26.8")
			delete(f.files, "/Library/Apple/usr/libexec/oah/libRosettaRuntime")
			return f
		}, Error, "bad CPU type"},
		{"native go", "go.arch", func() *fake {
			return appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
		}, OK, "native"},
		{"universal go", "go.arch", func() *fake {
			f := appleSilicon()
			f.bin("/usr/local/go/bin/go", "darwin", []string{"amd64", "arm64"}, "go1.26.8")
			return f
		}, OK, "universal"},
		{"amd64 go on arm64 linux with qemu", "go.arch", func() *fake {
			f := newFake("linux", "arm64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin:/usr/bin"
			f.file("/proc/sys/fs/binfmt_misc/qemu-x86_64", "enabled\ninterpreter /usr/bin/qemu-x86_64-static\nflags: F\noffset 0\n"+
				"magic 7f454c4602010100000000000000000002003e00\nmask fffffffffffefe00fffffffffffffffffeffffff\n")
			return f
		}, Error, "emulated through /usr/bin/qemu-x86_64-static"},
		{"amd64 go on arm64 linux without binfmt", "go.arch", func() *fake {
			f := newFake("linux", "arm64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin:/usr/bin"
			return f
		}, Error, "Exec format error"},
		{"no go", "go.arch", func() *fake { return newFake("linux", "amd64") }, Error, "no go on PATH"},
		{"shadowed go", "go.shadow", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8").goroot("/opt/homebrew/Cellar/go/1.25.1/libexec", "darwin", "arm64", "go1.25.1")
			f.link("/opt/homebrew/bin/go", "/opt/homebrew/Cellar/go/1.25.1/libexec/bin/go")
			return f
		}, Warning, "go on your PATH resolves to /opt/homebrew/bin/go"},
		{"go in the working directory through an empty PATH entry", "go.shadow", func() *fake {
			// A shell searches an empty PATH entry as the current directory: the go
			// there runs first and shadows the installed one.
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.bin(f.wd+"/go", "linux", []string{"amd64"}, "go1.25.1")
			f.env["PATH"] = ":/usr/local/go/bin"
			return f
		}, Warning, "go on your PATH resolves to /work/go"},
		{"same go twice", "go.shadow", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/lib/go", "linux", "amd64", "go1.26.8")
			f.link("/usr/bin/go", "/usr/lib/go/bin/go")
			f.env["PATH"] = "/usr/bin:/usr/lib/go/bin"
			return f
		}, OK, "one go on PATH"},
		{"gohostarch amd64", "go.hostarch", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.exec["/usr/local/go/bin/go env -json"] = `{"GOHOSTARCH":"amd64","GOHOSTOS":"darwin"}`
			return f
		}, Error, "GOHOSTARCH=amd64"},
		{"stale GOROOT", "go.goroot", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8").goroot("/opt/go1.21", "linux", "amd64", "go1.21.0")
			f.env["PATH"] = "/usr/local/go/bin:/usr/bin"
			f.env["GOROOT"] = "/opt/go1.21"
			return f
		}, Error, "disagrees with the go on PATH"},
		{"GOROOT written with go env -w", "go.goroot", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin:/usr/bin"
			f.file("/home/me/.config/go/env", "GOROOT=/usr/local/go\n")
			return f
		}, Warning, "GOROOT is set (by go env -w)"},
		{"GOROOT missing", "go.goroot", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin:/usr/bin"
			f.env["GOROOT"] = "/nowhere"
			return f
		}, Error, "not a Go installation"},
		{"version mismatch", "go.version", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.file("/usr/local/go/VERSION", "go1.25.3\n")
			f.env["PATH"] = "/usr/local/go/bin"
			return f
		}, Error, "different versions"},
		{"version match", "go.version", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin"
			return f
		}, OK, "go1.26.8 everywhere"},
		{"toolchain switch", "go.toolchain", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin"
			f.file("/usr/local/go/go.env", "GOPROXY=https://proxy.example\nGOTOOLCHAIN=auto\n")
			f.file("/work/go.mod", "module m\n\ngo 1.27\n\ntoolchain go1.27.2\n")
			return f
		}, OK, "switches to go1.27.2"},
		{"toolchain switch from an emulated go", "go.toolchain", func() *fake {
			f := newFake("linux", "arm64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin"
			f.env["GOTOOLCHAIN"] = "auto"
			f.file("/work/go.mod", "module m\n\ngo 1.27.1\n")
			return f
		}, Warning, "for linux/amd64 (the local go's platform"},
		{"module needs newer go, GOTOOLCHAIN=local", "go.toolchain", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/local/go/bin"
			f.env["GOTOOLCHAIN"] = "local"
			f.file("/work/sub/go.mod", "module m\n\ngo 1.27.1\n")
			f.wd = "/work/sub/pkg"
			return f
		}, Error, "requires go >= 1.27.1"},
		{"toolchain local in go.env", "go.toolchain", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/lib/golang", "linux", "amd64", "go1.26.8")
			f.env["PATH"] = "/usr/lib/golang/bin"
			f.file("/usr/lib/golang/go.env", "GOTOOLCHAIN=local\n")
			return f
		}, OK, "sets GOTOOLCHAIN=local"},

		{"vscode goroot", "go.ide", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.file("/Users/me/Library/Application Support/Code/User/settings.json", `{
	// my settings
	"go.goroot": "/usr/local/go-intel",
	"go.toolsEnvVars": {"GOARCH": "amd64",},
}`)
			return f
		}, Warning, "VS Code uses go.goroot=/usr/local/go-intel"},

		// settings
		{"GOARM with arm64", "env.goarm", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.env["GOARM"] = "7"
			return f
		}, Warning, "GOARM=7 is set but GOARCH=arm64"},
		{"bad GOARM64", "env.level", func() *fake {
			f := newFake("linux", "arm64")
			f.file("/home/me/.config/go/env", "GOARM64=v8.10\n")
			return f
		}, Error, "GOARM64=v8.10 is invalid"},
		{"GOAMD64 v3 on mac", "env.level", func() *fake {
			f := appleSilicon()
			f.env["GOAMD64"] = "v3"
			return f
		}, Warning, "Rosetta"},
		{"persisted GOARCH", "env.target", func() *fake {
			f := appleSilicon()
			f.file("/Users/me/Library/Application Support/go/env", "GOARCH=amd64\n")
			return f
		}, Warning, "GOARCH=amd64 is set persistently (by go env -w)"},
		{"bad GOFLAGS", "env.goflags", func() *fake {
			f := newFake("linux", "amd64")
			f.env["GOFLAGS"] = "-mod vendor"
			return f
		}, Error, "malformed"},
		{"good GOFLAGS", "env.goflags", func() *fake {
			f := newFake("linux", "amd64")
			f.env["GOFLAGS"] = "-mod=mod '-ldflags=-s -w'"
			return f
		}, OK, "applies to every go command"},
		{"env overrides go env -w", "env.layers", func() *fake {
			f := newFake("linux", "amd64")
			f.env["GOPROXY"] = "direct"
			f.file("/home/me/.config/go/env", "GOPROXY=https://goproxy.example\n")
			return f
		}, Warning, "has no effect"},
		{"cgo on without compiler", "env.cgo", func() *fake {
			f := newFake("linux", "amd64")
			f.env["CGO_ENABLED"] = "1"
			return f
		}, Error, "not on PATH"},
		{"no compiler", "env.cgo", func() *fake { return newFake("linux", "amd64") }, Warning, "cgo is then off by default"},
		{"compiler present", "env.cgo", func() *fake {
			return newFake("linux", "amd64").bin("/usr/bin/gcc", "linux", []string{"amd64"}, "")
		}, OK, "cgo is available"},
		{"GOBIN not on PATH", "env.path", func() *fake { return newFake("linux", "amd64").dir("/home/me/go/bin") }, Warning, "/home/me/go/bin, which is not on PATH"},
		{"GOPROXY off", "env.proxy", func() *fake {
			f := newFake("linux", "amd64")
			f.env["GOPROXY"] = "off"
			return f
		}, Warning, "GOPROXY=off"},
		{"GOSUMDB off", "env.proxy", func() *fake {
			f := newFake("linux", "amd64")
			f.env["GOPROXY"] = "https://proxy.example|direct"
			f.env["GOSUMDB"] = "off"
			return f
		}, Warning, "GOSUMDB=off"},

		// cgo
		{"cross gcc", "cgo.cc", func() *fake {
			f := newFake("linux", "amd64").bin("/usr/bin/gcc", "linux", []string{"amd64"}, "")
			f.env["GOARCH"] = "arm64"
			f.exec["/usr/bin/gcc -dumpmachine"] = "x86_64-linux-gnu\n"
			return f
		}, Warning, "targets x86_64-linux-gnu but GOARCH=arm64"},
		{"translated clang", "cgo.cc", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8").bin("/usr/bin/clang", "darwin", []string{"amd64", "arm64"}, "")
			f.exec["/usr/bin/clang -dumpmachine"] = "x86_64-apple-darwin23.5.0\n"
			return f
		}, Warning, "translated"},
		{"no xcode", "cgo.xcode", appleSilicon, Warning, "xcode-select --install"},
		{"intel pkg-config", "cgo.pkgconfig", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.env["PATH"] = "/usr/local/bin:/usr/local/go/bin:/usr/bin"
			f.bin("/usr/local/bin/pkg-config", "darwin", []string{"amd64"}, "")
			return f
		}, Warning, "Intel Homebrew"},
		{"intel libraries via pkg-config", "cgo.libs", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.bin("/opt/homebrew/bin/pkg-config", "darwin", []string{"arm64"}, "")
			f.exec["/opt/homebrew/bin/pkg-config --list-all"] = "vips  libvips\n"
			f.exec["/opt/homebrew/bin/pkg-config --libs-only-L vips"] = "-L/usr/local/lib\n"
			f.bin("/usr/local/lib/libvips.dylib", "darwin", []string{"amd64"}, "")
			return f
		}, Error, "/usr/local/lib (from pkg-config) holds 1 libraries built for amd64"},
		{"CGO_LDFLAGS libraries match", "cgo.libs", func() *fake {
			f := newFake("linux", "amd64").goroot("/usr/local/go", "linux", "amd64", "go1.26.8")
			f.env["CGO_LDFLAGS"] = "-L/opt/lib"
			f.bin("/opt/lib/libz.so.1", "linux", []string{"amd64"}, "")
			return f
		}, OK, "match GOARCH=amd64"},

		// homebrew
		{"mixed homebrew", "brew.prefix", func() *fake {
			f := appleSilicon()
			f.file("/opt/homebrew/bin/brew", "#!/bin/bash\n").bin("/opt/homebrew/bin/jq", "darwin", []string{"arm64"}, "")
			f.file("/usr/local/bin/brew", "#!/bin/bash\n").bin("/usr/local/bin/wget", "darwin", []string{"amd64"}, "")
			return f
		}, Warning, "mixed Homebrew"},
		{"arm homebrew only", "brew.prefix", func() *fake {
			f := appleSilicon()
			f.file("/opt/homebrew/bin/brew", "#!/bin/bash\n").bin("/opt/homebrew/bin/jq", "darwin", []string{"arm64"}, "")
			return f
		}, OK, "/opt/homebrew: arm64 binaries"},
		{"intel brew first", "brew.path", func() *fake {
			f := appleSilicon()
			f.env["PATH"] = "/usr/local/bin:/opt/homebrew/bin:/usr/bin"
			f.files["/opt/homebrew/bin/brew"] = &fakeFile{data: "#!/bin/bash\n", mode: 0o755}
			f.files["/usr/local/bin/brew"] = &fakeFile{data: "#!/bin/bash\n", mode: 0o755}
			return f
		}, Warning, "brew on your PATH resolves to /usr/local/bin/brew"},

		// tools
		{"amd64 gopls", "tools.arch", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.bin("/Users/me/go/bin/gopls", "darwin", []string{"amd64"}, "go1.21.3")
			f.files["/Users/me/go/bin/gopls"].bin.path = "golang.org/x/tools/gopls"
			f.files["/Users/me/go/bin/gopls"].bin.modVersion = "v0.14.2"
			return f
		}, Warning, "gopls is darwin/amd64 and runs translated"},
		{"old gopls", "tools.goversion", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.bin("/Users/me/go/bin/gopls", "darwin", []string{"arm64"}, "go1.21.3")
			return f
		}, Warning, "built by go1.21.3, older than the active go1.26.8"},
		{"unsigned tool", "tools.codesign", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.bin("/Users/me/go/bin/mytool", "darwin", []string{"arm64"}, "go1.26.8")
			f.files["/Users/me/go/bin/mytool"].bin.corrupt = true
			return f
		}, Error, "Killed: 9"},

		{"gopls shadowed", "tools.shadow", func() *fake {
			f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
			f.env["PATH"] = "/usr/local/bin:/usr/local/go/bin:/Users/me/go/bin"
			f.bin("/usr/local/bin/gopls", "darwin", []string{"amd64"}, "go1.19")
			f.bin("/Users/me/go/bin/gopls", "darwin", []string{"arm64"}, "go1.26.8")
			return f
		}, Warning, "gopls on your PATH resolves to /usr/local/bin/gopls"},

		// network
		{"no CA bundle", "net.certs", func() *fake {
			f := newFake("linux", "amd64")
			delete(f.files, "/etc/ssl/certs/ca-certificates.crt")
			return f
		}, Error, "no CA bundle"},
		{"SSL_CERT_FILE on mac", "net.certs", func() *fake {
			f := appleSilicon()
			f.env["SSL_CERT_FILE"] = "/tmp/corp.pem"
			return f
		}, OK, "ignores them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, tt.setup(), tt.check)
			got := worst(fs)
			if got == Info {
				got = OK // info findings do not change a check's status
			}
			if got != tt.want {
				t.Errorf("worst severity = %s, want %s\n%s", got, tt.want, dump(fs))
			}
			found := false
			for _, f := range fs {
				fix := ""
				if f.Fix != nil {
					fix = f.Fix.Text + strings.Join(f.Fix.Commands, "\n")
				}
				if strings.Contains(f.Title, tt.contains) || strings.Contains(f.ID, tt.contains) || strings.Contains(fix, tt.contains) {
					found = true
				}
				if f.Severity.Worse(Info) && f.Fix == nil && !strings.HasSuffix(f.ID, ".crashed") && !strings.HasSuffix(f.ID, ".timeout") {
					t.Errorf("finding %s (%s) has no fix", f.ID, f.Severity)
				}
			}
			if !found {
				t.Errorf("no finding mentions %q\n%s", tt.contains, dump(fs))
			}
		})
	}
}

func TestRedact(t *testing.T) {
	f := newFake("linux", "amd64")
	f.env["GOPROXY"] = "https://me:s3cret@proxy.corp.example/go,direct"
	for _, id := range []string{"env.layers", "env.proxy"} {
		for _, fd := range run(t, f, id) {
			if strings.Contains(fd.Title+strings.Join(fd.Evidence, " "), "s3cret") {
				t.Errorf("%s leaks the password: %s %v", id, fd.Title, fd.Evidence)
			}
		}
	}
}

func TestParentTranslated(t *testing.T) {
	f := appleSilicon() // uname -m of a child says arm64
	m := f.machine(t)
	translated := true
	m.ParentRosetta = &translated
	c, _ := Default().Lookup("host.terminal")
	r := Run(t.Context(), m, []Check{c}, Options{})
	if worst(r.Findings) != Warning || !strings.Contains(r.Findings[0].Evidence[0], "P_TRANSLATED") {
		t.Errorf("findings:\n%s", dump(r.Findings))
	}
}

// TestCodesignFix: the fix for an unsigned or edited tool is `gonative sign`, which
// runs on any OS, with Apple's codesign named as the Mac's alternative.
func TestCodesignFix(t *testing.T) {
	f := appleSilicon().goroot("/usr/local/go", "darwin", "arm64", "go1.26.8")
	f.bin("/Users/me/go/bin/my tool", "darwin", []string{"arm64"}, "go1.26.8")
	f.files["/Users/me/go/bin/my tool"].bin.corrupt = true
	fs := run(t, f, "tools.codesign")
	if len(fs) != 1 || fs[0].Fix == nil {
		t.Fatalf("findings %+v", fs)
	}
	fix := fs[0].Fix
	if len(fix.Commands) != 1 || fix.Commands[0] != "gonative sign '/Users/me/go/bin/my tool'" || fix.Needs != "" ||
		!strings.Contains(fix.Text, "codesign -f -s - '/Users/me/go/bin/my tool'") {
		t.Errorf("fix %+v", fix)
	}
}
