package indicators

import (
	"context"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

type file3 struct{ repo, branch, path, text string }

// smallIndex is a Bleve index holding files, each repository's default
// branch being main.
func smallIndex(t *testing.T, files []file3) indexer.Index {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	var c indexer.Changes
	blobs := map[string]bool{}
	branches := map[indexer.BranchKey]bool{}
	for _, f := range files {
		id := blobID(f.text)
		if !blobs[id] {
			blobs[id] = true
			c.Blobs = append(c.Blobs, indexer.Blob{ID: id, Text: []byte(f.text), Trigrams: trigram.Extract([]byte(f.text)), Lines: strings.Count(f.text, "\n")})
		}
		c.PutLocs = append(c.PutLocs, indexer.Location{Repo: f.repo, Branch: f.branch, Path: f.path, Blob: id, Size: int64(len(f.text))})
		k := indexer.BranchKey{Repo: f.repo, Name: f.branch}
		if !branches[k] {
			branches[k] = true
			c.PutBranches = append(c.PutBranches, indexer.Branch{Repo: f.repo, Name: f.branch, Commit: "c-" + f.branch,
				Meta: indexer.Repo{Name: f.repo, DefaultBranch: "main"}})
		}
	}
	if err := idx.Commit(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestRedirectTo checks filesToParse[].redirectTo of .githubCrawler and
// .gitlabCrawler, read on the default branch and applied on every branch.
func TestRedirectTo(t *testing.T) {
	redirect := "filesToParse:\n  - name: Dockerfile\n    redirectTo: routing/Dockerfile\n"
	idx := smallIndex(t, []file3{
		{"acme/router", "main", ".githubCrawler", redirect},
		{"acme/router", "main", "Dockerfile", "FROM root-image\n"},
		{"acme/router", "main", "routing/Dockerfile", "FROM routing-image\n"},
		{"acme/router", "dev", "Dockerfile", "FROM root-image\n"},
		{"acme/router", "dev", "routing/Dockerfile", "FROM dev-routing-image\n"},
		{"group/lab", "main", ".gitlabCrawler", redirect},
		{"group/lab", "main", "routing/Dockerfile", "FROM lab-image\n"},
		// A redirect on another branch than the default one counts for nothing.
		{"acme/plain", "main", "Dockerfile", "FROM plain-image\n"},
		{"acme/plain", "dev", ".githubCrawler", redirect},
		{"acme/plain", "dev", "Dockerfile", "FROM plain-dev\n"},
		// A redirect outside the repository is ignored.
		{"acme/escape", "main", ".githubCrawler", "filesToParse:\n  - {name: Dockerfile, redirectTo: ../other/Dockerfile}\n"},
		{"acme/escape", "main", "Dockerfile", "FROM escape-root\n"},
	})
	cfg, err := config.Parse([]byte("sources: [{dir: /srv}]\nindicators:\n  Dockerfile:\n"+
		"    - {name: image, type: findFirstValueWithRegexpCapture, params: {pattern: 'FROM (\\S+)'}}\n"+
		"    - {name: path, type: findFilePath}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := Compute(context.Background(), idx, cfg.Indicators, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range docs {
		got[d.FullName+"@"+d.BranchName] = d.Indicators["image"] + " " + d.Indicators["path"]
	}
	want := map[string]string{
		"acme/router@main": "routing-image routing/Dockerfile",
		"acme/router@dev":  "dev-routing-image routing/Dockerfile",
		"group/lab@main":   "lab-image routing/Dockerfile",
		"acme/plain@main":  "plain-image Dockerfile",
		"acme/plain@dev":   "plain-dev Dockerfile",
		"acme/escape@main": "escape-root Dockerfile",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
}
