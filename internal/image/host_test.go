package image

import (
	"archive/tar"
	"context"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestPlatformRuns(t *testing.T) {
	for _, c := range []struct {
		host, plat, runs, want string
	}{
		{"darwin/arm64", "linux/arm64", "native", "Docker Desktop's linux/arm64 VM"},
		{"darwin/arm64", "linux/amd64", "emulated", "Rosetta for Linux"},
		{"darwin/arm64,rosetta=no", "linux/amd64", "emulated", "QEMU"},
		{"darwin/arm64", "linux/riscv64", "emulated", "QEMU"},
		{"windows/amd64", "linux/arm64", "emulated", "QEMU"},
		{"linux/amd64", "linux/amd64", "native", "in its kernel"},
		{"linux/amd64", "linux/386", "native", "in its kernel"},
		{"linux/amd64", "linux/arm64", "no", "no binfmt_misc handler for arm64"},
		{"linux/amd64,binfmt=arm64:/usr/bin/qemu-aarch64-static", "linux/arm64", "emulated", "qemu-aarch64-static"},
		{"linux/arm64", "linux/arm", "native", "AArch32"},
		{"linux/amd64", "windows/amd64", "no", "needs a windows container host"},
	} {
		h := mustHost(t, c.host)
		os, arch, _ := strings.Cut(c.plat, "/")
		runs, _, reason := platformRuns(v1.Platform{OS: os, Architecture: arch}, h, ContainerHost(h))
		if string(runs) != c.runs || !strings.Contains(reason, c.want) {
			t.Errorf("%s on %s: %s (%s), want %s (%s)", c.plat, c.host, runs, reason, c.runs, c.want)
		}
	}
	// An unknown host judges nothing: unknown is not "no".
	if runs, _, reason := platformRuns(v1.Platform{OS: "linux", Architecture: "arm64"}, host.Host{}, ContainerHost(host.Host{})); runs != "" || !strings.Contains(reason, "unknown") {
		t.Errorf("unknown host: %q (%s), want no verdict and the reason", runs, reason)
	}
}

// TestPlatformRuns32: on this machine a linux/386 image's verdict rests on the
// kernel's answer to the 32-bit probe, as a file's does: refused is "no" unless a
// binfmt_misc handler catches it.
func TestPlatformRuns32(t *testing.T) {
	enoexec := &fs.PathError{Op: "fork/exec", Path: "/tmp/x/probe", Err: syscall.ENOEXEC}
	for _, c := range []struct {
		host       string
		exec       error
		runs, want string
	}{
		{"linux/amd64", enoexec, "no", "cannot execute 32-bit x86 programs"},
		{"linux/amd64", nil, "native", "in its kernel"},
		{"linux/amd64,binfmt=386:/usr/bin/qemu-i386-static", enoexec, "emulated", "qemu-i386-static"},
	} {
		h := mustHost(t, c.host)
		m := machine.Fake(nil, nil)
		m.Exec = func(context.Context, []byte) error { return c.exec }
		h.Compat = host.NewCompatProbe(m, t.TempDir())
		runs, _, reason := platformRuns(v1.Platform{OS: "linux", Architecture: "386"}, h, ContainerHost(h))
		if string(runs) != c.runs || !strings.Contains(reason, c.want) {
			t.Errorf("linux/386 on %s (probe %v): %s (%s), want %s (%s)", c.host, c.exec, runs, reason, c.runs, c.want)
		}
	}
}

// TestFindLibc: the libc beside the loader, through older Debian's libc.so.6 ->
// libc-2.31.so symlink, of the right architecture only.
func TestFindLibc(t *testing.T) {
	tr := tree{
		"/lib":                                 {typ: tar.TypeDir},
		"/lib/x86_64-linux-gnu/libc.so.6":      {typ: tar.TypeSymlink, link: "libc-2.31.so"},
		"/lib/x86_64-linux-gnu/libc-2.31.so":   {typ: tar.TypeReg, arch: "amd64", glibc: "2.31"},
		"/usr/lib/aarch64-linux-gnu/libc.so.6": {typ: tar.TypeReg, arch: "arm64", glibc: "2.36"},
		"/lib64/libc.so.6":                     {typ: tar.TypeReg, arch: "arm64", glibc: "2.40"},
	}
	if v, at, _ := findLibc(tr, "amd64", "/lib64"); v != "2.31" || at != "/lib/x86_64-linux-gnu/libc-2.31.so" {
		t.Errorf("amd64: %q at %q", v, at)
	}
	if v, _, _ := findLibc(tr, "arm64", "/lib"); v != "2.36" {
		t.Errorf("arm64: %q", v)
	}
	if v, _, _ := findLibc(tr, "riscv64", "/lib"); v != "" {
		t.Errorf("riscv64: %q", v)
	}
	// A libc.so.6 whose version could not be read is unknown, not missing.
	tr["/lib/riscv64-linux-gnu/libc.so.6"] = &node{typ: tar.TypeReg, arch: "riscv64"}
	if v, _, unreadable := findLibc(tr, "riscv64", "/lib"); v != "" || unreadable != "/lib/riscv64-linux-gnu/libc.so.6" {
		t.Errorf("riscv64 unreadable: %q %q", v, unreadable)
	}
}

func TestEpoch(t *testing.T) {
	for _, c := range []struct {
		env  string
		want int64
		ok   bool
	}{{"", 0, true}, {"1700000000", 1700000000, true}, {"12abc", 0, false}, {"-1", 0, false}} {
		got, err := Epoch(func(string) string { return c.env })
		if (err == nil) != c.ok || (c.ok && got.Unix() != c.want) {
			t.Errorf("SOURCE_DATE_EPOCH=%q: %v, %v", c.env, got, err)
		}
	}
}
