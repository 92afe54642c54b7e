// Package cli holds gonative's commands: one file per command, each parsing its flags,
// calling into a domain package and rendering the result as text or JSON. It is the only
// package that prints.
package cli

//go:generate go run ./gendoc ../../docs/reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
	"github.com/spf13/cobra"
)

// Exit codes shared by every command (DESIGN.md).
const (
	ExitOK       = 0 // success, nothing found
	ExitFailed   = 1 // the command failed: bad input, I/O, network
	ExitProblems = 3 // the command ran and found problems

	// ExitInterrupted is the status after Ctrl-C: 128 + SIGINT, as a shell reports a
	// program that SIGINT killed.
	ExitInterrupted = 130
)

// ErrInterrupted matches (errors.Is) the cause (context.Cause) of a command's context
// when a signal stopped it: the cause is an *Interrupted.
var ErrInterrupted = errors.New("interrupted")

// interruptSignals stop a command as Ctrl-C does: its children run in process groups
// of their own (internal/proctree), so a signal the terminal sends (SIGINT, SIGHUP when
// it closes) or kill's SIGTERM reaches them only through gonative.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// Interrupted is the cause of a command's context when Signal stopped it.
type Interrupted struct {
	Signal os.Signal
}

func (e *Interrupted) Error() string {
	if e.Signal == os.Interrupt {
		return "interrupted"
	}
	return "interrupted: " + e.Signal.String()
}

// Is makes every *Interrupted match ErrInterrupted.
func (e *Interrupted) Is(target error) bool { return target == ErrInterrupted }

// Code is the exit status: 128 + the signal's number, as a shell reports a program
// that the signal killed (130 for Ctrl-C).
func (e *Interrupted) Code() int {
	if s, ok := e.Signal.(syscall.Signal); ok && s > 0 && s < 128 {
		return 128 + int(s)
	}
	return ExitInterrupted
}

// ExitError carries an exit code out of a command. A nil Err means the message was
// already printed (for example a report that found problems).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// problems returns the error a command returns when it ran and found problems that it
// has already reported.
func problems() error { return &ExitError{Code: ExitProblems} }

// Main runs gonative with args (without the program name) against the real machine and
// returns the process exit code.
//
// The first Ctrl-C (SIGINT, or SIGTERM, or SIGHUP) cancels the command's context with
// an *Interrupted: the command stops its children, removes its temporary files and
// Run returns ExitInterrupted (128 + the signal's number). A second exits at once.
func Main(args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, interruptSignals...)
	defer signal.Stop(sigs)
	go onInterrupt(ctx, sigs, cancel, func(sig os.Signal) {
		e := &Interrupted{Signal: sig}
		fmt.Fprintf(os.Stderr, "\ngonative: %v\n", e)
		os.Exit(e.Code())
	})
	return Run(ctx, args, os.Stdin, os.Stdout, os.Stderr)
}

// onInterrupt cancels with an *Interrupted at the first signal on sigs and calls now
// at the second; it returns when ctx is done otherwise.
func onInterrupt(ctx context.Context, sigs <-chan os.Signal, cancel context.CancelCauseFunc, now func(os.Signal)) {
	select {
	case sig := <-sigs:
		cancel(&Interrupted{Signal: sig})
	case <-ctx.Done():
		return
	}
	now(<-sigs)
}

// Run runs gonative with args and the given standard streams and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootFor(args)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if cause := context.Cause(ctx); errors.Is(cause, ErrInterrupted) {
		// Whatever the command made of its cancelled children ("signal: killed",
		// "context canceled"), the user pressed Ctrl-C. On a terminal the line
		// starts after the echoed ^C.
		if _, ok := isTerminal(stderr); ok {
			fmt.Fprintln(stderr)
		}
		fmt.Fprintf(stderr, "gonative: %v\n", cause)
		var in *Interrupted
		if errors.As(cause, &in) {
			return in.Code()
		}
		return ExitInterrupted
	}
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			printError(stderr, ee.Err)
		}
		return ee.Code
	}
	printError(stderr, err)
	return ExitFailed
}

// Version is the module version of this gonative binary, from its build info:
// v1.2.3 when installed as a module, a pseudo-version or "(devel)" when built from a
// clone.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}

// versionLine is what gonative --version prints: the module version, then from the
// build's VCS stamp (vcs.revision, vcs.time, vcs.modified) the revision, its commit time
// and whether the tree had uncommitted changes, then the Go version and platform it was
// built with. A build without a stamp says so rather than printing nothing.
func versionLine(bi *debug.BuildInfo) string {
	if bi == nil {
		return "(devel) (no build info) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	b.WriteString(v)
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, " revision %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		switch settings["vcs.modified"] {
		case "true":
			b.WriteString(" dirty")
		case "false":
			b.WriteString(" clean")
		}
	} else {
		b.WriteString(" (no VCS revision: not built in a clone, or with -buildvcs=false)")
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	if goos == "" || goarch == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	fmt.Fprintf(&b, " %s %s/%s", bi.GoVersion, goos, goarch)
	return b.String()
}

// buildVersion is versionLine of this binary's build info.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionLine(bi)
}

// thisHost reads this machine: its hardware, OS version, binfmt handlers and CPU
// features, or the fake machine that $GONATIVE_FAKE_HOST names.
func thisHost(ctx context.Context) (host.Host, error) {
	m, err := thisMachine()
	if err != nil {
		return host.Host{}, err
	}
	h, err := host.Detect(ctx, m)
	if err != nil {
		return host.Host{}, fmt.Errorf("detect this machine: %w", err)
	}
	return h, nil
}

// thisMachine is the machine every command reads: this one, or the fake one that
// $GONATIVE_FAKE_HOST names (machine.FromDir; end-to-end tests).
func thisMachine() (machine.Machine, error) { return machine.FromEnv(machine.Real()) }

// usageOnBadArgs makes every command that gets the wrong arguments (inspect with none)
// say so with its usage line, exit status 1.
func usageOnBadArgs(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%w\nusage: %s", err, cmd.UseLine())}
			}
			return nil
		}
	}
	for _, s := range c.Commands() {
		usageOnBadArgs(s)
	}
}

// NewRoot builds the root command with every subcommand.
func NewRoot() *cobra.Command { return newRoot(nil) }

// subcommands are the constructors of gonative's commands, by name, in the order the
// help lists them.
var subcommands = []struct {
	name string
	new  func() *cobra.Command
}{
	{"inspect", newInspectCmd},
	{"doctor", newDoctorCmd},
	{"install", newInstallCmd},
	{"list", newListCmd},
	{"use", newUseCmd},
	{"uninstall", newUninstallCmd},
	{"which", newWhichCmd},
	{"exec", newExecCmd},
	{"env", newEnvCmd},
	{"prune", newPruneCmd},
	{"build", newBuildCmd},
	{"test", newTestCmd},
	{"universal", newUniversalCmd},
	{"sign", newSignCmd},
	{"netcheck", newNetcheckCmd},
	{"init", newInitCmd},
	{"bench", newBenchCmd},
	{"image", newImageCmd},
	{"ready", newReadyCmd},
	{"completion", newCompletionCmd},
}

// newRootFor builds the root command that runs args: when args start with a
// command's name, the root holds that command alone, as cobra would find it among
// all of them. Start-up cost: building every command, its flags and their
// completions took about 0.5 ms and 535 allocations, a tenth of a cached inspect
// run's start (TestRootForOneCommand). The help, the completion scripts, and a
// mistyped command (which cobra answers with suggestions) get every command.
func newRootFor(args []string) *cobra.Command {
	if len(args) > 0 && args[0] != "completion" {
		for _, c := range subcommands {
			if c.name == args[0] {
				return newRoot(c.new)
			}
		}
	}
	return newRoot(nil)
}

// newRoot builds the root command with the subcommand that only makes, or with
// every subcommand when only is nil.
func newRoot(only func() *cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:   "gonative",
		Short: "Go on ARM64, right: inspect binaries, diagnose, install native toolchains, build every target",
		Long: `gonative reads the truth from the bytes on disk and fixes what it finds:
what every executable really is, what is wrong with this machine's Go setup,
native verified toolchains, and builds for every target, cgo included.

Exit codes: 0 success, 1 the command failed, 3 the command found problems.`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("gonative {{.Version}}\n")
	if only != nil {
		// The default completion command would be built for nothing: the
		// arguments name another command.
		root.CompletionOptions.DisableDefaultCmd = true
		root.AddCommand(only())
	} else {
		for _, c := range subcommands {
			root.AddCommand(c.new())
		}
	}
	addCompletions(root)
	usageOnBadArgs(root)
	return root
}
