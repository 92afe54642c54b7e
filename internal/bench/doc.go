// Package bench measures what turning cgo off changes in a Go program, on this machine:
// it builds the program twice through package build (CGO_ENABLED=0 and 1, otherwise
// identical), reads both binaries with package exe (size and what the difference is
// made of, dynamic libraries, interpreter), and times alternating runs of each —
// start-up, peak RSS, and a workload: the program's own run, an HTTP load against its
// own server on loopback, or the package's own benchmarks — plus a DNS workload that
// resolves names through each build's resolver inside a network namespace with a
// loopback DNS server. Statistics are benchstat's (golang.org/x/perf/benchmath):
// medians, 95% confidence intervals, "~" when the difference is not significant.
//
// It returns data (Result) and never prints; Result.SVG draws the chart.
package bench
