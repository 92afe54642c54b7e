package build

import (
	"bytes"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/gonative/gonative/internal/machine"
)

// The Go compiler and linker spend a good part of a cold build collecting garbage: two
// cold builds at once of a small net/http program on the 2-core machine took 29.3 s
// with the default GOGC and 26.4 s with GOGC=off, the same bytes; of gonative's own
// source, 1-6% less (docs/build.md). So when the machine has the memory, every go
// build runs with GOGC=off and a GOMEMLIMIT, the soft limit at which the runtime
// collects after all: half the memory available, shared by every Go process the builds
// can run at once (each go build and its -p compiles), and bounded by the memory limit
// of a container (its cgroup's). Under GOGC=off those processes peaked at 690 MB each
// (the default: 300 MB), so a share under 1 GiB leaves the default alone: a live heap
// near the limit would make the runtime collect over and over. GOGC and GOMEMLIMIT are
// not in go's cache keys: the outputs, and go build's up-to-date checks, are the same
// either way. A GOGC or GOMEMLIMIT the user set is kept.

// minGCShare is the least memory per Go process for which the builds run with
// GOGC=off.
const minGCShare = 1 << 30

// memAvailable is the memory the builds can take: MemAvailable of /proc/meminfo, or
// less when the process's cgroup or one of its parents has a memory limit with less
// room above what it uses (a container's: /proc/meminfo is the whole machine's, and
// GOGC=off up to its memory would have the container killed). ok is false when it
// cannot be told: not Linux, or either file unreadable.
var memAvailable = func(m machine.Machine) (bytes uint64, ok bool) {
	if m.Platform().GOOS != "linux" {
		return 0, false
	}
	b, err := m.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	avail, ok := parseMemAvailable(b)
	if !ok {
		return 0, false
	}
	room, ok := cgroupRoom(m)
	if !ok {
		return 0, false
	}
	return min(avail, room), true
}

// cgroupRoom is how much more memory the limits of this process's cgroups and their
// parents let it use, cgroup v2 (memory.max) and v1 (memory.limit_in_bytes), each
// above its own use; ^uint64(0) when none has a limit. ok is false when
// /proc/self/cgroup cannot be read.
func cgroupRoom(m machine.Machine) (uint64, bool) {
	b, err := m.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	room := ^uint64(0)
	for line := range strings.Lines(string(b)) {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3) // hierarchy:controllers:path
		if len(f) != 3 {
			continue
		}
		var dir, limit, use string
		switch {
		case f[0] == "0" && f[1] == "":
			dir, limit, use = "/sys/fs/cgroup", "memory.max", "memory.current"
		case slices.Contains(strings.Split(f[1], ","), "memory"):
			dir, limit, use = "/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes"
		default:
			continue
		}
		// In a cgroup namespace (or a v1 container) the process's own cgroup is the
		// mount's root, and its path names nothing under it: its parents up to "/" are
		// read, the root included.
		for p := path.Clean("/" + f[2]); ; p = path.Dir(p) {
			room = min(room, limitRoom(m, path.Join(dir, p), limit, use))
			if p == "/" {
				break
			}
		}
	}
	return room, true
}

// limitRoom is the room under the limit in the file limit of the cgroup directory
// dir, above its use in the file use (all of the limit when that cannot be read);
// ^uint64(0) when there is no limit: no file, "max", or v1's 2^63 rounded to pages.
func limitRoom(m machine.Machine, dir, limit, use string) uint64 {
	lim, ok := readUint(m, dir+"/"+limit)
	if !ok || lim >= 1<<62 {
		return ^uint64(0)
	}
	used, _ := readUint(m, dir+"/"+use)
	return lim - min(used, lim)
}

// readUint reads the decimal number a file holds, on one line.
func readUint(m machine.Machine, name string) (uint64, bool) {
	b, err := m.ReadFile(name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// parseMemAvailable reads the MemAvailable line of /proc/meminfo ("MemAvailable:
// 23604300 kB").
func parseMemAvailable(meminfo []byte) (uint64, bool) {
	for line := range bytes.Lines(meminfo) {
		rest, ok := bytes.CutPrefix(line, []byte("MemAvailable:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil || kb > 1<<44 {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}

// gcEnv is the environment every go build of o runs with for its garbage collection
// (see above): nil, or GOGC=off and a GOMEMLIMIT.
func gcEnv(o Options) []string {
	if _, set := o.Machine.LookupEnv("GOGC"); set {
		return nil
	}
	if _, set := o.Machine.LookupEnv("GOMEMLIMIT"); set {
		return nil
	}
	avail, ok := memAvailable(o.Machine)
	if !ok {
		return nil
	}
	// Go builds at once: one per target when the patterns name one package each, else
	// as many as -j lets run.
	builds := o.Jobs
	if onePackage(o.Packages) {
		builds = min(builds, len(o.Targets))
	}
	share := gcShare(avail, builds, runtime.NumCPU())
	if share < minGCShare {
		return nil
	}
	return []string{"GOGC=off", fmt.Sprintf("GOMEMLIMIT=%dMiB", share>>20)}
}

// gcShare is each Go process's share of half of avail when builds go builds run at
// once on cpus CPUs, each with its go command and up to cpus compiles (-p).
func gcShare(avail uint64, builds, cpus int) uint64 {
	procs := uint64(max(builds, 1)) * uint64(max(cpus, 1)+1)
	return avail / 2 / procs
}
