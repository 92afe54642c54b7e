package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/doctor"
	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// newCompletionCmd prints the shell completion script (cobra's, which completes
// commands, flags and the values registered here). An unknown shell is an error.
func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script (commands, flags and values)",
		Long: `completion prints the completion script for a shell. It completes commands and
flags, and values: installed and remote versions (install, use, uninstall, exec),
doctor check ids and areas, build --target and image build --platform platforms
(go tool dist list), inspect --host platforms and keys, build --cgo modes, env
--shell syntaxes, universal thin -arch.

bash needs the bash-completion package (Debian and Ubuntu: apt-get install
bash-completion; macOS: brew install bash-completion@2) loaded by the shell first: the
script calls its _get_comp_words_by_ref.`,
		Example: `  source <(gonative completion bash)          # ~/.bashrc
  gonative completion zsh > "${fpath[1]}/_gonative"
  gonative completion fish | source
  gonative completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			out, root := cmd.OutOrStdout(), cmd.Root()
			switch args[0] {
			case "bash":
				return genBash(root, out)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell", "pwsh":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("completion: unknown shell %q (bash, zsh, fish, powershell)", args[0])}
		},
	}
}

// bashPlainCommas follows cobra's bash script: it completes as the script does, then
// inserts the commas of comma-separated values (--target a,b, --host os/arch,key=v)
// plain. bash's printf %q, which the script escapes a single completion with, writes
// them as "\,", which the shell reads as a comma anyway but the user sees as a stray
// backslash. Only commas are unescaped: every other character %q escapes stays escaped.
const bashPlainCommas = `
# gonative: insert the commas of --target and --host lists plain (printf %%q writes "\,").
__start_%[1]s_plain_commas() {
    __start_%[1]s "$@"
    local i
    for i in "${!COMPREPLY[@]}"; do
        COMPREPLY[i]=${COMPREPLY[i]//\\,/,}
    done
}
if [[ $(type -t compopt) = "builtin" ]]; then
    complete -o default -F __start_%[1]s_plain_commas %[1]s
else
    complete -o default -o nospace -F __start_%[1]s_plain_commas %[1]s
fi
`

// genBash writes cobra's bash completion script (with descriptions) and
// bashPlainCommas after it.
func genBash(root *cobra.Command, out io.Writer) error {
	if err := root.GenBashCompletionV2(out, true); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, bashPlainCommas, root.Name())
	return err
}

// unescapeCommas undoes the "\," of a comma-separated value typed or completed in
// bash before the plain-comma fix (or by hand): the shell reads it as a comma.
func unescapeCommas(s string) string { return strings.ReplaceAll(s, `\,`, ",") }

// completionTimeout bounds the network or subprocess work a completion may do.
const completionTimeout = 3 * time.Second

// completeVersions completes a VERSION argument: the installed versions, and when
// remote is set those the source offers for this machine (asked with a short
// time-out; a slow or unreachable source just adds nothing). Only the first argument
// is a version.
func completeVersions(installed, remote bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return versionCandidates(cmd.Context(), installed, remote), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

func versionCandidates(ctx context.Context, installed, remote bool) []string {
	var vs []string
	m, err := newManager()
	if err != nil {
		return nil
	}
	st := m.Store
	if installed {
		if list, err := st.Versions(); err == nil {
			vs = append(vs, list...)
		}
	}
	if remote {
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, completionTimeout)
		defer cancel()
		if f, err := m.Fetcher(ctx); err == nil {
			if h, err := thisHost(ctx); err == nil {
				if rels, err := f.Releases(ctx); err == nil {
					for _, v := range toolchain.Offered(rels, toolchain.Platform{OS: h.OS, Arch: h.Arch}) {
						if !slices.Contains(vs, v) {
							vs = append(vs, v)
						}
					}
				}
			}
		}
		vs = append(vs, "latest")
	}
	sortNewestFirst(vs)
	return vs
}

// sortNewestFirst sorts versions newest first, "latest" on top.
func sortNewestFirst(vs []string) {
	slices.SortStableFunc(vs, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "latest":
			return -1
		case b == "latest":
			return 1
		}
		x := []string{a, b}
		toolchain.SortVersions(x)
		if x[0] == a {
			return 1
		}
		return -1
	})
}

// completeDoctorChecks completes doctor's arguments: check ids and areas.
func completeDoctorChecks(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []string
	for _, c := range doctor.Default().Checks() {
		if a := string(c.Area); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, c := range doctor.Default().Checks() {
		if !slices.Contains(args, c.ID) {
			out = append(out, cobra.CompletionWithDesc(c.ID, c.Title))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// distList is `go tool dist list` (build.DistList), or the default targets when go
// cannot say.
func distList(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	ts, err := build.DistList(ctx, build.Options{})
	if err != nil {
		ts = build.DefaultTargets
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}

// completeTargets completes --target: os/arch pairs, after any already given in a
// comma-separated list.
func completeTargets(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	toComplete = unescapeCommas(toComplete)
	prefix := ""
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		prefix = toComplete[:i+1]
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var out []string
	for _, t := range distList(ctx) {
		out = append(out, prefix+t)
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeHost completes --host OS/ARCH[,key=value]...: platforms first, then the keys
// host.Parse reads.
func completeHost(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	toComplete = unescapeCommas(toComplete)
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		var out []string
		for _, k := range []string{"macos=", "kernel=", "page=", "rosetta=yes", "rosetta=no", "binfmt=", "features="} {
			out = append(out, toComplete[:i+1]+k)
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return []string{"darwin/arm64", "darwin/amd64", "linux/arm64", "linux/amd64", "windows/arm64", "windows/amd64"},
		cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// universalArches are the slice names universal thin takes: lipo's and GOARCH's.
var universalArches = []string{"arm64", "x86_64", "arm64e", "amd64", "i386", "386"}

// completeUniversalThin completes `universal thin` (which parses its own flags, as lipo
// spells them): an architecture after -arch, files otherwise.
func completeUniversalThin(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if n := len(args); n > 0 && strings.TrimLeft(args[n-1], "-") == "arch" {
		return universalArches, cobra.ShellCompDirectiveNoFileComp
	}
	if strings.HasPrefix(toComplete, "-") {
		return []string{"-arch", "-o"}, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveDefault
}

// cgoModes are the values of build's and image build's --cgo.
var cgoModes = []string{"auto\ton where a package needs it", "on\ton everywhere", "off\tpure Go everywhere"}

// registerFixed completes c's flag name (when c has it) with a fixed list of values
// ("value\tdescription").
func registerFixed(c *cobra.Command, name string, values ...string) {
	if c.Flags().Lookup(name) == nil {
		return
	}
	c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// addCompletions registers the value completions of commands defined in other files
// (flags they own): --target and image build --platform, --host, --cgo, --shell, universal thin's -arch, doctor's check ids.
func addCompletions(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "build":
			c.RegisterFlagCompletionFunc("target", completeTargets)
			registerFixed(c, "cgo", cgoModes...)
		case "image":
			for _, s := range c.Commands() {
				registerFixed(s, "cgo", cgoModes...)
				if s.Flags().Lookup("platform") != nil {
					s.RegisterFlagCompletionFunc("platform", completeTargets)
				}
			}
		case "env":
			registerFixed(c, "shell", "sh\tbash, zsh (the default)", "bash", "zsh", "fish", "powershell")
		case "inspect":
			if c.Flags().Lookup("host") != nil {
				c.RegisterFlagCompletionFunc("host", completeHost)
			}
		case "doctor":
			c.ValidArgsFunction = completeDoctorChecks
		case "universal":
			for _, s := range c.Commands() {
				if s.Name() == "thin" {
					s.ValidArgsFunction = completeUniversalThin
				}
			}
		}
	}
}
