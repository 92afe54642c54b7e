package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newBuildCmd is a placeholder until the build command lands.
func newBuildCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "build",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("build: not built yet")}
		},
	}
}
