package gocode

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

// exitErr is a program that ran and failed, as exec.ExitError says.
type exitErr int

func (e exitErr) Error() string { return "exit status 1" }
func (e exitErr) ExitCode() int { return int(e) }

// TestMissingLibDebianPackage: a library the target's compiler cannot find and a
// pkg-config package the target's pkg-config does not know are reported with the
// :arm64 package of the file dpkg's index knows for the host.
func TestMissingLibDebianPackage(t *testing.T) {
	m := machine.Fake(fstest.MapFS{"usr/bin/dpkg": {Mode: 0o755}}, map[string]string{"PATH": "/usr/bin"})
	var ran []string
	m.Run = func(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		ran = append(ran, name+" "+strings.Join(args, " "))
		switch {
		case name == "aarch64-linux-gnu-gcc" && strings.HasPrefix(args[0], "-print-file-name=libm."):
			return []byte("/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/lib/libm.so\n"), nil, nil
		case name == "aarch64-linux-gnu-gcc":
			return []byte(strings.TrimPrefix(args[0], "-print-file-name=") + "\n"), nil, nil
		case name == "pkg-config":
			return nil, []byte("Package libpng was not found in the pkg-config search path.\n"), exitErr(1)
		case name == "dpkg" && args[1] == "*/libsqlite3.so":
			return []byte("libsqlite3-dev:amd64: /usr/lib/x86_64-linux-gnu/libsqlite3.so\n"), nil, nil
		case name == "dpkg" && args[1] == "*/pkgconfig/libpng.pc":
			return []byte("libpng-dev:amd64: /usr/lib/x86_64-linux-gnu/pkgconfig/libpng.pc\n"), nil, nil
		}
		return nil, nil, errors.New("not on this fake machine")
	}
	l, err := parseList([]byte(`{"ImportPath":"example.com/db","Dir":"/repo/db","Name":"db","Module":{"Path":"example.com","Main":true},
		"CgoFiles":["db.go"],"CgoLDFLAGS":["-lsqlite3","-lm"],"CgoPkgConfig":["libpng"]}`))
	if err != nil {
		t.Fatal(err)
	}
	st := &state{
		in:    ready.Input{Machine: m, Dir: "/repo", Targets: []build.Target{linuxARM64}},
		lists: map[build.Target]*listing{linuxARM64: l},
		cc: map[build.Target]ccResult{linuxARM64: {tc: build.CToolchain{CC: "aarch64-linux-gnu-gcc",
			Env: []string{"PKG_CONFIG=pkg-config", "PKG_CONFIG_PATH=", "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig"}}}},
	}
	rs := st.cgo(context.Background(), linuxARM64)
	if len(rs) != 2 {
		t.Fatalf("%d findings, want 2 (libsqlite3, libpng; libm is found): %+v\nran %q", len(rs), rs, ran)
	}
	for i, want := range []string{"libsqlite3-dev:arm64", "libpng-dev:arm64"} {
		r := rs[i]
		if r.ID != IDNoTargetLib || r.Path != "db/db.go" || r.Fix == nil || len(r.Fix.Commands) != 3 || !strings.HasSuffix(r.Fix.Commands[2], want) {
			t.Errorf("finding %d: %+v, fix %+v; want %s installed", i, r.Finding, r.Fix, want)
		}
	}
	if !strings.Contains(strings.Join(rs[1].Evidence, "\n"), "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig") {
		t.Errorf("the pkg-config finding does not say which search path it used: %q", rs[1].Evidence)
	}
}

func TestLibFlags(t *testing.T) {
	got := libFlags([]string{"-L/x", "-lz", "-l", "m", "-lz", "-pthread", "-l"})
	if strings.Join(got, " ") != "m z" {
		t.Errorf("libFlags = %q, want [m z]", got)
	}
}

func TestDirectiveMatches(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"#cgo LDFLAGS: -lx", true},
		{"#cgo darwin LDFLAGS: -lx", true},
		{"#cgo darwin,amd64 LDFLAGS: -lx", false},
		{"#cgo linux darwin,arm64 CFLAGS: -I/x", true},
		{"#cgo !darwin CFLAGS: -I/x", false},
		{"#cgo unix,!amd64 CFLAGS: -I/x", true},
		{"// #cgo arm64 CPPFLAGS: -DX", true},
	}
	for _, tt := range tests {
		d, ok := parseDirective(tt.line)
		if !ok {
			t.Fatalf("%q: not a directive", tt.line)
		}
		if got := d.matches(darwinARM64); got != tt.want {
			t.Errorf("%q matches darwin/arm64 = %v, want %v", tt.line, got, tt.want)
		}
	}
}
