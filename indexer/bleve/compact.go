package bleve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"github.com/trawl-dev/trawl/indexer"
)

// Compaction merges every segment into one (scorch's ForceMerge). Scorch's
// own merging keeps up to ten segments per size tier, so a crawl into an
// empty index leaves a dozen or more; one segment answers a query with one
// term lookup and one doc-value reader instead of one per segment, and
// drops the dictionaries and deleted documents the segments repeat. On the
// bench org (docs/benchmarks: BENCHMARKS.md) a merge of 16 segments took
// 6.8 s after a 66 s crawl and left 0.89x the unique content, not 0.96x.
//
// A merge rewrites the whole index, so it runs only when at least
// 1/compactShare of the segment bytes lie outside the largest segment's
// live documents: bytes written since the last merge, or deleted since.
// The rewrite then costs at most compactShare-1 times what it tidies, and
// a crawl that touched a few branches of a large index does not rewrite it.
const compactShare = 4

// compactedKey is the Bleve internal key that records the last compaction.
var compactedKey = []byte("trawl.compacted")

// mergeDoneKey is the context key under which scorch's merger reports the
// outcome of a forced merge (bleve v2.6 index/scorch/merge.go). Without it,
// ForceMerge never returns when the merge fails, and the merger retries the
// failed merge at once, forever. A plain string, because scorch's key is an
// untyped string constant. TestCompact fails if scorch stops
// reporting under this key.
const mergeDoneKey = "mergeDone"

// layout is the segment layout of one snapshot.
type layout struct {
	segments int
	bytes    int64 // the segments' files
	live     int64 // the part of bytes that live documents use
	settled  int64 // the live part of the largest segment
	deleted  bool  // some segment holds deleted documents
}

func (x *Index) layout() (layout, error) {
	r, err := x.adv.Reader()
	if err != nil {
		return layout{}, err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return layout{}, fmt.Errorf("reader is a %T, not a scorch snapshot", r)
	}
	var l layout
	for _, s := range snap.Segments() {
		l.segments++
		l.bytes += s.FileSize()
		live := s.LiveFileSize()
		l.live += live
		l.settled = max(l.settled, live)
		l.deleted = l.deleted || s.LiveSize() < s.FullSize()
	}
	return l, nil
}

// Compact merges the index into one segment when enough of it lies outside
// the largest segment (see compactShare), or whenever force is set and
// there is anything to merge.
func (x *Index) Compact(ctx context.Context, force bool) (indexer.Compaction, error) {
	if err := x.checkWrite(ctx, "compact index"); err != nil {
		return indexer.Compaction{}, err
	}
	start := time.Now()
	// Writers wait: a merge is safe beside a batch, but a crawl's commits
	// would only make the merged segment stale before it is done.
	x.wmu.Lock()
	c, err := x.compact(ctx, force)
	x.wmu.Unlock()
	if err == nil && c.Merged && !x.awaitRemoval(ctx) {
		c.Reason += fmt.Sprintf("; the merged segments were still on disk after %s (a search may still read them): scorch removes them once none does, or the next open for writing", removalWait)
	}
	c.Duration = time.Since(start)
	if err != nil {
		return c, fmt.Errorf("compact index %s: %w", x.dir, err)
	}
	return c, nil
}

func (x *Index) compact(ctx context.Context, force bool) (indexer.Compaction, error) {
	before, err := x.layout()
	if err != nil {
		return indexer.Compaction{}, fmt.Errorf("read segment layout: %w", err)
	}
	c := indexer.Compaction{SegmentsBefore: before.segments, SegmentsAfter: before.segments,
		BytesBefore: before.bytes, BytesAfter: before.bytes}
	loose := before.bytes - before.settled
	share := 0
	if before.bytes > 0 {
		share = int(100 * loose / before.bytes)
	}
	switch {
	case before.segments == 0 || before.segments == 1 && !before.deleted:
		c.Reason = "nothing to merge: one segment, no deleted documents"
		return c, nil
	case force:
		c.Reason = "asked to"
	case loose*compactShare < before.bytes:
		c.Reason = fmt.Sprintf("%d%% of the segment bytes lie outside the largest segment; compacts at %d%%", share, 100/compactShare)
		return c, nil
	default:
		c.Reason = fmt.Sprintf("%d%% of the segment bytes lay outside the largest segment (compacts at %d%%)", share, 100/compactShare)
	}
	// The merged segment is written before the old ones are removed.
	if free, err := x.freeDisk(x.dir); err == nil && free < uint64(before.live) {
		c.Reason = fmt.Sprintf("not enough free disk: a merge writes up to %d bytes, %d are free", before.live, free)
		return c, nil
	}

	s, ok := x.adv.(*scorch.Scorch)
	if !ok {
		return c, fmt.Errorf("index is a %T, not scorch", x.adv)
	}
	if err := forceMerge(ctx, s); err != nil {
		return c, err
	}
	// ForceMerge returns once the merged segment is in the in-memory root;
	// a batch returns once a root is persisted, so this write (which also
	// records the compaction) makes the merge durable before we report it.
	if err := x.idx.SetInternal(compactedKey, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return c, fmt.Errorf("persist the merge: %w", err)
	}
	after, err := x.layout()
	if err != nil {
		return c, fmt.Errorf("read segment layout: %w", err)
	}
	c.Merged = true
	c.SegmentsAfter, c.BytesAfter = after.segments, after.bytes
	return c, nil
}

// removalWait bounds how long a compaction waits for scorch to remove the
// segments it merged. Scorch removes them when its persister next goes
// idle and no snapshot holds them, a moment a process that closes the
// index right after compacting (trawl crawl) used to miss: until the next
// open for writing the data folder held both copies (on the bench org, 797
// MB for an index of 382). Writers need not wait with it.
const removalWait = 10 * time.Second

// awaitRemoval reports whether, within removalWait, the segment files in
// the store came to add up to no more than the segments in use.
func (x *Index) awaitRemoval(ctx context.Context) bool {
	store := filepath.Join(x.dir, "bleve", "store")
	deadline := time.Now().Add(removalWait)
	for {
		l, err := x.layout()
		if err != nil {
			return false
		}
		if n, err := segmentBytes(store); err == nil && n <= l.bytes {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// segmentBytes sums the sizes of the segment files in store.
func segmentBytes(store string) (int64, error) {
	entries, err := os.ReadDir(store)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".zap" {
			continue
		}
		// Scorch may remove a file between the listing and this.
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n, nil
}

// forceMerge merges every persisted segment of s into one and returns the
// merge's error, which ForceMerge itself does not.
func forceMerge(ctx context.Context, s *scorch.Scorch) error {
	opts := mergeplan.SingleSegmentMergePlanOptions
	// One task for all segments; with scorch's ten per task, a second
	// round would rewrite most of the bytes again.
	opts.SegmentsPerMergeTask = 1 << 16
	done := make(chan error, 1)
	mctx := context.WithValue(ctx, mergeDoneKey, done)
	returned := make(chan error, 1)
	go func() { returned <- s.ForceMerge(mctx, &opts) }()
	var err error
	select {
	case err = <-done:
		if err != nil && ctx.Err() == nil {
			// Scorch drops the failed request but never wakes ForceMerge,
			// whose goroutine waits until the index closes.
			return fmt.Errorf("merge segments: %w", err)
		}
		err = <-returned
	case err = <-returned:
		// Scorch reports into done before it wakes ForceMerge, so an
		// empty done means it no longer looks under mergeDoneKey, and a
		// failing merge would hang us.
		select {
		case derr := <-done:
			if derr != nil && ctx.Err() == nil {
				err = derr
			}
		default:
			if err == nil && ctx.Err() == nil {
				err = errors.New("scorch did not report the outcome under " + mergeDoneKey)
			}
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("merge segments: %w", err)
	}
	return nil
}
