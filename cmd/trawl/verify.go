package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/verify"
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
	fs, c := newCommandFlags("verify", verifyHelp, stderr)
	var (
		asJSON bool
		repair bool
	)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&repair, "repair", false, "delete what is wrong and re-crawl it from git, then check again")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Errorf("verify takes no arguments, got %q", rest)}
	}
	log, cfg, idx, err := c.openLogged(ctx, stderr, readWrite)
	if err != nil {
		return err
	}
	defer idx.Close()

	v := verifier{idx: idx, bar: newProgressBar(stderr), text: stdout}
	if asJSON {
		v.text = io.Discard
	}
	out := verifyOutput{}
	if out.Found, err = v.check(ctx); err != nil {
		return err
	}
	printVerify(v.text, out.Found)
	if repair && out.Found.NeedsRepair() {
		recrawl := func(ctx context.Context, repos []string) error {
			var cerr error
			out.Crawl, cerr = runCrawl(ctx, cfg, idx, log, v.bar, crawler.Options{Repos: repos})
			return cerr
		}
		if err := v.repair(ctx, &out, recrawl); err != nil {
			return err
		}
	}
	out.OK = out.final().OK() && (out.Crawl == nil || len(out.Crawl.Errors) == 0)
	if asJSON {
		if err := printJSON(stdout, out); err != nil {
			return err
		}
	}
	if !out.OK {
		return errReported
	}
	return nil
}

// final is the report that decides the exit code: the check after the
// repair when there was one.
func (o *verifyOutput) final() *verify.Report {
	if o.After != nil {
		return o.After
	}
	return o.Found
}

// verifier checks idx, drawing progress on bar (nil: none) and printing
// the text reports on text (io.Discard with --json).
type verifier struct {
	idx  indexer.Index
	bar  *progressBar
	text io.Writer
}

func (v *verifier) check(ctx context.Context) (*verify.Report, error) {
	opt := verify.Options{}
	if v.bar != nil {
		opt.Progress = v.bar.verifyUpdate
	}
	rep, err := verify.Check(ctx, v.idx, opt)
	v.bar.clear()
	return rep, err
}

// repair repairs what out.Found lists with recrawl, then checks again.
func (v *verifier) repair(ctx context.Context, out *verifyOutput, recrawl verify.Recrawl) error {
	var err error
	if out.Repair, err = verify.Repair(ctx, v.idx, out.Found, recrawl); err != nil {
		return err
	}
	fmt.Fprintf(v.text, "repair: reset %d branches, collected %d blobs, re-crawled %s\n",
		len(out.Repair.Branches), out.Repair.BlobsCollected, strings.Join(out.Repair.Repos, ", "))
	if out.Crawl != nil {
		for _, e := range out.Crawl.Errors {
			fmt.Fprintf(v.text, "  crawl error: %s: %s\n", e.Repo, e.Error)
		}
	}
	if out.After, err = v.check(ctx); err != nil {
		return err
	}
	fmt.Fprint(v.text, "after repair: ")
	printVerify(v.text, out.After)
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
