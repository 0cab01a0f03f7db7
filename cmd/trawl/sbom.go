package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/sbom"
)

const sbomHelp = `
Usage: trawl sbom [-c trawl.yaml] --repo NAME --branch NAME [-o FILE]

Writes a CycloneDX 1.6 JSON software bill of materials of one indexed
branch: one component per package URL its manifests and lockfiles declare
(the version a lockfile or property resolves where known), with scope and
the file lines as evidence. The same index state gives the same BOM,
serial number included.

Examples:
  trawl sbom --repo acme/api --branch main > api.cdx.json
  trawl sbom --repo acme/api --branch release/1.2 -o api-1.2.cdx.json
`

func cmdSBOM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("sbom", sbomHelp, stderr)
	var (
		repo, branch, file string
	)
	fs.StringVar(&repo, "repo", "", "repository full `NAME` (e.g. acme/api), exactly")
	fs.StringVar(&branch, "branch", "", "branch `NAME`, exactly")
	fs.StringVar(&file, "o", "", "write to `FILE` instead of standard output")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return usageError{fmt.Errorf("sbom: unexpected argument %q", words[0])}
	}
	if repo == "" || branch == "" {
		return usageError{errors.New("sbom: --repo and --branch are required")}
	}
	_, idx, err := c.open(ctx, readOnly)
	if err != nil {
		return err
	}
	defer idx.Close()
	bom, err := sbom.Build(ctx, idx, repo, branch, sbom.Options{})
	if errors.Is(err, indexer.ErrNotFound) {
		return fmt.Errorf("sbom: %s@%s is not in the index", repo, branch)
	}
	if err != nil {
		return err
	}
	if file == "" {
		return sbom.Write(stdout, bom)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	if err := sbom.Write(f, bom); err != nil {
		f.Close()
		return fmt.Errorf("sbom: write %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sbom: write %s: %w", file, err)
	}
	return nil
}
