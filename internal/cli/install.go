package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newInstallCmd is a placeholder until the install command lands.
func newInstallCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "install",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("install: not built yet")}
		},
	}
}
