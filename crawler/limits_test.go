package crawler_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestTreeBombRefused: a tree bomb (10^7 files in a few hundred bytes) is
// refused by the default files-per-branch limit, with its reason, and the
// other repository is indexed.
func TestTreeBombRefused(t *testing.T) {
	root := t.TempDir()
	gittest.TreeBomb(t, filepath.Join(root, "acme", "bomb"), 7)
	ok := gittest.Init(t, filepath.Join(root, "acme", "ok"))
	ok.Commit("first", map[string]string{"a.txt": "findme\n"})
	cfg := dirConfig(t, root, t.TempDir(), "")
	start := time.Now()
	sum := crawlOnce(t, cfg)
	t.Logf("crawl took %s", time.Since(start))
	if len(sum.LimitsHit) != 1 || sum.LimitsHit[0].Repo != "acme/bomb" || sum.LimitsHit[0].Limit != crawler.LimitFiles {
		t.Fatalf("limits hit: %+v", sum.LimitsHit)
	}
	if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0].Error, "max_files_per_branch") {
		t.Errorf("errors: %+v", sum.Errors)
	}
	if hits := searchLines(t, cfg, "findme"); len(hits) != 1 {
		t.Errorf("other repository: %v", hits)
	}
}

// TestFilesPerBranchLimit: a branch that grows over
// limits.max_files_per_branch keeps what the index held (nothing indexed
// is lost), is reported in the summary and the limits file trawl skipped
// reads, and is indexed once the limit is raised.
func TestFilesPerBranchLimit(t *testing.T) {
	root := t.TempDir()
	big := gittest.Init(t, filepath.Join(root, "acme", "big"))
	first := big.Commit("first", map[string]string{"1.txt": "one\n", "2.txt": "two\n", "3.txt": "three\n"})
	small := gittest.Init(t, filepath.Join(root, "acme", "small"))
	small.Commit("first", map[string]string{"a.txt": "alpha\n"})
	data := t.TempDir()
	limited := dirConfig(t, root, data, "limits:\n  max_files_per_branch: 3\n")
	if sum := crawlOnce(t, limited); len(sum.Errors) > 0 || len(sum.LimitsHit) > 0 {
		t.Fatalf("first crawl: %+v", sum)
	}

	second := big.Commit("grow", map[string]string{"4.txt": "four\n", "1.txt": "one changed\n"})
	small.Commit("change", map[string]string{"a.txt": "alpha beta\n"})
	sum := crawlOnce(t, limited)
	if len(sum.LimitsHit) != 1 {
		t.Fatalf("limits hit: %+v", sum.LimitsHit)
	}
	hit := sum.LimitsHit[0]
	if hit.Repo != "acme/big" || hit.Branch != "main" || hit.Limit != crawler.LimitFiles || !strings.Contains(hit.Detail, "more than 3 files") {
		t.Errorf("hit: %+v", hit)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Repo != "acme/big" || !strings.Contains(sum.Errors[0].Error, "limits.max_files_per_branch") {
		t.Errorf("errors: %+v", sum.Errors)
	}
	if got := branchCommit(t, limited, "acme/big", "main"); got != first {
		t.Errorf("refused branch state moved to %s, want %s kept", got, first)
	}
	if hits := searchLines(t, limited, "one"); len(hits) != 1 || hits[0] != "acme/big@main:1.txt:1" {
		t.Errorf("what was indexed before the refusal: %v", hits)
	}
	if hits := searchLines(t, limited, "beta"); len(hits) != 1 {
		t.Errorf("the other repository was not indexed: %v", hits)
	}
	recorded, err := crawler.ReadLimits(data)
	if err != nil || len(recorded) != 1 || recorded[0].Repo != "acme/big" || recorded[0].Limit != crawler.LimitFiles {
		t.Errorf("limits file: %+v, %v", recorded, err)
	}

	raised := dirConfig(t, root, data, "limits:\n  max_files_per_branch: 4\n")
	if sum := crawlOnce(t, raised); len(sum.Errors) > 0 || len(sum.LimitsHit) > 0 {
		t.Fatalf("crawl with the limit raised: %+v", sum)
	}
	if got := branchCommit(t, raised, "acme/big", "main"); got != second {
		t.Errorf("branch state %s, want %s", got, second)
	}
	if hits := searchLines(t, raised, "four"); len(hits) != 1 {
		t.Errorf("4.txt: %v", hits)
	}
	if recorded, err := crawler.ReadLimits(data); err != nil || len(recorded) != 0 {
		t.Errorf("limits file after a clean crawl: %+v, %v", recorded, err)
	}
}

// TestRepoTimeLimit: a repository whose crawl outlasts
// limits.max_repo_duration is reported with that reason; each repository
// has its own budget. (1ns always runs out: no timing is assumed.)
func TestRepoTimeLimit(t *testing.T) {
	root := t.TempDir()
	makeOrg(t, root, 2, 4)
	cfg := dirConfig(t, root, t.TempDir(), "limits:\n  max_repo_duration: 1ns\n")
	sum := crawlOnce(t, cfg)
	if len(sum.LimitsHit) != 2 {
		t.Fatalf("limits hit: %+v", sum.LimitsHit)
	}
	for _, h := range sum.LimitsHit {
		if h.Limit != crawler.LimitDuration || h.Branch != "" || !strings.Contains(h.Detail, "limits.max_repo_duration") {
			t.Errorf("hit: %+v", h)
		}
	}
	if len(sum.Errors) != 2 || sum.ReposFailed != 2 {
		t.Errorf("errors: %+v", sum.Errors)
	}
	cfg = dirConfig(t, root, cfg.Index.Path, "")
	if sum := crawlOnce(t, cfg); len(sum.Errors) > 0 || sum.BranchesChanged == 0 {
		t.Errorf("crawl with the default budget: %+v", sum)
	}
}
