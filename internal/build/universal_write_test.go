package build

import (
	"bytes"
	"context"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/exe"
)

// tinyMachO is the smallest thin Mach-O that readers take: a 64-bit header with no
// load commands, for cputype cpu and subtype sub.
func tinyMachO(t *testing.T, dir string, cpu, sub uint32) string {
	t.Helper()
	b := make([]byte, 32)
	binary.LittleEndian.PutUint32(b, 0xfeedfacf)
	binary.LittleEndian.PutUint32(b[4:], cpu)
	binary.LittleEndian.PutUint32(b[8:], sub)
	binary.LittleEndian.PutUint32(b[12:], 2) // MH_EXECUTE
	p := filepath.Join(dir, fmt.Sprintf("m-%d-%d", cpu, sub))
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// distinctInputs makes n thin Mach-O files of distinct architectures.
func distinctInputs(t *testing.T, dir string, n int) []string {
	var ins []string
	for i := range n {
		ins = append(ins, tinyMachO(t, dir, uint32(macho.CpuAmd64), uint32(3+i)))
	}
	return ins
}

// TestCreateSliceLimitMatchesReaders: create writes at most MaxCreateSlices slices,
// and what it writes at the limit every reader reads as universal (issue 9, item 8:
// create wrote files its own thin rejected).
func TestCreateSliceLimitMatchesReaders(t *testing.T) {
	dir := t.TempDir()
	ins := distinctInputs(t, dir, MaxCreateSlices+1)
	out := filepath.Join(dir, "fat")
	if _, err := CreateUniversal(out, ins, CreateOptions{}); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("%d slices: err = %v", len(ins), err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("output written")
	}
	u, err := CreateUniversal(out, ins[:MaxCreateSlices], CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ReadUniversal(out); err != nil || len(r.Slices) != MaxCreateSlices {
		t.Errorf("ReadUniversal: %v, %v", r, err)
	}
	f, err := exe.Inspect(context.Background(), out, exe.Options{})
	if err != nil || f.Format != exe.FormatMachOFat || len(f.Slices) != MaxCreateSlices {
		t.Errorf("exe reads %v slices as %v (%v)", len(f.Slices), f.Format, err)
	}
	if _, err := ThinUniversal(out, u.Slices[0].Arch, filepath.Join(dir, "thin")); err != nil {
		t.Errorf("thin of our own output: %v", err)
	}
	if file, err := exec.LookPath("file"); err == nil {
		b, _ := exec.Command(file, "-b", out).Output()
		if want := fmt.Sprintf("Mach-O universal binary with %d architectures", MaxCreateSlices); !strings.Contains(string(b), want) {
			t.Errorf("file(1) says %q, want %q", b, want)
		}
	}
}

func TestWritersRefuseNonRegularAndInputs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no devices, named pipes or unprivileged links on Windows")
	}
	dir := t.TempDir()
	a := tinyMachO(t, dir, uint32(macho.CpuAmd64), 3)
	b := tinyMachO(t, dir, uint32(macho.CpuArm64), 0)
	orig, _ := os.ReadFile(a)
	fat := filepath.Join(dir, "fat")
	if _, err := CreateUniversal(fat, []string{a, b}, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fatBytes, _ := os.ReadFile(fat)
	// The output is an input: refused, even with --force, and the input is intact.
	if _, err := CreateUniversal(a, []string{a, b}, CreateOptions{Force: true}); !errors.Is(err, atomicfile.ErrSameFile) {
		t.Errorf("create -o a a b: %v", err)
	}
	if got, _ := os.ReadFile(a); !bytes.Equal(got, orig) {
		t.Error("input overwritten")
	}
	if _, err := ThinUniversal(fat, "arm64", fat); !errors.Is(err, atomicfile.ErrSameFile) {
		t.Errorf("thin -o fat fat: %v", err)
	}
	if got, _ := os.ReadFile(fat); !bytes.Equal(got, fatBytes) {
		t.Error("thin input overwritten")
	}
	// A device, a named pipe, a link: refused without Force.
	fifo := filepath.Join(dir, "fifo")
	mkfifo(fifo)
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	for _, out := range []string{os.DevNull, fifo, link} {
		if _, err := CreateUniversal(out, []string{a, b}, CreateOptions{}); !errors.Is(err, atomicfile.ErrNotRegular) {
			t.Errorf("create -o %s: %v", out, err)
		}
		if _, err := ThinUniversal(fat, "arm64", out); !errors.Is(err, atomicfile.ErrNotRegular) {
			t.Errorf("thin -o %s: %v", out, err)
		}
	}
	if fi, err := os.Lstat(os.DevNull); err != nil || fi.Mode()&fs.ModeDevice == 0 {
		t.Errorf("%s is no longer a device: %v %v", os.DevNull, fi, err)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Error("fifo replaced")
	}
	if got, _ := os.ReadFile(target); string(got) != "keep" {
		t.Error("link target written")
	}
	// Force replaces the link itself.
	if _, err := ThinUniversalWith(fat, "arm64", link, ThinOptions{Force: true}); err != nil {
		t.Errorf("thin --force -o link: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != "keep" {
		t.Error("link target written with --force")
	}
}

func TestUniversalInputsNeverBlock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no named pipes on Windows")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	a := tinyMachO(t, dir, uint32(macho.CpuAmd64), 3)
	for name, f := range map[string]func() error{
		"info": func() error { _, err := ReadUniversal(fifo); return err },
		"create": func() error {
			_, err := CreateUniversal(filepath.Join(dir, "o1"), []string{a, fifo}, CreateOptions{})
			return err
		},
		"thin": func() error { _, err := ThinUniversal(fifo, "arm64", filepath.Join(dir, "o2")); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			if !errors.Is(err, atomicfile.ErrNotRegular) || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("%s: err = %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s blocks on a named pipe", name)
		}
	}
	if _, err := ReadUniversal(dir); err == nil || strings.Contains(err.Error(), "too short") || !strings.Contains(err.Error(), "directory") {
		t.Errorf("info DIR: %v", err)
	}
}

// TestBuildRefusesNonRegularOutput: `build` replaces only regular files in its output
// directory (issue 9, item 4).
func TestBuildRefusesNonRegularOutput(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no named pipes on Windows")
	}
	dir := module(t, "example.com/hello", map[string]string{"main.go": "package main\n\nfunc main() {}\n"})
	o := testOptions(t, dir)
	targets, err := ParseTargets([]string{"linux/" + runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	o.Targets = targets
	dist := filepath.Join(dir, "dist")
	os.MkdirAll(dist, 0o755)
	out := filepath.Join(dist, OutputName("hello", targets[0]))
	if err := mkfifo(out); err != nil {
		t.Fatal(err)
	}
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || !strings.Contains(res.Outputs[0].Error, "named pipe") {
		t.Fatalf("outputs %+v, want the named pipe refused", res.Outputs)
	}
	t.Log(res.Outputs[0].Error)
	if fi, err := os.Lstat(out); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("named pipe replaced: %v %v", fi, err)
	}
}
