package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
)

const skippedHelp = `
Usage: trawl skipped [-c trawl.yaml] [--json]

Lists every file that matched the configured patterns but was not indexed,
with the reason: too large (files.max_size), binary (a NUL byte in the first
8 KiB), not UTF-8, unreadable (object missing), corrupt (its content does
not hash to its id, read twice), or bad path (a name holding a control
character, "/", "." or ".."). Paths that are not UTF-8 are shown escaped:
\xNN for such a byte, \\ for a backslash.

Then the branches and repositories the last crawl refused or cut short
because of a limit (limits.max_files_per_branch, limits.max_repo_duration),
with the reason.

Examples:
  trawl skipped
  trawl skipped --json | jq '.skipped[] | select(.skip == "corrupt")'
`

func cmdSkipped(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("skipped", skippedHelp, stderr)
	var (
		asJSON bool
	)
	fs.BoolVar(&asJSON, "json", false, "print JSON: {\"skipped\": [locations]}")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg, idx, err := c.open(ctx, readOnly)
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
	limits, err := crawler.ReadLimits(cfg.Index.Path)
	if err != nil {
		return err
	}
	if limits == nil {
		limits = []crawler.LimitHit{}
	}
	if asJSON {
		return printJSON(stdout, map[string]any{"skipped": skipped, "limits": limits})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPO\tBRANCH\tPATH\tSIZE\tREASON")
	for _, l := range skipped {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Repo, l.Branch, l.Path, humanBytes(l.Size), l.Skip)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(limits) > 0 {
		fmt.Fprintln(stdout)
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPO\tBRANCH\tLIMIT\tREASON")
		for _, l := range limits {
			branch := l.Branch
			if branch == "" {
				branch = "(repository)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Repo, branch, l.Limit, l.Detail)
		}
		return tw.Flush()
	}
	return nil
}
