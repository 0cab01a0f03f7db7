package crawler_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/gittest"
)

// stallingIndex makes its n-th HasBlobs call wait until its context ends,
// as a slow index would near a repository's time budget.
type stallingIndex struct {
	indexer.Index
	n     int64
	calls atomic.Int64
}

func (s *stallingIndex) HasBlobs(ctx context.Context, ids []string) (map[string]bool, error) {
	if s.calls.Add(1) == s.n {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.Index.HasBlobs(ctx, ids)
}

// TestCutShortBranchRedone: a branch whose crawl runs out of its
// repository's time budget after part of it was written (the rest of the
// crawl finishing cleanly) is looked at in full by the next crawl, which
// then equals a fresh crawl, even though the branch moved on meanwhile and
// the tree diff from the indexed commit would miss what the cut-short
// crawl wrote.
func TestCutShortBranchRedone(t *testing.T) {
	root := t.TempDir()
	repo := gittest.Init(t, root+"/acme/big")
	files := map[string]string{}
	for i := range 700 {
		files[fmt.Sprintf("f/%03d.txt", i)] = fmt.Sprintf("file %d version 1\n", i)
	}
	repo.Commit("v1", files)
	data := t.TempDir()
	cfg := dirConfig(t, root, data, "")
	crawlOnce(t, cfg)

	for name := range files {
		files[name] = strings.Replace(files[name], "version 1", "version 2", 1)
	}
	files["a/only-in-v2.txt"] = "written by a cut-short crawl\n"
	repo.Commit("v2", files)
	short := dirConfig(t, root, data, "limits:\n  max_repo_duration: 2s\n")
	idx := &stallingIndex{Index: openIndex(t, short), n: 2}
	c := crawltest.New(t, short, idx, crawler.Options{BatchBytes: 16 << 10})
	sum, err := c.Run(context.Background())
	idx.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.LimitsHit) != 1 || sum.LimitsHit[0].Limit != crawler.LimitDuration {
		t.Fatalf("want the time limit hit: %+v", sum)
	}
	if sum.FilesWritten == 0 {
		t.Fatal("nothing was written before the budget ran out: the test does not exercise a partial branch")
	}

	repo.Commit("v3", map[string]string{"a/only-in-v2.txt!": ""})
	crawlOnce(t, cfg)
	fresh := dirConfig(t, root, t.TempDir(), "")
	crawlOnce(t, fresh)
	if d := takeSnapshot(t, cfg).Diff(takeSnapshot(t, fresh)); d != "" {
		t.Fatalf("after a cut-short branch the index differs from a fresh crawl (- incremental, + fresh):\n%s", d)
	}
}
