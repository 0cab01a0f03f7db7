package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/lang"
	"github.com/trawl-dev/trawl/trigram"
)

// binaryWindow is how far into a file a NUL byte makes it binary.
const binaryWindow = 8 << 10

// resolveBatch is how many changed files are looked up in the index at once.
const resolveBatch = 512

// partialMark is appended to the settings of a branch state written before
// a branch's first partial write: if the crawl then dies, the next one sees
// settings it did not write and looks at every file again instead of
// trusting a tree diff from a state whose locations it half changed.
const partialMark = "+partial"

// branchCrawl brings one branch's locations up to date with its head.
type branchCrawl struct {
	c        *Crawler
	repo     *git.Repository
	state    indexer.Branch
	prev     *indexer.Branch // the indexed state, nil for a new branch
	repair   bool            // the last crawl was killed: its locations may not match any state
	w        *writer
	blobs    *blobCache
	progress *progress
	sum      *Summary

	// trees and surveys are shared by the branches of one repository:
	// branches share most subtrees.
	trees   *trees
	surveys *surveyCache
	// The batch being built, and what it holds.
	ch      *indexer.Changes
	mine    map[string]bool // blobs in ch
	orphan  bool            // ch may leave a blob without locations
	pending []treeFile      // changed files waiting for resolveKnown
	sent    bool            // a part of this branch was sent before its state

	// counts totals the head's locations for the state: from scratch when
	// every file is looked at, else the indexed totals corrected by the
	// diff. replaced holds the paths whose indexed location the diff
	// changes or deletes; their old counts are taken out before the batch
	// that rewrites them is sent, while the index still holds them.
	counts   indexer.BranchCounts
	replaced []string
}

// entry is a file of the new head that differs from what the index holds.
type entry = treeFile

// run crawls the branch to its head commit: a survey of the head's tree,
// the files to write (all of them, or the diff from the indexed commit),
// then the dependency records and the state.
func (b *branchCrawl) run(ctx context.Context) error {
	commit, err := b.repo.CommitObject(plumbing.NewHash(b.state.Commit))
	if err != nil {
		return fmt.Errorf("read commit %s: %w", b.state.Commit, err)
	}
	root := commit.TreeHash
	if b.trees == nil {
		b.trees = newTrees(b.repo.Storer)
	}
	b.ch, b.mine = &indexer.Changes{}, map[string]bool{}

	// First pass: count the files (a branch over the limit is refused
	// before anything of it is written) and note the manifests.
	manifests, err := b.survey(ctx, root)
	if err != nil {
		return err
	}
	prevRoot, resettle := b.base()
	if resettle {
		err = b.resettle(ctx, root)
	} else {
		err = b.applyDiff(ctx, prevRoot, root)
	}
	if err != nil {
		return err
	}
	if b.c.opt.NoDeps {
		manifests = nil
	}
	if err := b.finish(ctx, manifests); err != nil {
		return err
	}
	b.c.log.Debug("branch queued", "repo", b.state.Repo, "branch", b.state.Name, "commit", b.state.Commit, "resettle", resettle)
	return nil
}

// base returns the root tree of the indexed commit to diff the head
// against, or resettle true when every file must be looked at again: after
// a change of file settings, which can change any skip decision; for a new
// branch, whose earlier crawl may have been killed before its state was
// written; after a killed crawl; and when the indexed commit is gone.
// Otherwise the tree diff from the indexed commit is exactly what changed.
func (b *branchCrawl) base() (prevRoot plumbing.Hash, resettle bool) {
	if b.prev == nil || b.prev.Settings != b.state.Settings || b.repair {
		return plumbing.ZeroHash, true
	}
	pc, err := b.repo.CommitObject(plumbing.NewHash(b.prev.Commit))
	if err != nil {
		// Gone after a force-push and a gc: compare with the index instead.
		b.c.log.Info("indexed commit no longer readable: looking at every file", "repo", b.state.Repo, "branch", b.state.Name, "commit", b.prev.Commit, "err", err)
		return plumbing.ZeroHash, true
	}
	return pc.TreeHash, false
}

// resettle writes every matching file of the head, then deletes whatever
// the index holds on the branch that the head does not.
func (b *branchCrawl) resettle(ctx context.Context, root plumbing.Hash) error {
	files := b.c.cfg.Files
	err := b.trees.walk(ctx, root, func(f treeFile) error {
		if !files.Match(f.path) {
			return nil
		}
		return b.put(ctx, f)
	})
	if err != nil {
		return err
	}
	if err := b.resolvePending(ctx); err != nil {
		return err
	}
	q := indexer.LocationQuery{Branches: []indexer.BranchKey{b.state.Key()}, Skipped: indexer.AnySkipped}
	err = b.c.idx.Locations(ctx, q, func(l indexer.Location) error {
		if files.Match(l.Path) {
			if _, err := b.trees.lookup(root, l.Path); err == nil {
				return nil
			} else if !errors.Is(err, errNoFile) {
				return err
			}
		}
		return b.delete(ctx, l.Path)
	})
	if err != nil {
		return fmt.Errorf("compare indexed locations: %w", err)
	}
	return nil
}

// applyDiff writes what changed between the indexed tree and the head,
// starting from the indexed counts.
func (b *branchCrawl) applyDiff(ctx context.Context, prevRoot, root plumbing.Hash) error {
	if err := b.startCounts(ctx); err != nil {
		return err
	}
	files := b.c.cfg.Files
	err := b.trees.diff(ctx, prevRoot, root, func(c change) error {
		if !files.Match(c.path) {
			return nil
		}
		b.replaced = append(b.replaced, c.path)
		if c.deleted {
			return b.delete(ctx, c.path)
		}
		b.orphan = true // a changed file may have held the last location of its old blob
		return b.put(ctx, c.treeFile)
	})
	if err != nil {
		return err
	}
	return b.resolvePending(ctx)
}

// finish sends the last batch of the branch: its dependency records, read
// from manifests, and its state with the counts, which goes last, in the
// same write as the branch's last documents.
func (b *branchCrawl) finish(ctx context.Context, manifests map[string]plumbing.Hash) error {
	key := b.state.Key()
	records, problems := b.dependencies(ctx, b.repo, manifests)
	if err := ctx.Err(); err != nil {
		return err
	}
	b.sum.Dependencies += len(records)
	b.sum.ManifestErrors = append(b.sum.ManifestErrors, problems...)
	b.ch.PutDeps = []indexer.BranchDeps{{Branch: key, Deps: records}}
	if err := b.takeOutReplaced(ctx); err != nil {
		return err
	}
	counts := b.counts
	b.state.Counts = &counts
	b.ch.PutBranches = []indexer.Branch{b.state}
	return b.send(ctx, b.ch, b.orphan)
}

// put queues a file of the head to be (re)written.
func (b *branchCrawl) put(ctx context.Context, f treeFile) error {
	b.pending = append(b.pending, f)
	if len(b.pending) >= resolveBatch {
		return b.resolvePending(ctx)
	}
	return nil
}

// delete queues the removal of the location at path.
func (b *branchCrawl) delete(ctx context.Context, path string) error {
	b.ch.DeleteLocs = append(b.ch.DeleteLocs, indexer.LocationKey{Repo: b.state.Repo, Branch: b.state.Name, Path: path})
	b.sum.FilesDeleted++
	b.orphan = true
	return b.maybeFlush(ctx)
}

// resolvePending turns the queued files into locations and new blobs.
func (b *branchCrawl) resolvePending(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	if err := b.resolveKnown(ctx, b.pending); err != nil {
		return err
	}
	for _, e := range b.pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		loc, blob := b.location(e)
		if blob != nil {
			b.ch.Blobs = append(b.ch.Blobs, *blob)
			b.mine[blob.ID] = true
			b.sum.BlobsWritten++
			b.sum.BytesIndexed += int64(len(blob.Text))
		}
		if loc.Skip != "" {
			b.sum.Skipped++
		}
		b.ch.PutLocs = append(b.ch.PutLocs, loc)
		b.counts.Add(loc)
		b.sum.FilesWritten++
		b.progress.addFile()
		if err := b.maybeFlush(ctx); err != nil {
			return err
		}
	}
	b.pending = b.pending[:0]
	return nil
}

// maybeFlush sends the batch once it is half the writer's budget.
func (b *branchCrawl) maybeFlush(ctx context.Context) error {
	if b.ch.Size() < b.w.budget/2 {
		return nil
	}
	if !b.sent && b.prev != nil {
		// See partialMark: the marker is queued before the first part,
		// and the queue is first in, first out.
		mark := *b.prev
		mark.Settings += partialMark
		if err := b.w.send(ctx, &indexer.Changes{PutBranches: []indexer.Branch{mark}}, false); err != nil {
			return err
		}
	}
	b.sent = true
	if err := b.takeOutReplaced(ctx); err != nil {
		return err
	}
	if err := b.send(ctx, b.ch, b.orphan); err != nil {
		return err
	}
	b.ch, b.mine, b.orphan = &indexer.Changes{}, map[string]bool{}, false
	return nil
}

// startCounts sets b.counts to the indexed state's totals, which the diff
// then corrects. A state written before branch counts existed has none:
// its locations are counted once instead, without rewriting them.
func (b *branchCrawl) startCounts(ctx context.Context) error {
	if b.prev.Counts != nil {
		b.counts = b.prev.Counts.Clone()
		return nil
	}
	q := indexer.LocationQuery{Branches: []indexer.BranchKey{b.prev.Key()}, Skipped: indexer.AnySkipped}
	if err := b.c.idx.Locations(ctx, q, func(l indexer.Location) error {
		b.counts.Add(l)
		return nil
	}); err != nil {
		return fmt.Errorf("count indexed locations: %w", err)
	}
	return nil
}

// takeOutReplaced removes from b.counts the indexed locations of the paths
// the diff replaced since the last batch. It must run before the batch
// that rewrites those paths is sent: until then the index holds their old
// locations, and each path comes once in a diff.
func (b *branchCrawl) takeOutReplaced(ctx context.Context) error {
	key := b.state.Key()
	for len(b.replaced) > 0 {
		n := min(len(b.replaced), resolveBatch)
		q := indexer.LocationQuery{Branches: []indexer.BranchKey{key}, Paths: b.replaced[:n], Skipped: indexer.AnySkipped}
		if err := b.c.idx.Locations(ctx, q, func(l indexer.Location) error {
			b.counts.Remove(l)
			return nil
		}); err != nil {
			return fmt.Errorf("count replaced locations: %w", err)
		}
		b.replaced = b.replaced[n:]
	}
	b.replaced = nil
	return nil
}

func (b *branchCrawl) send(ctx context.Context, ch *indexer.Changes, orphan bool) error {
	if err := b.w.send(ctx, ch, orphan); err != nil {
		return err
	}
	// Only now may other branches rely on these blobs: the writer's queue
	// is first in, first out, so they are written before anything sent later.
	for _, bl := range ch.Blobs {
		b.blobs.markIndexed(bl.ID, int64(len(bl.Text)))
	}
	return nil
}

// resolveKnown asks the index, in bulk, which of the changed blobs it
// already holds, so that location() reads only new content.
func (b *branchCrawl) resolveKnown(ctx context.Context, changed []entry) error {
	var ask []string
	for _, e := range changed {
		if e.bad {
			continue
		}
		if _, ok := b.blobs.get(e.hash.String()); !ok {
			ask = append(ask, e.hash.String())
		}
	}
	for len(ask) > 0 {
		n := min(len(ask), resolveBatch)
		have, err := b.c.idx.HasBlobs(ctx, ask[:n])
		if err != nil {
			return fmt.Errorf("look up blobs: %w", err)
		}
		for id := range have {
			b.blobs.markIndexed(id, -1)
		}
		ask = ask[n:]
	}
	return nil
}

// location builds the location for e, and the blob to write when its
// content is new to the index.
func (b *branchCrawl) location(e entry) (indexer.Location, *indexer.Blob) {
	id := e.hash.String()
	loc := indexer.Location{
		Repo:     b.state.Repo,
		Branch:   b.state.Name,
		Path:     e.path,
		Blob:     id,
		Language: lang.Of(e.path),
	}
	if e.bad {
		loc.Skip = indexer.SkipBadPath
		if size, err := blobSize(b.repo, e.hash); err == nil {
			loc.Size = size
		}
		return loc, nil
	}
	maxSize := int64(b.c.cfg.Files.MaxSize)
	if info, ok := b.blobs.get(id); ok && info.indexed {
		size := info.size
		if size < 0 {
			s, err := blobSize(b.repo, e.hash)
			if err != nil {
				loc.Skip = indexer.SkipUnreadable
				return loc, nil
			}
			size = s
			b.blobs.markIndexed(id, size)
		}
		loc.Size = size
		if size > maxSize {
			loc.Skip = indexer.SkipTooLarge
		}
		return loc, nil
	}
	if b.mine[id] {
		info, _ := b.blobs.get(id)
		loc.Size = info.size
		return loc, nil
	}

	// The size comes from the object header: a blob above max_size is
	// never inflated.
	size, err := blobSize(b.repo, e.hash)
	if err != nil {
		loc.Skip = indexer.SkipUnreadable
		b.c.log.Warn("unreadable blob", "repo", loc.Repo, "branch", loc.Branch, "path", loc.Path, "blob", id, "err", err)
		return loc, nil
	}
	loc.Size = size
	if size > maxSize {
		loc.Skip = indexer.SkipTooLarge
		return loc, nil
	}
	text, err := readBlob(b.repo, e.hash)
	if errors.Is(err, errCorrupt) {
		loc.Skip = indexer.SkipCorrupt
		b.c.log.Warn("corrupt blob: not indexed", "repo", loc.Repo, "branch", loc.Branch, "path", loc.Path, "blob", id, "err", err)
		return loc, nil
	}
	if err != nil {
		loc.Skip = indexer.SkipUnreadable
		b.c.log.Warn("unreadable blob", "repo", loc.Repo, "branch", loc.Branch, "path", loc.Path, "blob", id, "err", err)
		return loc, nil
	}
	b.progress.addBytes(len(text))
	if reason := textProblem(text); reason != "" {
		loc.Skip = reason
		return loc, nil
	}
	b.blobs.note(id, loc.Size)
	return loc, &indexer.Blob{ID: id, Text: text, Trigrams: trigram.Extract(text), Lines: indexer.CountLines(text)}
}

// textProblem says why text cannot be indexed, or "".
func textProblem(text []byte) string {
	if bytes.IndexByte(text[:min(len(text), binaryWindow)], 0) >= 0 {
		return indexer.SkipBinary
	}
	if !utf8.Valid(text) {
		return indexer.SkipNotUTF8
	}
	return ""
}

// blobCache remembers, for one crawl, the blobs known to be in the index
// (or queued before anything that could reference them) and their sizes.
// It forgets everything past maxCachedBlobs, so that a crawl's memory does
// not grow with the org: a forgotten blob costs an index look-up.
type blobCache struct {
	mu sync.Mutex
	m  map[string]blobInfo
}

const maxCachedBlobs = 1 << 20

type blobInfo struct {
	size    int64 // -1: not known yet
	indexed bool
}

func newBlobCache() *blobCache { return &blobCache{m: map[string]blobInfo{}} }

func (c *blobCache) get(id string) (blobInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.m[id]
	return i, ok
}

func (c *blobCache) bound() {
	if len(c.m) >= maxCachedBlobs {
		clear(c.m)
	}
}

func (c *blobCache) markIndexed(id string, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.m[id]; ok && size < 0 {
		size = i.size
	}
	c.bound()
	c.m[id] = blobInfo{size: size, indexed: true}
}

// note records the size of a blob this branch is about to write.
func (c *blobCache) note(id string, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok {
		c.bound()
		c.m[id] = blobInfo{size: size}
	}
}
