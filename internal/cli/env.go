package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/toolchain"

	"github.com/spf13/cobra"
)

func newEnvCmd() *cobra.Command {
	var shell string
	var pinPath bool
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the shell lines that put gonative's go on PATH",
		Long: `env prints lines for a shell to evaluate. The first line puts the store's bin
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
through 'gonative exec').`,
		Example: `  eval "$(gonative env)"                      # ~/.bashrc, ~/.zshrc
  gonative env --shell fish | source          # ~/.config/fish/config.fish
  gonative env --shell powershell | Invoke-Expression`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := tcStore()
			if err != nil {
				return err
			}
			dir := st.BinDir()
			out := cmd.OutOrStdout()
			if pinPath {
				return envPinPath(cmd, st)
			}
			switch shell {
			case "", "sh", "bash", "zsh":
				fmt.Fprintf(out, "export PATH=\"%s:$PATH\"\n", shQuote(dir))
				fmt.Fprint(out, shHook)
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

// shHook is the bash/zsh prompt hook that follows per-directory pins.
const shHook = `_gonative_hook() {
  [ "$PWD" = "${_GONATIVE_PWD-}" ] && [ "${GONATIVE_GO-}" = "${_GONATIVE_GO-}" ] && return
  _GONATIVE_PWD=$PWD _GONATIVE_GO=${GONATIVE_GO-}
  _gonative_path=$(command gonative env --pin-path 2>/dev/null) && PATH=$_gonative_path
  unset _gonative_path
}
if [ -n "${ZSH_VERSION-}" ]; then
  typeset -ag precmd_functions; precmd_functions=(_gonative_hook ${precmd_functions[@]})
elif [ -n "${BASH_VERSION-}" ]; then
  PROMPT_COMMAND="_gonative_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi
`

// envPinPath prints PATH without any store toolchain directory, and with the bin
// directory of the toolchain pinned here (GONATIVE_GO, .go-version, .tool-versions)
// first when there is one and it is installed.
func envPinPath(cmd *cobra.Command, st toolchain.Store) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	var keep []string
	prefix := st.VersionsDir() + string(filepath.Separator)
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if !strings.HasPrefix(d, prefix) {
			keep = append(keep, d)
		}
	}
	sel, err := toolchain.Which(toolchain.WhichInput{
		Dir: wd, Getenv: os.Getenv, ReadFile: os.ReadFile, Store: st,
		GOMODCACHE: os.Getenv("GOMODCACHE"),
	})
	if err == nil && sel.Installed && sel.Version != "" &&
		(sel.By == toolchain.ByEnv || sel.By == toolchain.ByGoVersion || sel.By == toolchain.ByToolVersions) {
		keep = append([]string{filepath.Join(st.GOROOT(sel.Version), "bin")}, keep...)
	}
	fmt.Fprintln(cmd.OutOrStdout(), strings.Join(keep, string(os.PathListSeparator)))
	return nil
}

// shQuote escapes s for a double-quoted sh string.
func shQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(s)
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
