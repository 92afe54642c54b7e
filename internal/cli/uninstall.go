package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUninstallCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall VERSION",
		Short: "Remove an installed Go toolchain",
		Long: `uninstall removes an installed toolchain (exact version: 1.27.3 or go1.27.3) and
its goX.Y.Z link. Removing the global default leaves no default until 'gonative use'.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeVersions(true, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := newManager()
			if err != nil {
				return err
			}
			st := m.Store
			v, err := tcInstalledVersion(st, args[0], "")
			if err != nil {
				return err
			}
			def, _ := st.Default()
			if err := st.Uninstall(v); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed go%s\n", v)
			if def == v {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: go%s was the global default; there is none now (gonative use VERSION)\n", v)
			}
			return nil
		},
	}
}
