package bleve

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
)

// snapshot is everything a reader can see of an index.
type snapshot struct {
	locs     []indexer.Location
	texts    map[string]string
	branches []indexer.Branch
}

func read(t *testing.T, idx *Index) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{texts: map[string]string{}}
	must(t, idx.Locations(ctx, indexer.LocationQuery{}, func(l indexer.Location) error {
		s.locs = append(s.locs, l)
		return nil
	}))
	must(t, idx.ScanBlobs(ctx, func(id string, text []byte) error {
		s.texts[id] = string(text)
		return nil
	}))
	var err error
	s.branches, err = idx.Branches(ctx)
	must(t, err)
	return s
}

// openUnmerged opens an index in dir whose segments scorch never merges on
// its own, so that a test knows how many there are.
func openUnmerged(t *testing.T, dir string) *Index {
	t.Helper()
	lock, err := lockDir(filepath.Join(dir, "trawl.lock"), false)
	must(t, err)
	x, err := open(context.Background(), dir, lock, false, map[string]any{
		"scorchMergePlanOptions": map[string]any{"maxSegmentsPerTier": 1000, "floorSegmentSize": 1, "floorSegmentFileSize": 1},
	})
	if err != nil {
		lock.Close()
		t.Fatal(err)
	}
	return x
}

// commitBranch writes branch name of repo r with n blobs of about size
// bytes each, every one new.
func commitBranch(t *testing.T, idx *Index, name string, n, size int) {
	t.Helper()
	c := indexer.Changes{PutBranches: []indexer.Branch{{Repo: "r", Name: name, Commit: "c-" + name}}}
	for i := range n {
		head := fmt.Sprintf("%-12s%08d\n", name, i)
		b := testBlob(head + strings.Repeat("line of "+head, size/len(head)/2))
		c.Blobs = append(c.Blobs, b)
		c.PutLocs = append(c.PutLocs, indexer.Location{Repo: "r", Branch: name, Path: fmt.Sprintf("f%d.txt", i), Blob: b.ID, Size: int64(len(b.Text))})
	}
	must(t, idx.Commit(context.Background(), &c))
}

// TestCompact merges the segments of five commits and a deletion into one,
// which must hold exactly what the five did, durably.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	idx := openUnmerged(t, dir)
	defer func() { idx.Close() }()
	for i := range 5 {
		commitBranch(t, idx, fmt.Sprintf("b%d", i), 20, 200)
	}
	// Half of one branch's files go, so that a segment holds deleted
	// documents.
	var gone []indexer.LocationKey
	for i := range 10 {
		gone = append(gone, indexer.LocationKey{Repo: "r", Branch: "b2", Path: fmt.Sprintf("f%d.txt", i)})
	}
	must(t, idx.Commit(ctx, &indexer.Changes{DeleteLocs: gone}))
	_, err := idx.CollectGarbage(ctx)
	must(t, err)
	want := read(t, idx)
	if len(want.locs) != 90 || len(want.texts) != 90 || len(want.branches) != 5 {
		t.Fatalf("before compacting: %d locations, %d texts, %d branches; want 90, 90, 5", len(want.locs), len(want.texts), len(want.branches))
	}
	before, err := idx.layout()
	must(t, err)
	if before.segments < 5 || !before.deleted {
		t.Fatalf("before compacting: %+v, want five segments or more, some documents deleted", before)
	}

	c, err := idx.Compact(ctx, false)
	must(t, err)
	if !c.Merged || c.SegmentsBefore != before.segments || c.SegmentsAfter != 1 || c.BytesAfter >= c.BytesBefore || c.BytesBefore != before.bytes {
		t.Errorf("Compact() = %+v, want %d segments of %d bytes merged into one smaller", c, before.segments, before.bytes)
	}
	if got := read(t, idx); !reflect.DeepEqual(got, want) {
		t.Errorf("after compacting, the index reads differently:\n got %+v\nwant %+v", got, want)
	}
	// The merged segments are gone when Compact returns: a process that
	// closes the index next must not leave them behind.
	if n, err := segmentBytes(filepath.Join(dir, "bleve", "store")); err != nil || n != c.BytesAfter {
		t.Errorf("after compacting, segment files hold %d bytes (%v), want the merged segment's %d", n, err, c.BytesAfter)
	}

	again, err := idx.Compact(ctx, false)
	must(t, err)
	if again.Merged || again.SegmentsAfter != 1 || !strings.Contains(again.Reason, "nothing to merge") {
		t.Errorf("Compact() of a compacted index = %+v, want nothing to do", again)
	}

	must(t, idx.Close())
	idx, err = Open(ctx, dir)
	must(t, err)
	after, err := idx.layout()
	must(t, err)
	if after.segments != 1 {
		t.Errorf("after reopening: %d segments, want the merged one", after.segments)
	}
	if got := read(t, idx); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening, the index reads differently:\n got %+v\nwant %+v", got, want)
	}
}

// TestCompactThreshold leaves alone an index whose small segments are a
// small share of it, unless forced.
func TestCompactThreshold(t *testing.T) {
	ctx := context.Background()
	idx := openUnmerged(t, t.TempDir())
	defer idx.Close()
	commitBranch(t, idx, "big", 400, 4000)
	commitBranch(t, idx, "small", 1, 100)
	before, err := idx.layout()
	must(t, err)
	if before.segments != 2 {
		t.Fatalf("%d segments, want 2", before.segments)
	}

	c, err := idx.Compact(ctx, false)
	must(t, err)
	if c.Merged || c.SegmentsAfter != 2 || !strings.Contains(c.Reason, "compacts at 25%") {
		t.Errorf("Compact() = %+v, want no merge for a small share", c)
	}
	c, err = idx.Compact(ctx, true)
	must(t, err)
	if !c.Merged || c.SegmentsAfter != 1 {
		t.Errorf("Compact(force) = %+v, want one segment", c)
	}
}

// TestCompactFullDisk refuses to merge where the merged segment would not
// fit beside the old ones.
func TestCompactFullDisk(t *testing.T) {
	ctx := context.Background()
	idx := openUnmerged(t, t.TempDir())
	defer idx.Close()
	for i := range 3 {
		commitBranch(t, idx, fmt.Sprintf("b%d", i), 10, 200)
	}
	want := read(t, idx)
	idx.freeDisk = func(string) (uint64, error) { return 1000, nil }
	c, err := idx.Compact(ctx, true)
	must(t, err)
	if c.Merged || c.SegmentsAfter != c.SegmentsBefore || c.SegmentsBefore < 2 || !strings.Contains(c.Reason, "free disk") {
		t.Errorf("Compact() on a full disk = %+v, want no merge and the reason", c)
	}
	if got := read(t, idx); !reflect.DeepEqual(got, want) {
		t.Errorf("after a refused merge, the index reads differently")
	}
}
