package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/codesign"
)

// identityOptions loads the --identity signer.
func identityOptions(cmd *cobra.Command, o signOptions, opts *codesign.Options) error {
	return errors.New("--identity: signing with a certificate is not available in this build yet; sign ad hoc (no --identity)")
}
