package crawler_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// TestBranchCounts checks that the counts a crawl writes with each branch
// state equal what listing the branch's locations finds, after a first
// crawl, after edits and deletes, and for a state written without counts.
func TestBranchCounts(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) { testBranchCounts(t, backend) })
	}
}

func testBranchCounts(t *testing.T, backend string) {
	root := t.TempDir()
	repos := makeOrg(t, root, 2, 5)
	cfg := dirConfigOn(t, backend, root)
	crawlOnce(t, cfg)
	checkCounts(t, cfg, "first crawl")

	a := repos["team0/svc0"]
	a.Commit("edit", map[string]string{"config/app.yaml": "timeout: 1\n", "big.txt": strings.Repeat("x", 1100<<10), "more.bin": "\x00x"})
	a.Git("rm", "-q", "README.md")
	a.Commit("delete", nil)
	crawlOnce(t, cfg)
	checkCounts(t, cfg, "after edits")

	// A state from before counts existed gets them on the next crawl,
	// although its head did not move.
	ctx := context.Background()
	idx := openIndex(t, cfg)
	branches, err := idx.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range branches {
		branches[i].Counts = nil
	}
	if err := idx.Commit(ctx, &indexer.Changes{PutBranches: branches}); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	sum := crawlOnce(t, cfg)
	if sum.FilesWritten != 0 {
		t.Errorf("recounting rewrote %d files", sum.FilesWritten)
	}
	checkCounts(t, cfg, "after a recount")
}

func checkCounts(t *testing.T, cfg *config.Config, when string) {
	t.Helper()
	ctx := context.Background()
	idx := openIndex(t, cfg)
	defer idx.Close()
	branches, err := idx.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[indexer.BranchKey]*indexer.BranchCounts{}
	err = idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
		k := indexer.BranchKey{Repo: l.Repo, Name: l.Branch}
		if want[k] == nil {
			want[k] = &indexer.BranchCounts{}
		}
		want[k].Add(l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, b := range branches {
		w := want[b.Key()]
		if w == nil {
			w = &indexer.BranchCounts{}
		}
		skipped += w.SkippedTotal()
		if !reflect.DeepEqual(b.Counts, w) {
			t.Errorf("%s: %s@%s counts %+v, the locations say %+v", when, b.Repo, b.Name, b.Counts, w)
		}
	}
	if len(branches) == 0 || skipped == 0 {
		t.Fatalf("%s: %d branches, %d skipped files: the fixture tests too little", when, len(branches), skipped)
	}
}
