package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newUniversalCmd is a placeholder until the universal command lands.
func newUniversalCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "universal",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("universal: not built yet")}
		},
	}
}
