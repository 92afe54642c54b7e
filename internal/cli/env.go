package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/toolchain"

	"github.com/spf13/cobra"
)

// envLong is the long help of env.
const envLong = `env prints lines for a shell to evaluate. The first line puts the store's bin
directory first on PATH; it holds go and gofmt (the global default, as links: no
process in between) and one goX.Y.Z per installed version, which GOTOOLCHAIN=path and
+auto find on PATH instead of downloading. GOROOT is never set: go finds its own from
its executable, and an exported GOROOT breaks as soon as PATH finds another go.

For bash and zsh the following lines add a prompt hook: when the directory changes it
asks 'gonative env --pin-path' for PATH with the toolchain pinned by GONATIVE_GO,
.go-version or .tool-versions first (one gonative call per directory change, none
per go call). go.work/go.mod toolchain lines need no hook: cmd/go itself switches to
the goX.Y.Z on PATH.

--shell sh (bash, zsh: the default), fish or powershell (PATH only: pins there apply
through 'gonative exec').`

func newEnvCmd() *cobra.Command {
	var shell string
	var pinPath bool
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the shell lines that put gonative's go on PATH",
		Long:  envLong,
		Example: `  eval "$(gonative env)"                      # ~/.bashrc, ~/.zshrc
  gonative env --shell fish | source          # ~/.config/fish/config.fish
  gonative env --shell powershell | Invoke-Expression`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := newManager()
			if err != nil {
				return err
			}
			st := m.Store
			dir := st.BinDir()
			out := cmd.OutOrStdout()
			if pinPath {
				return envPinPath(cmd, m)
			}
			switch shell {
			case "", "sh", "bash", "zsh":
				fmt.Fprintf(out, "export PATH=\"%s:$PATH\"\n", shQuote(dir))
				fmt.Fprint(out, strings.ReplaceAll(shHook, "STAMP", shQuote(st.StampFile())))
			case "fish":
				fmt.Fprintf(out, "set -gx PATH %s $PATH\n", fishQuote(dir))
			case "powershell", "pwsh":
				fmt.Fprintf(out, "$env:PATH = '%s' + [IO.Path]::PathSeparator + $env:PATH\n", strings.ReplaceAll(dir, "'", "''"))
			default:
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("env: unknown shell %q (sh, bash, zsh, fish, powershell)", shell)}
			}
			if g := os.Getenv("GOROOT"); g != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: warning: GOROOT=%s is exported; remove it from your shell profile (go finds its own GOROOT)\n", g)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&shell, "shell", "", "shell syntax: sh (default), fish, powershell")
	cmd.Flags().BoolVar(&pinPath, "pin-path", false, "print PATH with the toolchain pinned here first (used by the shell hook)")
	cmd.Flags().MarkHidden("pin-path")
	return cmd
}

// shHook is the bash/zsh prompt hook that follows per-directory pins. It asks
// gonative again when the directory or GONATIVE_GO changed, or when the store's
// change stamp (STAMP: rewritten by use, use --local, install and uninstall) differs
// from the last one it saw; the stamp is read with the shell's own read, so a prompt
// that changes nothing starts no process.
const shHook = `_gonative_hook() {
  _gonative_s=; [ -r "STAMP" ] && read -r _gonative_s < "STAMP"
  [ "$PWD" = "${_GONATIVE_PWD-}" ] && [ "${GONATIVE_GO-}" = "${_GONATIVE_GO-}" ] && [ "$_gonative_s" = "${_GONATIVE_S-}" ] && return
  _GONATIVE_PWD=$PWD _GONATIVE_GO=${GONATIVE_GO-} _GONATIVE_S=$_gonative_s
  _gonative_path=$(command gonative env --pin-path) && PATH=$_gonative_path
  unset _gonative_path _gonative_s
}
if [ -n "${ZSH_VERSION-}" ]; then
  eval 'typeset -ag precmd_functions; precmd_functions=(_gonative_hook ${precmd_functions[@]})'
elif [ -n "${BASH_VERSION-}" ]; then
  PROMPT_COMMAND="_gonative_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi
`

// envPinPath prints PATH without any store toolchain directory, and with the bin
// directory of the toolchain pinned here (GONATIVE_GO, .go-version, .tool-versions)
// first when there is one and it is installed. When a pin cannot be honoured (not
// installed, not a version) it prints one line to stderr saying so and which go runs
// instead; PATH is printed either way, so the hook never leaves a stale pin behind.
func envPinPath(cmd *cobra.Command, m *toolchain.Manager) error {
	in := m.WhichInput(cmd.Context(), false) // no `go env`: the hook runs on every cd
	st := m.Store
	sel, err := toolchain.Which(in)
	path := st.PinPath(os.Getenv("PATH"), "", string(os.PathListSeparator))
	stderr := cmd.ErrOrStderr()
	switch {
	case err != nil && !errors.Is(err, toolchain.ErrNoDefault):
		fmt.Fprintf(stderr, "gonative: %v; go here runs %s\n", err, envRuns(in, toolchain.Selection{}, path))
	case err != nil || !sel.Pinned():
	case sel.Installed && sel.Go != "":
		path = st.PinPath(path, filepath.Dir(sel.Go), string(os.PathListSeparator))
	case sel.Version == "":
		fmt.Fprintf(stderr, "gonative: %s: no such go executable; go here runs %s\n", sel.Reason, envRuns(in, sel, path))
	default:
		fmt.Fprintf(stderr, "gonative: go%s (%s) is not installed; go here runs %s (gonative install %s)\n",
			sel.Version, sel.Reason, envRuns(in, sel, path), sel.Version)
	}
	fmt.Fprintln(cmd.OutOrStdout(), path)
	return nil
}

// envRuns names the go that a go call runs with path: "go1.27.3", or "no go at all".
func envRuns(in toolchain.WhichInput, sel toolchain.Selection, path string) string {
	v := toolchain.Check(in, sel, path)
	switch {
	case v.RunsVersion != "":
		return "go" + v.RunsVersion
	case v.Runs != "":
		return v.Runs
	}
	return "no go at all"
}

// shQuote escapes s for the inside of a double-quoted sh string. It is not a second
// quoter (that is goenv.ShellQuote) but another dialect the output needs: the PATH
// line puts the directory and $PATH in one word, `export PATH="DIR:$PATH"`, where
// $PATH must still expand, as the docs and toolchain's own fix line write it; the
// shell hook reads STAMP inside double quotes too.
func shQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(s)
}

// fishQuote quotes s as one word for fish. POSIX single quotes are a different
// dialect there: fish reads \\ and \' as escapes inside single quotes, so a path
// ending in a backslash that goenv.ShellQuote writes as 'a\' would not close its
// quote in fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
