// Command gonative makes Go on ARM64 right: it reads what executables really are,
// diagnoses the machine's Go setup, installs native toolchains and builds every target.
//
// See README.md for the commands, or run `gonative help`.
package main

import (
	"os"

	"github.com/gonative/gonative/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
