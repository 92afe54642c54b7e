package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/codesign"
)

// signOptions are sign's flags.
type signOptions struct {
	identifier   string
	entitlements string
	hardened     bool
	identity     string
	passwordEnv  string
	timestampURL string
	json         bool
}

func newSignCmd() *cobra.Command {
	var o signOptions
	cmd := &cobra.Command{
		Use:   "sign [flags] FILE...",
		Short: "Code-sign Mach-O files (ad hoc, or with a PKCS#12 identity), on any OS",
		Long: `sign writes a Mach-O code signature into each FILE, thin or universal (every
slice), in pure Go: ad hoc by default, what ` + "`codesign -f -s -`" + ` writes on a Mac (a
CodeDirectory of SHA-256 page hashes, SHA-1 and SHA-256 where the minimum macOS
predates 10.11.4, an empty requirement set), so that macOS on Apple Silicon runs
the file instead of killing it ("Killed: 9").

Re-signing keeps the identifier, entitlements and requirements the file had unless
flags replace them; the designated requirement is made anew (none ad hoc).
LC_CODE_SIGNATURE is added when the file had none (a file whose header has no room
for it is refused) and __LINKEDIT grows to hold the signature; no other byte
changes. Each file is checked with gonative's verifier and replaced
atomically; a file that fails is left as it was, and the others are still signed.

With --identity, the CodeDirectories are signed with the PKCS#12 file's key and
certificate chain, as Apple's codesign writes it (CMS with the CDHash attributes, and
the designated requirement codesign makes for the chain); the password is read from
the environment variable --password-env names, never from the command line. --timestamp-url adds an RFC 3161 time stamp, as
notarization requires. docs/sign.md says what is verified here and what only a Mac
confirms.`,
		Example: `  gonative sign dist/tool_darwin_arm64
  gonative sign --hardened-runtime --entitlements ent.plist dist/tool_darwin_universal
  P12_PASSWORD=... gonative sign --identity devid.p12 --password-env P12_PASSWORD --timestamp-url http://tsa.example/ts dist/tool`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSign(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.identifier, "identifier", "", "the CodeDirectory identifier (default: the one the file has, else its name)")
	f.StringVar(&o.entitlements, "entitlements", "", "embed the entitlements of this XML property list (and their DER form, which macOS 12+ reads)")
	f.BoolVar(&o.hardened, "hardened-runtime", false, "set the hardened runtime flag (codesign --options runtime; notarization requires it)")
	f.StringVar(&o.identity, "identity", "", "sign with the key and certificate chain of this PKCS#12 (.p12) file instead of ad hoc")
	f.StringVar(&o.passwordEnv, "password-env", "", "the environment variable holding the PKCS#12 password (never a flag value)")
	f.StringVar(&o.timestampURL, "timestamp-url", "", "the RFC 3161 time-stamp authority to stamp the signature with (--identity only)")
	f.BoolVar(&o.json, "json", false, "one JSON object per file")
	return cmd
}

// runSign signs every file and reports each; a file that fails does not stop the
// others, and makes the exit status 1.
func runSign(cmd *cobra.Command, o signOptions, files []string) error {
	opts, err := signingOptions(cmd, o)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("sign: %w", err)}
	}
	out := cmd.OutOrStdout()
	enc := newJSONEncoder(out)
	failed := 0
	for _, p := range files {
		res, err := codesign.SignFile(cmd.Context(), p, opts)
		if err != nil {
			failed++
		}
		if o.json {
			enc.Encode(res.Report(p, err))
			if err == nil {
				continue
			}
		}
		if err != nil {
			printError(cmd.ErrOrStderr(), signError(p, err))
			continue
		}
		renderSign(out, p, res)
	}
	if failed > 0 {
		return &ExitError{Code: ExitFailed}
	}
	return nil
}

// signingOptions turns the flags into codesign.Options, reading the entitlements file.
func signingOptions(cmd *cobra.Command, o signOptions) (codesign.Options, error) {
	opts := codesign.Options{Identifier: o.identifier, HardenedRuntime: o.hardened}
	if o.entitlements != "" {
		b, err := atomicfile.ReadFile(o.entitlements, 1<<20)
		if err != nil {
			return opts, fmt.Errorf("--entitlements: %w", err)
		}
		opts.Entitlements = b
	}
	if o.identity == "" {
		if o.passwordEnv != "" || o.timestampURL != "" {
			return opts, errors.New("--password-env and --timestamp-url need --identity (an ad hoc signature has no certificate to stamp)")
		}
		return opts, nil
	}
	return opts, identityOptions(cmd, o, &opts)
}

// signError is the message for a file that could not be signed: the file, quoted,
// starts it.
func signError(path string, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, path+":") && !strings.Contains(msg, path) {
		msg = path + ": " + msg
	}
	msg = strings.Replace(msg, path, Quote(path), 1)
	if errors.Is(err, codesign.ErrNoRoom) {
		msg += "\n(nothing was written)"
	}
	return errors.New(msg)
}

// renderSign prints one line per slice.
func renderSign(w io.Writer, path string, res *codesign.Result) {
	for _, s := range res.Slices {
		if s.Kept != "" {
			fmt.Fprintf(w, "%s: %s: kept as it was: %s\n", Quote(path), s.Arch, s.Kept)
			continue
		}
		kind := "ad hoc"
		if s.CMS {
			kind = "with a certificate"
			if s.TeamID != "" {
				kind += " (team " + Quote(s.TeamID) + ")"
			}
		}
		var hashes []string
		for _, h := range s.Hashes {
			hashes = append(hashes, h.String())
		}
		extra := ""
		if s.HardenedRuntime {
			extra += ", hardened runtime"
		}
		if s.Entitlements {
			extra += ", entitlements"
		}
		if s.Timestamp {
			extra += ", time-stamped"
		}
		was := "was " + s.Previous.String()
		if s.AddedLoadCommand {
			was += "; LC_CODE_SIGNATURE added"
		}
		fmt.Fprintf(w, "%s: %s: signed %s, identifier %s, %s%s, CDHash=%x (%s)\n",
			Quote(path), s.Arch, kind, Quote(s.Identifier), strings.Join(hashes, "+"), extra, s.CDHash, was)
	}
}
