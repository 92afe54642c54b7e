package cli

import (
	"fmt"
	"slices"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

func newPruneCmd() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove toolchains nothing selects, and those GOTOOLCHAIN left in the module cache",
		Long: `prune removes every installed toolchain except the global default and the one
selected in the current directory (see 'gonative which'), and every toolchain that
GOTOOLCHAIN downloaded into the module cache ($GOMODCACHE/golang.org/toolchain@...
and its files under cache/download; read-only directories are made writable first).
--dry-run only lists them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			st, err := tcStore()
			if err != nil {
				return err
			}
			keep := []string{}
			if def, _ := st.Default(); def != "" {
				keep = append(keep, def)
			}
			if sel, err := tcWhich(ctx); err == nil && sel.Installed && sel.Version != "" {
				keep = append(keep, sel.Version)
			}
			installed, err := st.List()
			if err != nil {
				return err
			}
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			n := 0
			for _, i := range installed {
				if slices.Contains(keep, i.Version) {
					continue
				}
				if !dryRun {
					if err := st.Uninstall(i.Version); err != nil {
						return err
					}
				}
				fmt.Fprintf(out, "%s go%s (%s)\n", verb, i.Version, i.GOROOT)
				n++
			}
			cached, err := toolchain.CachedToolchains(tcGoEnv(ctx, "GOMODCACHE")["GOMODCACHE"])
			if err != nil {
				return err
			}
			for _, c := range cached {
				if !dryRun {
					if err := c.Remove(); err != nil {
						return fmt.Errorf("prune module cache go%s: %w", c.Version, err)
					}
				}
				where := c.Dir
				if where == "" && len(c.Files) > 0 {
					where = c.Files[0]
				}
				fmt.Fprintf(out, "%s go%s %s from the module cache (%s, %.0f MB)\n", verb, c.Version, c.Platform, where, float64(c.Size)/1e6)
				n++
			}
			if n == 0 {
				fmt.Fprintln(out, "nothing to prune")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed")
	return cmd
}
