package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newEnvCmd is a placeholder until the env command lands.
func newEnvCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "env",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("env: not built yet")}
		},
	}
}
