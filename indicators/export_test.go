package indicators

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
)

// runDocs returns a compute function serving the documents of the
// current run, whose run id it stamps.
func runDocs(docs *[]Document, run *int) func(context.Context) ([]Document, []error, error) {
	return func(context.Context) ([]Document, []error, error) {
		*run++
		out := make([]Document, len(*docs))
		for i, d := range *docs {
			d.CrawlerRunID = fmt.Sprintf("2026120%d_000000", *run)
			d.Timestamp = "t" + fmt.Sprint(*run)
			out[i] = d
		}
		return out, nil, nil
	}
}

func twoDocs() []Document {
	return []Document{
		{Name: "api", FullName: "acme/api", BranchName: "main", Indicators: map[string]string{"boot": "3.2.4"}, MiscTasksResults: map[string]any{}},
		{Name: "web", FullName: "acme/web", BranchName: "main", Indicators: map[string]string{"boot": "2.7.18"}, MiscTasksResults: map[string]any{}},
	}
}

// TestExportHTTP checks that only changed documents and a run document
// are sent, that a target that is down is retried and then keeps the
// run's documents for the next run, and that the status says so.
func TestExportHTTP(t *testing.T) {
	var down atomic.Bool
	var mu sync.Mutex
	var got []string // ids received, in order
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got = append(got, strings.TrimPrefix(r.URL.Path, "/technologymap/_doc/"))
		mu.Unlock()
	}))
	defer srv.Close()
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}

	docs, run := twoDocs(), 0
	cfg := config.IndicatorsExport{HTTP: &config.ExportHTTP{URL: srv.URL + "/technologymap/_doc/{id}"}, Retries: 2}
	e := NewExporter(cfg, t.TempDir(), nil, runDocs(&docs, &run), nil)
	var sleeps int
	e.Sleep = func(context.Context, time.Duration) error { sleeps++; return nil }
	ctx := context.Background()

	// Run 1: the target is down.
	down.Store(true)
	if err := e.Run(ctx); err == nil {
		t.Fatal("run 1 with the target down: no error")
	}
	st := e.Status()
	if st.Failures != 1 || st.Pending != 3 || st.LastError == "" || sleeps != 2 {
		t.Errorf("after a failed run: %+v, %d sleeps; want 1 failure, 3 pending (2 documents, 1 run), 2 retries", st, sleeps)
	}

	// Run 2: back up; run 1's documents and run document go too.
	down.Store(false)
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ids := received()
	if len(ids) != 4 || !contains(ids, "run-20261201_000000") || !contains(ids, "run-20261202_000000") ||
		!contains(ids, ID("acme/api", "main")) || !contains(ids, ID("acme/web", "main")) {
		t.Errorf("run 2 sent %v; want both documents and both run documents", ids)
	}
	if st := e.Status(); st.Pending != 0 || st.LastError != "" || st.Sent != 4 {
		t.Errorf("after recovery: %+v", st)
	}

	// Run 3: nothing changed: the run document only.
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := received(); len(ids) != 1 || ids[0] != "run-20261203_000000" {
		t.Errorf("run 3 sent %v, want only its run document", ids)
	}

	// Run 4: one value changed: that document only, with the run document.
	docs[1].Indicators = map[string]string{"boot": "3.3.0"}
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := received(); len(ids) != 2 || ids[0] != ID("acme/web", "main") {
		t.Errorf("run 4 sent %v, want acme/web then the run document", ids)
	}

	// The queue survives a restart.
	down.Store(true)
	docs[0].Indicators = map[string]string{"boot": "9"}
	dir := t.TempDir()
	e = NewExporter(cfg, dir, nil, runDocs(&docs, &run), nil)
	e.Sleep = func(context.Context, time.Duration) error { return nil }
	e.Run(ctx)
	e2 := NewExporter(cfg, dir, nil, runDocs(&docs, &run), nil)
	if st := e2.Status(); st.Pending != 3 {
		t.Errorf("pending after a restart: %d, want 3", st.Pending)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestExportElasticsearch runs the export against the real Elasticsearch at
// TRAWL_ES_URL, behind a proxy that can refuse requests as a node that is
// down does.
func TestExportElasticsearch(t *testing.T) {
	esURL := os.Getenv("TRAWL_ES_URL")
	if esURL == "" {
		t.Skip("set TRAWL_ES_URL to run against Elasticsearch")
	}
	target, err := url.Parse(esURL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "node down", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	index := fmt.Sprintf("trawltest-export-%x", rand.Uint64())
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, strings.TrimRight(esURL, "/")+"/"+index, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	docs, run := twoDocs(), 0
	es := &ES{URL: srv.URL, Index: index}
	e := NewExporter(config.IndicatorsExport{Elasticsearch: &config.ExportES{URL: srv.URL, Index: index}, Retries: 1}, t.TempDir(), es, runDocs(&docs, &run), nil)
	e.Sleep = func(context.Context, time.Duration) error { return nil }
	ctx := context.Background()

	down.Store(true)
	if err := e.Run(ctx); err == nil {
		t.Fatal("export with the node down: no error")
	}
	down.Store(false)
	docs[0].Indicators = map[string]string{"boot": "3.3.1"}
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	get := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Get(strings.TrimRight(esURL, "/") + "/" + index + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	get("/_refresh")
	if n := get("/_count")["count"]; n != 4.0 {
		t.Errorf("%v documents in %s, want 4 (2 branches, 2 run documents)", n, index)
	}
	src, _ := get("/_doc/" + ID("acme/api", "main"))["_source"].(map[string]any)
	if ind, _ := src["indicators"].(map[string]any); ind["boot"] != "3.3.1" || src["crawlerRunId"] != "20261202_000000" {
		t.Errorf("acme/api@main: %v", src)
	}
	run1, _ := get("/_doc/run-20261201_000000")["_source"].(map[string]any)
	if run1["type"] != "crawlerRun" || run1["changed"] != 2.0 {
		t.Errorf("run 1's document, sent after the node came back: %v", run1)
	}
}
