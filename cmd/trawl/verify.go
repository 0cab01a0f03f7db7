package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/verify"
	"github.com/trawl-dev/trawl/source/sources"
)

const verifyHelp = `
Usage: trawl verify [-c trawl.yaml] [--repair] [--json]

Reads the whole index and checks that it holds what git holds:
  - every stored text hashes to its blob id (git's SHA-1, or SHA-256 for
    64-digit ids), so no search answers from bytes that are not in git;
  - every indexed location points to a stored blob;
  - every location and dependency record belongs to a branch with a state
    (what a killed or running crawl left is listed as notes: the next
    crawl removes it);
  - every branch state names a well-formed commit.
It prints what is wrong and exits 1 if anything is, 0 if the index is clean.
On a terminal a progress line shows the blobs hashed.

--repair then deletes the branches that reference what is wrong (their
state, locations and dependency records) and the corrupt blobs, re-crawls
their repositories from git, and checks again: the exit code is that of the
second check (1 also when a repository could not be crawled). Until the
crawl is done those branches are missing from searches.

Examples:
  trawl verify
  trawl verify --json | jq '.found.problems[]'
  trawl verify --repair
`

// verifyOutput is what --json prints. Repair, Crawl and After are there
// with --repair when something was wrong.
type verifyOutput struct {
	Found  *verify.Report   `json:"found"`
	Repair *verify.Repaired `json:"repair,omitempty"`
	Crawl  *crawler.Summary `json:"crawl,omitempty"`
	After  *verify.Report   `json:"after,omitempty"`
	OK     bool             `json:"ok"`
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", verifyHelp, stderr)
	var (
		c      common
		asJSON bool
		repair bool
	)
	c.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&repair, "repair", false, "delete what is wrong and re-crawl it from git, then check again")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Errorf("verify takes no arguments, got %q", rest)}
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	cfg, idx, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer idx.Close()

	bar := newProgressBar(stderr)
	check := func() (*verify.Report, error) {
		opt := verify.Options{}
		if bar != nil {
			opt.Progress = bar.verifyUpdate
		}
		rep, err := verify.Check(ctx, idx, opt)
		bar.clear()
		return rep, err
	}
	out := verifyOutput{}
	if out.Found, err = check(); err != nil {
		return err
	}
	if !asJSON {
		printVerify(stdout, out.Found)
	}
	if repair && (!out.Found.OK() || len(out.Found.Notes) > 0 || out.Found.Unreferenced > 0) {
		recrawl := func(ctx context.Context, repos []string) error {
			opt := crawler.Options{Logger: log, Repos: repos}
			if bar != nil {
				opt.Progress = bar.update
			}
			cr, err := crawlerFor(cfg, idx, sources.New(sources.Options{Logger: log}), opt)
			if err != nil {
				return usageError{err}
			}
			out.Crawl, err = cr.Run(ctx)
			bar.clear()
			return err
		}
		if out.Repair, err = verify.Repair(ctx, idx, out.Found, recrawl); err != nil {
			return err
		}
		if !asJSON {
			fmt.Fprintf(stdout, "repair: reset %d branches, collected %d blobs, re-crawled %s\n",
				len(out.Repair.Branches), out.Repair.BlobsCollected, strings.Join(out.Repair.Repos, ", "))
			if out.Crawl != nil {
				for _, e := range out.Crawl.Errors {
					fmt.Fprintf(stdout, "  crawl error: %s: %s\n", e.Repo, e.Error)
				}
			}
		}
		if out.After, err = check(); err != nil {
			return err
		}
		if !asJSON {
			fmt.Fprint(stdout, "after repair: ")
			printVerify(stdout, out.After)
		}
	}
	final := out.Found
	if out.After != nil {
		final = out.After
	}
	out.OK = final.OK() && (out.Crawl == nil || len(out.Crawl.Errors) == 0)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if !out.OK {
		return errReported
	}
	return nil
}

func printVerify(w io.Writer, r *verify.Report) {
	status := "clean"
	if !r.OK() {
		status = fmt.Sprintf("%d problems", len(r.Problems))
	}
	fmt.Fprintf(w, "verified %d blobs (%s hashed), %d locations, %d branches in %s: %s\n",
		r.Blobs, humanBytes(r.BytesHashed), r.Locations, r.Branches, r.Duration.Round(time.Millisecond), status)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	for _, p := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", p)
	}
	if r.Unreferenced > 0 {
		fmt.Fprintf(w, "  note: %d blobs no location points to (the next crawl that removes anything collects them)\n", r.Unreferenced)
	}
}

// verifyUpdate draws the progress of a check on the crawl's progress line.
func (b *progressBar) verifyUpdate(p verify.Progress) {
	const width = 20
	done, total := p.Blobs, p.BlobsTotal
	if p.Phase == "locations" {
		done, total = p.Locations, p.LocationsTotal
	}
	filled := 0
	if total > 0 {
		filled = min(width, width*done/total)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.w, "\r\x1b[K[%s%s] %s %d/%d  %s hashed  %s",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		p.Phase, done, total, humanBytes(p.Bytes), p.Elapsed.Round(time.Second))
}
