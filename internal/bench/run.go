// Package bench measures trawl on a generated organisation against
// baselines measured in the same run on the same corpus, and renders the
// figures as a Markdown report; cmd/trawl-bench is its command (make bench
// writes BENCHMARKS.md with it).
//
// Absolute figures depend on the machine and its load, so every speed is
// also given as a ratio against a baseline: git grep over every branch and
// Russ Cox's csearch over the unique blobs for queries, the unique content
// for index size. The crawl and the whole-process queries run as child
// `trawl` processes so that their peak memory is their own.
package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/search"
)

// Options says where a run writes and how long it measures.
type Options struct {
	Out     string // Markdown report file
	Work    string // folder for the cached org, the binary and the indexes
	Runs    int    // timed in-process runs per query
	Csearch bool   // measure the csearch baseline when cindex and csearch are installed
	Logf    func(format string, args ...any)
}

// Run generates (or reuses) the org for p, measures every backend and the
// baselines on it, and writes the report to opt.Out.
func Run(ctx context.Context, p OrgParams, opt Options) error {
	if p.Repos < 1 || p.Branches < 1 || p.Scale <= 0 || opt.Runs < 1 {
		return errors.New("repos, branches, scale and runs must be positive")
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	return run(ctx, p, opt)
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
	Csearch   CsearchRun   // its Queries by query, shared too
	RSSFloor  int64        // the peak RSS the measuring helper reports for true(1)
	QueryRuns int
}

// BackendResult is what one backend measured.
type BackendResult struct {
	Name    string
	Full    CrawlRun
	Recrawl CrawlRun
	Disk    DiskUsage
	Queries []QueryResult
	// FixedCost times trawl search processes on fixedCostQuery.
	FixedCost CLIResult
}

func run(ctx context.Context, p OrgParams, opt Options) error {
	out, runs, logf := opt.Out, opt.Runs, opt.Logf
	rep := &Report{Date: time.Now().UTC(), Params: p, QueryRuns: runs}
	var err error
	if p.GoRoot, err = goEnv(ctx, "GOROOT"); err != nil {
		return err
	}
	rep.Machine = machine(ctx)
	work, err := filepath.Abs(opt.Work)
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
	var blobs []blobRef
	if rep.Corpus, blobs, err = corpusStats(ctx, org); err != nil {
		return err
	}
	logf("corpus: %d branches, %s across branches, %s unique", rep.Corpus.Branches, mb(rep.Corpus.Bytes), mb(rep.Corpus.UniqueBytes))

	bin := filepath.Join(work, "bin", "trawl")
	logf("building %s", bin)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/trawl")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build: static
	if msg, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/trawl (run from the module root): %w: %s", err, msg)
	}

	rn, err := buildRunner(ctx, filepath.Join(work, "bin"))
	if err != nil {
		return err
	}
	// What the helper itself adds to a peak RSS: its figure for true(1).
	if m, err := rn.run(ctx, "true", nil, nil, nil, nil, nil); err == nil {
		rep.RSSFloor = m.PeakRSS
	}

	for _, b := range backends() {
		res, err := measureBackend(ctx, rn, b, org, bin, work, runs, logf)
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

	if opt.Csearch {
		if rep.Csearch, err = csearchBaseline(ctx, rn, work, filepath.Base(org.Dir), blobs, runs, logf); err != nil {
			return fmt.Errorf("csearch baseline: %w", err)
		}
	} else {
		rep.Csearch.Skipped = "turned off with -csearch=false"
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
		bs = append(bs, esBackend{url: url, prefix: esPrefix})
	}
	return bs
}

func measureBackend(ctx context.Context, rn runner, b Backend, org *Org, bin, work string, runs int, logf func(string, ...any)) (BackendResult, error) {
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
	if res.Full, err = runCrawl(ctx, rn, bin, cfgPath); err != nil {
		return res, err
	}
	if err := crawlErrors(res.Full); err != nil {
		return res, err
	}
	logf("%s: full crawl took %s", b.Name(), res.Full.Wall.Round(time.Millisecond))
	// The disk as the full crawl's process left it, which a later open
	// might tidy.
	if res.Disk, err = b.Disk(ctx, cfg); err != nil {
		return res, err
	}
	logf("%s: no-change recrawl", b.Name())
	if res.Recrawl, err = runCrawl(ctx, rn, bin, cfgPath); err != nil {
		return res, err
	}
	if err := crawlErrors(res.Recrawl); err != nil {
		return res, err
	}

	idx, err := b.Open(ctx, cfg)
	if err != nil {
		return res, err
	}
	s := search.New(idx)
	for _, q := range queries {
		logf("%s: query %s", b.Name(), q.Query)
		r, err := measureQuery(ctx, s, q, runs)
		if err != nil {
			idx.Close()
			return res, err
		}
		res.Queries = append(res.Queries, r)
	}
	// The trawl search processes open the index themselves.
	if err := idx.Close(); err != nil {
		return res, fmt.Errorf("close index: %w", err)
	}
	for i, q := range queries {
		logf("%s: trawl search %s", b.Name(), q.Query)
		if res.Queries[i].CLI, err = measureCLI(ctx, rn, bin, cfgPath, q, cliRuns); err != nil {
			return res, err
		}
	}
	logf("%s: trawl search fixed cost", b.Name())
	if res.FixedCost, err = measureCLI(ctx, rn, bin, cfgPath, fixedCostQuery, fixedCostRuns); err != nil {
		return res, err
	}
	logf("%s: trawl serve, selective queries", b.Name())
	server, err := measureServer(ctx, bin, cfgPath, queries, runs)
	if err != nil {
		return res, err
	}
	for i, q := range queries {
		res.Queries[i].Server = server[q.Query]
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
