package main

import (
	"context"
	"fmt"
	"io"

	"github.com/trawl-dev/trawl/internal/buildinfo"
)

const versionHelp = `
Usage: trawl version [--json]     (or trawl --version)

Prints the module version (v1.2.3 from go install ...@v1.2.3, "(devel)" for
a build in a checkout), the commit and its date, the Go version and the
platform, as the Go linker recorded them. GET /api/status reports the same.

Examples:
  trawl --version
  trawl version --json | jq -r .commit
`

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", versionHelp, stderr)
	asJSON := fs.Bool("json", false, "print JSON: version, commit, modified, build_date, go_version, platform")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return usageError{fmt.Errorf("version: unexpected argument %q", words[0])}
	}
	info := buildinfo.Read()
	if *asJSON {
		return printJSON(stdout, info)
	}
	fmt.Fprintln(stdout, info.String())
	return nil
}
