//go:build !unix

package exe

import "time"

// cpuTime is not measured here: BenchmarkReadTree reports 0 CPU time.
func cpuTime() time.Duration { return 0 }
