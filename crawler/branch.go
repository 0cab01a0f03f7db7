package crawler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/go-enry/go-enry/v2"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// binaryWindow is how far into a file a NUL byte makes it binary.
const binaryWindow = 8 << 10

// branchCrawl brings one branch's locations up to date with its head.
type branchCrawl struct {
	c        *Crawler
	repo     *git.Repository
	state    indexer.Branch
	prev     *indexer.Branch // the indexed state, nil for a new branch
	w        *writer
	blobs    *blobCache
	progress *progress
	sum      *Summary
}

// entry is a file of the new head that differs from what the index holds.
type entry struct {
	path string
	hash plumbing.Hash
}

func (b *branchCrawl) run(ctx context.Context) error {
	key := b.state.Key()
	old := map[string]indexer.Location{}
	err := b.c.idx.Locations(ctx, indexer.LocationQuery{Branches: []indexer.BranchKey{key}, Skipped: indexer.AnySkipped},
		func(l indexer.Location) error {
			old[l.Path] = l
			return nil
		})
	if err != nil {
		return fmt.Errorf("read indexed locations: %w", err)
	}
	// A change of file settings can change any skip decision, so every
	// file is looked at again; so is a branch whose earlier crawl was
	// killed before its state was written, as its settings are unknown.
	resettle := b.prev == nil || b.prev.Settings != b.state.Settings

	changed, present, manifests, err := b.diff(ctx, old, resettle)
	if err != nil {
		return err
	}
	if err := b.resolveKnown(ctx, changed); err != nil {
		return err
	}

	ch := &indexer.Changes{}
	mine := map[string]bool{} // blobs in ch that are not sent yet
	counts := &indexer.BranchCounts{}
	rewritten := make(map[string]bool, len(changed))
	orphan := false
	for _, e := range changed {
		if err := ctx.Err(); err != nil {
			return err
		}
		loc, blob, err := b.location(ctx, e, mine)
		if err != nil {
			return err
		}
		if blob != nil {
			ch.Blobs = append(ch.Blobs, *blob)
			mine[blob.ID] = true
			b.sum.BlobsWritten++
			b.sum.BytesIndexed += int64(len(blob.Text))
		}
		if loc.Skip != "" {
			b.sum.Skipped++
		}
		if prev, ok := old[e.path]; ok && prev.Blob != loc.Blob {
			orphan = true
		}
		ch.PutLocs = append(ch.PutLocs, loc)
		counts.Add(loc)
		rewritten[e.path] = true
		b.sum.FilesWritten++
		b.progress.addFile()
		if ch.Size() >= b.w.budget/2 {
			if err := b.send(ctx, ch, orphan); err != nil {
				return err
			}
			ch, mine, orphan = &indexer.Changes{}, map[string]bool{}, false
		}
	}
	for path := range old {
		if !present[path] {
			ch.DeleteLocs = append(ch.DeleteLocs, indexer.LocationKey{Repo: key.Repo, Branch: key.Name, Path: path})
			b.sum.FilesDeleted++
			orphan = true
		}
	}
	if b.c.opt.NoDeps {
		manifests = nil
	}
	records, problems := b.dependencies(ctx, b.repo, manifests)
	if err := ctx.Err(); err != nil {
		return err
	}
	b.sum.Dependencies += len(records)
	b.sum.ManifestErrors = append(b.sum.ManifestErrors, problems...)
	ch.PutDeps = []indexer.BranchDeps{{Branch: key, Deps: records}}
	// The files kept from the indexed state count as they were.
	for path := range present {
		if !rewritten[path] {
			counts.Add(old[path])
		}
	}
	b.state.Counts = counts
	// The state goes last, in the same write as the branch's last documents.
	ch.PutBranches = []indexer.Branch{b.state}
	if err := b.send(ctx, ch, orphan); err != nil {
		return err
	}
	b.c.log.Debug("branch queued", "repo", key.Repo, "branch", key.Name, "commit", b.state.Commit, "files", len(changed))
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

// diff walks the head's tree and returns the files whose blob differs from
// the indexed location (all of them when resettle), the set of paths the
// head holds, and its manifests (path -> blob) for dependency extraction.
func (b *branchCrawl) diff(ctx context.Context, old map[string]indexer.Location, resettle bool) ([]entry, map[string]bool, map[string]plumbing.Hash, error) {
	commit, err := b.repo.CommitObject(plumbing.NewHash(b.state.Commit))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read commit %s: %w", b.state.Commit, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read tree of %s: %w", b.state.Commit, err)
	}
	var changed []entry
	present := map[string]bool{}
	manifests := map[string]plumbing.Hash{}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		path, e, err := walker.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("walk tree of %s: %w", b.state.Commit, err)
		}
		// Symbolic links and submodules hold no file content of this
		// repository.
		if e.Mode != filemode.Regular && e.Mode != filemode.Executable && e.Mode != filemode.Deprecated {
			continue
		}
		if !b.c.cfg.Files.Match(path) {
			continue
		}
		present[path] = true
		if deps.Kind(path) != "" {
			manifests[path] = e.Hash
		}
		if prev, ok := old[path]; ok && prev.Blob == e.Hash.String() && !resettle {
			continue
		}
		changed = append(changed, entry{path: path, hash: e.Hash})
	}
	return changed, present, manifests, nil
}

// resolveKnown asks the index, in bulk, which of the changed blobs it
// already holds, so that location() reads only new content.
func (b *branchCrawl) resolveKnown(ctx context.Context, changed []entry) error {
	var ask []string
	for _, e := range changed {
		if _, ok := b.blobs.get(e.hash.String()); !ok {
			ask = append(ask, e.hash.String())
		}
	}
	for len(ask) > 0 {
		n := min(len(ask), 512)
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
func (b *branchCrawl) location(ctx context.Context, e entry, mine map[string]bool) (indexer.Location, *indexer.Blob, error) {
	id := e.hash.String()
	loc := indexer.Location{
		Repo:     b.state.Repo,
		Branch:   b.state.Name,
		Path:     e.path,
		Blob:     id,
		Language: enry.GetLanguage(e.path, nil),
	}
	maxSize := int64(b.c.cfg.Files.MaxSize)
	if info, ok := b.blobs.get(id); ok && info.indexed {
		size := info.size
		if size < 0 {
			s, err := b.repo.Storer.EncodedObject(plumbing.BlobObject, e.hash)
			if err != nil {
				loc.Skip = indexer.SkipUnreadable
				return loc, nil, nil
			}
			size = s.Size()
			b.blobs.markIndexed(id, size)
		}
		loc.Size = size
		if size > maxSize {
			loc.Skip = indexer.SkipTooLarge
		}
		return loc, nil, nil
	}
	if mine[id] {
		info, _ := b.blobs.get(id)
		loc.Size = info.size
		return loc, nil, nil
	}

	obj, err := b.repo.Storer.EncodedObject(plumbing.BlobObject, e.hash)
	if err != nil {
		loc.Skip = indexer.SkipUnreadable
		b.c.log.Warn("unreadable blob", "repo", loc.Repo, "branch", loc.Branch, "path", loc.Path, "blob", id, "err", err)
		return loc, nil, nil
	}
	loc.Size = obj.Size()
	if loc.Size > maxSize {
		loc.Skip = indexer.SkipTooLarge
		return loc, nil, nil
	}
	text, err := readObject(obj)
	if err != nil {
		loc.Skip = indexer.SkipUnreadable
		b.c.log.Warn("unreadable blob", "repo", loc.Repo, "branch", loc.Branch, "path", loc.Path, "blob", id, "err", err)
		return loc, nil, nil
	}
	b.progress.addBytes(len(text))
	if reason := textProblem(text); reason != "" {
		loc.Skip = reason
		return loc, nil, nil
	}
	b.blobs.note(id, loc.Size)
	return loc, &indexer.Blob{ID: id, Text: text, Trigrams: trigram.Extract(text), Lines: indexer.CountLines(text)}, nil
}

func readObject(obj plumbing.EncodedObject) ([]byte, error) {
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := bytes.NewBuffer(make([]byte, 0, obj.Size()))
	if _, err := io.Copy(buf, r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
type blobCache struct {
	mu sync.Mutex
	m  map[string]blobInfo
}

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

func (c *blobCache) markIndexed(id string, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.m[id]; ok && size < 0 {
		size = i.size
	}
	c.m[id] = blobInfo{size: size, indexed: true}
}

// note records the size of a blob this branch is about to write.
func (c *blobCache) note(id string, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok {
		c.m[id] = blobInfo{size: size}
	}
}
