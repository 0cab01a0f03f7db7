package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/trawl-dev/trawl/crawler"
)

const crawlHelp = `
Usage: trawl crawl [-c trawl.yaml] [--repo NAME]... [--json]

Fetches every branch of every configured repository and brings the index up
to date: only files whose content changed are read, each unique content is
indexed once, deleted branches and repositories disappear. On a terminal a
progress line shows repositories, branches, files and bytes; a summary
follows at the end (--json prints it as JSON for scripts).

A repository that fails (unreachable, bad credentials, corrupt) is reported
and the others are crawled; the exit code is then 1. Killing a crawl is
safe: the next one redoes the unfinished branches.

Examples:
  trawl crawl
  trawl crawl --repo acme/api --json
  trawl crawl --shard 0/3        # one of three crawlers sharing an Elasticsearch index
`

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func cmdCrawl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("crawl", crawlHelp, stderr)
	var (
		asJSON bool
		repos  repeated
		batch  int
		shard  string
		noDeps bool
	)
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	fs.Var(&repos, "repo", "crawl only this repository (full `name`); repeatable")
	fs.StringVar(&shard, "shard", "", "crawl only shard `i/n` of the repositories (n crawlers, one shared Elasticsearch index)")
	fs.BoolVar(&noDeps, "no-deps", false, "skip dependency extraction (trawl deps then finds nothing for the branches crawled)")
	fs.IntVar(&batch, "batch-bytes", 8<<20, "`bytes` of documents per index write: smaller bounds memory and the work a killed crawl redoes")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	sh, err := parseShard(shard)
	if err != nil {
		return err
	}
	log, cfg, idx, err := c.openLogged(ctx, stderr, readWrite)
	if err != nil {
		return err
	}
	defer idx.Close()
	// Shards of one split share the Elasticsearch writer lease; taking it
	// now fails a crawl that may not write before it fetches anything.
	if w, ok := idx.(interface{ SetWriterShard(i, n int) }); ok && sh.N > 1 {
		w.SetWriterShard(sh.I, sh.N)
	}
	if l, ok := idx.(interface{ LockForWrite(context.Context) error }); ok {
		if err := l.LockForWrite(ctx); err != nil {
			return fmt.Errorf("crawl: %w", err)
		}
	}

	opt := crawler.Options{Repos: repos, BatchBytes: batch, Shard: sh, NoDeps: noDeps}
	sum, err := runCrawl(ctx, cfg, idx, log, newProgressBar(stderr), opt)
	if sum != nil {
		if asJSON {
			if err := printJSON(stdout, sum); err != nil {
				return err
			}
		} else {
			printSummary(stdout, sum)
		}
	}
	if _, refused := err.(usageError); refused {
		return err // the crawler refused the configuration: nothing ran
	}
	if err != nil {
		return fmt.Errorf("crawl: %w", err)
	}
	if len(sum.Errors) > 0 {
		return errReported
	}
	return nil
}

// parseShard reads "i/n" (0 <= i < n); "" is the whole.
func parseShard(s string) (crawler.Shard, error) {
	if s == "" {
		return crawler.Shard{}, nil
	}
	var sh crawler.Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.I, &sh.N); err != nil || sh.N < 1 || sh.I < 0 || sh.I >= sh.N {
		return sh, usageError{fmt.Errorf("--shard: %q is not i/n with 0 <= i < n (e.g. 0/3)", s)}
	}
	return sh, nil
}

func printSummary(w io.Writer, s *crawler.Summary) {
	fmt.Fprintf(w, "crawled %d repositories (%d failed, %d removed, %d opted out) in %s\n",
		s.Repos, s.ReposFailed, s.ReposDeleted, s.ReposExcluded, s.Duration.Round(time.Millisecond))
	if s.ReposEmpty > 0 {
		fmt.Fprintf(w, "  empty repositories (no commit yet): %d\n", s.ReposEmpty)
	}
	fmt.Fprintf(w, "  branches: %d seen, %d changed, %d removed\n", s.Branches, s.BranchesChanged, s.BranchesDeleted)
	fmt.Fprintf(w, "  files:    %d written, %d removed, %d skipped (trawl skipped lists them)\n", s.FilesWritten, s.FilesDeleted, s.Skipped)
	fmt.Fprintf(w, "  content:  %d new blobs, %s indexed, %d unreferenced blobs collected\n", s.BlobsWritten, humanBytes(s.BytesIndexed), s.BlobsCollected)
	if c := s.Compaction; c != nil && c.Merged {
		fmt.Fprintf(w, "  index:    %s compacted into %d (%s to %s) in %s\n", plural(c.SegmentsBefore, "segment"), c.SegmentsAfter,
			humanBytes(c.BytesBefore), humanBytes(c.BytesAfter), c.Duration.Round(time.Millisecond))
	} else if c != nil {
		fmt.Fprintf(w, "  index:    %s (%s), not compacted: %s\n", plural(c.SegmentsBefore, "segment"), humanBytes(c.BytesBefore), c.Reason)
	}
	fmt.Fprintf(w, "  deps:     %d dependency records from changed branches, %d manifests not parsed\n", s.Dependencies, len(s.ManifestErrors))
	for _, e := range s.ManifestErrors {
		fmt.Fprintf(w, "  manifest: %s@%s:%s: %s\n", e.Repo, e.Branch, e.Path, e.Error)
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "  error: %s: %s\n", e.Repo, e.Error)
	}
	for _, m := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", m)
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// progressBar draws one self-overwriting line on a terminal.
type progressBar struct {
	mu sync.Mutex
	w  io.Writer
}

// newProgressBar returns nil unless w is a terminal: logs and pipes get no
// carriage returns.
func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w}
}

func (b *progressBar) update(p crawler.Progress) {
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Bytes) / s
	}
	width := 20
	filled := 0
	if p.ReposTotal > 0 {
		filled = width * p.ReposDone / p.ReposTotal
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.w, "\r\x1b[K[%s%s] repos %d/%d  branches %d  files %d  %s (%s/s)  %s",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		p.ReposDone, p.ReposTotal, p.Branches, p.Files,
		humanBytes(p.Bytes), humanBytes(int64(rate)), p.Elapsed.Round(time.Second))
}

func (b *progressBar) clear() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprint(b.w, "\r\x1b[K")
}

// plural is "1 segment", "2 segments".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
