package crawler_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestBranchesDefault checks that branches: default indexes each
// repository's default branch only (github-crawler's behaviour without
// crawlAllBranches), whatever HEAD names, and that switching to it from
// every branch removes the other branches.
func TestBranchesDefault(t *testing.T) {
	root := t.TempDir()
	api := gittest.Init(t, filepath.Join(root, "api"))
	api.Commit("first", map[string]string{"a.txt": "findme\n"})
	api.Checkout("feature")
	api.Commit("on feature", map[string]string{"b.txt": "findme\n"})
	api.Checkout("main")
	web := gittest.Init(t, filepath.Join(root, "web"))
	web.Commit("first", map[string]string{"a.txt": "findme\n"})
	web.Checkout("develop") // HEAD names develop: that is web's default branch
	web.Commit("on develop", map[string]string{"c.txt": "findme\n"})

	data := t.TempDir()
	all := dirConfig(t, root, data, "")
	crawlOnce(t, all)
	if n := len(searchLines(t, all, "findme")); n != 6 {
		t.Fatalf("every branch: %d hits, want 6", n)
	}
	def := dirConfig(t, root, data, "branches: default\n")
	if !def.Branches.Default {
		t.Fatal("branches: default did not set Branches.Default")
	}
	crawlOnce(t, def)
	got := strings.Join(searchLines(t, def, "findme"), "\n")
	want := "api@main:a.txt:1\nweb@develop:a.txt:1\nweb@develop:c.txt:1"
	if got != want {
		t.Errorf("branches: default hits:\n%s\nwant:\n%s", got, want)
	}
}
