package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/trawl-dev/trawl/osv"
)

const osvHelp = `
Usage: trawl osv import [-c trawl.yaml] [--json] FILE.zip...

Loads OSV vulnerability advisories, as OSV publishes them per ecosystem
(all.zip: one OSV-schema JSON document per advisory), into the data folder
(index.path/osv). Each archive replaces the stored advisories of the
ecosystems it holds; nothing is written when an entry does not parse, and
the error names the entry. forbid_vulnerable rules (trawl check) read them.
Works offline: mirror the archives you need.

Examples:
  trawl osv import Maven-all.zip npm-all.zip
  trawl osv import --json Go-all.zip
`

func cmdOSV(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("osv", osvHelp, stderr)
	var (
		asJSON bool
	)
	fs.BoolVar(&asJSON, "json", false, "print JSON: {\"imports\": [{file, advisories, withdrawn, ecosystems}]}")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) == 0 || words[0] != "import" {
		return usageError{errors.New("osv: want: trawl osv import FILE.zip... (see trawl osv -h)")}
	}
	files := words[1:]
	if len(files) == 0 {
		return usageError{errors.New("osv import: name at least one OSV all.zip")}
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	type done struct {
		File string `json:"file"`
		osv.ImportStats
	}
	var out []done
	im := osv.Importer{DataDir: cfg.Index.Path}
	for _, f := range files {
		st, err := im.Import(ctx, f)
		if err != nil {
			return err
		}
		out = append(out, done{f, st})
	}
	if asJSON {
		return printJSON(stdout, map[string]any{"imports": out})
	}
	for _, d := range out {
		ecos := make([]string, 0, len(d.Ecosystems))
		for e, n := range d.Ecosystems {
			ecos = append(ecos, fmt.Sprintf("%s %d", e, n))
		}
		sort.Strings(ecos)
		fmt.Fprintf(stdout, "%s: %d advisories (%d withdrawn, skipped) %v\n", d.File, d.Advisories, d.Withdrawn, ecos)
	}
	return nil
}
