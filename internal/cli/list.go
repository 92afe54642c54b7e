package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// listLong is the long help of list.
const listLong = `list shows the installed toolchains, marking the global default and the one a go
command here would run (see 'gonative which --reason'), and the toolchains that
GOTOOLCHAIN downloaded into the module cache (remove them with 'gonative prune').

--remote lists the versions the source (GOPROXY, or the download site) offers for
this machine's hardware platform (or --os/--arch), oldest first, marking those
installed.`

func newListCmd() *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List installed Go toolchains (--remote: what the source offers)",
		Long:  listLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := newManager()
			if err != nil {
				return err
			}
			installed, err := m.Store.List()
			if err != nil {
				return err
			}
			if o.remote {
				return o.listRemote(cmd, m, installed)
			}
			h, _ := whatRunsHere(cmd.Context(), m) // an unreadable pin: nothing is active
			cached, _ := m.ModuleCache(cmd.Context())
			if o.asJSON {
				return newJSONEncoder(cmd.OutOrStdout()).Encode(toolchain.NewListReport(m.Store.Root, installed, cached, h.active()))
			}
			if len(installed) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: no toolchains installed in %s (gonative install latest)\n", m.Store.Root)
			}
			renderList(cmd.OutOrStdout(), installed, cached, h)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.remote, "remote", false, "list what the source offers for this platform")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&o.goos, "os", "", "with --remote: this GOOS instead of the host's")
	cmd.Flags().StringVar(&o.goarch, "arch", "", "with --remote: this GOARCH instead of the hardware's")
	return cmd
}

// listOptions are list's flags.
type listOptions struct {
	remote, asJSON bool
	goos, goarch   string
}

// listRemote prints what the source offers for the platform, marking installed.
func (o listOptions) listRemote(cmd *cobra.Command, m *toolchain.Manager, installed []toolchain.Installed) error {
	ctx := cmd.Context()
	f, err := m.Fetcher(ctx)
	if err != nil {
		return err
	}
	p, err := tcPlatform(ctx, o.goos, o.goarch, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	vs, err := m.Offered(ctx, f, p)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := newJSONEncoder(out).Encode(toolchain.NewRemoteReport(p, f.Describe(), vs)); err != nil {
			return err
		}
	}
	if len(vs) == 0 {
		// Nothing to list is a failed question (a platform Go has no port for, such as
		// plan9/mips, or a source that serves none), not an empty success.
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%s offers no toolchains for %s", f.Describe(), p)}
	}
	if !o.asJSON {
		renderRemote(out, vs, installed, p)
	}
	return nil
}

// renderRemote prints the versions offered for p, marking those installed for p (a
// copy for another platform is not p's).
func renderRemote(out io.Writer, vs []string, installed []toolchain.Installed, p toolchain.Platform) {
	for _, v := range vs {
		mark := ""
		if slices.ContainsFunc(installed, func(i toolchain.Installed) bool { return i.Version == v && i.Platform == p }) {
			mark = "  (installed)"
		}
		fmt.Fprintf(out, "go%s%s\n", v, mark)
	}
}

// renderList prints the installed toolchains, marking the default, the one active
// here and the unverified, then those in the module cache.
func renderList(out io.Writer, installed []toolchain.Installed, cached []toolchain.CachedToolchain, h here) {
	active := h.active()
	for _, i := range installed {
		var marks []string
		if i.Default {
			marks = append(marks, "default")
		}
		switch {
		case i.Version == active:
			marks = append(marks, "active here")
		case active == "" && !h.noSel && i.Version == h.sel.Version:
			// gonative chose it, but another go runs: gonative which says why.
			marks = append(marks, "chosen here, not what runs: gonative which")
		}
		if i.Verified == "" {
			marks = append(marks, "unverified")
		}
		m := ""
		if len(marks) > 0 {
			m = "  (" + strings.Join(marks, ", ") + ")"
		}
		star := " "
		if i.Version == active {
			star = "*"
		}
		fmt.Fprintf(out, "%s go%-10s %-14s %s%s\n", star, i.Version, i.Platform, i.GOROOT, m)
	}
	if cached = toolchain.Usable(cached); len(cached) > 0 {
		fmt.Fprintln(out, "downloaded by GOTOOLCHAIN into the module cache (gonative prune removes them):")
		for _, c := range cached {
			fmt.Fprintf(out, "  go%-10s %-14s %.0f MB\n", c.Version, c.Platform, float64(c.Size)/1e6)
		}
	}
}
