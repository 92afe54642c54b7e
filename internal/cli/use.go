package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// useLong is the long help of use.
const useLong = `use makes an installed VERSION (1.27.3, go1.27.3, or 1.27 for its newest installed
patch) the global default: the go and gofmt links in the store's bin directory (put
it on PATH with 'eval "$(gonative env)"') now run it. No process sits in between.

--local writes .go-version in the current directory instead (atomically); the shell
hook of 'gonative env', 'gonative which' and 'gonative exec' obey it in this
directory and below.

--local refuses a version older than the go line of the go.mod (or go.work) here:
cmd/go would never run it (GOTOOLCHAIN=auto switches to the go line's version,
local refuses to build).

A VERSION that is not installed is never set or pinned silently: --install installs
it first; without it, use asks on a terminal and fails elsewhere.`

func newUseCmd() *cobra.Command {
	var o useOptions
	cmd := &cobra.Command{
		Use:   "use VERSION",
		Short: "Set the global default Go (or, with --local, pin this directory in .go-version)",
		Long:  useLong,
		Example: `  gonative use 1.27.3
  gonative use --local 1.26
  gonative use --local --install 1.26.8`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeVersions(true, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := newManager()
			if err != nil {
				return err
			}
			q, err := toolchain.ParseQuery(args[0])
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			if o.local && q.Latest {
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("use --local: %q is not a Go version", args[0])}
			}
			v, err := o.installed(cmd, m, q, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.local {
				if err := m.CheckLocalPin(v); err != nil {
					return &ExitError{Code: ExitFailed, Err: fmt.Errorf("use --local: %w: pin a newer version, or lower the go line", err)}
				}
				file, err := toolchain.WritePin(m.Dir, q.Version)
				if err != nil {
					return fmt.Errorf("use --local: %w", err)
				}
				m.Store.Touch() // the shell hook asks again at the next prompt
				fmt.Fprintf(out, "pinned go%s in %s\n", q.Version, file)
				return nil
			}
			if err := m.Store.SetDefault(v); err != nil {
				return err
			}
			fmt.Fprintf(out, "go%s is the global default (%s)\n", v, filepath.Join(m.Store.BinDir(), "go"))
			tcPathHint(out, m.PathState())
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.local, "local", false, "pin VERSION for this directory in .go-version")
	cmd.Flags().BoolVar(&o.install, "install", false, "install VERSION first when it is not installed")
	return cmd
}

// useOptions are use's flags.
type useOptions struct {
	local, install bool
}

// installed is the installed version arg (q) names; one not installed is installed
// first with --install or the user's yes on a terminal, else it is an error.
func (o useOptions) installed(cmd *cobra.Command, m *toolchain.Manager, q toolchain.Query, arg string) (string, error) {
	v, err := m.Store.Resolve(arg)
	var ni *toolchain.NotInstalledError
	if !errors.As(err, &ni) {
		return v, err
	}
	if !o.install && !useConfirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf("go%s is not installed; install it now? [y/N] ", q)) {
		return "", &ExitError{Code: ExitFailed, Err: fmt.Errorf("go%s is not installed (installed: %s): run `gonative use --install %s%s` (installs it first) or `gonative install %s`",
			q, toolchain.JoinVersions(ni.Installed), useLocalFlag(o.local), q, q)}
	}
	return useInstall(cmd, m, q)
}

func useLocalFlag(local bool) string {
	if local {
		return "--local "
	}
	return ""
}

// useConfirm asks a yes/no question when stdin and stderr are terminals; elsewhere the
// answer is no.
func useConfirm(stdin io.Reader, stderr io.Writer, question string) bool {
	_, ok1 := isTerminal(stdin)
	_, ok2 := isTerminal(stderr)
	if !ok1 || !ok2 {
		return false
	}
	fmt.Fprint(stderr, question)
	line, _ := bufio.NewReader(stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// useInstall installs the newest release q names for this machine's hardware and
// returns its version.
func useInstall(cmd *cobra.Command, m *toolchain.Manager, q toolchain.Query) (string, error) {
	f, err := tcFetcher(cmd, m)
	if err != nil {
		return "", err
	}
	p, err := tcPlatform(cmd.Context(), "", "", cmd.ErrOrStderr())
	if err != nil {
		return "", err
	}
	res, err := m.Install(cmd.Context(), f, q, p)
	for _, w := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "gonative: WARNING: %s\n", w)
	}
	if err != nil {
		return "", err
	}
	if !res.Already {
		fmt.Fprintf(cmd.OutOrStdout(), "installed go%s (%s) in %s\n", res.Version, res.Platform, res.GOROOT)
	}
	return res.Version, nil
}

// tcInstalledVersion resolves arg against the installed versions; advice says what to
// run when none matches (for example "gonative install %s"), or is empty.
func tcInstalledVersion(st toolchain.Store, arg, advice string) (string, error) {
	v, err := st.Resolve(arg)
	var ni *toolchain.NotInstalledError
	switch {
	case errors.As(err, &ni) && advice != "":
		return "", &ExitError{Code: ExitFailed, Err: fmt.Errorf("%w: run `%s`", err, fmt.Sprintf(advice, ni.Query))}
	case err != nil:
		return "", &ExitError{Code: ExitFailed, Err: err}
	}
	return v, nil
}
