package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDoctorCmd is a placeholder until the doctor command lands.
func newDoctorCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "doctor",
		Short:  "not built yet",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: ExitFailed, Err: errors.New("doctor: not built yet")}
		},
	}
}
