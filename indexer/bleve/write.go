package bleve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
)

// gcBatch is how many blob deletions CollectGarbage writes per batch.
const gcBatch = 10_000

// Commit writes c in Bleve batches, each applied atomically by scorch and
// persisted before Commit goes on. Large sets of new blobs are written first,
// in parallel batches (writeBlobs); everything else, the branch states last,
// goes in one batch after them. A branch state is therefore never durable
// without its locations and blobs, and a location never without its blob; a
// crash between the two leaves only blobs nothing refers to, which the next
// crawl collects (the index stays marked dirty until a crawl finishes).
//
// A batch holds at most one operation per document id, the last one given,
// so adding the operations in the order Changes prescribes gives its
// semantics: a location put after its delete stays, a location put on a
// branch deleted in the same Changes goes.
func (x *Index) Commit(ctx context.Context, c *indexer.Changes) error {
	if err := x.checkWrite(ctx, "commit to index"); err != nil {
		return err
	}
	if c.Empty() {
		return nil
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if err := x.commit(ctx, c); err != nil {
		return fmt.Errorf("commit to index %s: %w", x.dir, err)
	}
	return nil
}

func (x *Index) commit(ctx context.Context, c *indexer.Changes) error {
	blobs := c.Blobs
	if parts := blobParts(blobs, runtime.GOMAXPROCS(0), x.parallelBlobBytes); len(parts) > 1 {
		if err := x.writeBlobs(ctx, parts); err != nil {
			return err
		}
		blobs = nil
	}
	b := x.idx.NewBatch()
	for i := range blobs {
		if err := x.indexBlob(b, &blobs[i]); err != nil {
			return err
		}
	}
	for _, k := range c.DeleteLocs {
		b.Delete(locID(k))
	}
	for i := range c.PutLocs {
		d, err := x.locDoc(&c.PutLocs[i])
		if err != nil {
			return err
		}
		if err := b.IndexAdvanced(d); err != nil {
			return err
		}
	}
	if len(c.DeleteBranches) > 0 {
		if err := x.deleteBranches(ctx, b, c); err != nil {
			return err
		}
	}
	if len(c.PutDeps) > 0 {
		if err := x.putDeps(ctx, b, c.PutDeps); err != nil {
			return err
		}
	}
	for i := range c.PutBranches {
		d, err := x.branchDoc(&c.PutBranches[i])
		if err != nil {
			return err
		}
		if err := b.IndexAdvanced(d); err != nil {
			return err
		}
	}
	states := x.branches
	if x.stale || x.reshape || len(c.DeleteBranches) > 0 || len(c.PutBranches) > 0 {
		// The record of the states after c goes in the same batch (see
		// record.go); the map in memory changes once the batch is durable.
		states = maps.Clone(x.branches)
		put := make(map[indexer.BranchKey]bool, len(c.PutBranches))
		for _, k := range c.DeleteBranches {
			delete(states, k)
		}
		for _, br := range c.PutBranches {
			states[br.Key()] = br
			put[br.Key()] = true
		}
		if err := x.putRecord(b, states, put); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.Size() > 0 {
		if err := x.idx.Batch(b); err != nil {
			return err
		}
	}

	x.bmu.Lock()
	if len(c.DeleteBranches) > 0 || len(c.PutBranches) > 0 {
		x.branches, x.sorted = states, nil
	}
	x.stale, x.reshape = false, false
	x.bmu.Unlock()
	return nil
}

// parallelBlobBytes is the least text of each part when a commit's new
// blobs are written in parallel batches, so they need twice this to be
// split at all. Below that, one batch is cheaper than the extra segments
// the merger would later fold back together.
const parallelBlobBytes = 1 << 20

// blobParts splits blobs into at most n parts of about equal text, each
// near least bytes or more, for writeBlobs; it returns nil when one batch
// will do. Scorch builds a batch's
// segment in the goroutine that calls Batch, one core at a time, and that
// build is most of a crawl's writing: parallel batches of disjoint blobs
// use the other cores. A blob id given twice goes in one part only, so the
// parts never race over a document.
func blobParts(blobs []indexer.Blob, n, least int) [][]*indexer.Blob {
	total := 0
	for i := range blobs {
		total += len(blobs[i].Text)
	}
	if n < 2 || len(blobs) < 2 || total < 2*least {
		return nil
	}
	n = min(n, len(blobs), total/max(least, 1))
	parts := make([][]*indexer.Blob, n)
	sizes := make([]int, n)
	seen := make(map[string]bool, len(blobs))
	for i := range blobs {
		bl := &blobs[i]
		if seen[bl.ID] {
			continue
		}
		seen[bl.ID] = true
		p := 0
		for j := range sizes {
			if sizes[j] < sizes[p] {
				p = j
			}
		}
		parts[p] = append(parts[p], bl)
		sizes[p] += len(bl.Text)
	}
	return slices.DeleteFunc(parts, func(p []*indexer.Blob) bool { return len(p) == 0 })
}

// writeBlobs writes each part as a batch of its own, all at once. A batch
// cannot be stopped once Bleve has it, so a failed part does not cancel the
// others; their errors are returned together once all have ended.
func (x *Index) writeBlobs(ctx context.Context, parts [][]*indexer.Blob) error {
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = x.writeBlobPart(ctx, part) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write blobs: %w", err)
	}
	return nil
}

func (x *Index) writeBlobPart(ctx context.Context, part []*indexer.Blob) error {
	b := x.idx.NewBatch()
	for _, bl := range part {
		if err := x.indexBlob(b, bl); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return x.idx.Batch(b)
}

// deleteBranches adds to b the deletion of each deleted branch's state and
// of every location on it, stored or put earlier in c, and of its stored
// dependency records, which carry the same rb field.
func (x *Index) deleteBranches(ctx context.Context, b *bv.Batch, c *indexer.Changes) error {
	deleted := make(map[indexer.BranchKey]bool, len(c.DeleteBranches))
	rbs := make([]string, 0, len(c.DeleteBranches))
	for _, k := range c.DeleteBranches {
		deleted[k] = true
		rbs = append(rbs, rb(k.Repo, k.Name))
		b.Delete(branchID(k))
	}
	for _, l := range c.PutLocs {
		if deleted[indexer.BranchKey{Repo: l.Repo, Name: l.Branch}] {
			b.Delete(locID(l.Key()))
		}
	}
	if err := x.deleteOnBranches(ctx, b, rbs, ""); err != nil {
		return fmt.Errorf("find locations of deleted branches: %w", err)
	}
	return nil
}

// deleteOnBranches adds to b the deletion of every stored document whose
// rb is one of rbs, only those of kind when kind is not empty.
func (x *Index) deleteOnBranches(ctx context.Context, b *bv.Batch, rbs []string, kind string) error {
	return x.read(func(r bindex.IndexReader) error {
		for rbs := range slices.Chunk(rbs, chunk) {
			q := anyTerm(fieldRB, rbs)
			if kind != "" {
				q = query.NewConjunctionQuery([]query.Query{term(fieldKind, kind), q})
			}
			err := x.streamIDs(ctx, r, q, func(id string) error {
				b.Delete(id)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// putDeps adds to b the replacement of each branch's dependency records:
// the deletion of every stored one, then the new ones. Where a new record
// takes the id of a stored one, the batch keeps the later operation, the
// put. Of several replacements of one branch, the last wins.
func (x *Index) putDeps(ctx context.Context, b *bv.Batch, puts []indexer.BranchDeps) error {
	last := make(map[indexer.BranchKey]int, len(puts))
	for i, p := range puts {
		last[p.Branch] = i
	}
	rbs := make([]string, 0, len(last))
	for k := range last {
		rbs = append(rbs, rb(k.Repo, k.Name))
	}
	if err := x.deleteOnBranches(ctx, b, rbs, kindDep); err != nil {
		return fmt.Errorf("find dependencies of replaced branches: %w", err)
	}
	for i, p := range puts {
		if last[p.Branch] != i {
			continue
		}
		for j := range p.Deps {
			d, err := x.depDoc(p.Branch, j, &p.Deps[j])
			if err != nil {
				return err
			}
			if err := b.IndexAdvanced(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// CollectGarbage deletes every blob no location points to.
func (x *Index) CollectGarbage(ctx context.Context) (int, error) {
	if err := x.checkWrite(ctx, "collect garbage in index"); err != nil {
		return 0, err
	}
	// Holding the write lock keeps a Commit from adding a location to a
	// blob we are about to delete.
	x.wmu.Lock()
	defer x.wmu.Unlock()
	n, err := x.collectGarbage(ctx)
	if err != nil {
		return n, fmt.Errorf("collect garbage in index %s: %w", x.dir, err)
	}
	return n, nil
}

func (x *Index) collectGarbage(ctx context.Context) (int, error) {
	var garbage []string
	err := x.read(func(r bindex.IndexReader) error {
		dv, err := r.DocValueReader([]string{fieldBlob})
		if err != nil {
			return err
		}
		used := make(map[string]struct{})
		err = x.stream(ctx, r, term(fieldKind, kindLoc), func(id bindex.IndexInternalID) error {
			return dv.VisitDocValues(id, func(_ string, blob []byte) {
				used[string(blob)] = struct{}{}
			})
		})
		if err != nil {
			return fmt.Errorf("list used blobs: %w", err)
		}
		err = x.streamIDs(ctx, r, term(fieldKind, kindBlob), func(id string) error {
			if _, ok := used[id]; !ok {
				garbage = append(garbage, id)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for ids := range slices.Chunk(garbage, gcBatch) {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		b := x.idx.NewBatch()
		for _, id := range ids {
			b.Delete(id)
		}
		// The parts of large texts go in the same batch.
		err := x.read(func(r bindex.IndexReader) error {
			q := query.NewConjunctionQuery([]query.Query{term(fieldKind, kindPart), anyTerm(fieldPartOf, ids)})
			return x.streamIDs(ctx, r, q, func(id string) error {
				b.Delete(id)
				return nil
			})
		})
		if err != nil {
			return deleted, fmt.Errorf("find parts of unused blobs: %w", err)
		}
		if err := x.idx.Batch(b); err != nil {
			return deleted, fmt.Errorf("delete blobs: %w", err)
		}
		deleted += len(ids)
	}
	return deleted, nil
}

// SetDirty records or clears the dirty flag, in Bleve's internal key-value
// space, which is written and persisted like a batch.
func (x *Index) SetDirty(ctx context.Context, dirty bool) error {
	if err := x.checkWrite(ctx, "set dirty flag of index"); err != nil {
		return err
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()
	var err error
	if dirty {
		err = x.idx.SetInternal(dirtyKey, []byte{1})
	} else {
		err = x.idx.DeleteInternal(dirtyKey)
	}
	if err != nil {
		return fmt.Errorf("set dirty flag of index %s: %w", x.dir, err)
	}
	return nil
}
