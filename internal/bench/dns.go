package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The DNS probe's sources: its main package and, shared with this package (and fuzzed
// here), the DNS server's message code.
var (
	//go:embed dnsprobe.go.txt
	probeMain string
	//go:embed dnsmsg.go
	probeDNS string
	//go:embed launcher.go.txt
	launcherMain string
)

// Go120Cgo is the Go 1.20 release note that says the darwin net and os/user packages
// no longer use cgo: both builds resolve through libSystem.
const Go120Cgo = "https://go.dev/doc/go1.20#cgo"

// DNS is what the DNS workload found.
type DNS struct {
	Ran bool `json:"ran"`
	// How describes the setup; Reason says why the workload did not run or ran in a
	// reduced form.
	How     string `json:"how,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Lookups int    `json:"lookups_per_sample,omitempty"`
	// Off and On are the measured builds' resolvers (Off: Go's, the only one it has;
	// On: the C library's, forced with GODEBUG=netdns=cgo); Default is what the cgo
	// build picks by itself.
	Off     *Resolver `json:"cgo_off,omitempty"`
	On      *Resolver `json:"cgo_on,omitempty"`
	Default *Resolver `json:"cgo_on_default,omitempty"`
}

// Resolver is the resolver one build used, with the Go runtime's own words.
type Resolver struct {
	GODEBUG  string   `json:"godebug"`
	Resolver string   `json:"resolver"` // "go", "cgo" or "unknown"
	Evidence []string `json:"evidence"` // the "go package net:" lines
}

const dnsZone = "bench.test"

// planDNS decides whether the DNS workload runs, and records why when it does not.
func planDNS(o Options, r *Result) bool {
	switch {
	case !o.DNS:
		return false
	case o.Target.OS == "darwin" || o.Target.OS == "ios":
		r.DNS = &DNS{Reason: "on macOS both builds use libSystem's resolver: since Go 1.20 the darwin net and os/user packages " +
			"call libSystem without cgo, so CGO_ENABLED changes nothing here (" + Go120Cgo + "; net/cgo_stub.go is built for unix && !cgo && !darwin)"}
		return false
	case r.Emulated:
		r.DNS = &DNS{Reason: "not run for an emulated target: the namespace and the resolvers would be measured through " + r.Runner}
		return false
	case o.Target.OS != "linux":
		r.DNS = &DNS{Reason: "the DNS workload runs on Linux only (a network namespace with a loopback DNS server)"}
		return false
	}
	return true
}

// probeResult is the probe's JSON line.
type probeResult struct {
	Lookups    int     `json:"lookups"`
	NsPerOp    float64 `json:"ns_per_lookup"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error"`
}

// runDNS builds the probe twice and times lookups through each build's resolver.
func (m *measurer) runDNS(ctx context.Context, tmp string, r *Result) error {
	dir := filepath.Join(tmp, "dnsprobe")
	if err := probeDir(dir); err != nil {
		return err
	}
	m.pr.begin(PhaseDNS, "build the DNS probe CGO_ENABLED=0")
	off, err := buildProbe(ctx, m.o, dir, false)
	if err != nil {
		return fmt.Errorf("build the DNS probe with CGO_ENABLED=0: %w", err)
	}
	m.pr.end()
	m.pr.begin(PhaseDNS, "build the DNS probe CGO_ENABLED=1")
	on, err := buildProbe(ctx, m.o, dir, true)
	if err != nil {
		return fmt.Errorf("build the DNS probe with CGO_ENABLED=1: %w", err)
	}
	m.pr.end()
	d := &DNS{Ran: true, Lookups: m.o.Lookups}
	args := []string{"-netns", "-zone", dnsZone, "-n", strconv.Itoa(m.o.Lookups)}
	netns := true
	// One lookup with the namespace: if namespaces are not allowed here, fall back to
	// resolving localhost from /etc/hosts ("files"), which needs no DNS server.
	if _, _, err := m.probe(ctx, off, []string{"-netns", "-zone", dnsZone, "-n", "1"}, "go", true); err != nil {
		netns = false
		d.Reason = fmt.Sprintf("no network namespace here (%v): both builds resolve \"localhost\" through /etc/hosts instead (nsswitch \"files\"), so the resolvers' DNS code is not exercised", err)
		args = []string{"-name", "localhost", "-n", strconv.Itoa(m.o.Lookups)}
		d.How = "no namespace: localhost from /etc/hosts"
	} else {
		d.How = "user+network+mount namespace (as unshare -rnm): loopback up, a DNS server on 127.0.0.1:53 answering A queries for *." + dnsZone +
			", /etc/resolv.conf (nameserver 127.0.0.1) and /etc/nsswitch.conf (hosts: files dns) bind-mounted; net.LookupHost of 50 names"
	}
	evidence := func(path, godebug string) (*Resolver, error) {
		m.pr.begin(PhaseDNS, "which resolver runs with GODEBUG=netdns="+godebug)
		defer m.pr.end()
		a := slices.Clone(args)
		a = append(a[:len(a)-1], "1")
		_, lines, err := m.probe(ctx, path, a, godebug, netns)
		if err != nil {
			return nil, err
		}
		return &Resolver{GODEBUG: "netdns=" + godebug, Resolver: resolverFrom(lines), Evidence: lines}, nil
	}
	if d.Off, err = evidence(off, "go+2"); err != nil {
		return err
	}
	if d.On, err = evidence(on, "cgo+2"); err != nil {
		return err
	}
	if d.Default, err = evidence(on, "2"); err != nil {
		return err
	}
	offB, onB := &Build{path: off, Cgo: false, Binary: "dnsprobe"}, &Build{path: on, Cgo: true, Binary: "dnsprobe"}
	var offV, onV []float64
	total := m.o.Warmup + m.o.Count
	for i := range total {
		order := []*Build{offB, onB}
		if i%2 == 1 {
			order = []*Build{onB, offB}
		}
		for _, b := range order {
			godebug := "go"
			if b.Cgo {
				godebug = "cgo"
			}
			_, step := roundStep(PhaseDNS, PhaseDNS, i, m.o.Warmup, m.o.Count, b.Cgo)
			m.pr.begin(PhaseDNS, "lookups "+step)
			res, _, err := m.probe(ctx, b.path, args, godebug, netns)
			if err != nil {
				return fmt.Errorf("DNS probe (CGO_ENABLED=%d): %w", b2i(b.Cgo), err)
			}
			if i >= m.o.Warmup {
				if b.Cgo {
					onV = append(onV, res.NsPerOp/1e3)
				} else {
					offV = append(offV, res.NsPerOp/1e3)
				}
			}
			m.pr.end()
		}
	}
	met := newMetric("dns", "name lookup (net.LookupHost)", "µs", "lower", offV, onV)
	libc := probeLibc(ctx, on)
	met.OffLabel = resolverName(d.Off.Resolver, libc)
	met.OnLabel = resolverName(d.On.Resolver, libc) + " (netdns=cgo)"
	met.Note = "cgo left to choose: " + resolverName(d.Default.Resolver, libc)
	r.Metrics = append(r.Metrics, met)
	r.DNS = d
	return nil
}

// probe runs the DNS probe once.
func (m *measurer) probe(ctx context.Context, path string, args []string, godebug string, netns bool) (probeResult, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	// The machine's Command (its process tree ends with ctx); the namespaces are
	// added to the SysProcAttr it made, keeping its process group.
	cmd := m.o.Machine.Command(ctx, path, args...)
	cmd.Env = append(cmd.Env, "GODEBUG=netdns="+godebug)
	if netns && !inNamespace(cmd) {
		return probeResult{}, nil, fmt.Errorf("network namespaces are Linux's")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var res probeResult
	var lines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "go package net: ") && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	if jerr := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil || jerr != nil {
		msg := strings.TrimSpace(stderr.String())
		if res.FirstError != "" {
			msg = res.FirstError
		}
		switch {
		case msg == "" && err != nil:
			return res, lines, err
		case err != nil:
			return res, lines, fmt.Errorf("%s (%w)", msg, err)
		case jerr != nil:
			return res, lines, fmt.Errorf("%s (its output: %w)", msg, jerr)
		}
		return res, lines, errors.New(msg)
	}
	return res, lines, nil
}

// probeLibc names the C library the cgo probe at path links: "glibc", "musl", or
// "C library" when its bytes do not say.
func probeLibc(ctx context.Context, path string) string {
	b := Build{path: path}
	switch {
	case inspectBuild(ctx, &b) != nil:
	case b.GLIBC != "":
		return "glibc"
	case strings.Contains(b.Interpreter, "musl"):
		return "musl"
	}
	return "C library"
}

// resolverName names a resolver as resolverFrom reads it ("go", "cgo", "unknown"):
// "Go resolver", the C library's ("glibc resolver"), "unknown resolver".
func resolverName(resolver, libc string) string {
	switch resolver {
	case "go":
		return "Go resolver"
	case "cgo":
		return libc + " resolver"
	}
	return "unknown resolver"
}

// resolverFrom reads which resolver the runtime chose from its netdns debug lines.
func resolverFrom(lines []string) string {
	for _, l := range lines {
		if _, order, ok := strings.Cut(l, ") = "); ok && strings.Contains(l, "hostLookupOrder(") {
			if order == "cgo" {
				return "cgo"
			}
			return "go"
		}
	}
	for _, l := range lines {
		switch {
		case strings.Contains(l, "using the Go DNS resolver"), strings.Contains(l, "forcing use of the Go resolver"):
			return "go"
		case strings.Contains(l, "using cgo DNS resolver"), strings.Contains(l, "forcing use of the cgo resolver"):
			return "cgo"
		}
	}
	return "unknown"
}
