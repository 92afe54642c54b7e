package gocode

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

// TestHeaders: on linux/amd64 with Debian's aarch64 cross compiler, the hand-made
// module's <sys/io.h> (glibc installs it for x86 only) and the header only
// linux/amd64's #cgo CFLAGS -I finds are missing for linux/arm64, each at its
// #include line; nothing for linux/amd64, and nothing for the headers inside #ifdef,
// in a C comment, or in the package's own directory.
func TestHeaders(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the module's headers are judged for a linux/amd64 host")
	}
	if exec.Command("aarch64-linux-gnu-gcc", "--version").Run() != nil {
		t.Skip("no aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu)")
	}
	rs := modResults(t, "headers")
	got := map[build.Target][]string{}
	for _, r := range rs {
		if r.ID == IDNoBuild && r.Package == "example.com/headers/hdr" {
			t.Errorf("%s: go.nobuild beside the missing headers' findings (go vet's error is the first of them): %q", r.Target, r.Evidence)
		}
		if r.ID != IDNoTargetHdr {
			continue
		}
		got[r.Target] = append(got[r.Target], r.Path+":"+strconv.Itoa(r.Line)+" "+r.Title)
		if r.Fix == nil || r.Fix.Text == "" {
			t.Errorf("no fix: %+v", r.Finding)
		}
		for _, e := range r.Evidence {
			if strings.ContainsAny(e, "\n\r") {
				t.Errorf("evidence on more than one line: %q", e)
			}
		}
		if !strings.Contains(r.Evidence[1], "aarch64-linux-gnu-gcc") || !strings.Contains(r.Evidence[1], "-E -x c -") {
			t.Errorf("evidence does not name the compiler run: %q", r.Evidence)
		}
	}
	want := []string{
		"hdr/hdr.go:8 example.com/headers/hdr includes <sys/io.h>, which the C compiler for linux/arm64 does not find",
		"hdr/hdr.go:9 example.com/headers/hdr includes <gonative_amd64only.h>, which the C compiler for linux/arm64 does not find",
	}
	if !slices.Equal(got[linuxARM64], want) {
		t.Errorf("linux/arm64: %q\nwant %q", got[linuxARM64], want)
	}
	if len(got[linuxAMD64]) != 0 || len(got[darwinARM64T]) != 0 {
		t.Errorf("found for linux/amd64 %q, darwin/arm64 %q; want nothing", got[linuxAMD64], got[darwinARM64T])
	}
}

// TestMissingHeaderDebianPackage: on a fake machine whose dpkg knows the host's
// package of a missing header, the fix installs its :arm64 package; a header in the
// host's architecture directory says it may exist only for amd64.
func TestMissingHeaderDebianPackage(t *testing.T) {
	m := machine.Fake(fstest.MapFS{"usr/bin/dpkg": {Mode: 0o755}}, map[string]string{"PATH": "/usr/bin"})
	var asked []string
	m.Run = func(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		if name != "dpkg" {
			return nil, nil, errors.New("not on this fake machine")
		}
		asked = append(asked, args[1])
		switch args[1] {
		case "*/include/zstd.h":
			return []byte("libzstd-dev:amd64: /usr/include/zstd.h\n"), nil, nil
		case "*/include/x86_64-linux-gnu/sys/io.h":
			return []byte("libc6-dev:amd64: /usr/include/x86_64-linux-gnu/sys/io.h\n"), nil, nil
		}
		return nil, []byte("dpkg-query: no path found matching pattern " + args[1] + "\n"), exitErr(1)
	}
	st := &state{in: ready.Input{Machine: m, Dir: "/repo", Targets: []build.Target{linuxARM64}}}
	d, _ := build.Debian("arm64")
	p := &listedPkg{ImportPath: "example.com/z", Dir: "/repo/z", Module: &listedModule{Path: "example.com", Main: true}}
	tests := []struct {
		header, cmd string
		archDir     bool
	}{
		{"<zstd.h>", "apt-get install -y libzstd-dev:arm64", false},
		{"<sys/io.h>", "apt-get install -y libc6-dev:arm64", true},
		{"<gonative_nosuch.h>", "", false},
	}
	for _, tt := range tests {
		u := headerUse{include{Line: 7, Header: tt.header}, "/repo/z/z.go"}
		f := st.missingHeader(context.Background(), linuxARM64, d, p, u, "aarch64-linux-gnu-gcc -E -x c -", "<stdin>:2:2: error: #error "+missingMark+tt.header, "")
		if f.ID != IDNoTargetHdr || f.Path != "z/z.go" || f.Line != 7 || f.Evidence[0] != "z/z.go:7: #include "+tt.header {
			t.Errorf("%s: %+v", tt.header, f)
		}
		if f.Fix == nil {
			t.Fatalf("%s: no fix", tt.header)
		}
		if tt.cmd == "" {
			if len(f.Fix.Commands) != 0 || !strings.Contains(f.Fix.Text, "include/gonative_nosuch.h") {
				t.Errorf("%s: fix %+v, want the text naming the file", tt.header, f.Fix)
			}
			continue
		}
		if len(f.Fix.Commands) != 3 || f.Fix.Commands[0] != "dpkg --add-architecture arm64" || f.Fix.Commands[2] != tt.cmd {
			t.Errorf("%s: commands %q, want %q last", tt.header, f.Fix.Commands, tt.cmd)
		}
		if got := strings.Contains(f.Fix.Text, "specific to amd64"); got != tt.archDir {
			t.Errorf("%s: fix text %q: says architecture-specific %v, want %v", tt.header, f.Fix.Text, got, tt.archDir)
		}
	}
	if !slices.Contains(asked, "*/include/x86_64-linux-gnu/sys/io.h") {
		t.Errorf("dpkg was not asked for the host's multiarch directory: %q", asked)
	}
}

func TestSearchFlags(t *testing.T) {
	got := searchFlags([]string{"-I/a", "-I", "/b", "-DX=1", "-O2", "-fplugin=/x.so", "-isystem", "/c", "--sysroot=/s", "--sysrootx", "-Wall", "-U", "Y", "-I"})
	want := []string{"-I/a", "-I", "/b", "-DX=1", "-isystem", "/c", "--sysroot=/s", "-U", "Y"}
	if !slices.Equal(got, want) {
		t.Errorf("searchFlags = %q\nwant %q", got, want)
	}
}

func TestParseProbe(t *testing.T) {
	uses := []headerUse{{include{1, "<a.h>"}, ""}, {include{2, `"b/c.h"`}, ""}, {include{3, "<d.h>"}, ""}}
	stderr := "<stdin>:3:2: error: #error " + missingMark + "<a.h>\n" +
		`<stdin>:6:2: error: #error ` + missingMark + `"b/c.h"` + "\n" +
		"<stdin>:9:10: fatal error: d.h: No such file or directory\ncompilation terminated.\n"
	got := parseProbe([]byte(stderr), uses)
	if len(got) != 3 || got["<a.h>"] == "" || got[`"b/c.h"`] == "" || !strings.Contains(got["<d.h>"], "fatal error") {
		t.Errorf("parseProbe = %q", got)
	}
	clang := "<stdin>:1:10: fatal error: 'd.h' file not found\n"
	if got := parseProbe([]byte(clang), uses); got["<d.h>"] == "" || len(got) != 1 {
		t.Errorf("clang's message: %q", got)
	}
}

func TestScanIncludes(t *testing.T) {
	tests := []struct {
		name, src string
		want      []include
	}{
		{"block preamble", "package p\n\n/*\n#include <a.h>\n  #  include \"b.h\" // x\n#include MACRO\n*/\nimport \"C\"\n",
			[]include{{4, "<a.h>"}, {5, `"b.h"`}}},
		{"line comments", "package p\n\n// #include <a.h>\n// #if X\n// #include <b.h>\n// #endif\n// #include <c.h>\nimport \"C\"\n",
			[]include{{3, "<a.h>"}, {7, "<c.h>"}}},
		{"nested #if, #else and #elif stay inside", "package p\n/*\n#ifdef A\n#if B\n#endif\n#else\n#include <x.h>\n#elif C\n#include <y.h>\n#endif\n#include <z.h>\n*/\nimport \"C\"\n",
			[]include{{11, "<z.h>"}}},
		{"C comments and continuations", "package p\n// /* #include <a.h>\n// #include <b.h> */ #include <e.h>\n// #define X \\\n// #include <c.h>\n// #include <d.h>\nimport \"C\"\n",
			[]include{{6, "<d.h>"}}},
		{"grouped import: the spec's own comment", "package p\n\nimport (\n\t\"fmt\"\n\t// #include <a.h>\n\t\"C\"\n)\n",
			[]include{{5, "<a.h>"}}},
		{"a comment not before import C", "package p\n\n// #include <a.h>\n\nimport \"C\"\n", nil},
		{"no cgo", "package p\n// #include <a.h>\nimport \"fmt\"\n", nil},
		{"//line directives do not move lines", "package p\n//line other.go:100\n/*\n#include <a.h>\n*/\nimport \"C\"\n",
			[]include{{4, "<a.h>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanIncludes([]byte(tt.src)); !slices.Equal(got, tt.want) {
				t.Errorf("scanIncludes = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestPkgConfigCflags: the target's isolated pkg-config gives the header directories
// (only the search flags kept); when it fails, the note says the headers were looked
// for without them.
func TestPkgConfigCflags(t *testing.T) {
	m := machine.Fake(nil, nil)
	m.Run = func(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		if name == "aarch64-linux-gnu-pkg-config" && slices.Equal(args, []string{"--cflags", "--", "gtk+-3.0"}) && slices.Contains(env, "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig") {
			return []byte("-I/usr/include/gtk-3.0 -pthread -DGTK -I/usr/include/glib-2.0\n"), nil, nil
		}
		return nil, []byte("Package x was not found\n"), exitErr(1)
	}
	st := &state{in: ready.Input{Machine: m, Dir: "/repo"}}
	tc := build.CToolchain{CC: "aarch64-linux-gnu-gcc", Env: []string{"PKG_CONFIG=aarch64-linux-gnu-pkg-config", "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig"}}
	flags, note := st.pkgConfigCflags(context.Background(), tc, &listedPkg{CgoPkgConfig: []string{"--static", "gtk+-3.0"}})
	if want := []string{"-I/usr/include/gtk-3.0", "-DGTK", "-I/usr/include/glib-2.0"}; !slices.Equal(flags, want) || note != "" {
		t.Errorf("flags %q, note %q; want %q", flags, note, want)
	}
	flags, note = st.pkgConfigCflags(context.Background(), tc, &listedPkg{CgoPkgConfig: []string{"x"}})
	if flags != nil || !strings.Contains(note, "without its flags") {
		t.Errorf("a failing pkg-config: flags %q, note %q", flags, note)
	}
	if flags, note = st.pkgConfigCflags(context.Background(), tc, &listedPkg{}); flags != nil || note != "" {
		t.Errorf("no pkg-config packages: %q %q", flags, note)
	}
}
