package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gonative/gonative/internal/doctor"
	"github.com/gonative/gonative/internal/finding"
	"github.com/spf13/cobra"
)

// doctorOptions are doctor's flags.
type doctorOptions struct {
	verbose, asJSON, list, online bool
}

func newDoctorCmd() *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor [CHECK-ID...]",
		Short: "Diagnose this machine's Go setup: native or translated, every go on PATH, settings, cgo, Homebrew, tools",
		Long: `doctor diagnoses the Go environment of this machine and says how to fix what it finds.

It reads the truth from the bytes on disk (the header of every go on PATH and of every
installed tool), the hardware (not this process's architecture: Rosetta and qemu are
detected), every Go setting with the layer that set it (environment, go env -w file,
$GOROOT/go.env), the cgo toolchain and the libraries it would link, and Homebrew.

Every finding has an id, a severity, evidence, a fix and links. Name check ids (or an
area such as "go" or "cgo") to run only those; --list-checks lists them. Offline: no
network is used, unless --online adds netcheck's probes (proxy, checksum database, TLS).

Exit status: 0 no error found (warnings may be printed), 3 an error-severity finding,
1 the doctor itself failed.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runDoctor(cmd, args, o) },
	}
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "show every finding with its evidence, fix and links")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON (with schema_version)")
	cmd.Flags().BoolVar(&o.list, "list-checks", false, "list the checks and exit")
	cmd.Flags().BoolVar(&o.online, "online", false, "also run the network checks (gonative netcheck's probes)")
	return cmd
}

// runDoctor runs the checks args name (all without args) and prints the report, or
// lists the checks.
func runDoctor(cmd *cobra.Command, args []string, o *doctorOptions) error {
	reg := doctor.Default()
	out := cmd.OutOrStdout()
	if o.list {
		return listChecks(out, reg, o.asJSON)
	}
	checks, err := reg.Select(args...)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	m, err := thisMachine()
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	r := doctor.Run(cmd.Context(), m, checks, doctor.Options{Network: o.online})
	if o.asJSON {
		if err := writeJSON(out, r); err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
	} else {
		renderReport(out, paletteFor(out), r, o.verbose || len(args) > 0)
	}
	if r.Worst() == doctor.Error {
		return problems()
	}
	return nil
}

func listChecks(w io.Writer, reg *doctor.Registry, asJSON bool) error {
	checks := reg.Checks()
	if asJSON {
		var infos []doctor.CheckInfo
		for _, c := range checks {
			infos = append(infos, c.Info())
		}
		return writeJSON(w, infos)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range checks {
		title := c.Title
		if c.OS != "" {
			title += " (" + c.OS + " only)"
		}
		if len(c.FixNeeds) > 0 {
			title += " [fix needs " + needsList(c.FixNeeds) + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Area, title)
	}
	return tw.Flush()
}

// glyph is the status mark of an area (flutter doctor's [✓] [!] [✗]).
func glyph(s doctor.Severity) string {
	switch s {
	case doctor.Error:
		return "✗"
	case doctor.Warning:
		return "!"
	case doctor.Unknown:
		return "?"
	}
	return "✓"
}

// mark is a finding's mark in the details.
func mark(s doctor.Severity) string {
	switch s {
	case doctor.Error:
		return "✗"
	case doctor.Warning:
		return "!"
	case doctor.OK:
		return "✓"
	}
	return "•"
}

func renderReport(w io.Writer, pal palette, r doctor.Report, verbose bool) {
	if !verbose {
		fmt.Fprintln(w, "Doctor summary (to see all details, run gonative doctor -v):")
	}
	problemAreas := 0
	for _, a := range r.Areas {
		line := fmt.Sprintf("[%s] %s", pal.severity(a.Status, glyph(a.Status)), a.Title)
		if a.Summary != "" {
			line += " (" + Quote(a.Summary) + ")"
		}
		fmt.Fprintln(w, line)
		if a.Status.Worse(doctor.OK) && a.Status != doctor.Info {
			problemAreas++
		}
		for _, f := range r.Findings {
			if r.AreaOf(f) == a.Area && (verbose || f.Severity.Worse(doctor.Info)) {
				renderFinding(w, pal, f, verbose, verbose)
			}
		}
	}
	fmt.Fprintln(w)
	if problemAreas == 0 {
		fmt.Fprintln(w, pal.good("• No issues found!"))
		return
	}
	s := "s"
	if problemAreas == 1 {
		s = ""
	}
	fmt.Fprintln(w, pal.warn(fmt.Sprintf("! Doctor found issues in %d area%s.", problemAreas, s)))
}

// renderFinding prints one finding of doctor's or netcheck's details: its mark and
// title, with -v its id, its evidence when asked, its fix, and with -v its links.
func renderFinding(w io.Writer, pal palette, f finding.Finding, verbose, evidence bool) {
	fmt.Fprintf(w, "    %s %s\n", pal.severity(f.Severity, mark(f.Severity)), Quote(f.Title))
	if verbose {
		fmt.Fprintf(w, "      id: %s\n", f.ID)
	}
	if evidence {
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "      - %s\n", Quote(e))
		}
	}
	if f.Fix != nil {
		fmt.Fprintf(w, "      fix: %s\n", Quote(f.Fix.Text))
		for _, c := range f.Fix.Commands {
			fmt.Fprintf(w, "        $ %s\n", Quote(c))
		}
		if note := fixNote(f.Fix, verbose); note != "" {
			fmt.Fprintf(w, "        (%s)\n", note)
		}
	}
	if verbose {
		for _, l := range f.Links {
			fmt.Fprintf(w, "      see %s\n", Quote(l))
		}
	}
}

// needsList joins what fixes need ("macos, root").
func needsList(ns []finding.Needs) string {
	var out []string
	for _, n := range ns {
		out = append(out, string(n))
	}
	return strings.Join(out, ", ")
}

// fixNote says what a fix with commands needs beyond a shell, and (with -v) the layer
// its commands change; "" when there is nothing to say.
func fixNote(f *finding.Fix, verbose bool) string {
	if len(f.Commands) == 0 {
		return ""
	}
	var parts []string
	if verbose && f.Layer != "" {
		parts = append(parts, "changes: "+string(f.Layer))
	}
	if f.Needs != "" {
		parts = append(parts, "needs: "+string(f.Needs))
	}
	return strings.Join(parts, "; ")
}
