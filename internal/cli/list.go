package cli

import (
	"encoding/json"
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
			active := ""
			if sel, err := m.Which(cmd.Context()); err == nil {
				active = sel.Version
			}
			cached, _ := m.ModuleCache(cmd.Context())
			if o.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(toolchain.NewListReport(m.Store.Root, installed, cached, active))
			}
			if len(installed) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: no toolchains installed in %s (gonative install latest)\n", m.Store.Root)
			}
			renderList(cmd.OutOrStdout(), installed, cached, active)
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
		return json.NewEncoder(out).Encode(toolchain.NewRemoteReport(p, f.Describe(), vs))
	}
	if len(vs) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "gonative: %s offers no toolchains for %s\n", f.Describe(), p)
	}
	for _, v := range vs {
		mark := ""
		if slices.ContainsFunc(installed, func(i toolchain.Installed) bool { return i.Version == v }) {
			mark = "  (installed)"
		}
		fmt.Fprintf(out, "go%s%s\n", v, mark)
	}
	return nil
}

// renderList prints the installed toolchains, marking the default, the one active
// here and the unverified, then those in the module cache.
func renderList(out io.Writer, installed []toolchain.Installed, cached []toolchain.CachedToolchain, active string) {
	for _, i := range installed {
		var marks []string
		if i.Default {
			marks = append(marks, "default")
		}
		if i.Version == active {
			marks = append(marks, "active here")
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
	if len(cached) > 0 {
		fmt.Fprintln(out, "downloaded by GOTOOLCHAIN into the module cache (gonative prune removes them):")
		for _, c := range cached {
			fmt.Fprintf(out, "  go%-10s %-14s %.0f MB\n", c.Version, c.Platform, float64(c.Size)/1e6)
		}
	}
}
