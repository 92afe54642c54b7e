package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gonative/gonative/internal/doctor"
	"github.com/gonative/gonative/internal/netcheck"
	"github.com/spf13/cobra"
)

// netcheckOptions are netcheck's flags.
type netcheckOptions struct {
	verbose, asJSON bool
	timeout         time.Duration
}

func newNetcheckCmd() *cobra.Command {
	o := &netcheckOptions{}
	cmd := &cobra.Command{
		Use:   "netcheck [MODULE[@VERSION]]",
		Short: "Diagnose module downloads: GOPROXY path, checksum database, TLS trust (the chain presented, the root missing)",
		Long: `netcheck finds out why "go mod download" fails on this machine, following cmd/go's
own rules, and says how to fix it.

For MODULE (default: the main module's first requirement, else golang.org/x/mod@latest)
it makes exactly the requests go makes through each GOPROXY entry in order (',' falls
through only on 404/410, '|' on any error; direct and off end the list), through
HTTPS_PROXY as go applies it (environment only, never for loopback); it reaches the
checksum database as go does (a proxy's /sumdb/NAME/supported, else directly), verifies
the signed tree head with GOSUMDB's key and its consistency with the head go cached in
$GOPATH/pkg/sumdb, and compares the module's hashes. For every HTTPS endpoint it shows
the chain presented, which root store Go reads on this OS, and when the chain does not
verify, which issuer is missing and whether it is a public root or a private
(intercepting) one, with its fingerprint and the exact commands to trust it.
TLS verification is never turned off. Nothing is written: go's cached state is read only.

Exit status: 0 no problem found, 3 a problem found, 1 netcheck itself failed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runNetcheck(cmd, args, o) },
	}
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "show every finding with its evidence, every request and every chain")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON (with schema_version)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", netcheck.DefaultTimeout, "time-out of each request")
	return cmd
}

// runNetcheck probes module downloads for the module of args (default: the main
// module's first requirement) on this machine and prints the report.
func runNetcheck(cmd *cobra.Command, args []string, o *netcheckOptions) error {
	ctx := cmd.Context()
	m, err := thisMachine()
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	opts := doctor.NetcheckOptions(ctx, doctor.NewSession(m))
	arg := ""
	if len(args) == 1 {
		arg = args[0]
	}
	opts.Module, opts.Version, err = netcheck.ResolveModule(arg, opts.Env)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	opts.Timeout = o.timeout
	r := netcheck.Run(ctx, opts)
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := writeJSON(out, r); err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
	} else {
		renderNetcheck(out, paletteFor(out), r, o.verbose)
	}
	if r.Worst() == netcheck.Error {
		return problems()
	}
	return nil
}

// safe is Quote: a hostile server's certificate names and error bodies reach the
// terminal, masked and on one line.
func safe(s string) string { return Quote(s) }

// renderNetcheck prints the report as doctor does, coloured with pal (paletteFor the
// output: never escape codes off a terminal).
func renderNetcheck(w io.Writer, pal palette, r netcheck.Report, verbose bool) {
	target := r.Module + "@" + r.Version
	if r.Resolved != "" && r.Resolved != r.Version {
		target += " (" + r.Resolved + ")"
	}
	if verbose {
		fmt.Fprintf(w, "netcheck of %s\n", safe(target))
	} else {
		fmt.Fprintf(w, "netcheck of %s (to see all details, run gonative netcheck -v):\n", safe(target))
	}
	problems := 0
	for _, a := range r.Areas {
		fmt.Fprintln(w, netcheckAreaLine(pal, r, a))
		if a.Status != netcheck.OK {
			problems++
		}
		for _, f := range r.Findings {
			if f.Area == a.Area && (verbose || f.Severity.Worse(netcheck.Info)) {
				renderFinding(w, pal, f, verbose, verbose || f.Severity == netcheck.Error)
			}
		}
	}
	if verbose {
		fmt.Fprintln(w)
		renderNetcheckDetails(w, r)
	}
	fmt.Fprintln(w)
	switch problems {
	case 0:
		fmt.Fprintln(w, pal.good("• No issues found!"))
	case 1:
		fmt.Fprintln(w, pal.warn("! netcheck found issues in 1 area."))
	default:
		fmt.Fprintln(w, pal.warn(fmt.Sprintf("! netcheck found issues in %d areas.", problems)))
	}
}

// netcheckAreaLine is an area's line of the summary: its mark and title, and for an
// area without problems what sums it up best, its verdict ("proxy.ok", "sumdb.ok"),
// else its first finding.
func netcheckAreaLine(pal palette, r netcheck.Report, a netcheck.AreaResult) string {
	line := fmt.Sprintf("[%s] %s", pal.severity(a.Status, glyph(a.Status)), safe(a.Title))
	if a.Status != netcheck.OK {
		return line
	}
	summary := ""
	for _, f := range r.Findings {
		if f.Area == a.Area && (summary == "" || strings.HasSuffix(f.ID, ".ok")) {
			summary = f.Title
			if strings.HasSuffix(f.ID, ".ok") {
				break
			}
		}
	}
	if summary != "" {
		line += " (" + safe(summary) + ")"
	}
	return line
}

// renderNetcheckDetails prints what -v adds after the areas: every request, every TLS
// chain presented, the root store and the run's time.
func renderNetcheckDetails(w io.Writer, r netcheck.Report) {
	fmt.Fprintln(w, "Requests:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, rq := range r.Requests {
		status := fmt.Sprint(rq.Status)
		if rq.Error != "" && rq.Status == 0 {
			status = "error"
		}
		via := ""
		if rq.Via != "" {
			via = "via " + rq.Via
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.0f ms\t%s\n", rq.Step, rq.Method, safe(rq.URL), status, rq.Millis, safe(via))
	}
	tw.Flush()
	for _, ep := range r.Endpoints {
		state := "verified"
		if !ep.Verified {
			state = "NOT verified: " + ep.Error
		}
		fmt.Fprintf(w, "TLS %s: %s; root \"%s\" (%s)\n", safe(ep.Host), safe(state), safe(ep.Root), ep.Anchor)
		for i, c := range ep.Chain {
			fmt.Fprintf(w, "  %d. %s\n     issuer %s\n     valid %s to %s\n     SHA-256 %s\n", i, safe(c.Subject), safe(c.Issuer),
				c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), c.SHA256)
		}
	}
	fmt.Fprintf(w, "Root store (certificates): %s", r.Roots.Kind)
	if r.Roots.File != "" {
		fmt.Fprintf(w, ", %s (%d)", safe(r.Roots.File), r.Roots.FileCerts)
	}
	if len(r.Roots.Dirs) > 0 {
		fmt.Fprintf(w, ", %s (%d)", safe(strings.Join(r.Roots.Dirs, ":")), r.Roots.DirCerts)
	}
	fmt.Fprintf(w, "\nTook %.0f ms.\n", r.Millis)
}
