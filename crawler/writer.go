package crawler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// errWriter is returned to senders once the writer has failed.
var errWriter = errors.New("index writer stopped")

// flushEvery bounds how long written work waits in memory, so a killed
// crawl loses at most this much.
const flushEvery = 5 * time.Second

// writer is the crawl's single index writer. Branch crawlers send it
// changes; it merges them into writes of about budget bytes. Its queue is
// first in, first out, and a write holds a prefix of the queue, so
// whatever was sent before a branch state is durable when the state is.
type writer struct {
	idx    indexer.Index
	budget int
	in     chan item
	done   chan struct{}

	mu  sync.Mutex
	err error

	// Owned by run until done is closed.
	dirty     bool // the index is marked as being written
	mayOrphan bool // some blob may have lost its last location
}

type item struct {
	ch     *indexer.Changes
	orphan bool
}

func newWriter(idx indexer.Index, budget int) *writer {
	return &writer{idx: idx, budget: budget, in: make(chan item, 4), done: make(chan struct{})}
}

// send queues ch; orphan says it may leave a blob without locations.
func (w *writer) send(ctx context.Context, ch *indexer.Changes, orphan bool) error {
	select {
	case w.in <- item{ch, orphan}:
		return nil
	case <-w.done:
		w.mu.Lock()
		defer w.mu.Unlock()
		return fmt.Errorf("%w: %v", errWriter, w.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close says nothing more will be sent.
func (w *writer) close() { close(w.in) }

func (w *writer) run(ctx context.Context) error {
	defer close(w.done)
	err := w.loop(ctx)
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	return err
}

func (w *writer) loop(ctx context.Context) error {
	if w.dirty {
		w.mayOrphan = true // the last crawl was killed: it may have left blobs behind
	}
	pending := &indexer.Changes{}
	timer := time.NewTimer(flushEvery)
	defer timer.Stop()
	for {
		select {
		case it, ok := <-w.in:
			if !ok {
				return w.flush(ctx, pending)
			}
			w.mayOrphan = w.mayOrphan || it.orphan
			merge(pending, it.ch)
			if pending.Size() < w.budget {
				continue
			}
		case <-timer.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := w.flush(ctx, pending); err != nil {
			return err
		}
		pending = &indexer.Changes{}
		timer.Reset(flushEvery)
	}
}

func (w *writer) flush(ctx context.Context, c *indexer.Changes) error {
	if c.Empty() {
		return nil
	}
	if !w.dirty {
		if err := w.idx.SetDirty(ctx, true); err != nil {
			return fmt.Errorf("mark crawl started: %w", err)
		}
		w.dirty = true
	}
	if err := w.idx.Commit(ctx, c); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// merge appends src to dst. Changes applies blobs, then deletes, then
// puts, then branch deletes, then states; merging keeps that safe because
// a crawl touches each branch once and deletes a branch before it could
// put anything on it.
func merge(dst, src *indexer.Changes) {
	dst.Blobs = append(dst.Blobs, src.Blobs...)
	dst.DeleteLocs = append(dst.DeleteLocs, src.DeleteLocs...)
	dst.PutLocs = append(dst.PutLocs, src.PutLocs...)
	dst.DeleteBranches = append(dst.DeleteBranches, src.DeleteBranches...)
	dst.PutDeps = append(dst.PutDeps, src.PutDeps...)
	dst.PutBranches = append(dst.PutBranches, src.PutBranches...)
}
