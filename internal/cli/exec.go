package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newExecCmd is a placeholder until the exec command lands.
func newExecCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "exec",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("exec: not built yet")}
		},
	}
}
