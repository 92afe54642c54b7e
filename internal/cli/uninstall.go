package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newUninstallCmd is a placeholder until the uninstall command lands.
func newUninstallCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "uninstall",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("uninstall: not built yet")}
		},
	}
}
