package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/trawl-dev/trawl/indexer"
)

const skippedHelp = `
Usage: trawl skipped [-c trawl.yaml] [--json]

Lists every file that matched the configured patterns but was not indexed,
with the reason: too large (files.max_size), binary (a NUL byte in the first
8 KiB), not UTF-8, or unreadable (object missing or corrupt).
`

func cmdSkipped(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("skipped", skippedHelp, stderr)
	var (
		c      common
		asJSON bool
	)
	c.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print JSON: {\"skipped\": [locations]}")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	_, idx, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer idx.Close()

	skipped := []indexer.Location{}
	err = idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.SkippedOnly}, func(l indexer.Location) error {
		skipped = append(skipped, l)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list skipped files: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"skipped": skipped})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPO\tBRANCH\tPATH\tSIZE\tREASON")
	for _, l := range skipped {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Repo, l.Branch, l.Path, humanBytes(l.Size), l.Skip)
	}
	return tw.Flush()
}
