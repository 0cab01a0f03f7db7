package crawler_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestLimitCountsSharedSubtrees: the survey remembers subtrees across the
// branches of a crawl; a branch whose files are mostly in subtrees another
// branch already surveyed is still counted in full against
// limits.max_files_per_branch, and the manifests of those subtrees are
// still found.
func TestLimitCountsSharedSubtrees(t *testing.T) {
	root := t.TempDir()
	r := gittest.Init(t, filepath.Join(root, "acme", "api"))
	files := map[string]string{"lib/go.mod": "module example.com/lib\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n"}
	for i := range 3 {
		files[fmt.Sprintf("lib/deep/f%d.txt", i)] = fmt.Sprintf("file %d\n", i)
	}
	r.Commit("first", files) // main: 4 files, all below lib/
	r.Checkout("more")       // sorts after main: lib/ is remembered by then
	r.Commit("grow", map[string]string{"top.txt": "one more\n"})
	r.Checkout("main")

	cfg := dirConfig(t, root, t.TempDir(), "limits:\n  max_files_per_branch: 4\n")
	sum := crawlOnce(t, cfg)
	if len(sum.LimitsHit) != 1 || sum.LimitsHit[0].Branch != "more" || sum.LimitsHit[0].Limit != crawler.LimitFiles {
		t.Fatalf("limits hit: %+v", sum.LimitsHit)
	}
	if sum.BranchesChanged != 1 || sum.Dependencies != 1 {
		t.Errorf("branches changed %d, dependencies %d; want 1 and 1: %+v", sum.BranchesChanged, sum.Dependencies, sum)
	}

	// Both branches change (lib/ does not), so more again follows main.
	r.Commit("main grows", map[string]string{"main.txt": "main only\n"})
	raised := dirConfig(t, root, cfg.Index.Path, "limits:\n  max_files_per_branch: 5\n")
	sum = crawlOnce(t, raised)
	if len(sum.LimitsHit) != 0 || sum.BranchesChanged != 2 || sum.Dependencies != 2 {
		t.Errorf("with the limit raised, branch more (its go.mod in a remembered subtree): %+v", sum)
	}
	if hits := searchLines(t, raised, "one more"); len(hits) != 1 {
		t.Errorf("top.txt: %v", hits)
	}
}
