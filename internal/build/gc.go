package build

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"

	"github.com/gonative/gonative/internal/machine"
)

// The Go compiler and linker spend a good part of a cold build collecting garbage:
// two cold builds at once of a small net/http program on the 2-core machine took
// 29.3 s with the default GOGC and 26.4 s with GOGC=off, the same bytes; of
// gonative's own source, 1-6% less (docs/build.md). So
// when the machine has the memory, every go build runs with GOGC=off and a
// GOMEMLIMIT, the soft limit at which the runtime collects after all: half the
// memory available, shared by every Go process the builds can run at once (each go
// build and its -p compiles). Under GOGC=off those processes peaked at 690 MB each
// (the default: 300 MB), so a share under 1 GiB leaves the default alone: a live
// heap near the limit would make the runtime collect over and over. GOGC and
// GOMEMLIMIT are not in go's cache keys: the outputs, and go build's up-to-date
// checks, are the same either way. A GOGC or GOMEMLIMIT the user set is kept.

// minGCShare is the least memory per Go process for which the builds run with
// GOGC=off.
const minGCShare = 1 << 30

// memAvailable is the memory the machine can give without swapping (MemAvailable of
// /proc/meminfo, Linux only); ok is false when it cannot be told.
var memAvailable = func(m machine.Machine) (bytes uint64, ok bool) {
	if m.Platform().GOOS != "linux" {
		return 0, false
	}
	b, err := m.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	return parseMemAvailable(b)
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
