package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/goenv"
)

func newUniversalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "universal",
		Short: "Merge or split universal (fat) Mach-O binaries, a pure-Go lipo",
		Long: `universal creates, splits and describes Mach-O universal files, as lipo does,
on any OS. Slices are aligned as llvm-lipo aligns them (2^14 for arm64, 2^12 for
x86-64 Go binaries), arm64 last, and copied byte for byte so their code signatures
stay valid.`,
	}
	cmd.AddCommand(newUniversalCreateCmd(), newUniversalThinCmd(), newUniversalInfoCmd())
	return cmd
}

func newUniversalCreateCmd() *cobra.Command {
	var out string
	var fat64, force bool
	cmd := &cobra.Command{
		Use:     "create -o OUT IN...",
		Short:   "Merge thin Mach-O files of distinct architectures into a universal file",
		Example: "  gonative universal create -o dist/tool_darwin_universal dist/tool_darwin_arm64 dist/tool_darwin_amd64",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("universal create: -o OUT is required")}
			}
			u, err := build.CreateUniversal(out, args, build.CreateOptions{Fat64: fat64, Force: force})
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: forceHint(err)}
			}
			renderUniversal(cmd.OutOrStdout(), u)
			for _, s := range u.Unsigned {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: the %s slice (from %s) has no code signature beside the signed ones; tools that check the whole file refuse it: gonative sign %s\n",
					Quote(out), s.Arch, Quote(s.Input), Quote(goenv.ShellQuote(out)))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the universal file to write")
	cmd.Flags().BoolVar(&fat64, "fat64", false, "write FAT_MAGIC_64 headers (used anyway when an offset passes 4 GiB)")
	cmd.Flags().BoolVar(&force, "force", false, "replace OUT even when it is not a regular file (a device, a named pipe, a symbolic link)")
	return cmd
}

func newUniversalThinCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "thin -arch ARCH [--force] -o OUT IN",
		Short: "Extract one architecture's slice of a universal file, byte for byte",
		Long: `thin writes the slice of IN for ARCH (lipo's name, such as arm64, x86_64 or
arm64e, or a GOARCH such as amd64) to OUT, byte for byte. -arch takes one dash,
as in lipo; --arch works too. OUT is never IN, and is replaced only when it is a
regular file (--force replaces a device, a named pipe or a symbolic link itself).`,
		Example: "  gonative universal thin -arch arm64 -o tool_arm64 tool_darwin_universal",
		// lipo spells the flag -arch, which pflag would read as -a -r -c -h.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := parseThinArgs(args)
			if errors.Is(err, errThinHelp) {
				return cmd.Help()
			}
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			s, err := build.ThinUniversalWith(o.in, o.arch, o.out, build.ThinOptions{Force: o.force})
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: forceHint(err)}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s slice (%d bytes at offset %d)\n", Quote(o.out), s.Arch, s.Size, s.Offset)
			return nil
		},
	}
	// Declared for --help and the reference only: parseThinArgs reads them.
	f := cmd.Flags()
	f.String("arch", "", "the slice to write: lipo's name (arm64, x86_64, arm64e) or a GOARCH (amd64); -arch or --arch")
	f.StringP("output", "o", "", "the file to write the slice to (never IN)")
	f.Bool("force", false, "replace OUT even when it is a device, a named pipe or a symbolic link")
	return cmd
}

// thinOptions are universal thin's arguments.
type thinOptions struct {
	arch, out, in string
	force         bool
}

// errThinHelp is parseThinArgs's answer to -h or --help.
var errThinHelp = errors.New("help")

// parseThinArgs reads thin's arguments as lipo spells them (-arch ARCH, -o OUT, one
// dash or two, a value after = or as the next argument) and the one input.
func parseThinArgs(args []string) (thinOptions, error) {
	var o thinOptions
	var in []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			in = append(in, a)
			continue
		}
		switch name {
		case "h", "help":
			return o, errThinHelp
		case "force":
			o.force = true
			continue
		case "arch", "o", "output":
		default:
			return o, fmt.Errorf("universal thin: unknown flag %s", a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return o, fmt.Errorf("universal thin: %s needs a value", a)
			}
			i++
			val = args[i]
		}
		if name == "arch" {
			o.arch = val
		} else {
			o.out = val
		}
	}
	if o.out == "" || o.arch == "" || len(in) != 1 {
		return o, fmt.Errorf("usage: gonative universal thin -arch ARCH -o OUT IN")
	}
	o.in = in[0]
	return o, nil
}

func newUniversalInfoCmd() *cobra.Command {
	var jsonOutput bool
	cmd := &cobra.Command{
		Use:   "info IN...",
		Short: "Describe the slices of universal and thin Mach-O files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var us []*build.Universal
			failed := false
			for _, p := range args {
				u, err := build.ReadUniversal(p)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "gonative: %s\n", Quote(err.Error()))
					failed = true
					continue
				}
				us = append(us, u)
			}
			if jsonOutput {
				enc := newJSONEncoder(cmd.OutOrStdout())
				for _, u := range us {
					if err := enc.Encode(u); err != nil {
						return err
					}
				}
			} else {
				for _, u := range us {
					renderUniversal(cmd.OutOrStdout(), u)
				}
			}
			if failed {
				return &ExitError{Code: ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOutput, "json", false, "one JSON object per file")
	return cmd
}

// forceHint adds the flag that overrides a refusal to replace a non-regular output.
func forceHint(err error) error {
	if errors.Is(err, atomicfile.ErrNeedsForce) {
		return fmt.Errorf("%w (--force replaces it)", err)
	}
	return err
}

func renderUniversal(w io.Writer, u *build.Universal) {
	if !u.Fat {
		s := u.Slices[0]
		fmt.Fprintf(w, "%s: thin Mach-O, %s\n", Quote(u.Path), s.Arch)
		return
	}
	magic := "FAT_MAGIC"
	if u.Fat64 {
		magic = "FAT_MAGIC_64"
	}
	var arches []string
	for _, s := range u.Slices {
		arches = append(arches, s.Arch)
	}
	fmt.Fprintf(w, "%s: universal (%s), %d slices: %s\n", Quote(u.Path), magic, len(u.Slices), strings.Join(arches, " "))
	for _, s := range u.Slices {
		fmt.Fprintf(w, "  %-8s offset %-10d size %-10d align 2^%d\n", s.Arch, s.Offset, s.Size, s.Align)
	}
}
