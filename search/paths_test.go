package search

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// recorder is a real index that remembers the path lists searches pass to
// Locations, to tell a narrowed search from a full one.
type recorder struct {
	indexer.Index
	mu    sync.Mutex
	paths [][]string // one per Locations call; nil for no restriction
}

func (r *recorder) Locations(ctx context.Context, q indexer.LocationQuery, fn func(indexer.Location) error) error {
	r.mu.Lock()
	r.paths = append(r.paths, slices.Sorted(slices.Values(q.Paths)))
	r.mu.Unlock()
	return r.Index.Locations(ctx, q, fn)
}

func (r *recorder) reset() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.paths
	r.paths = nil
	return p
}

// pathCorpus builds a real Bleve index with many paths over two repos and
// three branches, some locations skipped, some deleted after they were
// written (their paths may linger in the index's term dictionary).
func pathCorpus(t *testing.T) *recorder {
	t.Helper()
	ctx := context.Background()
	idx := tempIndex(t)

	texts := []string{
		"<artifactId>log4j-core</artifactId>\n<version>2.14.1</version>\n",
		"package main\n\nfunc main() {\n\tif err != nil {\n\t\treturn err\n\t}\n}\n",
		"# Title\nlog4j is mentioned here\n",
		"plain text\nwith pom.xml in it\n",
	}
	c := &indexer.Changes{}
	for _, text := range texts {
		c.Blobs = append(c.Blobs, indexer.Blob{ID: fakeID(text), Text: []byte(text),
			Trigrams: trigram.Extract([]byte(text)), Lines: strings.Count(text, "\n")})
	}
	dirs := []string{"", "svc/", "svc/api/", "lib/Pom/", "docs/"}
	names := []string{"pom.xml", "POM.XML", "main.go", "README.md", "notes.txt", "pom.xml.bak"}
	n := 0
	for _, repo := range []string{"acme/api", "acme/tools"} {
		for _, branch := range []string{"main", "dev", "release/1"} {
			c.PutBranches = append(c.PutBranches, indexer.Branch{Repo: repo, Name: branch, Commit: commitOf(repo, branch),
				Meta: indexer.Repo{Name: repo, DefaultBranch: "main"}})
			for _, d := range dirs {
				for _, name := range names {
					n++
					if n%4 == 0 {
						continue // not every path everywhere
					}
					l := indexer.Location{Repo: repo, Branch: branch, Path: d + name,
						Blob: c.Blobs[n%len(c.Blobs)].ID, Size: 10}
					if strings.HasSuffix(name, ".go") {
						l.Language = "Go"
					}
					if n%11 == 0 {
						l.Skip = indexer.SkipTooLarge
					}
					c.PutLocs = append(c.PutLocs, l)
				}
			}
		}
	}
	if err := idx.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	gone := indexer.Changes{DeleteLocs: []indexer.LocationKey{}}
	for _, l := range c.PutLocs {
		if strings.HasPrefix(l.Path, "docs/") {
			gone.DeleteLocs = append(gone.DeleteLocs, l.Key())
		}
	}
	if err := idx.Commit(ctx, &gone); err != nil {
		t.Fatal(err)
	}
	return &recorder{Index: idx}
}

func fakeID(text string) string {
	sum := sha1.Sum([]byte(text))
	return hex.EncodeToString(sum[:])
}

// TestPathScope checks that narrowing a search by its path filters changes
// no result, and that it narrows exactly when every match must pass a
// positive path filter.
func TestPathScope(t *testing.T) {
	rec := pathCorpus(t)
	narrow := New(rec)
	full := &Searcher{idx: rec}
	ctx := context.Background()
	tests := []struct {
		query  string
		narrow bool // whether Locations gets a path list
	}{
		{`file:pom\.xml`, true},
		{`file:pom\.xml$`, true},
		{`file:^svc/`, true},
		{`file:(?i)pom`, true},
		{`file:POM`, true},
		{`file:pom file:svc`, true},
		{`file:pom -file:svc`, true},
		{`file:pom or file:README`, true},
		{`file:pom repo:tools -branch:dev`, true},
		{`file:nothing-has-this`, true},
		{`file:^docs/`, true}, // deleted paths only
		{`log4j file:pom`, true},
		{`/^p/ file:main`, true},
		{`(file:pom or file:\.md$) log4j`, true},
		{`lang:go file:svc`, true},
		{`-file:pom`, false},
		{`-file:pom log4j`, false},
		{`file:pom or log4j`, false},
		{`file:pom or repo:tools`, false},
		{`-(file:pom or file:main)`, false},
		{`-(-file:pom)`, true},
		{`log4j`, false},
		{`repo:api`, false},
		{`file:.`, false}, // keeps every path: nothing to narrow
	}
	for _, tt := range tests {
		want, err := full.Search(ctx, tt.query, Options{})
		if err != nil {
			t.Fatalf("Search(%q) without narrowing: %v", tt.query, err)
		}
		rec.reset()
		got, err := narrow.Search(ctx, tt.query, Options{})
		if err != nil {
			t.Fatalf("Search(%q): %v", tt.query, err)
		}
		if !reflect.DeepEqual(got.Files, want.Files) {
			t.Errorf("Search(%q) =\n\t%q\nwithout narrowing\n\t%q", tt.query, summary(got.Files), summary(want.Files))
		}
		calls := rec.reset()
		narrowed := len(calls) > 0 && calls[0] != nil
		for _, p := range calls {
			if (p != nil) != narrowed {
				t.Errorf("Search(%q): Locations calls disagree on narrowing: %q", tt.query, calls)
			}
		}
		if narrowed != tt.narrow && len(calls) > 0 {
			t.Errorf("Search(%q) passed paths %q, want narrowing %v", tt.query, calls, tt.narrow)
		}
		if tt.narrow {
			for _, f := range want.Files {
				if len(calls) == 0 || !slices.Contains(calls[0], f.Path) {
					t.Errorf("Search(%q) finds %s but its path list %q lacks it", tt.query, f.Path, calls)
				}
			}
		}
	}
	// The corpus must give the comparisons something to compare.
	if res, _ := full.Search(ctx, `file:pom\.xml`, Options{}); len(res.Files) < 10 {
		t.Fatalf("corpus gives %d files for file:pom\\.xml, want many", len(res.Files))
	}
	if res, _ := full.Search(ctx, `log4j file:pom`, Options{}); len(res.Files) == 0 {
		t.Fatal("corpus gives no file for log4j file:pom")
	}
}

// TestPathScopeTooMany checks that a filter leaving more paths than the
// bound lists every location, with the same result.
func TestPathScopeTooMany(t *testing.T) {
	rec := pathCorpus(t)
	ctx := context.Background()
	bounded := &Searcher{idx: rec, scanPaths: 3, candidatePaths: 3}
	for _, q := range []string{`file:pom`, `log4j file:pom`, `file:README`} {
		want, err := (&Searcher{idx: rec}).Search(ctx, q, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec.reset()
		got, err := bounded.Search(ctx, q, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Files, want.Files) {
			t.Errorf("Search(%q) bounded =\n\t%q\nwant\n\t%q", q, summary(got.Files), summary(want.Files))
		}
		for _, p := range rec.reset() {
			if p != nil {
				t.Errorf("Search(%q) passed %d paths beyond the bound of 3", q, len(p))
			}
		}
	}
}
