package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func newEnvCmd() *cobra.Command {
	var shell string
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the shell lines that put gonative's go on PATH",
		Long: `env prints lines for a shell to evaluate. The first line puts the store's bin
directory first on PATH; it holds go and gofmt (the global default, as links: no
process in between) and one goX.Y.Z per installed version, which GOTOOLCHAIN=path and
+auto find on PATH instead of downloading. GOROOT is never set: go finds its own from
its executable, and an exported GOROOT breaks as soon as PATH finds another go.

--shell sh (bash, zsh: the default), fish or powershell.`,
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
			switch shell {
			case "", "sh", "bash", "zsh":
				fmt.Fprintf(out, "export PATH=\"%s:$PATH\"\n", shQuote(dir))
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
	return cmd
}

// shQuote escapes s for a double-quoted sh string.
func shQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(s)
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
