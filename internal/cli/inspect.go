package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newInspectCmd is a placeholder until the inspect command lands.
func newInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "inspect",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("inspect: not built yet")}
		},
	}
}
