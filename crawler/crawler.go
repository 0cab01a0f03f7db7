// Package crawler owns crawling: taking the repositories its sources
// discover (package source), reading every branch, diffing each branch against
// what the index holds, reading new blobs once, and writing the changes so
// that the branch state lands last and a killed crawl is simply redone.
package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
)

// pathsVersion joins the file settings in each branch state. paths1:
// paths are stored escaped (indexer.EscapePath) and bad names are skips,
// so every branch indexed before is looked at once more.
const pathsVersion = "paths1"

// Options tune a crawl.
type Options struct {
	Logger     *slog.Logger
	Workers    int      // repositories crawled at once; default GOMAXPROCS
	BatchBytes int      // bytes of documents per index write; default 8 MiB (memory grows with it)
	Repos      []string // crawl only these repositories (full names); nothing is deleted
	// Shard splits repositories among crawlers filling one shared index:
	// this crawler takes the repositories whose name hashes to Shard.I of
	// Shard.N, and deletes only repositories of its own shard.
	Shard    Shard
	Progress func(Progress)
	// Sources are what the crawl lists repositories from; the caller
	// builds them (source/sources builds the configured ones).
	Sources []source.Source
	// NoDeps skips dependency extraction: branches keep no dependency
	// records. Switching it either way makes the next crawl revisit every
	// branch.
	NoDeps bool
}

// Shard is one part of n; the zero value is the whole.
type Shard struct{ I, N int }

// Has reports whether the repository named name belongs to the shard.
func (s Shard) Has(name string) bool {
	if s.N <= 1 {
		return true
	}
	// Not FNV: its low bits follow the parity of the input bytes, which
	// splits similar names unevenly.
	sum := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(sum[:8])%uint64(s.N) == uint64(s.I)
}

// Progress is a snapshot of a running crawl.
type Progress struct {
	ReposTotal, ReposDone int
	Branches              int64 // branches looked at
	Files                 int64 // locations written
	Bytes                 int64 // bytes of new blobs read
	Elapsed               time.Duration
}

// Summary says what a crawl did.
type Summary struct {
	Repos           int   `json:"repos"`
	ReposFailed     int   `json:"repos_failed"`
	ReposDeleted    int   `json:"repos_deleted"`
	ReposExcluded   int   `json:"repos_excluded"` // opted out by .trawl.yml or .githubCrawler
	ReposEmpty      int   `json:"repos_empty"`    // no commit yet: nothing to index
	Branches        int   `json:"branches"`
	BranchesChanged int   `json:"branches_changed"`
	BranchesDeleted int   `json:"branches_deleted"`
	FilesWritten    int   `json:"files_written"`
	FilesDeleted    int   `json:"files_deleted"`
	BlobsWritten    int   `json:"blobs_written"`
	BytesIndexed    int64 `json:"bytes_indexed"`
	Skipped         int   `json:"skipped"`
	BlobsCollected  int   `json:"blobs_collected"`
	// Compaction is what the index did about its layout after a crawl that
	// wrote, when its backend compacts (indexer.Compactor).
	Compaction      *indexer.Compaction `json:"compaction,omitempty"`
	Duration        time.Duration       `json:"duration_ns"`
	Dependencies    int                 `json:"dependencies"`     // records extracted from the changed branches' manifests
	ManifestsParsed int                 `json:"manifests_parsed"` // manifests read and parsed (or tried): once per blob, then cached
	Errors          []RepoError         `json:"errors"`
	// ManifestErrors are manifests that did not parse; their branches are
	// indexed all the same.
	ManifestErrors []ManifestError `json:"manifest_errors"`
	// LimitsHit are the repositories and branches refused or cut short by
	// a limit (limits: in trawl.yaml); each is in Errors too.
	LimitsHit []LimitHit `json:"limits_hit"`
	// Warnings are problems of the configuration seen while crawling,
	// such as a repos.include pattern that matches no repository.
	Warnings []string `json:"warnings"`
}

// RepoError is a repository (or source) the crawl could not read.
type RepoError struct {
	Repo  string `json:"repo"`
	Error string `json:"error"`
}

// Crawler crawls the configured sources into an index.
type Crawler struct {
	cfg       *config.Config
	idx       indexer.Index
	opt       Options
	log       *slog.Logger
	sources   []source.Source
	manifests *manifestCache
}

// New prepares a crawler of opt.Sources into idx, with cfg's branch, file
// and limit settings.
func New(cfg *config.Config, idx indexer.Index, opt Options) (*Crawler, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 8 << 20
	}
	if len(opt.Sources) == 0 {
		return nil, errors.New("crawler: no sources to crawl")
	}
	c := &Crawler{cfg: cfg, idx: idx, opt: opt, log: opt.Logger, sources: opt.Sources,
		manifests: newManifestCache(filepath.Join(cfg.Index.Path, "manifests"))}
	return c, nil
}

// Run makes one crawl pass. Per-repository failures are in the summary and
// do not stop the pass; the error is for failures of the index itself.
func (c *Crawler) Run(ctx context.Context) (*Summary, error) {
	start := time.Now()
	sum := &Summary{Errors: []RepoError{}, ManifestErrors: []ManifestError{}, LimitsHit: []LimitHit{}, Warnings: []string{}}
	ps, err := c.plan(ctx, sum)
	if err != nil {
		return nil, err
	}
	w := newWriter(c.idx, c.opt.BatchBytes)
	w.dirty = ps.dirty
	wctx, cancelWriter := context.WithCancel(ctx)
	defer cancelWriter()
	writerDone := make(chan error, 1)
	go func() { writerDone <- w.run(wctx) }()

	p := &progress{start: start, total: len(ps.repos), report: c.opt.Progress}
	stopProgress := p.tick(ctx)
	crawled := c.crawlAll(ctx, ps, w, writerDone, p, sum)
	if ps.complete && ctx.Err() == nil {
		c.deleteGone(ctx, ps, w, sum)
	}
	w.close()
	err = <-writerDone
	stopProgress()
	if err == nil && ctx.Err() == nil {
		if lerr := recordLimits(c.cfg.Index.Path, crawled, sum.LimitsHit); lerr != nil {
			c.log.Warn("cannot record the limits met", "err", lerr)
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = c.finish(ctx, ps, w, sum)
	}
	sum.Duration = time.Since(start)
	sort.Slice(sum.Errors, func(i, j int) bool { return sum.Errors[i].Repo < sum.Errors[j].Repo })
	return sum, err
}

// pass is what a crawl pass works from: the branch states the index holds,
// by repository, the repositories to crawl, and whether the listing was
// complete (only then are repositories missing from it deleted).
type pass struct {
	indexed  map[string][]indexer.Branch
	dirty    bool // a previous crawl was killed while writing
	repos    []source.Repo
	complete bool
}

// plan reads the index's branch states and lists the sources, keeping the
// repositories of this crawler's shard and of Options.Repos.
func (c *Crawler) plan(ctx context.Context, sum *Summary) (*pass, error) {
	states, err := c.idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("read branch states: %w", err)
	}
	ps := &pass{indexed: map[string][]indexer.Branch{}}
	for _, b := range states {
		ps.indexed[b.Repo] = append(ps.indexed[b.Repo], b)
	}
	if ps.dirty, err = c.idx.Dirty(ctx); err != nil {
		return nil, fmt.Errorf("read crawl state: %w", err)
	}
	ps.repos, ps.complete = c.discover(ctx, sum)
	ps.repos = slices.DeleteFunc(ps.repos, func(r source.Repo) bool { return !c.opt.Shard.Has(r.Meta.Name) })
	for name := range ps.indexed {
		if !c.opt.Shard.Has(name) {
			delete(ps.indexed, name) // another shard's crawler owns it
		}
	}
	if len(c.opt.Repos) > 0 {
		ps.complete = false
		ps.repos = slices.DeleteFunc(ps.repos, func(r source.Repo) bool { return !slices.Contains(c.opt.Repos, r.Meta.Name) })
		for _, name := range c.opt.Repos {
			if !slices.ContainsFunc(ps.repos, func(r source.Repo) bool { return r.Meta.Name == name }) {
				sum.Errors = append(sum.Errors, RepoError{Repo: name, Error: "no configured source has this repository"})
			}
		}
	}
	sum.Repos = len(ps.repos)
	return ps, nil
}

// crawlAll crawls the pass's repositories with Options.Workers workers,
// stopping early when ctx ends or the writer fails (its error is put back
// on writerDone). It returns the repositories whose crawl ran.
func (c *Crawler) crawlAll(ctx context.Context, ps *pass, w *writer, writerDone chan error, p *progress, sum *Summary) map[string]bool {
	blobs := newBlobCache()
	var (
		mu      sync.Mutex
		crawled = map[string]bool{} // for the limits file
		jobs    = make(chan source.Repo)
		wg      sync.WaitGroup
	)
	for range c.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				rs, err := c.crawlRepo(ctx, r, ps.indexed[r.Meta.Name], w, blobs, p, ps.dirty)
				mu.Lock()
				crawled[r.Meta.Name] = true
				sum.add(rs)
				if err != nil {
					sum.ReposFailed++
					sum.Errors = append(sum.Errors, RepoError{Repo: r.Meta.Name, Error: err.Error()})
					c.log.Warn("repository failed", "repo", r.Meta.Name, "err", err)
				}
				mu.Unlock()
				p.repoDone()
			}
		}()
	}
feed:
	for _, r := range ps.repos {
		select {
		case jobs <- r:
		case <-ctx.Done():
			break feed
		case err := <-writerDone:
			writerDone <- err
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return crawled
}

// deleteGone deletes the repositories no source lists any more. It is
// called only when every source answered in full: a source that failed
// says nothing about which repositories are gone. A writer that failed
// stops it; its error comes from the writer.
func (c *Crawler) deleteGone(ctx context.Context, ps *pass, w *writer, sum *Summary) {
	listed := map[string]bool{}
	for _, r := range ps.repos {
		listed[r.Meta.Name] = true
	}
	names := make([]string, 0, len(ps.indexed))
	for name := range ps.indexed {
		if !listed[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		ch := &indexer.Changes{}
		for _, b := range ps.indexed[name] {
			ch.DeleteBranches = append(ch.DeleteBranches, b.Key())
		}
		if err := w.send(ctx, ch, true); err != nil {
			return
		}
		c.log.Info("repository gone", "repo", name, "branches", len(ch.DeleteBranches))
		sum.ReposDeleted++
		sum.BranchesDeleted += len(ch.DeleteBranches)
	}
}

// finish runs after every change is written: it sweeps what a killed
// crawl left, collects unreferenced blobs, and clears the dirty mark.
func (c *Crawler) finish(ctx context.Context, ps *pass, w *writer, sum *Summary) error {
	if ps.dirty {
		n, err := c.sweepStrays(ctx)
		if err != nil {
			return err
		}
		sum.BranchesDeleted += n
	}
	if w.mayOrphan {
		n, err := c.idx.CollectGarbage(ctx)
		if err != nil {
			return fmt.Errorf("collect unreferenced blobs: %w", err)
		}
		sum.BlobsCollected = n
	}
	if w.dirty {
		if err := c.idx.SetDirty(ctx, false); err != nil {
			return fmt.Errorf("mark crawl finished: %w", err)
		}
		return c.compact(ctx, sum)
	}
	return nil
}

// compact lets the index rewrite its layout after a crawl that wrote. A
// failed compaction is a warning, not a failed crawl: the index is whole
// either way.
func (c *Crawler) compact(ctx context.Context, sum *Summary) error {
	cp, ok := c.idx.(indexer.Compactor)
	if !ok {
		return nil
	}
	res, err := cp.Compact(ctx, false)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("cannot compact the index", "err", err)
		sum.Warnings = append(sum.Warnings, err.Error())
		return nil
	}
	sum.Compaction = &res
	c.log.Info("index layout", "compacted", res.Merged, "reason", res.Reason,
		"segments_before", res.SegmentsBefore, "segments_after", res.SegmentsAfter,
		"bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter, "duration", res.Duration)
	return nil
}

// sweepStrays deletes the locations of branches that have no state: a
// killed crawl can leave some of a new branch's documents behind, and if
// that branch is gone by the next crawl nothing else would remove them. It
// runs only after a killed crawl, as it reads every location.
func (c *Crawler) sweepStrays(ctx context.Context) (int, error) {
	states, err := c.idx.Branches(ctx)
	if err != nil {
		return 0, fmt.Errorf("read branch states: %w", err)
	}
	known := map[indexer.BranchKey]bool{}
	for _, b := range states {
		known[b.Key()] = true
	}
	strays := map[indexer.BranchKey]bool{}
	err = c.idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
		if k := (indexer.BranchKey{Repo: l.Repo, Name: l.Branch}); !known[k] {
			strays[k] = true
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("look for stray locations: %w", err)
	}
	if len(strays) == 0 {
		return 0, nil
	}
	ch := &indexer.Changes{}
	for k := range strays {
		ch.DeleteBranches = append(ch.DeleteBranches, k)
		c.log.Info("removing what a killed crawl left of a branch", "repo", k.Repo, "branch", k.Name)
	}
	if err := c.idx.Commit(ctx, ch); err != nil {
		return 0, fmt.Errorf("remove stray locations: %w", err)
	}
	return len(strays), nil
}

// discover lists every source; complete is false when one failed.
func (c *Crawler) discover(ctx context.Context, sum *Summary) (repos []source.Repo, complete bool) {
	complete = true
	seen := map[string]bool{}
	includes := newIncludeCheck(c.cfg.Repos.Include)
	defer func() {
		if !complete {
			return // a source that failed says nothing about what a pattern matches
		}
		for _, p := range includes.unmatched() {
			msg := fmt.Sprintf("repos.include pattern %q matches no discovered repository", p)
			c.log.Warn(msg)
			sum.Warnings = append(sum.Warnings, msg)
		}
	}()
	for _, s := range c.sources {
		list, err := s.List(ctx)
		if err != nil {
			complete = false
			sum.Errors = append(sum.Errors, RepoError{Repo: s.Name(), Error: err.Error()})
			c.log.Warn("source failed", "source", s.Name(), "err", err)
		}
		for _, r := range list {
			includes.see(r.Meta.Name)
			if !c.cfg.Repos.Match(r.Meta.Name) {
				continue
			}
			if seen[r.Meta.Name] {
				sum.Errors = append(sum.Errors, RepoError{Repo: r.Meta.Name, Error: "listed by two sources; the first is used"})
				continue
			}
			seen[r.Meta.Name] = true
			repos = append(repos, r)
		}
	}
	return repos, complete
}

// crawlRepo brings one repository's branches in the index up to date.
func (c *Crawler) crawlRepo(ctx context.Context, r source.Repo, indexed []indexer.Branch, w *writer, blobs *blobCache, p *progress, repair bool) (*Summary, error) {
	sum := &Summary{}
	name := r.Meta.Name
	budget := c.cfg.Limits.MaxRepoDuration
	if budget <= 0 {
		budget = config.DefaultMaxRepoDuration
	}
	rctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	rs, err := c.crawlRepoIn(rctx, r, indexed, w, blobs, p, repair, sum)
	// A step that failed because the budget ran out may not say so
	// (go-git wraps some errors as text): the budget decides.
	if err != nil && ctx.Err() == nil && errors.Is(rctx.Err(), context.DeadlineExceeded) {
		err = &LimitError{Limit: LimitDuration, Repo: name,
			Detail: fmt.Sprintf("crawl took longer than %s (limits.max_repo_duration): branches done so far are indexed, the others wait for the next crawl", budget)}
		hit, _ := hitOf(err)
		rs.LimitsHit = append(rs.LimitsHit, hit)
		c.log.Warn("repository over its time limit", "repo", name, "limit", budget)
	}
	return rs, err
}

func sameMeta(a, b indexer.Repo) bool {
	return a.Name == b.Name && a.URL == b.URL && a.DefaultBranch == b.DefaultBranch &&
		a.Archived == b.Archived && a.Fork == b.Fork && a.Visibility == b.Visibility &&
		slices.Equal(a.Topics, b.Topics) && a.PushedAt.Equal(b.PushedAt) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// add folds a repository's counts into s.
func (s *Summary) add(r *Summary) {
	s.ReposExcluded += r.ReposExcluded
	s.ReposEmpty += r.ReposEmpty
	s.Branches += r.Branches
	s.BranchesChanged += r.BranchesChanged
	s.BranchesDeleted += r.BranchesDeleted
	s.FilesWritten += r.FilesWritten
	s.FilesDeleted += r.FilesDeleted
	s.BlobsWritten += r.BlobsWritten
	s.BytesIndexed += r.BytesIndexed
	s.Skipped += r.Skipped
	s.Dependencies += r.Dependencies
	s.ManifestsParsed += r.ManifestsParsed
	s.ManifestErrors = append(s.ManifestErrors, r.ManifestErrors...)
	s.LimitsHit = append(s.LimitsHit, r.LimitsHit...)
}

// listBranches returns refs/heads/* that the branch globs accept; with
// remotes, also refs/remotes/REMOTE/BRANCH as BRANCH (never REMOTE/HEAD),
// so that a plain clone is indexed with every branch of its origin. A
// local branch wins over a remote one of the same name, and among
// remotes origin wins, then the first by name.
func listBranches(r *git.Repository, globs *config.Globs, remotes bool) (map[string]string, error) {
	refs, err := r.References()
	if err != nil {
		return nil, err
	}
	heads := map[string]string{}
	fromRemote := map[string]string{} // branch -> remote that gave it
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		n := ref.Name()
		switch {
		case n.IsBranch():
			if name := n.Short(); globs.Match(name) {
				heads[name] = resolved(r, ref)
				delete(fromRemote, name)
			}
		case remotes && n.IsRemote():
			remote, name, ok := strings.Cut(strings.TrimPrefix(string(n), "refs/remotes/"), "/")
			if !ok || name == "HEAD" || !globs.Match(name) {
				return nil
			}
			if _, local := heads[name]; local && fromRemote[name] == "" {
				return nil
			}
			if prev, ok := fromRemote[name]; ok && (prev == "origin" || remote != "origin" && prev < remote) {
				return nil
			}
			if h := resolved(r, ref); h != "" {
				heads[name] = h
				fromRemote[name] = remote
			}
		}
		return nil
	})
	for name, h := range heads {
		if h == "" {
			delete(heads, name)
		}
	}
	return heads, err
}

// resolved is the commit a branch ref names (following a symbolic ref),
// or "" when it cannot be resolved.
func resolved(r *git.Repository, ref *plumbing.Reference) string {
	if ref.Type() == plumbing.HashReference {
		return ref.Hash().String()
	}
	res, err := r.Reference(ref.Name(), true)
	if err != nil {
		return ""
	}
	return res.Hash().String()
}

// defaultBranch is the branch HEAD points to, when it is one we index.
func defaultBranch(r *git.Repository, heads map[string]string) string {
	ref, err := r.Storer.Reference("HEAD")
	if err != nil || ref.Target() == "" {
		return ""
	}
	if _, ok := heads[ref.Target().Short()]; ok {
		return ref.Target().Short()
	}
	return ""
}

// includeCheck notes which repos.include patterns match some discovered
// repository, to warn about those that match none (a typo there silently
// indexes nothing).
type includeCheck struct {
	patterns []string
	res      []*regexp.Regexp
	matched  []bool
}

func newIncludeCheck(patterns []string) *includeCheck {
	ic := &includeCheck{patterns: patterns, matched: make([]bool, len(patterns))}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			re = nil // config validation reports it
		}
		ic.res = append(ic.res, re)
	}
	return ic
}

func (ic *includeCheck) see(name string) {
	for i, re := range ic.res {
		if !ic.matched[i] && re != nil && re.MatchString(name) {
			ic.matched[i] = true
		}
	}
}

func (ic *includeCheck) unmatched() []string {
	var out []string
	for i, ok := range ic.matched {
		if !ok {
			out = append(out, ic.patterns[i])
		}
	}
	return out
}
