package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/indexer/elastic"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/estest"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/webhook"
)

// loadConfig writes yaml (without an index section) to a trawl.yaml whose
// Bleve index lives in a fresh folder, and loads it as trawl would.
func loadConfig(t *testing.T, yaml string) *config.Config {
	return loadConfigOn(t, "bleve", yaml)
}

// backends lists the index backends the tests run on: Bleve always,
// Elasticsearch when TRAWL_ES_URL names a node (scripts/elasticsearch.sh).
func backends(t *testing.T) []string {
	if estest.URL() == "" {
		t.Log("Elasticsearch runs skipped: set TRAWL_ES_URL (bash scripts/elasticsearch.sh start) to run them too")
		return []string{"bleve"}
	}
	return []string{"bleve", "elasticsearch"}
}

// loadConfigOn is loadConfig on the named backend, with fresh indices.
func loadConfigOn(t *testing.T, backend, yaml string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	yaml += fmt.Sprintf("index:\n  path: %s\n", filepath.Join(dir, "data"))
	if backend == "elasticsearch" {
		yaml += fmt.Sprintf("  backend: elasticsearch\n  elasticsearch:\n    addresses: [%s]\n    index_prefix: %s\n", estest.URL(), estest.Prefix(t))
	}
	path := filepath.Join(dir, "trawl.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openIndex opens cfg's index, closed when the test ends.
func openIndex(t *testing.T, cfg *config.Config) indexer.Index {
	t.Helper()
	var (
		idx indexer.Index
		err error
	)
	if cfg.Index.Backend == "elasticsearch" {
		idx, err = elastic.Open(context.Background(), elastic.Options{Addresses: cfg.Index.Elasticsearch.Addresses, IndexPrefix: cfg.Index.Elasticsearch.IndexPrefix})
	} else {
		idx, err = bleve.Open(context.Background(), filepath.Join(cfg.Index.Path, "index"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

// crawl runs one crawl of srcs (all of cfg's when srcs is nil, built as
// trawl crawl builds them) into idx, limited to repos when given, and fails the
// test on an index error. Per-repository errors are in the summary.
func crawl(t *testing.T, cfg *config.Config, idx indexer.Index, srcs []source.Source, repos ...string) *crawler.Summary {
	t.Helper()
	sum, err := crawltest.New(t, cfg, idx, crawler.Options{Sources: srcs, Repos: repos}).Run(context.Background())
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	return sum
}

// hits runs an exhaustive query and returns its matches as
// repo@branch:path:line, sorted.
// crawlerOK returns crawl for one test's configuration, index and
// sources: it crawls repos (every one when none) and fails the test on any
// crawl error.
func crawlerOK(t *testing.T, cfg *config.Config, idx indexer.Index, srcs []source.Source) func(repos ...string) *crawler.Summary {
	return func(repos ...string) *crawler.Summary {
		t.Helper()
		sum := crawl(t, cfg, idx, srcs, repos...)
		if len(sum.Errors) > 0 {
			t.Fatalf("crawl %v: %+v", repos, sum.Errors)
		}
		return sum
	}
}

// deliver sends a webhook delivery and returns the answer's status.
func deliver(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// hookServer serves the webhook routes sources.Hooks mounts for cfg, as
// trawl serve does; it stops with the test.
func hookServer(t *testing.T, cfg *config.Config, ev webhook.Events) *httptest.Server {
	t.Helper()
	routes, err := sources.Hooks(cfg, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for route, h := range routes {
		mux.Handle(route, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func hits(t *testing.T, idx indexer.Index, query string) []string {
	t.Helper()
	res, err := search.New(idx).Search(context.Background(), query, search.Options{})
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	if res.Stats.LimitHit {
		t.Fatalf("search %q hit a limit on an exhaustive search", query)
	}
	var out []string
	for _, f := range res.Files {
		for _, b := range f.Branches {
			for _, m := range f.Matches {
				out = append(out, fmt.Sprintf("%s@%s:%s:%d", f.Repo, b.Name, f.Path, m.Line))
			}
		}
	}
	slices.Sort(out)
	return out
}

// grepHits runs git grep with args on every branch of each repository
// (full name -> work tree or bare repository) and returns the matches as
// hits does.
func grepHits(t *testing.T, repos map[string]string, args ...string) []string {
	t.Helper()
	var out []string
	for name, dir := range repos {
		for _, h := range gittest.Grep(t, dir, args...) {
			out = append(out, fmt.Sprintf("%s@%s:%s:%d", name, h.Branch, h.Path, h.Line))
		}
	}
	slices.Sort(out)
	return out
}

// checkParity fails the test unless query finds exactly what git grep
// with args finds on repos, and that is something.
func checkParity(t *testing.T, idx indexer.Index, repos map[string]string, query string, args ...string) {
	t.Helper()
	want := grepHits(t, repos, args...)
	if len(want) == 0 {
		t.Fatalf("git grep %v finds nothing: the corpus does not exercise %q", args, query)
	}
	if got := hits(t, idx, query); !slices.Equal(got, want) {
		t.Errorf("query %q:\n got %v\nwant %v (git grep %v)", query, got, want, args)
	}
}

// TestDirParity is the harness checking itself on the simplest source: a
// folder of clones, crawled and searched, equals git grep.
func TestDirParity(t *testing.T) {
	root := t.TempDir()
	api := gittest.Init(t, filepath.Join(root, "api"))
	api.Commit("first", map[string]string{"app.yaml": "timeout: 30\nretries: 2\n"})
	api.Git("checkout", "-q", "-b", "slow")
	api.Commit("slower", map[string]string{"app.yaml": "timeout: 90\nretries: 2\n"})
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - dir: %s\n", root))
	idx := openIndex(t, cfg)
	if sum := crawl(t, cfg, idx, nil); len(sum.Errors) > 0 {
		t.Fatalf("crawl errors: %+v", sum.Errors)
	}
	checkParity(t, idx, map[string]string{"api": api.Dir}, "timeout", "-i", "-F", "-e", "timeout")
	checkParity(t, idx, map[string]string{"api": api.Dir}, "/timeout: [0-9]0/", "-E", "-e", "timeout: [0-9]0")
}
