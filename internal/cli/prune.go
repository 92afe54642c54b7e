package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newPruneCmd is a placeholder until the prune command lands.
func newPruneCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "prune",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("prune: not built yet")}
		},
	}
}
