package bench

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/indexer/elastic"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/web"
)

// These benchmarks run the crawl and the queries in the test process, for
// profiling (go test -run '^$' -bench Crawl -cpuprofile cpu.out
// ./internal/bench); the report's figures come from the program.

func BenchmarkCrawl(b *testing.B) {
	org := smallOrgB(b)
	var bytes int64
	for b.Loop() {
		b.StopTimer()
		idx, cr := newCrawl(b, org)
		b.StartTimer()
		sum, err := cr.Run(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		bytes = sum.BytesIndexed
		// Close waits for the segments to reach the disk, which is part
		// of a crawl as trawl crawl runs it.
		if err := idx.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bytes)
}

// BenchmarkSearch runs the report's queries on the small org, or on the
// existing bleve index folder named by TRAWL_BENCH_INDEX (the program leaves
// one in .bench/run-bleve/data/index), or on the Elasticsearch indices the
// program leaves at TRAWL_ES_URL when TRAWL_BENCH_ES=1.
func BenchmarkSearch(b *testing.B) {
	idx := benchIndex(b)
	defer idx.Close()
	s := search.New(idx)
	for _, q := range queries {
		b.Run(q.Kind+"/"+q.Query, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Search(b.Context(), q.Query, search.Options{MaxFiles: q.Limit}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchIndex opens the index BenchmarkSearch describes.
func benchIndex(b *testing.B) indexer.Index {
	b.Helper()
	switch url := os.Getenv("TRAWL_ES_URL"); {
	case os.Getenv("TRAWL_BENCH_ES") == "1" && url != "":
		x, err := elastic.Open(b.Context(), elastic.Options{Addresses: []string{url}, IndexPrefix: esPrefix})
		if err != nil {
			b.Fatal(err)
		}
		return x
	case os.Getenv("TRAWL_BENCH_INDEX") != "":
		// Read-only: a writer's Open would mark the folder with its
		// layout version, which an older trawl then refuses.
		x, err := bleve.OpenReadOnly(b.Context(), os.Getenv("TRAWL_BENCH_INDEX"))
		if err != nil {
			b.Fatal(err)
		}
		return x
	}
	return crawledSmallOrg(b)
}

// crawledSmallOrg crawls smallOrgB into a new bleve index.
func crawledSmallOrg(b *testing.B) indexer.Index {
	b.Helper()
	idx, cr := newCrawl(b, smallOrgB(b))
	if _, err := cr.Run(b.Context()); err != nil {
		b.Fatal(err)
	}
	return idx
}

// newCrawl opens a new bleve index and a crawler of org into it.
func newCrawl(b *testing.B, org *Org) (indexer.Index, *crawler.Crawler) {
	b.Helper()
	dir := b.TempDir()
	be := bleveBackend{}
	cfg, err := writeConfig(org, be, filepath.Join(dir, "data"), filepath.Join(dir, "trawl.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	idx, err := be.Open(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return idx, crawltest.New(b, cfg, idx, crawler.Options{})
}

// smallOrgB is the three-repository org of the tests, with three branches,
// or the org folder named by TRAWL_BENCH_ORG (e.g. one the program cached
// under .bench/) for a profile on more realistic volumes.
func smallOrgB(b *testing.B) *Org {
	b.Helper()
	if dir := os.Getenv("TRAWL_BENCH_ORG"); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			b.Fatal(err)
		}
		return &Org{Dir: abs}
	}
	goroot, err := goEnv(b.Context(), "GOROOT")
	if err != nil {
		b.Fatal(err)
	}
	org, err := generateOrg(b.Context(), b.TempDir(), OrgParams{Repos: 3, Branches: 3, Scale: 0.01, GoRoot: goroot}, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	return org
}

// BenchmarkServe answers the selective queries through the server's
// handler, as GET /api/search?limit=0 into a recorder, on the index of
// BenchmarkSearch: what the report's trawl serve column adds to the
// in-process figure (routing, limits, JSON), without the socket.
func BenchmarkServe(b *testing.B) {
	idx := benchIndex(b)
	defer idx.Close()
	h := web.New(web.Options{Index: idx, Searcher: search.New(idx), Logger: slog.New(slog.DiscardHandler)}).Handler()
	for _, q := range queries {
		if !q.selective() {
			continue
		}
		u := "/api/search?" + url.Values{"q": {q.Query}, "limit": {"0"}}.Encode()
		b.Run(q.Kind+"/"+q.Query, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost"+u, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", u, w.Code, w.Body)
				}
			}
		})
	}
}
