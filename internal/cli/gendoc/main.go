// Command gendoc writes the per-command reference of gonative, one Markdown page per
// command generated from the cobra commands (their Use, Short, Long, Example and
// flags), into docs/reference/ of the module:
//
//	go run ./internal/cli/gendoc
//
// The pages carry no date, so the same commands give the same bytes; a test of this
// package fails when the committed pages are not what the commands give.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/gonative/gonative/internal/cli"
)

// Dir is the reference's directory, relative to the module root.
const Dir = "docs/reference"

func main() {
	dir := Dir
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := generate(dir); err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
}

// generate replaces the Markdown pages in dir with those of gonative's commands.
func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	root := cli.NewRoot()
	noDate(root)
	return doc.GenMarkdownTree(root, dir)
}

// noDate turns off the "Auto generated ... on DATE" line of every command's page.
func noDate(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		noDate(sub)
	}
}
