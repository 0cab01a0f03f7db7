package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The targets from the issue. The report checks each against this run.
const (
	targetSelectiveRatio  = 200                   // selective queries vs git grep
	targetIndexRatio      = 1.0                   // index size / unique content, texts included
	targetCrawlMBps       = 5                     // full crawl, MB of unique content per second
	targetRecrawlBranches = 1000                  // no-change recrawl of this many branches...
	targetRecrawlTime     = time.Second * 5       // ...in less than this
	targetMemory          = 1 << 30               // crawl peak RSS
	targetCsearchRatio    = 3                     // trawl search ÷ csearch, whole process, on literal, regex and common queries
	targetCLIMemory       = 64 << 20              // peak RSS of one trawl search process
	targetServerP50       = 5 * time.Millisecond  // selective queries answered by trawl serve
	targetFixedCost       = 15 * time.Millisecond // a trawl search process that finds nothing
)

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# trawl benchmarks\n\n")
	p("Written by `make bench` (`go run ./cmd/trawl-bench`) on %s. Every figure was measured in that run, on the machine below, ", r.Date.Format("2006-01-02 15:04 MST"))
	p("on a generated organisation; speeds are also given as ratios against baselines measured in the same run on the same repositories ")
	p("(git grep over every branch and csearch over the unique blobs for queries, the unique content for index size), which carry over between machines better than absolute times. ")
	p("MB is 10^6 bytes; MiB is 2^20.\n\n")

	p("## Machine\n\n| | |\n|---|---|\n")
	m := r.Machine
	p("| CPUs (nproc) | %d |\n| CPU | %s |\n| memory | %s |\n| OS | %s |\n| Go | %s |\n| git | %s |\n| load average at start (1, 5, 15 min) | %s |\n\n",
		m.CPUs, orDash(m.CPUModel), mib(m.MemBytes), m.OS, m.GoVersion, orDash(m.GitVersion), orDash(m.LoadAvg))

	c := r.Corpus
	p("## Corpus\n\n")
	p("Generated with `-repos %d -branches %d -scale %g`: each repository holds different package folders of the Go distribution's own source ", r.Params.Repos, r.Params.Branches, r.Params.Scale)
	p("plus a pom.xml, package.json, a build.gradle in every third, and YAML configuration. main moves through one cut per release branch, ")
	p("each changing about %.0f%% of the Go files and the versions in the build files; release/1.N starts at cut N and adds a release commit of its own.\n\n", changeRate*100)
	p("| | |\n|---|---|\n")
	p("| repositories | %d |\n| branches | %d |\n| files across branches | %d |\n| content across branches | %s |\n", c.Repos, c.Branches, c.Files, mb(c.Bytes))
	p("| unique blobs | %d |\n| unique content | %s |\n| copies of each blob (content across branches / unique) | %.1f |\n", c.UniqueBlobs, mb(c.UniqueBytes), ratio(float64(c.Bytes), float64(c.UniqueBytes)))
	if r.GenTime > 0 {
		p("| generation time (cached for reruns under .bench/) | %s |\n", r.GenTime.Round(time.Second))
	} else {
		p("| generation | reused from the cache under .bench/ |\n")
	}
	p("\n")

	p("## Targets\n\n| target | goal | %s |\n|---|---|%s\n", r.backendCols("measured", "met"), strings.Repeat("---|---|", len(r.Backends)))
	r.targets(p)
	p("\n")

	for _, be := range r.Backends {
		r.crawlSection(p, be)
	}

	p("## Queries\n\n")
	p("trawl: %d timed runs of `Searcher.Search` in one process after a warm-up run, index open; `limit` 0 is exhaustive, like git grep. ", r.QueryRuns)
	p("trawl search: the same query as a whole `trawl search --json --limit N` process, the way a user runs it (start, index open and output included), ")
	p("median of up to %d runs (1 when a run takes over 5 s), with the highest peak RSS (taken like the crawl's) and the most anonymous memory at exit (RssAnon, read while the process stops on its way out): peak RSS also counts the index's page cache a query maps, whole folios at a time, and a folio may be up to 2 MiB when the file was written in large pieces, so it depends on how the index came into the cache more than on the query; the anonymous memory is what the process allocated. ", cliRuns)
	p("The fixed cost in Targets is such a process on `%s`, a literal no blob holds, which verifies nothing: the median of %d runs. ", fixedCostQuery.Query, fixedCostRuns)
	p("trawl serve: the selective queries as `GET /api/search?limit=0` answers of a `trawl serve --no-crawl` on the same index, timed in this process from the request to the answer's last byte over a kept-alive connection, p50 of up to %d runs after a warm-up run (fewer once 10 s have gone). ", r.QueryRuns)
	p("git grep: `git grep -I -n -c [-i] -F|-P -e PATTERN BRANCH...` once per repository with all its branches, one repository after the other ")
	p("(`-l` for a filter-only query; `-i` where trawl's case:auto folds case); the median of up to 3 runs (1 when a run takes over 5 s). ")
	p("git grep ÷ trawl compares git grep with the in-process p50; trawl search ÷ csearch compares two whole processes (csearch below). ")
	p("results counts (branch, path, line) for content queries and (branch, path) for filter-only ones; ")
	p("equal counts show both found the same matches.\n\n")
	for _, be := range r.Backends {
		p("### %s\n\n", be.Name)
		p("| query | kind | limit | trawl p50 | trawl p95 | candidate blobs | git grep | git grep ÷ trawl | trawl search (peak RSS, anonymous) | csearch | trawl search ÷ csearch | trawl serve p50 | results trawl / git grep |\n")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for i, q := range be.Queries {
			g := r.Grep[i]
			limit := "0"
			if q.Query.Limit > 0 {
				limit = fmt.Sprint(q.Query.Limit)
			}
			results := fmt.Sprintf("%d / %d", q.Lines, g.Lines)
			switch {
			case q.LimitHit:
				results = fmt.Sprintf("%d (limit hit) / %d", q.Lines, g.Lines)
			case q.Lines != g.Lines:
				results += " **differ**"
			}
			grep := ms(g.Median)
			if g.Runs > 1 {
				grep += fmt.Sprintf(" (%d runs)", g.Runs)
			}
			cs, vs := "-", "-"
			if c, ok := r.csearchQuery(i); ok {
				cs = ms(c.P50)
				vs = times(q.CLI.Median, c.P50)
			} else if r.Csearch.Skipped == "" {
				cs = "no equivalent"
			}
			server := "-"
			if q.Server.Runs > 0 {
				server = ms(q.Server.P50)
			}
			p("| `%s` | %s | %s | %s | %s | %d | %s | %s | %s (%s) | %s | %s | %s | %s |\n",
				mdCode(q.Query.Query), q.Query.Kind, limit, ms(q.P50), ms(q.P95), q.Candidates, grep, times(g.Median, q.P50),
				ms(q.CLI.Median), memory(q.CLI.PeakRSS, q.CLI.Anon), cs, vs, server, results)
		}
		p("\n")
	}
	r.csearchSection(p)
	p("Kinds: selective, regex and case are the selective queries the %d× target is about; filter lists files by path; ", targetSelectiveRatio)
	p("common matches most Go files (exhaustive); limited stops at `limit` files while git grep and csearch, having no such limit, read everything. ")
	p("The csearch target counts every kind but filter and limited.\n")
	return b.String()
}

// csearchQuery is csearch's measurement of query i, when it has one.
func (r *Report) csearchQuery(i int) (CsearchResult, bool) {
	if r.Csearch.Skipped != "" || i >= len(r.Csearch.Queries) || r.Csearch.Queries[i].NoEquivalent != "" {
		return CsearchResult{}, false
	}
	return r.Csearch.Queries[i], true
}

// csearchSection describes the csearch baseline, or why it is missing.
func (r *Report) csearchSection(p func(string, ...any)) {
	cs := r.Csearch
	p("### Baseline: csearch\n\n")
	if cs.Skipped != "" {
		p("Not measured in this run: %s.\n\n", cs.Skipped)
		return
	}
	version := ""
	if cs.Version != "" {
		version = " " + cs.Version
	}
	p("Russ Cox's `cindex`/`csearch` (Debian package codesearch%s) over the org's unique blobs: each distinct blob written once ", version)
	p("as `<hash>/<first path it was seen at>` (dot-files gain a `_` so that cindex does not skip them), %d files, %s", cs.Blobs, mb(cs.Bytes))
	if cs.ExportTime > 0 {
		p(", exported in %s (cached under .bench/csearch/ for reruns)", cs.ExportTime.Round(time.Millisecond))
	}
	p(". csearch knows no branches: it searches each text once where trawl answers for every branch, so it is a floor to approach, not a peer. ")
	p("Each query is a whole `csearch` process with `CSEARCHINDEX` set: `-i` where trawl folds case, literals quoted as RE2 (`regexp.QuoteMeta`), ")
	p("`-f` for a file: filter, `-c` to count lines like git grep, `-l` with an empty pattern for a filter-only query; ")
	p("p50 of up to %d runs after a warm-up run (fewer once 10 s have gone). ", r.QueryRuns)
	p("results count lines (files for `-l`) in the unique blobs; trawl's are its matches counted once per distinct blob, in the blobs cindex indexed, ")
	p("with those in the blobs it ignored (which csearch cannot find) as (+N).\n\n")
	p("| cindex | |\n|---|---|\n")
	p("| wall time | %s |\n| peak RSS | %s |\n| index size | %s |\n| index ÷ unique content | %.2f× |\n| files cindex ignored without a word (a line over 2000 bytes, over 20000 trigrams, not UTF-8) | %d |\n\n",
		cs.IndexTime.Round(time.Millisecond), mib(cs.IndexPeakRSS), mb(cs.IndexBytes), ratio(float64(cs.IndexBytes), float64(cs.Bytes)), cs.Ignored)
	p("| query | csearch arguments | csearch p50 | peak RSS, anonymous | results csearch | %s |\n", r.backendCols("results"))
	p("|---|---|---|---|---|%s\n", strings.Repeat("---|", len(r.Backends)))
	for i, q := range queries {
		c := cs.Queries[i]
		if c.NoEquivalent != "" {
			p("| `%s` | no equivalent: %s | - | - | - |%s\n", mdCode(q.Query), c.NoEquivalent, strings.Repeat(" - |", len(r.Backends)))
			continue
		}
		p("| `%s` | `%s` | %s | %s | %d |", mdCode(q.Query), mdCode(shellWords(c.Args)), ms(c.P50), memory(c.PeakRSS, c.Anon), c.Results)
		for _, be := range r.Backends {
			bq := be.Queries[i]
			n := bq.linesIn(cs.IgnoredBlobs)
			cell := fmt.Sprint(n)
			switch {
			case bq.LimitHit:
				cell += " (limit hit)"
			case n != c.Results:
				cell += " **differ**"
			}
			if extra := bq.BlobLines - n; extra > 0 {
				cell += fmt.Sprintf(" (+%d)", extra)
			}
			p(" %s |", cell)
		}
		p("\n")
	}
	p("\n")
}

// shellWords renders args as one would type them after csearch.
func shellWords(args []string) string {
	out := []string{"csearch"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\\\"'$`*?[]{}()|&;<>!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// mdCode escapes what would end a Markdown table cell.
func mdCode(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// rssNote says how child processes' peak RSS was taken.
func (r *Report) rssNote() string {
	return fmt.Sprintf("as reported by the small helper internal/bench/rusage that starts it, which adds up to %s (its figure for true(1)); "+
		"read from this process, every child would seem to need the benchmark's own memory", mib(r.RSSFloor))
}

func (r *Report) backendCols(cols ...string) string {
	var out []string
	for _, be := range r.Backends {
		for _, c := range cols {
			out = append(out, be.Name+" "+c)
		}
	}
	return strings.Join(out, " | ")
}

// targets writes one row per target, one measured/met pair per backend.
func (r *Report) targets(p func(string, ...any)) {
	row := func(name, goal string, f func(be BackendResult) (string, bool)) {
		p("| %s | %s |", name, goal)
		for _, be := range r.Backends {
			v, ok := f(be)
			p(" %s | %s |", v, yesNo(ok))
		}
		p("\n")
	}
	if r.Csearch.Skipped != "" {
		p("| literal, regex and common queries vs csearch, whole process | within %d× | csearch not measured |%s\n", targetCsearchRatio, strings.Repeat(" - |", 2*len(r.Backends)-1))
	} else {
		row("literal, regex and common queries vs csearch, whole process", fmt.Sprintf("within %d×", targetCsearchRatio), func(be BackendResult) (string, bool) {
			hi, worst, n, met := 0.0, "", 0, 0
			for i, q := range be.Queries {
				c := r.Csearch.Queries[i]
				if !q.Query.vsCsearch() || c.NoEquivalent != "" {
					continue
				}
				x := ratio(float64(q.CLI.Median), float64(c.P50))
				if x > hi {
					hi, worst = x, q.Query.Query
				}
				n++
				if x <= targetCsearchRatio {
					met++
				}
			}
			return fmt.Sprintf("slowest %s (`%s`); %d of %d queries meet it", timesX(hi), mdCode(worst), met, n), n > 0 && met == n
		})
	}
	row("fixed cost of a trawl search process", fmt.Sprintf("< %s", ms(targetFixedCost)), func(be BackendResult) (string, bool) {
		f := be.FixedCost
		if f.Runs == 0 {
			return "not measured", false
		}
		return fmt.Sprintf("%s (%s peak RSS, %s anonymous), median of %d", ms(f.Median), mib(f.PeakRSS), anon(f.Anon), f.Runs), f.Median < targetFixedCost
	})
	row("trawl search memory", fmt.Sprintf("< %s peak RSS", mib(targetCLIMemory)), func(be BackendResult) (string, bool) {
		var peak, most, selective int64 = 0, -1, -1
		for _, q := range be.Queries {
			peak, most = max(peak, q.CLI.PeakRSS), max(most, q.CLI.Anon)
			if q.Query.selective() {
				selective = max(selective, q.CLI.Anon)
			}
		}
		return fmt.Sprintf("highest %s (anonymous: highest %s, selective queries at most %s)", mib(peak), anon(most), anon(selective)), peak > 0 && peak < targetCLIMemory
	})
	row("selective queries vs git grep", fmt.Sprintf("≥ %d× faster", targetSelectiveRatio), func(be BackendResult) (string, bool) {
		lo, n, met := math.Inf(1), 0, 0
		for i, q := range be.Queries {
			if !q.Query.selective() {
				continue
			}
			x := ratio(float64(r.Grep[i].Median), float64(q.P50))
			lo = min(lo, x)
			n++
			if x >= targetSelectiveRatio {
				met++
			}
		}
		return fmt.Sprintf("slowest %.0f×; %d of %d queries meet it", lo, met, n), n > 0 && met == n
	})
	row("selective queries in the server", fmt.Sprintf("< %s p50", ms(targetServerP50)), func(be BackendResult) (string, bool) {
		var hi time.Duration
		worst, n, met := "", 0, 0
		for _, q := range be.Queries {
			if q.Server.Runs == 0 {
				continue
			}
			if q.Server.P50 > hi {
				hi, worst = q.Server.P50, q.Query.Query
			}
			n++
			if q.Server.P50 < targetServerP50 {
				met++
			}
		}
		if n == 0 {
			return "not measured", false
		}
		return fmt.Sprintf("slowest %s (`%s`); %d of %d queries meet it", ms(hi), mdCode(worst), met, n), met == n
	})
	row("index size", fmt.Sprintf("≤ %.1f× unique content", targetIndexRatio), func(be BackendResult) (string, bool) {
		x := ratio(float64(be.Disk.Total), float64(be.Full.Summary.BytesIndexed))
		return fmt.Sprintf("%.2f×", x), x <= targetIndexRatio
	})
	row("full crawl", fmt.Sprintf("≥ %d MB/s of unique content on 2 cores", targetCrawlMBps), func(be BackendResult) (string, bool) {
		x := mbps(be.Full)
		return fmt.Sprintf("%.1f MB/s on %d CPUs", x, r.Machine.CPUs), x >= targetCrawlMBps
	})
	row("no-change recrawl", fmt.Sprintf("%d branches < %s", targetRecrawlBranches, targetRecrawlTime), func(be BackendResult) (string, bool) {
		n := be.Recrawl.Summary.Branches
		if n == 0 {
			return "no branches", false
		}
		per := time.Duration(float64(be.Recrawl.Wall) * targetRecrawlBranches / float64(n))
		s := fmt.Sprintf("%s for %d branches", be.Recrawl.Wall.Round(time.Millisecond), n)
		if n != targetRecrawlBranches {
			s += fmt.Sprintf(" (%s per %d, scaled linearly)", per.Round(time.Millisecond), targetRecrawlBranches)
		}
		return s, per < targetRecrawlTime
	})
	row("crawl memory", fmt.Sprintf("< %s peak RSS", mib(targetMemory)), func(be BackendResult) (string, bool) {
		peak := max(be.Full.PeakRSS, be.Recrawl.PeakRSS)
		return mib(peak), peak > 0 && peak < targetMemory
	})
}

func (r *Report) crawlSection(p func(string, ...any), be BackendResult) {
	f, rc := be.Full, be.Recrawl
	p("## Crawl: %s\n\n", be.Name)
	p("`trawl crawl --json` as a child process on an empty index, then again with nothing changed; peak RSS is the child's (getrusage ru_maxrss) %s.\n\n", r.rssNote())
	p("| | full crawl | no-change recrawl |\n|---|---|---|\n")
	p("| wall time | %s | %s |\n", f.Wall.Round(time.Millisecond), rc.Wall.Round(time.Millisecond))
	p("| branches seen / changed | %d / %d | %d / %d |\n", f.Summary.Branches, f.Summary.BranchesChanged, rc.Summary.Branches, rc.Summary.BranchesChanged)
	p("| branches per second | %.0f | %.0f |\n", perSec(f.Summary.Branches, f.Wall), perSec(rc.Summary.Branches, rc.Wall))
	p("| locations written | %d | %d |\n", f.Summary.FilesWritten, rc.Summary.FilesWritten)
	p("| new blobs / bytes indexed | %d / %s | %d / %s |\n", f.Summary.BlobsWritten, mb(f.Summary.BytesIndexed), rc.Summary.BlobsWritten, mb(rc.Summary.BytesIndexed))
	p("| skipped files | %d | %d |\n", f.Summary.Skipped, rc.Summary.Skipped)
	if c := f.Summary.Compaction; c != nil {
		p("| of the wall time, compacting the index | %s (%d segments into %d) | |\n", c.Duration.Round(time.Millisecond), c.SegmentsBefore, c.SegmentsAfter)
	}
	p("| unique content per second | %.1f MB/s | |\n", mbps(f))
	p("| peak RSS | %s | %s |\n\n", mib(f.PeakRSS), mib(rc.PeakRSS))
	d := be.Disk
	u := float64(f.Summary.BytesIndexed)
	p("| index on disk, as the full crawl left it | size | ÷ unique content indexed |\n|---|---|---|\n")
	p("| total | %s | %.2f× |\n", mb(d.Total), ratio(float64(d.Total), u))
	if d.Stored > 0 {
		p("| stored fields (the text, compressed, and small stored values) | %s | %.2f× |\n", mb(d.Stored), ratio(float64(d.Stored), u))
		p("| the rest (trigram postings, location doc values, dictionaries) | %s | %.2f× |\n", mb(d.Total-d.Stored), ratio(float64(d.Total-d.Stored), u))
	}
	if d.RecoverySource > 0 {
		p("| of it, `_recovery_source` (each document's whole source, trigrams included, kept until a merge after the retention lease passes it) | %s | %.2f× |\n", mb(d.RecoverySource), ratio(float64(d.RecoverySource), u))
	}
	if d.Folder > 0 {
		p("| the whole data folder (index.path) | %s | %.2f× |\n", mb(d.Folder), ratio(float64(d.Folder), u))
	}
	if cs := r.Csearch; cs.Skipped == "" {
		p("| baseline: csearch's index of the unique blobs (÷ its %s) | %s | %.2f× |\n", mb(cs.Bytes), mb(cs.IndexBytes), ratio(float64(cs.IndexBytes), float64(cs.Bytes)))
	}
	p("\n")
}

func mbps(r CrawlRun) float64 {
	return float64(r.Summary.BytesIndexed) / 1e6 / r.Wall.Seconds()
}

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.Inf(1)
	}
	return a / b
}

func times(a, b time.Duration) string { return timesX(ratio(float64(a), float64(b))) }

func timesX(x float64) string {
	if x < 10 {
		return fmt.Sprintf("%.1f×", x)
	}
	return fmt.Sprintf("%.0f×", x)
}

func ms(d time.Duration) string {
	x := float64(d) / float64(time.Millisecond)
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.2f s", x/1000)
	case x >= 10:
		return fmt.Sprintf("%.0f ms", x)
	}
	return fmt.Sprintf("%.2f ms", x)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// anon formats an anonymous memory figure, -1 when the helper could not
// read it.
func anon(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return mib(n)
}

// memory is a measured process's memory column: peak RSS, anonymous
// memory at exit.
func memory(peak, anonymous int64) string { return mib(peak) + ", " + anon(anonymous) }

func mib(n int64) string {
	if n > 0 && n < 10<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
