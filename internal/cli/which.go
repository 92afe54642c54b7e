package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newWhichCmd is a placeholder until the which command lands.
func newWhichCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "which",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("which: not built yet")}
		},
	}
}
