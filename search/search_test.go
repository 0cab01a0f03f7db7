package search

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

// fixture texts, keyed by a short name; blob ids are their git-like hashes.
var fixtureTexts = map[string]string{
	"pom-new":  "<artifactId>log4j-core</artifactId>\n<version>2.14.1</version>\n",
	"pom-old":  "<artifactId>log4j-core</artifactId>\n<version>2.17.0</version>\n",
	"main-go":  "package main\n\nfunc main() {\n\tif err != nil {\n\t\treturn err\n\t}\n}\n",
	"main-go2": "package main\n// Kelvin: \u212a\n",
	"readme":   "# API\nHello World\r\nbye\n",
	"gradle":   "implementation 'org.apache.logging.log4j:log4j-core:2.14.1'",
	"notes":    "foo\r\nbar\n",
	"orphan":   "log4j on a branch with no state\n",
}

func blobID(name string) string {
	sum := sha1.Sum([]byte(fixtureTexts[name]))
	return hex.EncodeToString(sum[:])
}

func commitOf(repo, branch string) string {
	sum := sha1.Sum([]byte(repo + "@" + branch))
	return hex.EncodeToString(sum[:])
}

// tempIndex is a new, empty Bleve index in a folder of the test's, closed
// with the test.
func tempIndex(t *testing.T) *bleve.Index {
	t.Helper()
	idx, err := bleve.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

// newFixture builds a real Bleve index holding three repositories.
func newFixture(t *testing.T) *Searcher {
	t.Helper()
	ctx := context.Background()
	idx := tempIndex(t)

	c := &indexer.Changes{}
	for name, text := range fixtureTexts {
		c.Blobs = append(c.Blobs, indexer.Blob{
			ID: blobID(name), Text: []byte(text), Trigrams: trigram.Extract([]byte(text)),
			Lines: strings.Count(text, "\n") + 1,
		})
	}
	lang := map[string]string{"pom.xml": "Maven POM", "main.go": "Go", "README.md": "Markdown", "build.gradle": "Gradle", "notes.txt": "Text"}
	loc := func(repo, branch, path, blob string) {
		c.PutLocs = append(c.PutLocs, indexer.Location{
			Repo: repo, Branch: branch, Path: path, Blob: blobID(blob),
			Language: lang[path], Size: int64(len(fixtureTexts[blob])),
		})
	}
	api := indexer.Repo{Name: "acme/api", URL: "https://github.com/acme/api", DefaultBranch: "main"}
	tools := indexer.Repo{Name: "acme/tools", DefaultBranch: "master"}
	sandbox := indexer.Repo{Name: "other/sandbox", DefaultBranch: "trunk"}
	branch := func(meta indexer.Repo, name string) {
		c.PutBranches = append(c.PutBranches, indexer.Branch{Repo: meta.Name, Name: name, Commit: commitOf(meta.Name, name), Meta: meta})
	}
	for _, b := range []string{"main", "release/1.0", "feature/x"} {
		branch(api, b)
	}
	branch(tools, "master")
	branch(sandbox, "trunk")

	loc("acme/api", "main", "pom.xml", "pom-new")
	loc("acme/api", "main", "main.go", "main-go")
	loc("acme/api", "main", "README.md", "readme")
	loc("acme/api", "release/1.0", "pom.xml", "pom-old")
	loc("acme/api", "release/1.0", "main.go", "main-go")
	loc("acme/api", "release/1.0", "README.md", "readme")
	loc("acme/api", "feature/x", "pom.xml", "pom-new")
	loc("acme/api", "feature/x", "main.go", "main-go2")
	loc("acme/tools", "master", "build.gradle", "gradle")
	loc("acme/tools", "master", "main.go", "main-go")
	loc("other/sandbox", "trunk", "notes.txt", "notes")
	// A branch whose crawl has not finished: its state is not written.
	loc("acme/api", "wip", "pom.xml", "orphan")

	if err := idx.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	return New(idx)
}

// summary renders files as "repo:path@branch,branch:line,line".
func summary(files []File) []string {
	out := []string{}
	for _, f := range files {
		var bs, ls []string
		for _, b := range f.Branches {
			bs = append(bs, b.Name)
		}
		for _, m := range f.Matches {
			ls = append(ls, fmt.Sprint(m.Line))
		}
		out = append(out, fmt.Sprintf("%s:%s@%s:%s", f.Repo, f.Path, strings.Join(bs, ","), strings.Join(ls, ",")))
	}
	return out
}

func TestSearchQueries(t *testing.T) {
	s := newFixture(t)
	tests := []struct {
		query string
		want  []string
	}{
		{`log4j`, []string{
			"acme/api:pom.xml@main,feature/x:1", // default branch first
			"acme/api:pom.xml@release/1.0:1",
			"acme/tools:build.gradle@master:1",
		}},
		{`"2.14.1"`, []string{"acme/api:pom.xml@main,feature/x:2", "acme/tools:build.gradle@master:1"}},
		{`/2\.1[47]\.[01]</`, []string{"acme/api:pom.xml@main,feature/x:2", "acme/api:pom.xml@release/1.0:2"}},
		{`err != nil`, []string{"acme/api:main.go@main,release/1.0:4,5", "acme/tools:main.go@master:4,5"}},
		{`"err != nil"`, []string{"acme/api:main.go@main,release/1.0:4", "acme/tools:main.go@master:4"}},
		{`hello`, []string{"acme/api:README.md@main,release/1.0:2"}},
		{`Hello`, []string{"acme/api:README.md@main,release/1.0:2"}},
		{`HELLO`, []string{}},
		{`case:yes hello`, []string{}},
		{`case:no HELLO`, []string{"acme/api:README.md@main,release/1.0:2"}},
		{`kelvin`, []string{"acme/api:main.go@feature/x:2"}},
		{`/World\r$/`, []string{"acme/api:README.md@main,release/1.0:2"}},
		{`/^bar$/`, []string{"other/sandbox:notes.txt@trunk:2"}},
		{`/^foo$/`, []string{}}, // the line is "foo\r"
		{`hello or kelvin`, []string{"acme/api:README.md@main,release/1.0:2", "acme/api:main.go@feature/x:2"}},
		{`package -err`, []string{"acme/api:main.go@feature/x:1"}},
		{`log4j -repo:api`, []string{"acme/tools:build.gradle@master:1"}},
		{`log4j repo:^acme/api$ branch:release`, []string{"acme/api:pom.xml@release/1.0:1"}},
		{`package branch:^feature/`, []string{"acme/api:main.go@feature/x:1"}},
		{`log4j -branch:main`, []string{"acme/api:pom.xml@feature/x:1", "acme/api:pom.xml@release/1.0:1", "acme/tools:build.gradle@master:1"}},
		{`lang:go return`, []string{"acme/api:main.go@main,release/1.0:5", "acme/tools:main.go@master:5"}},
		{`lang:"maven pom" 2.17`, []string{"acme/api:pom.xml@release/1.0:2"}},
		{`file:\.go$ or file:README`, []string{
			"acme/api:README.md@main,release/1.0:",
			"acme/api:main.go@main,release/1.0:",
			"acme/api:main.go@feature/x:",
			"acme/tools:main.go@master:",
		}},
		{`file:pom.xml repo:api`, []string{"acme/api:pom.xml@main,feature/x:", "acme/api:pom.xml@release/1.0:"}},
		{`(file:pom or file:gradle) 2.14`, []string{"acme/api:pom.xml@main,feature/x:2", "acme/tools:build.gradle@master:1"}},
		{`(log4j file:gradle) or (hello file:README)`, []string{"acme/api:README.md@main,release/1.0:2", "acme/tools:build.gradle@master:1"}},
		{`/^p/`, []string{ // no trigram: every location is listed and verified
			"acme/api:main.go@main,release/1.0:1",
			"acme/api:main.go@feature/x:1",
			"acme/tools:main.go@master:1",
		}},
		{`-log4j file:pom`, []string{}},
		{`repo:nothing-here log4j`, []string{}},
	}
	for _, tt := range tests {
		res, err := s.Search(context.Background(), tt.query, Options{})
		if err != nil {
			t.Errorf("Search(%q): %v", tt.query, err)
			continue
		}
		if got := summary(res.Files); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Search(%q) =\n\t%q\nwant\n\t%q", tt.query, got, tt.want)
		}
		if res.Stats.Files != len(res.Files) || res.Stats.LimitHit {
			t.Errorf("Search(%q) stats %+v for %d files", tt.query, res.Stats, len(res.Files))
		}
	}
}

func TestSearchResultDetails(t *testing.T) {
	s := newFixture(t)
	res, err := s.Search(context.Background(), `log4j-core`, Options{Context: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Files[0]
	want := File{
		Repo: "acme/api", Path: "pom.xml", Blob: blobID("pom-new"), Language: "Maven POM",
		Branches: []BranchRef{
			{Name: "main", Commit: commitOf("acme/api", "main")},
			{Name: "feature/x", Commit: commitOf("acme/api", "feature/x")},
		},
		URL: "https://github.com/acme/api/blob/" + commitOf("acme/api", "main") + "/pom.xml#L1",
		Matches: []Match{{
			Line: 1, Text: "<artifactId>log4j-core</artifactId>", Ranges: [][2]int{{12, 22}},
			Before: []string{}, After: []string{"<version>2.14.1</version>"},
		}},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("file =\n%+v\nwant\n%+v", f, want)
	}
	if tools := res.Files[2]; tools.URL != "" {
		t.Errorf("URL of a repo without a web page = %q, want empty", tools.URL)
	}
	if res.Stats.Matches != 3 || res.Stats.Candidates != 3 {
		t.Errorf("stats = %+v, want 3 matches from 3 candidates", res.Stats)
	}
}

func TestSearchFiltersOnlyJSON(t *testing.T) {
	s := newFixture(t)
	res, err := s.Search(context.Background(), `file:notes`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Candidates != 0 {
		t.Errorf("filters-only query read %d blobs, want 0", res.Stats.Candidates)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"matches":[]`) || strings.Contains(string(b), "null") {
		t.Errorf("JSON %s: want empty matches as [] and no null", b)
	}
	if res.Files[0].URL != "" {
		t.Errorf("URL = %q, want empty", res.Files[0].URL)
	}

	empty, err := s.Search(context.Background(), `nothing-matches-this`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(empty); !strings.Contains(string(b), `"files":[]`) {
		t.Errorf("JSON %s: want files as []", b)
	}
}

func TestSearchLimits(t *testing.T) {
	s := newFixture(t)
	ctx := context.Background()

	res, err := s.Search(ctx, `log4j`, Options{MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || !res.Stats.LimitHit {
		t.Errorf("MaxFiles 2: %d files, limit_hit %v; want 2 and true", len(res.Files), res.Stats.LimitHit)
	}
	res, err = s.Search(ctx, `log4j`, Options{MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 3 || res.Stats.LimitHit {
		t.Errorf("MaxFiles 3 of 3: %d files, limit_hit %v; want 3 and false", len(res.Files), res.Stats.LimitHit)
	}
	res, err = s.Search(ctx, `err`, Options{MaxMatches: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Matches != 3 || !res.Stats.LimitHit || len(res.Files) != 2 {
		t.Errorf("MaxMatches 3: %d matches in %d files, limit_hit %v; want 3 in 2, true", res.Stats.Matches, len(res.Files), res.Stats.LimitHit)
	}
	// A deadline already past when the search starts.
	res, err = s.Search(ctx, `log4j`, Options{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatalf("timeout: %v", err)
	}
	if !res.Stats.LimitHit {
		t.Error("timeout: limit_hit false")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Search(cancelled, `log4j`, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v, want context.Canceled", err)
	}
}

func TestStream(t *testing.T) {
	s := newFixture(t)
	var got []File
	stats, err := s.Stream(context.Background(), `log4j`, Options{}, func(f File) error {
		got = append(got, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || stats.Files != 3 {
		t.Errorf("streamed %d files, stats %+v; want 3", len(got), stats)
	}
	stop := errors.New("stop here")
	n := 0
	_, err = s.Stream(context.Background(), `log4j`, Options{}, func(File) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("fn error: got %v after %d files, want %v after 1", err, n, stop)
	}
}

func TestSearchParseError(t *testing.T) {
	s := newFixture(t)
	_, err := s.Search(context.Background(), `foo (bar`, Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Pos != 4 {
		t.Errorf("error %v, want *ParseError at 4", err)
	}
}
