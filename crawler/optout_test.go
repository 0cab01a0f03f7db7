package crawler_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestOptOut checks that a repository asking to be left out on its
// default branch, with trawl's file or github-crawler's, disappears, and
// that an opt-out file elsewhere or set to false changes nothing.
func TestOptOut(t *testing.T) {
	root := t.TempDir()
	stays := gittest.Init(t, filepath.Join(root, "stays"))
	stays.Commit("first", map[string]string{"a.txt": "findme\n", ".trawl.yml": "exclude: false\n"})
	stays.Checkout("feature")
	stays.Commit("opt out on a branch only", map[string]string{".trawl.yml": "exclude: true\n"})
	stays.Checkout("main")

	leaves := gittest.Init(t, filepath.Join(root, "leaves"))
	leaves.Commit("first", map[string]string{"a.txt": "findme\n"})
	legacy := gittest.Init(t, filepath.Join(root, "legacy"))
	legacy.Commit("first", map[string]string{"a.txt": "findme\n", ".githubCrawler": "excluded: true\n"})
	lab := gittest.Init(t, filepath.Join(root, "lab"))
	lab.Commit("first", map[string]string{"a.txt": "findme\n", ".gitlabCrawler": "excluded: true\n"})

	data := t.TempDir()
	cfg := dirConfig(t, root, data, "")
	sum := crawlOnce(t, cfg)
	if sum.ReposExcluded != 2 {
		t.Errorf("first crawl: %d repositories opted out, want 2 (legacy, lab)", sum.ReposExcluded)
	}
	leaves.Commit("opt out", map[string]string{".trawl.yml": "# we hold secrets\nexclude: true\n"})
	crawlOnce(t, cfg)

	hits := strings.Join(searchLines(t, cfg, "findme"), "\n")
	if hits != "stays@feature:a.txt:1\nstays@main:a.txt:1" && hits != "stays@main:a.txt:1\nstays@feature:a.txt:1" {
		t.Errorf("hits after opt-outs:\n%s", hits)
	}
}
