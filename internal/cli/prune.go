package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// pruneLong is the long help of prune.
const pruneLong = `prune removes every installed toolchain except the global default and the one
selected in the current directory (see 'gonative which'), and every toolchain that
GOTOOLCHAIN downloaded into the module cache ($GOMODCACHE/golang.org/toolchain@...
and its files under cache/download; read-only directories are made writable first),
with what failed GOTOOLCHAIN downloads left there (lock files, partial markers), and
the empty partial downloads failed installs left in the store.
--dry-run only lists them.`

func newPruneCmd() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove toolchains nothing selects, and those GOTOOLCHAIN left in the module cache",
		Long:  pruneLong,
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
			o := pruneOptions{dryRun: dryRun, out: cmd.OutOrStdout()}
			if o.verb = "removed"; dryRun {
				o.verb = "would remove"
			}
			n, err := o.installed(m.Store, installed, pruneKeep(cmd.Context(), m))
			if err != nil {
				return err
			}
			cached, err := m.ModuleCache(cmd.Context())
			if err != nil {
				return err
			}
			c, err := o.cached(cached)
			if err != nil {
				return err
			}
			e, err := o.emptyDownloads(m.Store)
			if err != nil {
				return err
			}
			if n+c+e == 0 {
				fmt.Fprintln(o.out, "nothing to prune")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed")
	return cmd
}

// pruneOptions are prune's flag and where it reports.
type pruneOptions struct {
	dryRun bool
	verb   string // "removed", or "would remove"
	out    io.Writer
}

// pruneKeep lists the versions prune keeps: the global default and the one selected
// in the working directory.
func pruneKeep(ctx context.Context, m *toolchain.Manager) []string {
	keep := []string{}
	if def, _ := m.Store.Default(); def != "" {
		keep = append(keep, def)
	}
	if sel, err := m.Which(ctx); err == nil && sel.Installed && sel.Version != "" {
		keep = append(keep, sel.Version)
	}
	return keep
}

// installed removes (or lists) the installed toolchains not in keep and says how many.
func (o pruneOptions) installed(st toolchain.Store, installed []toolchain.Installed, keep []string) (int, error) {
	n := 0
	for _, i := range installed {
		if slices.Contains(keep, i.Version) {
			continue
		}
		if !o.dryRun {
			if err := st.Uninstall(i.Version); err != nil {
				return n, err
			}
		}
		fmt.Fprintf(o.out, "%s go%s (%s)\n", o.verb, i.Version, i.GOROOT)
		n++
	}
	return n, nil
}

// cached removes (or lists) the module cache's toolchains and says how many.
func (o pruneOptions) cached(cached []toolchain.CachedToolchain) (int, error) {
	for _, c := range cached {
		if !o.dryRun {
			if err := c.Remove(); err != nil {
				return 0, fmt.Errorf("prune module cache go%s: %w", c.Version, err)
			}
		}
		where := c.Dir
		if where == "" && len(c.Files) > 0 {
			where = c.Files[0]
		}
		if c.Failed {
			fmt.Fprintf(o.out, "%s what a failed GOTOOLCHAIN download of go%s %s left in the module cache (%s)\n", o.verb, c.Version, c.Platform, where)
			continue
		}
		fmt.Fprintf(o.out, "%s go%s %s from the module cache (%s, %.0f MB)\n", o.verb, c.Version, c.Platform, where, float64(c.Size)/1e6)
	}
	return len(cached), nil
}

// emptyDownloads removes (or lists) the empty partial downloads failed installs left in
// the store and says how many.
func (o pruneOptions) emptyDownloads(st toolchain.Store) (int, error) {
	files, err := st.EmptyDownloads(o.dryRun)
	for _, f := range files {
		fmt.Fprintf(o.out, "%s %s (an empty partial download)\n", o.verb, f)
	}
	if err != nil {
		return len(files), fmt.Errorf("prune partial downloads: %w", err)
	}
	return len(files), nil
}
