package crawler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
)

// repoCrawl is one repository's pass: what opening it told, and what its
// branches are crawled with.
type repoCrawl struct {
	c      *Crawler
	w      *writer
	blobs  *blobCache
	p      *progress
	repair bool
	sum    *Summary

	repo     *git.Repository   // nil for an empty repository
	meta     indexer.Repo      // the source's, completed from the clone
	heads    map[string]string // branch -> commit, of the branches to index
	settings string            // what the branch states are crawled with
}

// crawlRepoIn crawls the branches of r, whose indexed states are indexed,
// into sum. A failed branch does not stop the others: the first such
// failure is returned once all have been tried.
func (c *Crawler) crawlRepoIn(ctx context.Context, r source.Repo, indexed []indexer.Branch, w *writer, blobs *blobCache, p *progress, repair bool, sum *Summary) (*Summary, error) {
	rc := &repoCrawl{c: c, w: w, blobs: blobs, p: p, repair: repair, sum: sum}
	closeRepo, err := rc.open(ctx, r)
	if err != nil {
		return sum, err
	}
	defer closeRepo()
	if err := rc.deleteGone(ctx, indexed); err != nil {
		return sum, err
	}
	return sum, rc.crawlBranches(ctx, indexed)
}

// open opens the clone and finds the branches to index and the repository
// metadata the source could not give: default branch and web URL. An
// opted-out repository keeps no branch.
func (rc *repoCrawl) open(ctx context.Context, r source.Repo) (func(), error) {
	c, name := rc.c, r.Meta.Name
	rc.meta, rc.heads = r.Meta, map[string]string{}
	rc.settings = c.cfg.FileSettings()
	if !c.opt.NoDeps {
		rc.settings += "+" + depsVersion
	}
	rc.settings += "+" + pathsVersion

	repo, err := r.Open(ctx)
	if errors.Is(err, source.ErrEmpty) {
		c.log.Info("empty repository", "repo", name)
		rc.sum.ReposEmpty++
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	repo, closeRepo := keepPacksOpen(repo)
	rc.repo = repo
	if rc.heads, err = listBranches(repo, &c.cfg.Branches, r.Remotes); err != nil {
		closeRepo()
		return nil, fmt.Errorf("list branches of %s: %w", name, err)
	}
	if rc.meta.DefaultBranch == "" {
		rc.meta.DefaultBranch = defaultBranch(repo, rc.heads)
	}
	if rc.meta.URL == "" {
		rc.meta.URL = source.WebURL(repo) // folders and clone URLs: from the origin remote
	}
	if c.cfg.Branches.Default { // branches: default
		rc.heads = onlyDefault(rc.heads, rc.meta.DefaultBranch)
	}
	if head, ok := rc.heads[rc.meta.DefaultBranch]; ok {
		file, err := optedOut(repo, head)
		if err != nil {
			closeRepo()
			return nil, fmt.Errorf("read opt-out files of %s: %w", name, err)
		}
		if file != "" {
			c.log.Info("repository opted out", "repo", name, "file", file)
			rc.sum.ReposExcluded++
			rc.heads = map[string]string{} // every indexed branch goes
		}
	}
	return closeRepo, nil
}

// deleteGone deletes the indexed branches the repository no longer has,
// before any branch is crawled: their locations go in one step each.
func (rc *repoCrawl) deleteGone(ctx context.Context, indexed []indexer.Branch) error {
	var gone []indexer.BranchKey
	for _, b := range indexed {
		if _, ok := rc.heads[b.Name]; !ok {
			gone = append(gone, b.Key())
		}
	}
	if len(gone) == 0 {
		return nil
	}
	rc.sum.BranchesDeleted += len(gone)
	return rc.w.send(ctx, &indexer.Changes{DeleteBranches: gone}, true)
}

// crawlBranches crawls each branch in name order, sharing the trees and
// subtree surveys among them: branches share most of their subtrees.
func (rc *repoCrawl) crawlBranches(ctx context.Context, indexed []indexer.Branch) error {
	old := make(map[string]indexer.Branch, len(indexed))
	for _, b := range indexed {
		old[b.Name] = b
	}
	names := make([]string, 0, len(rc.heads))
	for b := range rc.heads {
		names = append(names, b)
	}
	sort.Strings(names)
	var trees *trees
	if rc.repo != nil {
		trees = newTrees(rc.repo.Storer)
	}
	surveys := newSurveyCache()
	var firstErr error
	for _, branch := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc.sum.Branches++
		atomic.AddInt64(&rc.p.branches, 1)
		state := indexer.Branch{Repo: rc.meta.Name, Name: branch, Commit: rc.heads[branch], Settings: rc.settings, Meta: rc.meta}
		prev, had := old[branch]
		if had && rc.unchanged(prev, state) {
			if err := rc.refreshMeta(ctx, prev, state); err != nil {
				return err
			}
			continue
		}
		state.CrawledAt = time.Now().UTC()
		bc := &branchCrawl{c: rc.c, repo: rc.repo, state: state, repair: rc.repair, w: rc.w, blobs: rc.blobs, progress: rc.p, sum: rc.sum,
			trees: trees, surveys: surveys}
		if had {
			bc.prev = &prev
		}
		err := bc.run(ctx)
		if err == nil {
			rc.sum.BranchesChanged++
			continue
		}
		if err := rc.branchFailed(ctx, branch, err); err != nil {
			return err
		}
		if firstErr == nil {
			firstErr = err
			if _, ok := hitOf(err); !ok {
				firstErr = fmt.Errorf("branch %s: %w", branch, err)
			}
		}
	}
	return firstErr
}

// unchanged says the branch needs no crawl: same head, same settings, and
// counts to go with them. A state written before branch counts existed is
// crawled once more (nothing changed, so that writes little more than its
// counts).
func (rc *repoCrawl) unchanged(prev, state indexer.Branch) bool {
	return prev.Counts != nil && prev.Commit == state.Commit && prev.Settings == state.Settings
}

// refreshMeta rewrites the state of an unchanged branch whose repository
// metadata changed (renamed default branch, archived, new URL).
func (rc *repoCrawl) refreshMeta(ctx context.Context, prev, state indexer.Branch) error {
	if sameMeta(prev.Meta, state.Meta) {
		return nil
	}
	state.CrawledAt = time.Now().UTC()
	state.Counts = prev.Counts // same head, same files
	return rc.w.send(ctx, &indexer.Changes{PutBranches: []indexer.Branch{state}}, false)
}

// branchFailed records a branch that could not be crawled and returns nil
// if the others may go on: one broken branch must not hide them. A
// cancelled crawl or a failed index write ends the repository.
func (rc *repoCrawl) branchFailed(ctx context.Context, branch string, err error) error {
	if ctx.Err() != nil || errors.Is(err, errWriter) {
		return err
	}
	if hit, ok := hitOf(err); ok {
		// Refused before anything of it was written: the branch keeps
		// what the index held.
		rc.sum.LimitsHit = append(rc.sum.LimitsHit, hit)
		rc.c.log.Warn("branch over a limit: not indexed", "repo", rc.meta.Name, "branch", branch, "limit", hit.Limit, "detail", hit.Detail)
		return nil
	}
	rc.c.log.Warn("branch failed", "repo", rc.meta.Name, "branch", branch, "err", err)
	return nil
}
