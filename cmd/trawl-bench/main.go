// Command trawl-bench measures trawl on a generated organisation against
// git grep and csearch baselines and writes the figures as a Markdown
// report (make bench writes BENCHMARKS.md with it). The measuring lives in
// internal/bench, whose go test -bench benchmarks profile the crawl and
// the queries in-process.
//
//	go run ./cmd/trawl-bench -out BENCHMARKS.md
//	go run ./cmd/trawl-bench -repos 5 -branches 4 -out /tmp/b.md   # quick
//	TRAWL_ES_URL= go run ./cmd/trawl-bench -csearch=false -out /tmp/b.md
//
// Elasticsearch is measured when TRAWL_ES_URL names a node; csearch when
// Debian's codesearch package (cindex, csearch) is installed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/trawl-dev/trawl/internal/bench"
)

const usage = `Usage: trawl-bench [flags]

Generates (or reuses from -work) an organisation of bare repositories,
crawls it with trawl, times the queries in-process and as trawl search
processes, times the same queries with git grep over every branch and with
csearch over the unique blobs, and writes the report to -out. Run it from
the module root.

Examples:
  go run ./cmd/trawl-bench -out BENCHMARKS.md            # what make bench runs
  go run ./cmd/trawl-bench -repos 5 -branches 4 -runs 3 -out /tmp/b.md
  TRAWL_ES_URL=http://127.0.0.1:9200 go run ./cmd/trawl-bench -out /tmp/b.md

Flags:
`

func main() {
	var (
		p       bench.OrgParams
		opt     bench.Options
		verbose bool
	)
	flag.IntVar(&p.Repos, "repos", 50, "repositories in the generated org")
	flag.IntVar(&p.Branches, "branches", 20, "branches per repository")
	flag.Float64Var(&p.Scale, "scale", 1, "size factor of each repository (1: about 1.5 MB per branch)")
	flag.StringVar(&opt.Out, "out", "BENCHMARKS.md", "Markdown report `file`")
	flag.StringVar(&opt.Work, "work", ".bench", "`folder` for the cached org, the binary and the indexes")
	flag.IntVar(&opt.Runs, "runs", 20, "timed in-process runs per query")
	flag.BoolVar(&opt.Csearch, "csearch", true, "measure the csearch baseline (skipped with a note when cindex or csearch is missing)")
	flag.BoolVar(&verbose, "v", true, "log progress to stderr")
	flag.Usage = func() {
		fmt.Fprint(os.Stderr, usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "trawl-bench: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if p.Repos < 1 || p.Branches < 1 || p.Scale <= 0 || opt.Runs < 1 {
		fmt.Fprintln(os.Stderr, "trawl-bench: -repos, -branches, -scale and -runs must be positive")
		os.Exit(2)
	}
	if verbose {
		opt.Logf = func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "trawl-bench: "+format+"\n", args...)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench.Run(ctx, p, opt); err != nil {
		fmt.Fprintln(os.Stderr, "trawl-bench:", err)
		os.Exit(1)
	}
}
