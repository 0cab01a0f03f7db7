package web

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/lang"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/trigram"
)

// testRepo is a repository to put in a test index: each branch maps paths
// to contents. A content starting with "\x00" is stored as a binary skip.
type testRepo struct {
	name          string
	defaultBranch string
	branches      map[string]map[string]string
	// link and lineLink, when set, are the forge's permalink templates
	// (indexer.Repo.Link); by default repositories are on GitHub.
	link, lineLink string
}

// crawledAt is the crawl time of every fixture branch.
var crawledAt = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// gitBlobID is the id git gives content, so fixtures look like crawls.
func gitBlobID(text string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(text))
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil))
}

// commitID is a stand-in head commit for a branch.
func commitID(repo, branch string) string {
	return gitBlobID("commit " + repo + "@" + branch)
}

// openIndex returns a real Bleve index in a temporary folder, filled with
// repos in one Commit, as a crawl would write it.
func openIndex(t testing.TB, repos []testRepo) indexer.Index {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })

	c := &indexer.Changes{}
	seen := map[string]bool{}
	for _, r := range repos {
		meta := indexer.Repo{Name: r.name, URL: "https://github.com/" + r.name, DefaultBranch: r.defaultBranch, Visibility: "private",
			Link: r.link, LineLink: r.lineLink}
		for branch, files := range r.branches {
			counts := &indexer.BranchCounts{} // as the crawl keeps them
			for path, text := range files {
				id := gitBlobID(text)
				loc := indexer.Location{Repo: r.name, Branch: branch, Path: path, Blob: id,
					Language: lang.Of(path), Size: int64(len(text))}
				if len(text) > 0 && text[0] == 0 {
					loc.Skip = indexer.SkipBinary
				} else if !seen[id] {
					seen[id] = true
					c.Blobs = append(c.Blobs, indexer.Blob{ID: id, Text: []byte(text),
						Trigrams: trigram.Extract([]byte(text)), Lines: indexer.CountLines([]byte(text))})
				}
				c.PutLocs = append(c.PutLocs, loc)
				counts.Add(loc)
			}
			c.PutBranches = append(c.PutBranches, indexer.Branch{Repo: r.name, Name: branch,
				Commit: commitID(r.name, branch), Settings: "test", CrawledAt: crawledAt, Meta: meta, Counts: counts})
		}
	}
	if err := idx.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	return idx
}

// serve starts the server's handler over idx.
func serve(t testing.TB, idx indexer.Index, o Options) *httptest.Server {
	t.Helper()
	o.Index = idx
	o.Searcher = search.New(idx)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	srv := httptest.NewServer(New(o).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path from srv with an optional bearer token.
func get(t testing.TB, srv *httptest.Server, path, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// putDeps writes dependency records as a crawl would: each branch's
// records replace the old ones, committed with the branch's state. Commit
// and the branch state come from the index, so records follow the heads.
func putDeps(t testing.TB, idx indexer.Index, recs []indexer.Dependency) {
	t.Helper()
	ctx := context.Background()
	branches, err := idx.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	heads := map[indexer.BranchKey]indexer.Branch{}
	for _, b := range branches {
		heads[b.Key()] = b
	}
	c := &indexer.Changes{}
	byBranch := map[indexer.BranchKey]int{}
	for _, d := range recs {
		k := indexer.BranchKey{Repo: d.Repo, Name: d.Branch}
		head, ok := heads[k]
		if !ok {
			t.Fatalf("dependency on unknown branch %v", k)
		}
		d.Commit = head.Commit
		i, ok := byBranch[k]
		if !ok {
			i = len(c.PutDeps)
			byBranch[k] = i
			c.PutDeps = append(c.PutDeps, indexer.BranchDeps{Branch: k})
			c.PutBranches = append(c.PutBranches, head)
		}
		c.PutDeps[i].Deps = append(c.PutDeps[i].Deps, d)
	}
	if err := idx.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
}
