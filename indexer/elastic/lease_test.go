package elastic

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// openShortLease opens cfg with a writer lease that lasts ttl.
func openShortLease(t *testing.T, cfg Options, ttl time.Duration) *Index {
	t.Helper()
	x := open(t, cfg)
	x.lease.ttl = ttl
	return x
}

// TestWriterLease runs two writers against one set of indices on the real
// cluster: the second is refused with an error naming the first, readers
// are never refused, a closed writer frees the lease at once, and a writer
// that died (stopped renewing without releasing) is taken over after the
// expiry.
func TestWriterLease(t *testing.T) {
	ctx := context.Background()
	cfg := esConfig(t)
	// Long enough that a loaded machine still renews in time (every third).
	const ttl = 4 * time.Second
	first := openShortLease(t, cfg, ttl)
	second := openShortLease(t, cfg, ttl)
	reader := open(t, cfg)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	b := indexer.Blob{ID: strings.Repeat("a", 40), Text: []byte("x\n"), Lines: 1}
	must(first.Commit(ctx, &indexer.Changes{Blobs: []indexer.Blob{b}}))

	refused := func(what string, err error, holder string) {
		t.Helper()
		var le *LockedError
		if !errors.Is(err, ErrLocked) || !errors.As(err, &le) || le.Holder != holder ||
			!strings.Contains(err.Error(), holder) || !strings.Contains(err.Error(), "the whole index") {
			t.Fatalf("%s by a second writer: %v; want ErrLocked naming %q", what, err, holder)
		}
	}
	refused("SetDirty", second.SetDirty(ctx, true), first.lease.holder)
	refused("Commit", second.Commit(ctx, &indexer.Changes{Blobs: []indexer.Blob{b}}), first.lease.holder)
	_, err := second.CollectGarbage(ctx)
	refused("CollectGarbage", err, first.lease.holder)

	// Reads need no lease.
	if _, err := reader.Branches(ctx); err != nil {
		t.Fatalf("read while another process writes: %v", err)
	}
	if _, err := reader.HasBlobs(ctx, []string{b.ID}); err != nil {
		t.Fatalf("read while another process writes: %v", err)
	}

	// The holder keeps the lease past its first life by renewing it.
	time.Sleep(ttl + ttl/2)
	refused("SetDirty after the first expiry (renewed)", second.SetDirty(ctx, true), first.lease.holder)
	must(first.SetDirty(ctx, false))

	// Close releases: the second writer gets the lease at once.
	must(first.Close())
	must(second.SetDirty(ctx, true))

	// A writer that dies stops renewing and never releases; after the
	// expiry the lease is taken over.
	second.lease.mu.Lock()
	stop, done := second.lease.stop, second.lease.done
	second.lease.stop, second.lease.done = nil, nil
	second.lease.mu.Unlock()
	close(stop)
	<-done
	third := openShortLease(t, cfg, ttl)
	refused("SetDirty while the dead writer's lease runs", third.SetDirty(ctx, true), second.lease.holder)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := third.SetDirty(ctx, true)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			t.Fatalf("taking over an expired lease: %v", err)
		}
		time.Sleep(ttl / 4)
	}
	// The dead writer, if it came back, must not write over the new one.
	second.lease.mu.Lock()
	second.lease.expires = time.Time{}
	second.lease.mu.Unlock()
	refused("Commit by the writer whose lease was taken over", second.Commit(ctx, &indexer.Changes{Blobs: []indexer.Blob{b}}), third.lease.holder)
}

// TestWriterLeaseShards checks that crawlers of one split (--shard i/n)
// write side by side, and that a whole-index writer and a shard of another
// split are refused while they run.
func TestWriterLeaseShards(t *testing.T) {
	ctx := context.Background()
	cfg := esConfig(t)
	s0, s1, whole, other, same := open(t, cfg), open(t, cfg), open(t, cfg), open(t, cfg), open(t, cfg)
	s0.SetWriterShard(0, 2)
	s1.SetWriterShard(1, 2)
	other.SetWriterShard(0, 3)
	same.SetWriterShard(1, 2)
	if err := s0.SetDirty(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := s1.SetDirty(ctx, true); err != nil {
		t.Fatalf("shard 1/2 beside shard 0/2: %v", err)
	}
	for name, x := range map[string]*Index{"whole-index writer": whole, "shard 0/3": other, "second shard 1/2": same} {
		if err := x.SetDirty(ctx, true); !errors.Is(err, ErrLocked) {
			t.Errorf("%s beside shards 0/2 and 1/2: %v, want ErrLocked", name, err)
		}
	}
	if err := s0.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := whole.SetDirty(ctx, true); err != nil {
		t.Fatalf("whole-index writer after the shards closed: %v", err)
	}
}
