package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newListCmd is a placeholder until the list command lands.
func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "list",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("list: not built yet")}
		},
	}
}
