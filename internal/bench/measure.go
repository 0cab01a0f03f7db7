package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/search"
)

// CrawlRun is one `trawl crawl --json` in a child process.
type CrawlRun struct {
	Wall    time.Duration
	PeakRSS int64 // bytes, the child's own high-water mark (see runner)
	Summary crawler.Summary
}

// runCrawl runs the trawl binary's crawl and reads its summary. Repository
// errors (exit code 1 with a summary) are returned in the summary.
func runCrawl(ctx context.Context, rn runner, bin, cfgPath string) (CrawlRun, error) {
	var run CrawlRun
	var stdout, stderr bytes.Buffer
	m, err := rn.run(ctx, bin, []string{"crawl", "-c", cfgPath, "--json", "-log-level", "warn"}, nil, nil, &stdout, &stderr)
	run.Wall, run.PeakRSS = m.Wall, m.PeakRSS
	if jerr := json.Unmarshal(stdout.Bytes(), &run.Summary); jerr != nil {
		if err == nil {
			err = jerr
		}
		return run, fmt.Errorf("trawl crawl -c %s: %w: %s", cfgPath, err, strings.TrimSpace(stderr.String()))
	}
	return run, nil
}

// maxRSSBytes converts getrusage's ru_maxrss, in KiB on Linux and bytes on
// macOS.
func maxRSSBytes(ru *syscall.Rusage) int64 {
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

// Query is one benchmark query and its git grep equivalent.
type Query struct {
	Kind  string // selective, regex, case, filter, common, limited
	Query string
	Limit int // files; 0 is exhaustive like git grep
	// Pathspec is git grep's equivalent of the query's file: terms.
	Pathspec []string
}

// selective says whether the query counts for the "selective queries are
// 200x faster than git grep" target (issue 14).
func (q Query) selective() bool {
	return q.Kind == "selective" || q.Kind == "regex" || q.Kind == "case"
}

// vsCsearch says whether the query counts for the "within 3x of csearch
// on literal, regex and common queries" target.
func (q Query) vsCsearch() bool { return q.Kind != "filter" && q.Kind != "limited" }

// queries are the fixed benchmark set. Their rare identifiers come from the
// Go packages every generated org holds (firstPackages) or from the build
// and configuration files the generator writes.
var queries = []Query{
	{Kind: "selective", Query: "MaxHeaderBytes"},
	{Kind: "selective", Query: "maximum-pool-size"},
	{Kind: "selective", Query: `"x509: certificate signed by unknown authority"`},
	{Kind: "selective", Query: `"<version>1.3.0</version>"`},
	{Kind: "regex", Query: `/func \w+Context\(/`},
	{Kind: "regex", Query: `/log4j-core.*2\.1[0-6]/`},
	{Kind: "regex", Query: `/Serve(HTTP|Conn)\(w/`},
	{Kind: "case", Query: `case:yes "sql: no rows"`},
	{Kind: "filter", Query: `file:pom\.xml`, Pathspec: []string{"*pom.xml*"}},
	{Kind: "filter", Query: `log4j-core file:build\.gradle`, Pathspec: []string{"*build.gradle*"}},
	{Kind: "common", Query: `"err != nil"`},
	{Kind: "limited", Query: "return", Limit: 100},
}

// fixedCostQuery is a literal whose trigrams no blob holds together, so a
// trawl search process running it verifies nothing and does only the work
// every query pays: process start, configuration, index open, branch
// states, an empty answer.
var fixedCostQuery = Query{Kind: "fixed", Query: "zqxjvkwq"}

// cliRuns is how many trawl search processes time a query.
const cliRuns = 5

// fixedCostRuns is how many trawl search processes time fixedCostQuery;
// more than cliRuns, since a few milliseconds vary more.
const fixedCostRuns = 11

// QueryResult is the measurement of one query on one backend.
type QueryResult struct {
	Query      Query
	Runs       int
	P50, P95   time.Duration
	Candidates int
	Lines      int64 // matching (branch, path, line) triples, or (branch, path) for filters
	// BlobLines counts each distinct blob's matching lines once (a
	// filter-only query: each blob once), as csearch over unique blobs does.
	BlobLines int64
	perBlob   map[string]int64 // BlobLines by blob
	LimitHit  bool
	CLI       CLIResult
	Server    ServerResult // selective queries only
}

// CLIResult is one query as whole `trawl search` processes.
type CLIResult struct {
	Runs    int
	Median  time.Duration
	PeakRSS int64
	Anon    int64 // the most anonymous memory at exit of any run; -1 when unknown
}

// measureQuery runs q runs times after one warm-up run.
func measureQuery(ctx context.Context, s *search.Searcher, q Query, runs int) (QueryResult, error) {
	r := QueryResult{Query: q, Runs: runs}
	opt := search.Options{MaxFiles: q.Limit}
	var times []time.Duration
	for i := range runs + 1 {
		start := time.Now()
		res, err := s.Search(ctx, q.Query, opt)
		elapsed := time.Since(start)
		if err != nil {
			return r, fmt.Errorf("search %q: %w", q.Query, err)
		}
		if i == 0 {
			r.Candidates = res.Stats.Candidates
			r.LimitHit = res.Stats.LimitHit
			r.perBlob = map[string]int64{}
			for _, f := range res.Files {
				r.Lines += int64(len(f.Branches) * max(1, len(f.Matches)))
				if _, ok := r.perBlob[f.Blob]; !ok {
					r.perBlob[f.Blob] = int64(max(1, len(f.Matches)))
					r.BlobLines += r.perBlob[f.Blob]
				}
			}
			continue
		}
		times = append(times, elapsed)
	}
	r.P50, r.P95 = percentile(times, 50), percentile(times, 95)
	return r, nil
}

// linesIn sums BlobLines over the blobs that skip does not hold.
func (r QueryResult) linesIn(skip map[string]bool) int64 {
	var n int64
	for blob, lines := range r.perBlob {
		if !skip[blob] {
			n += lines
		}
	}
	return n
}

// measureCLI runs q as `trawl search --json` processes, as a user would:
// process start, index open and output included. Like the git grep
// baseline it takes the median of up to runs processes, fewer once one
// takes over 5 s.
func measureCLI(ctx context.Context, rn runner, bin, cfgPath string, q Query, runs int) (CLIResult, error) {
	r := CLIResult{Anon: -1}
	var times []time.Duration
	for len(times) < runs {
		var stderr bytes.Buffer
		m, err := rn.run(ctx, bin, []string{"search", "-c", cfgPath, "--json", "--limit", strconv.Itoa(q.Limit), "-log-level", "warn", "--", q.Query}, nil, nil, io.Discard, &stderr)
		if err != nil {
			return r, fmt.Errorf("trawl search %q: %w: %s", q.Query, err, strings.TrimSpace(stderr.String()))
		}
		elapsed := m.Wall
		r.PeakRSS, r.Anon = max(r.PeakRSS, m.PeakRSS), max(r.Anon, m.Anon)
		times = append(times, elapsed)
		if elapsed > 5*time.Second {
			break
		}
	}
	r.Runs, r.Median = len(times), percentile(times, 50)
	return r, nil
}

// percentile returns the nearest-rank p-th percentile.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100
	return s[max(rank, 1)-1]
}

// GrepResult is the git grep baseline for one query.
type GrepResult struct {
	Runs   int
	Median time.Duration
	Lines  int64
}

// grepArgs translates q into git grep arguments before the branch names:
// -I -n like a person would type, -c so that output does not dominate, -i
// when trawl folds case, -F for literals and -P (PCRE, close to RE2) for
// regular expressions; a query with filters only lists files with -l.
func grepArgs(q Query) ([]string, error) {
	parsed, err := search.Parse(q.Query)
	if err != nil {
		return nil, err
	}
	terms := parsed.ContentTerms()
	switch {
	case len(terms) == 0:
		return []string{"grep", "-I", "-l", "-e", ""}, nil
	case len(terms) > 1 || terms[0].Negated:
		return nil, fmt.Errorf("query %q: the git grep baseline handles one positive content term", q.Query)
	}
	t := terms[0]
	args := []string{"grep", "-I", "-n", "-c"}
	if t.Fold {
		args = append(args, "-i")
	}
	if t.Regex {
		args = append(args, "-P")
	} else {
		args = append(args, "-F")
	}
	return append(args, "-e", t.Value), nil
}

// gitGrep runs q as one git grep per repository over all its branches, the
// way one would without trawl, and returns the total wall time. It repeats
// fast runs (up to three) and reports the median.
func gitGrep(ctx context.Context, org *Org, q Query) (GrepResult, error) {
	args, err := grepArgs(q)
	if err != nil {
		return GrepResult{}, err
	}
	var times []time.Duration
	var res GrepResult
	for len(times) < 3 {
		start := time.Now()
		lines, err := grepOnce(ctx, org, args, q)
		if err != nil {
			return res, err
		}
		elapsed := time.Since(start)
		times = append(times, elapsed)
		res.Lines = lines
		if elapsed > 5*time.Second {
			break
		}
	}
	res.Runs = len(times)
	res.Median = percentile(times, 50)
	return res, nil
}

func grepOnce(ctx context.Context, org *Org, args []string, q Query) (int64, error) {
	counted := slices.Contains(args, "-c")
	var total int64
	for _, r := range org.Repos {
		full := append([]string{"-C", r.Path}, args...)
		full = append(full, r.Branches...)
		if len(q.Pathspec) > 0 {
			full = append(append(full, "--"), q.Pathspec...)
		}
		cmd := exec.CommandContext(ctx, "git", full...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0 {
			continue // no match
		}
		if err != nil {
			return 0, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if !counted {
				total++
				continue
			}
			line := sc.Text()
			n, err := strconv.ParseInt(line[strings.LastIndexByte(line, ':')+1:], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("git grep -c in %s: bad line %q", r.Path, line)
			}
			total += n
		}
	}
	return total, nil
}

// CorpusStats describes the generated org as git sees it.
type CorpusStats struct {
	Repos, Branches int
	Files           int64 // (branch, path) pairs
	Bytes           int64 // their sizes summed
	UniqueBlobs     int64
	UniqueBytes     int64
}

// corpusStats lists every branch's tree with git ls-tree, and returns
// each unique blob with the first path it was seen at.
func corpusStats(ctx context.Context, org *Org) (CorpusStats, []blobRef, error) {
	st := CorpusStats{Repos: len(org.Repos)}
	seen := map[string]bool{}
	var blobs []blobRef
	for _, r := range org.Repos {
		for _, b := range r.Branches {
			st.Branches++
			out, err := exec.CommandContext(ctx, "git", "-C", r.Path, "ls-tree", "-r", "-l", "-z", b).Output()
			if err != nil {
				return st, nil, fmt.Errorf("git ls-tree %s in %s: %w", b, r.Path, err)
			}
			for entry := range strings.SplitSeq(string(out), "\x00") {
				// <mode> SP <type> SP <object> SP <size> TAB <path>
				meta, path, _ := strings.Cut(entry, "\t")
				fields := strings.Fields(meta)
				if len(fields) != 4 || fields[1] != "blob" {
					continue
				}
				size, err := strconv.ParseInt(fields[3], 10, 64)
				if err != nil {
					return st, nil, fmt.Errorf("git ls-tree %s in %s: bad entry %q", b, r.Path, entry)
				}
				st.Files++
				st.Bytes += size
				if !seen[fields[2]] {
					seen[fields[2]] = true
					st.UniqueBlobs++
					st.UniqueBytes += size
					blobs = append(blobs, blobRef{Repo: r.Path, Hash: fields[2], Path: path})
				}
			}
		}
	}
	return st, blobs, nil
}

// writeConfig writes the trawl.yaml that crawls org into the backend and
// loads it back the way trawl does.
func writeConfig(org *Org, b Backend, dataDir, path string) (*config.Config, error) {
	yaml := fmt.Sprintf("sources:\n  - dir: %s\n%s", quoteYAML(org.Dir), b.IndexYAML(dataDir))
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return cfg, nil
}
