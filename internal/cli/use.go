package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newUseCmd is a placeholder until the use command lands.
func newUseCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "use",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("use: not built yet")}
		},
	}
}
