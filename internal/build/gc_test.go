package build

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/machine"
)

func TestParseMemAvailable(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"MemTotal:       24683724 kB\nMemFree:        17205000 kB\nMemAvailable:   23604300 kB\n", 23604300 << 10, true},
		{"MemAvailable: 0 kB\n", 0, true},
		{"MemTotal:       24683724 kB\n", 0, false},          // a kernel before 3.14
		{"MemAvailable:   23604300 MB\n", 0, false},          // not the unit /proc/meminfo writes
		{"MemAvailable:   -1 kB\n", 0, false},                //
		{"MemAvailable:   99999999999999999 kB\n", 0, false}, // more than 16 PiB
		{"MemAvailable:\n", 0, false},
	} {
		got, ok := parseMemAvailable([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parseMemAvailable(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// fakeMemory makes memAvailable answer avail (ok false when avail is 0) until the
// test ends.
func fakeMemory(t *testing.T, avail uint64) {
	old := memAvailable
	memAvailable = func(machine.Machine) (uint64, bool) { return avail, avail > 0 }
	t.Cleanup(func() { memAvailable = old })
}

func TestGCEnv(t *testing.T) {
	cpus := runtime.NumCPU()
	enough := uint64(6) * minGCShare * uint64(cpus+1) // a share of 1.5 GiB for 2 builds, 0.75 GiB for 4
	for _, c := range []struct {
		name    string
		avail   uint64
		env     []string
		targets int
		want    []string
	}{
		{"roomy", enough, nil, 2, []string{"GOGC=off", "GOMEMLIMIT=1536MiB"}},
		{"more builds, smaller shares", enough, nil, 4, nil},
		{"unknown memory", 0, nil, 2, nil},
		{"user's GOGC", enough, []string{"GOGC=100"}, 2, nil},
		{"user's empty GOGC", enough, []string{"GOGC="}, 2, nil},
		{"user's GOMEMLIMIT", enough, []string{"GOMEMLIMIT=1GiB"}, 2, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			fakeMemory(t, c.avail)
			o := Options{Machine: machine.RealWith(append(testEnv(), c.env...)), Jobs: 4, Targets: fourTargets[:c.targets], Packages: []string{"."}}
			if _, set := os.LookupEnv("GOGC"); set && c.env == nil {
				t.Skip("the test's own environment sets GOGC")
			}
			if got := gcEnv(o); !slices.Equal(got, c.want) {
				t.Errorf("gcEnv = %q, want %q", got, c.want)
			}
		})
	}
}

// gcLoggingGo returns a go command that logs, for each go build, its GOGC and
// GOMEMLIMIT ("build GOGC=off GOMEMLIMIT=2048MiB"; unset ones are empty).
func gcLoggingGo(t *testing.T) (goCmd, log string) {
	goCmd, dir := fakeGo(t, `[ "$1" = build ] && echo "build GOGC=$GOGC GOMEMLIMIT=$GOMEMLIMIT" >>"$dir/log"`)
	return goCmd, filepath.Join(dir, "log")
}

// TestGCEnvSameBytes: with room, every go build runs with GOGC=off and a GOMEMLIMIT
// (cgo off and auto, early and planned builds), and its output has the bytes of a
// build with the user's own GOGC, which is kept.
func TestGCEnvSameBytes(t *testing.T) {
	dir := module(t, "example.com/web", map[string]string{"main.go": helloHTTP})
	fakeMemory(t, 1<<50)
	sums := map[string]string{}
	for _, c := range []struct {
		name string
		cgo  CgoMode
		env  []string
		want string
	}{
		{"tuned, cgo off", CgoOff, nil, "build GOGC=off GOMEMLIMIT="},
		{"tuned, cgo auto", CgoAuto, nil, "build GOGC=off GOMEMLIMIT="},
		{"user's GOGC", CgoOff, []string{"GOGC=100"}, "build GOGC=100 GOMEMLIMIT=\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions(t, dir)
			o.Machine = machine.RealWith(testEnv(c.env...))
			o.OutDir = t.TempDir()
			o.Targets, o.Cgo = fourTargets[:2], c.cgo
			var log string
			o.Go, log = gcLoggingGo(t)
			res, err := Build(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			noProblems(t, res)
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != len(o.Targets) {
				t.Errorf("%d go builds logged, want %d:\n%s", len(lines), len(o.Targets), b)
			}
			for _, l := range lines {
				if !strings.HasPrefix(l+"\n", c.want) || c.env == nil && strings.HasSuffix(l, "GOMEMLIMIT=\n") {
					t.Errorf("go build ran with %q, want %q...", strings.TrimSpace(l), c.want)
				}
			}
			for _, out := range res.Outputs {
				if prev, ok := sums[out.Target]; ok && prev != out.SHA256 {
					t.Errorf("%s: sha256 %s, another run %s: GOGC changed the output", out.Target, out.SHA256, prev)
				}
				sums[out.Target] = out.SHA256
			}
		})
	}
}

// TestMemAvailableCgroup: a container's memory limit (its cgroup's, or a parent's,
// v2 or v1) bounds the memory the builds may take, since /proc/meminfo is the whole
// machine's; a machine whose cgroups cannot be read has unknown memory.
func TestMemAvailableCgroup(t *testing.T) {
	const gib = 1 << 30
	meminfo := &fstest.MapFile{Data: []byte("MemTotal:       268435456 kB\nMemAvailable:   209715200 kB\n")} // 200 GiB
	num := func(n uint64) *fstest.MapFile { return &fstest.MapFile{Data: []byte(strconv.FormatUint(n, 10) + "\n")} }
	text := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name  string
		files fstest.MapFS
		want  uint64
		ok    bool
	}{
		{"v2, the namespace's root", fstest.MapFS{
			"proc/self/cgroup":             text("0::/\n"),
			"sys/fs/cgroup/memory.max":     num(4 * gib),
			"sys/fs/cgroup/memory.current": num(1 * gib),
		}, 3 * gib, true},
		{"v2, a parent's limit", fstest.MapFS{
			"proc/self/cgroup":                     text("0::/ci/job1\n"),
			"sys/fs/cgroup/ci/memory.max":          num(2 * gib),
			"sys/fs/cgroup/ci/memory.current":      num(gib / 2),
			"sys/fs/cgroup/ci/job1/memory.max":     text("max\n"),
			"sys/fs/cgroup/ci/job1/memory.current": num(gib / 4),
		}, gib + gib/2, true},
		{"v2, over its limit", fstest.MapFS{
			"proc/self/cgroup":             text("0::/\n"),
			"sys/fs/cgroup/memory.max":     num(gib),
			"sys/fs/cgroup/memory.current": num(2 * gib),
		}, 0, true},
		{"v1, the container's cgroup at the mount's root", fstest.MapFS{
			"proc/self/cgroup":                           text("5:devices:/docker/abc\n4:memory:/docker/abc\n0::/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": num(8 * gib),
			"sys/fs/cgroup/memory/memory.usage_in_bytes": num(gib),
		}, 7 * gib, true},
		{"v1, no limit (2^63 rounded to pages)", fstest.MapFS{
			"proc/self/cgroup": text("4:memory:/process_api/280f\n"),
			"sys/fs/cgroup/memory/process_api/280f/memory.limit_in_bytes": num(9223372036854771712),
			"sys/fs/cgroup/memory/process_api/280f/memory.usage_in_bytes": num(5 * gib),
		}, 200 * gib, true},
		{"no cgroup file", fstest.MapFS{}, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.files["proc/meminfo"] = meminfo
			got, ok := memAvailable(machine.Fake(c.files, nil))
			if got != c.want || ok != c.ok {
				t.Errorf("memAvailable = %d, %v; want %d, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// TestMemAvailableHere reads this machine's own /proc/meminfo and cgroups: known,
// and at most its MemTotal.
func TestMemAvailableHere(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	got, ok := memAvailable(machine.Real())
	if !ok {
		t.Fatal("memAvailable: unknown on this Linux machine")
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for l := range strings.Lines(string(b)) {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "MemTotal:" {
			total, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	if got == 0 || got > total<<10 {
		t.Errorf("memAvailable = %d bytes, want more than 0 and at most MemTotal (%d kB)", got, total)
	}
}
