package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

func newListCmd() *cobra.Command {
	var remote, asJSON bool
	var goos, goarch string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List installed Go toolchains (--remote: what the source offers)",
		Long: `list shows the installed toolchains, marking the global default and the one a go
command here would run (see 'gonative which --reason'), and the toolchains that
GOTOOLCHAIN downloaded into the module cache (remove them with 'gonative prune').

--remote lists the versions the source (GOPROXY, or the download site) offers for
this machine's hardware platform (or --os/--arch), oldest first, marking those
installed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			st, err := tcStore()
			if err != nil {
				return err
			}
			installed, err := st.List()
			if err != nil {
				return err
			}
			if remote {
				f, err := tcFetcher(ctx, st)
				if err != nil {
					return err
				}
				p, err := tcPlatform(ctx, goos, goarch, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				rels, err := f.Releases(ctx)
				if err != nil {
					return fmt.Errorf("list versions from %s: %w", f.Describe(), err)
				}
				vs := toolchain.Offered(rels, p)
				if asJSON {
					spelled := []string{}
					for _, v := range vs {
						spelled = append(spelled, "go"+v)
					}
					return json.NewEncoder(out).Encode(struct {
						Platform toolchain.Platform `json:"platform"`
						Source   string             `json:"source"`
						Versions []string           `json:"versions"`
					}{p, f.Describe(), spelled})
				}
				if len(vs) == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "gonative: %s offers no toolchains for %s\n", f.Describe(), p)
				}
				for _, v := range vs {
					mark := ""
					if slices.ContainsFunc(installed, func(i toolchain.Installed) bool { return i.Version == v }) {
						mark = "  (installed)"
					}
					fmt.Fprintf(out, "go%s%s\n", v, mark)
				}
				return nil
			}
			active := ""
			if sel, err := tcWhich(ctx); err == nil {
				active = sel.Version
			}
			cached, _ := toolchain.CachedToolchains(tcGoEnv(ctx, "GOMODCACHE")["GOMODCACHE"])
			if asJSON {
				// One spelling everywhere: "go1.27.3", as the text output and goX.Y.Z
				// links spell it; empty lists are [], never null.
				type item struct {
					toolchain.Installed
					Version string `json:"version"`
					Active  bool   `json:"active,omitempty"`
				}
				type cachedItem struct {
					toolchain.CachedToolchain
					Version string `json:"version"`
				}
				items := []item{}
				for _, i := range installed {
					items = append(items, item{i, "go" + i.Version, i.Version == active})
				}
				cachedItems := []cachedItem{}
				for _, c := range cached {
					cachedItems = append(cachedItems, cachedItem{c, "go" + c.Version})
				}
				return json.NewEncoder(out).Encode(struct {
					Installed []item       `json:"installed"`
					ModCache  []cachedItem `json:"module_cache"`
					Store     string       `json:"store"`
				}{items, cachedItems, st.Root})
			}
			if len(installed) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: no toolchains installed in %s (gonative install latest)\n", st.Root)
			}
			for _, i := range installed {
				var marks []string
				if i.Default {
					marks = append(marks, "default")
				}
				if i.Version == active {
					marks = append(marks, "active here")
				}
				if i.Verified == "" {
					marks = append(marks, "unverified")
				}
				m := ""
				if len(marks) > 0 {
					m = "  (" + strings.Join(marks, ", ") + ")"
				}
				star := " "
				if i.Version == active {
					star = "*"
				}
				fmt.Fprintf(out, "%s go%-10s %-14s %s%s\n", star, i.Version, i.Platform, i.GOROOT, m)
			}
			if len(cached) > 0 {
				fmt.Fprintln(out, "downloaded by GOTOOLCHAIN into the module cache (gonative prune removes them):")
				for _, c := range cached {
					fmt.Fprintf(out, "  go%-10s %-14s %.0f MB\n", c.Version, c.Platform, float64(c.Size)/1e6)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&remote, "remote", false, "list what the source offers for this platform")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&goos, "os", "", "with --remote: this GOOS instead of the host's")
	cmd.Flags().StringVar(&goarch, "arch", "", "with --remote: this GOARCH instead of the hardware's")
	return cmd
}

// tcWhich decides which go gonative selects in the current directory.
func tcWhich(ctx context.Context) (toolchain.Selection, error) {
	in, err := tcWhichInput(ctx, true)
	if err != nil {
		return toolchain.Selection{}, err
	}
	return toolchain.Which(in)
}

// tcWhichInput is what toolchain.Which reads for the current directory. modCache asks
// `go env` for GOMODCACHE when the environment does not set it (only a go.mod
// selection of a version gonative has not installed needs it).
func tcWhichInput(ctx context.Context, modCache bool) (toolchain.WhichInput, error) {
	st, err := tcStore()
	if err != nil {
		return toolchain.WhichInput{}, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return toolchain.WhichInput{}, err
	}
	env := map[string]string{"GOMODCACHE": os.Getenv("GOMODCACHE")}
	if modCache {
		env = tcGoEnv(ctx, "GOMODCACHE")
	}
	p := toolchain.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if def, _ := st.Default(); def != "" {
		if in, err := st.Lookup(def); err == nil && in.Platform.OS != "" {
			p = in.Platform
		}
	}
	return toolchain.WhichInput{
		Dir:         wd,
		Getenv:      os.Getenv,
		ReadFile:    toolchain.ReadInput,
		Store:       st,
		Platform:    p,
		GOMODCACHE:  env["GOMODCACHE"],
		UserEnvFile: goenv.UserEnvFile(runtime.GOOS, os.Getenv),
	}, nil
}
