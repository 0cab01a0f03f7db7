// Command bench measures trawl on a generated organisation and writes the
// figures as a Markdown report (make bench writes BENCHMARKS.md).
//
// Absolute figures depend on the machine and its load, so every speed is
// also given as a ratio against a baseline measured in the same run on the
// same corpus: git grep over every branch for queries, the unique content
// for index size. The crawl runs as a child `trawl crawl` process so that
// its peak memory is its own.
//
//	go run ./internal/bench -out BENCHMARKS.md
//	go run ./internal/bench -repos 10 -branches 5 -out /tmp/b.md   # quick
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/search"
)

func main() {
	var (
		p       OrgParams
		out     string
		work    string
		runs    int
		verbose bool
	)
	flag.IntVar(&p.Repos, "repos", 50, "repositories in the generated org")
	flag.IntVar(&p.Branches, "branches", 20, "branches per repository")
	flag.Float64Var(&p.Scale, "scale", 1, "size factor of each repository (1: about 1.5 MB per branch)")
	flag.StringVar(&out, "out", "BENCHMARKS.md", "Markdown report `file`")
	flag.StringVar(&work, "work", ".bench", "`folder` for the cached org, the binary and the indexes")
	flag.IntVar(&runs, "runs", 20, "timed runs per query")
	flag.BoolVar(&verbose, "v", true, "log progress to stderr")
	flag.Parse()
	if p.Repos < 1 || p.Branches < 1 || p.Scale <= 0 || runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -repos, -branches, -scale and -runs must be positive")
		os.Exit(2)
	}
	logf := func(format string, args ...any) {
		if verbose {
			fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p, out, work, runs, logf); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Report is everything one run measured.
type Report struct {
	Date      time.Time
	Machine   Machine
	Params    OrgParams
	Corpus    CorpusStats
	GenTime   time.Duration // zero when the org came from the cache
	Backends  []BackendResult
	Grep      []GrepResult // by query, shared by every backend
	QueryRuns int
}

// BackendResult is what one backend measured.
type BackendResult struct {
	Name    string
	Full    CrawlRun
	Recrawl CrawlRun
	Disk    DiskUsage
	Queries []QueryResult
}

func run(ctx context.Context, p OrgParams, out, work string, runs int, logf func(string, ...any)) error {
	rep := &Report{Date: time.Now().UTC(), Params: p, QueryRuns: runs}
	var err error
	if p.GoRoot, err = goEnv(ctx, "GOROOT"); err != nil {
		return err
	}
	rep.Machine = machine(ctx)
	work, err = filepath.Abs(work)
	if err != nil {
		return err
	}

	start := time.Now()
	org, err := generateOrg(ctx, work, p, logf)
	if err != nil {
		return err
	}
	if d := time.Since(start); d > time.Second {
		rep.GenTime = d
	}
	if rep.Corpus, err = corpusStats(ctx, org); err != nil {
		return err
	}
	logf("corpus: %d branches, %s across branches, %s unique", rep.Corpus.Branches, mb(rep.Corpus.Bytes), mb(rep.Corpus.UniqueBytes))

	bin := filepath.Join(work, "bin", "trawl")
	logf("building %s", bin)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/trawl")
	if msg, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/trawl (run from the module root): %w: %s", err, msg)
	}

	for _, b := range backends() {
		res, err := measureBackend(ctx, b, org, bin, work, runs, logf)
		if err != nil {
			return fmt.Errorf("backend %s: %w", b.Name(), err)
		}
		rep.Backends = append(rep.Backends, res)
	}

	for _, q := range queries {
		logf("git grep baseline: %s", q.Query)
		g, err := gitGrep(ctx, org, q)
		if err != nil {
			return err
		}
		rep.Grep = append(rep.Grep, g)
	}

	if err := os.WriteFile(out, []byte(rep.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	logf("wrote %s", out)
	return nil
}

// backends lists the backends to measure: bleve always, Elasticsearch
// when TRAWL_ES_URL names a node.
func backends() []Backend {
	bs := []Backend{bleveBackend{}}
	if url := os.Getenv("TRAWL_ES_URL"); url != "" {
		bs = append(bs, esBackend{url: url, prefix: "trawlbench"})
	}
	return bs
}

func measureBackend(ctx context.Context, b Backend, org *Org, bin, work string, runs int, logf func(string, ...any)) (BackendResult, error) {
	res := BackendResult{Name: b.Name()}
	dir := filepath.Join(work, "run-"+b.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	cfgPath := filepath.Join(dir, "trawl.yaml")
	cfg, err := writeConfig(org, b, filepath.Join(dir, "data"), cfgPath)
	if err != nil {
		return res, err
	}
	if err := b.Reset(ctx, cfg); err != nil {
		return res, err
	}

	logf("%s: full crawl", b.Name())
	if res.Full, err = runCrawl(ctx, bin, cfgPath); err != nil {
		return res, err
	}
	if err := crawlErrors(res.Full); err != nil {
		return res, err
	}
	logf("%s: full crawl took %s", b.Name(), res.Full.Wall.Round(time.Millisecond))
	logf("%s: no-change recrawl", b.Name())
	if res.Recrawl, err = runCrawl(ctx, bin, cfgPath); err != nil {
		return res, err
	}
	if err := crawlErrors(res.Recrawl); err != nil {
		return res, err
	}
	if res.Disk, err = b.Disk(ctx, cfg); err != nil {
		return res, err
	}

	idx, err := b.Open(ctx, cfg)
	if err != nil {
		return res, err
	}
	defer idx.Close()
	s := search.New(idx)
	for _, q := range queries {
		logf("%s: query %s", b.Name(), q.Query)
		r, err := measureQuery(ctx, s, q, runs)
		if err != nil {
			return res, err
		}
		res.Queries = append(res.Queries, r)
	}
	return res, nil
}

// crawlErrors fails the benchmark when a crawl could not read a repository:
// its figures would describe a smaller corpus.
func crawlErrors(r CrawlRun) error {
	if len(r.Summary.Errors) == 0 {
		return nil
	}
	var msgs []string
	for _, e := range r.Summary.Errors {
		msgs = append(msgs, e.Repo+": "+e.Error)
	}
	return errors.New("crawl failed on " + strings.Join(msgs, "; "))
}

func goEnv(ctx context.Context, name string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}
