package cli

import (
	"fmt"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/codesign"
)

// maxP12 bounds a PKCS#12 file (real ones are a few KB).
const maxP12 = 1 << 20

// identityOptions loads --identity with the password from the environment variable
// --password-env names (never a flag value, never printed) and sets up
// --timestamp-url.
func identityOptions(cmd *cobra.Command, o signOptions, opts *codesign.Options) error {
	data, err := atomicfile.ReadFile(o.identity, maxP12)
	if err != nil {
		return fmt.Errorf("--identity: %w", err)
	}
	password := ""
	if o.passwordEnv != "" {
		v, ok := os.LookupEnv(o.passwordEnv)
		if !ok {
			return fmt.Errorf("--password-env: the environment variable %s is not set", Quote(o.passwordEnv))
		}
		password = v
	}
	id, err := codesign.LoadPKCS12(data, password)
	if err != nil {
		return fmt.Errorf("--identity %s: %w", Quote(o.identity), err)
	}
	id.Context = cmd.Context()
	if o.timestampURL != "" {
		u, err := url.Parse(o.timestampURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--timestamp-url %s: not an http or https URL", Quote(o.timestampURL))
		}
		id.Timestamper = &codesign.TSAClient{URL: o.timestampURL}
	}
	opts.CMS = id
	return nil
}
