package host

import (
	"context"
	"errors"
	"github.com/gonative/gonative/internal/machine"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

// The handler text as binfmt-support writes it for qemu-user-static (Debian 12).
const qemuAarch64 = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`

// The handler a Linux VM on Apple Silicon registers for Rosetta (Apple, "Running Intel
// Binaries in Linux VMs with Rosetta").
const rosettaHandler = `enabled
interpreter /mnt/lima-rosetta/rosetta
flags: OCF
offset 0
magic 7f454c4602010100000000000000000002003e00
mask fffffffffffefe00fffffffffffffffffeffffff
`

func TestParseBinfmt(t *testing.T) {
	tests := []struct {
		name, text string
		want       Binfmt
		ok         bool
	}{
		{"qemu-aarch64", qemuAarch64, Binfmt{Name: "qemu-aarch64", Arch: "arm64", Interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", Enabled: true, Flags: "PF"}, true},
		{"rosetta", rosettaHandler, Binfmt{Name: "rosetta", Arch: "amd64", Interpreter: "/mnt/lima-rosetta/rosetta", Enabled: true, Flags: "OCF"}, true},
		{"disabled", "disabled\ninterpreter /x\nflags: \noffset 0\nmagic 7f454c460201010000000000000000000200b700\n", Binfmt{Name: "disabled", Arch: "arm64", Interpreter: "/x", Enabled: false}, true},
		{"CLR", "enabled\ninterpreter /usr/bin/mono\nflags: \noffset 0\nmagic 4d5a\n", Binfmt{}, false},
		{"extension", "enabled\ninterpreter /usr/bin/wine\nflags: \nextension .exe\n", Binfmt{}, false},
		{"garbage", "magic zz\n", Binfmt{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseBinfmt(tt.name, tt.text)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec    string
		want    Host
		wantErr bool
	}{
		{spec: "darwin/arm64", want: Host{OS: "darwin", Arch: "arm64", ProcessArch: "arm64", PageSize: 16384, Rosetta: true, Assumed: true}},
		{spec: "darwin/arm64,macos=14.5,rosetta=no", want: Host{OS: "darwin", Arch: "arm64", ProcessArch: "arm64", PageSize: 16384, OSVersion: "14.5", Assumed: true}},
		{spec: "linux/arm64,page=64k,binfmt=amd64:/usr/bin/qemu-x86_64-static", want: Host{OS: "linux", Arch: "arm64", ProcessArch: "arm64", PageSize: 65536, Assumed: true,
			Binfmt: []Binfmt{{Name: "qemu-x86_64-static", Arch: "amd64", Interpreter: "/usr/bin/qemu-x86_64-static", Enabled: true}}}},
		{spec: "linux/amd64,features=avx2+bmi2", want: Host{OS: "linux", Arch: "amd64", ProcessArch: "amd64", PageSize: 4096, Assumed: true, CPUFeatures: []string{"avx2", "bmi2"}}},
		{spec: "darwin", wantErr: true},
		{spec: "darwin/", wantErr: true},
		{spec: "darwin/arm64,macos", wantErr: true},
		{spec: "darwin/arm64,colour=red", wantErr: true},
		{spec: "linux/arm64,page=huge", wantErr: true},
		{spec: "darwin/arm64,rosetta=maybe", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := Parse(tt.spec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// writeFake lays out a fake machine directory for FromDir.
func writeFake(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDetectFakes(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  Host
	}{
		{
			name: "Apple Silicon Mac, gonative translated by Rosetta",
			files: map[string]string{
				"platform": "darwin/amd64\n",
				"sysctl":   "hw.optional.arm64: 1\nsysctl.proc_translated: 1\nkern.osproductversion: 14.5\nhw.optional.arm.FEAT_LSE: 1\n",
				"root/Library/Apple/usr/libexec/oah/libRosettaRuntime": "",
			},
			want: Host{OS: "darwin", Arch: "arm64", ProcessArch: "amd64", Translated: true, Rosetta: true, OSVersion: "14.5", PageSize: 4096, CPUFeatures: []string{"FEAT_LSE"}},
		},
		{
			name: "Apple Silicon Mac, native, no Rosetta",
			files: map[string]string{
				"platform": "darwin/arm64\n",
				"sysctl":   "hw.optional.arm64: 1\nsysctl.proc_translated: 0\nkern.osproductversion: 15.1\n",
			},
			want: Host{OS: "darwin", Arch: "arm64", ProcessArch: "arm64", OSVersion: "15.1", PageSize: 16384},
		},
		{
			name: "Intel Mac",
			files: map[string]string{
				"platform": "darwin/amd64\n",
				"sysctl":   "kern.osproductversion: 13.6\nhw.optional.avx2_0: 1\n",
			},
			want: Host{OS: "darwin", Arch: "amd64", ProcessArch: "amd64", OSVersion: "13.6", PageSize: 4096, CPUFeatures: []string{"avx2_0"}},
		},
		{
			name: "Linux arm64 server with 64K pages and a rosetta handler",
			files: map[string]string{
				"platform":                                  "linux/arm64\n",
				"uname":                                     "6.8.0-1009-aws aarch64\n",
				"pagesize":                                  "65536\n",
				"root/proc/cpuinfo":                         "processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\n",
				"root/proc/sys/fs/binfmt_misc/status":       "enabled\n",
				"root/proc/sys/fs/binfmt_misc/register":     "",
				"root/proc/sys/fs/binfmt_misc/rosetta":      rosettaHandler,
				"root/proc/sys/fs/binfmt_misc/qemu-aarch64": qemuAarch64,
			},
			want: Host{OS: "linux", Arch: "arm64", ProcessArch: "arm64", OSVersion: "6.8.0-1009-aws", PageSize: 65536,
				Binfmt: []Binfmt{
					{Name: "qemu-aarch64", Arch: "arm64", Interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", Enabled: true, Flags: "PF"},
					{Name: "rosetta", Arch: "amd64", Interpreter: "/mnt/lima-rosetta/rosetta", Enabled: true, Flags: "OCF"},
				},
				CPUFeatures: []string{"fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := machine.FromDir(writeFake(t, tt.files), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Detect(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Exists == nil {
				t.Error("a fake host answers whether a file exists")
			}
			got.Exists = nil
			if wantProbe := got.OS == "linux" && Compat32(got.Arch) != ""; (got.Compat != nil) != wantProbe {
				t.Errorf("Compat probe set: %v, want %v", got.Compat != nil, wantProbe)
			}
			got.Compat = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if tt.want.Arch == "arm64" && tt.want.Binfmt != nil {
				if b, ok := got.Handler("amd64"); !ok || b.Name != "rosetta" {
					t.Errorf("Handler(amd64) = %+v, %v; want rosetta", b, ok)
				}
			}
		})
	}
}

// TestDetectThisMachine checks the real probe against what the Go runtime knows.
func TestDetectThisMachine(t *testing.T) {
	h, err := Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	if h.OS != runtime.GOOS {
		t.Errorf("OS = %s, want %s", h.OS, runtime.GOOS)
	}
	if h.ProcessArch != runtime.GOARCH {
		t.Errorf("ProcessArch = %s, want %s", h.ProcessArch, runtime.GOARCH)
	}
	if h.PageSize != os.Getpagesize() {
		t.Errorf("PageSize = %d, want %d", h.PageSize, os.Getpagesize())
	}
	if runtime.GOOS == "linux" && h.OSVersion == "" {
		t.Error("no kernel release")
	}
}

func TestDetectCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Detect(ctx, machine.Real()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// FuzzParseBinfmt checks that no handler text panics the parser and that a parsed
// handler always names an architecture.
func FuzzParseBinfmt(f *testing.F) {
	f.Add(qemuAarch64)
	f.Add(rosettaHandler)
	f.Add("enabled\nmagic 7f454c46\n")
	f.Fuzz(func(t *testing.T, text string) {
		if h, ok := ParseBinfmt("fuzz", text); ok && h.Arch == "" {
			t.Fatalf("parsed handler without an arch: %+v", h)
		}
	})
}

// FuzzParse checks that --host never panics and that a parsed host has a platform.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"darwin/arm64,macos=14.5", "linux/arm64,page=64k,binfmt=amd64:/x", "x/y,features=a+b", "/,page=k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if h, err := Parse(spec); err == nil && (h.OS == "" || h.Arch == "") {
			t.Fatalf("Parse(%q) = %+v without a platform", spec, h)
		}
	})
}
