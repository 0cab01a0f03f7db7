package elastic

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/indexertest"
	"github.com/trawl-dev/trawl/trigram"
)

// esConfig returns the configuration of a test cluster with an index
// prefix of its own, whose indices are deleted when t ends.
func esConfig(t *testing.T) Options {
	t.Helper()
	url := os.Getenv("TRAWL_ES_URL")
	if url == "" {
		t.Skip("set TRAWL_ES_URL (scripts/elasticsearch.sh start) to run the Elasticsearch tests")
	}
	var b [6]byte
	rand.Read(b[:])
	cfg := Options{Addresses: []string{url}, IndexPrefix: "trawltest-" + hex.EncodeToString(b[:])}
	t.Cleanup(func() { deleteIndices(t, cfg) })
	return cfg
}

func deleteIndices(t *testing.T, cfg Options) {
	c, err := newClient(Options{Addresses: cfg.Addresses})
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	defer c.Close(context.Background())
	var names []string
	for _, s := range []string{"blobs", "locations", "branches", "deps", "lease", "compliance"} {
		names = append(names, cfg.IndexPrefix+"-"+s)
	}
	res, err := c.do(context.Background(), request{method: http.MethodDelete, path: []string{strings.Join(names, ",")},
		query: url.Values{"ignore_unavailable": {"true"}}})
	if err := check(res, err); err != nil {
		t.Errorf("cleanup: delete %v: %v", names, err)
		return
	}
	res.Body.Close()
}

func open(t *testing.T, cfg Options) *Index {
	t.Helper()
	x, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func TestConformance(t *testing.T) {
	var (
		mu   sync.Mutex
		cfgs = map[*testing.T]Options{}
	)
	indexertest.Run(t, func(t *testing.T) indexer.Index {
		mu.Lock()
		cfg, ok := cfgs[t]
		mu.Unlock()
		if !ok {
			cfg = esConfig(t)
			mu.Lock()
			cfgs[t] = cfg
			mu.Unlock()
		}
		return open(t, cfg)
	})
}

// setWriteBlock makes index refuse (or accept again) every write, so that
// each bulk item fails on the server.
func setWriteBlock(t *testing.T, x *Index, index string, on bool) {
	t.Helper()
	body := `{"index.blocks.write": ` + map[bool]string{true: "true", false: "null"}[on] + `}`
	res, err := x.client.do(context.Background(), request{method: http.MethodPut, path: []string{index, "_settings"},
		body: strings.NewReader(body)})
	if err := check(res, err); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func TestBulkItemFailure(t *testing.T) {
	ctx := context.Background()
	x := open(t, esConfig(t))
	setWriteBlock(t, x, x.locations, true)
	t.Cleanup(func() { setWriteBlock(t, x, x.locations, false) })

	text := []byte("package main\n")
	c := &indexer.Changes{
		Blobs: []indexer.Blob{{ID: "b1", Text: text, Trigrams: trigram.Extract(text), Lines: 1}},
		PutLocs: []indexer.Location{
			{Repo: "acme/api", Branch: "main", Path: "cmd/main.go", Blob: "b1", Size: 13},
			{Repo: "acme/api", Branch: "main", Path: "other.go", Blob: "b1", Size: 13},
		},
		PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main", Commit: "c1"}},
	}
	err := x.Commit(ctx, c)
	if err == nil {
		t.Fatal("Commit into a write-blocked index succeeded")
	}
	for _, want := range []string{
		"write locations", "2 of the items failed",
		"location acme/api@main:cmd/main.go", "location acme/api@main:other.go",
		"status 403", "cluster_block_exception", "blocked by",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Commit error %q does not contain %q", err, want)
		}
	}
	// The branch state comes after the locations and must not be written
	// when they failed.
	if err := x.refresh(ctx, x.branches); err != nil {
		t.Fatal(err)
	}
	if bs, err := x.Branches(ctx); err != nil || len(bs) != 0 {
		t.Errorf("Branches() after a failed commit = %v, %v; want none", bs, err)
	}
}

func TestOpenWrongAddress(t *testing.T) {
	// Nothing listens on port 1 of loopback.
	_, err := Open(context.Background(), Options{Addresses: []string{"http://127.0.0.1:1"}, IndexPrefix: "x"})
	if err == nil {
		t.Fatal("Open of an address where nothing listens succeeded")
	}
	for _, want := range []string{"open elasticsearch at http://127.0.0.1:1", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not contain %q", err, want)
		}
	}
}

func TestOpenBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Options
		want string
	}{
		{Options{IndexPrefix: "Trawl"}, `index_prefix "Trawl"`},
		{Options{Addresses: []string{"http://u:p@127.0.0.1:1"}}, "credentials belong in the username, password or API key options"},
		{Options{CACertFile: "/nonexistent/ca.pem"}, "read CA certificate: open /nonexistent/ca.pem"},
	} {
		_, err := Open(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) error = %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
}

func TestOpenOtherSchema(t *testing.T) {
	cfg := esConfig(t)
	x := open(t, cfg)
	res, err := x.client.do(context.Background(), putMapping(x.branches, strings.NewReader(`{"_meta": {"trawl_schema": 99}}`)))
	if err := check(res, err); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	_, err = Open(context.Background(), cfg)
	want := fmt.Sprintf("index %s exists with trawl schema 99, want %d", x.branches, schemaVersion)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open over another schema: error %v, want one containing %q", err, want)
	}
}

// TestMappingsSchema checks, without a cluster, that every mapping is valid
// JSON, strict, and carries the schema version Open checks.
func TestMappingsSchema(t *testing.T) {
	for name, body := range map[string]string{
		"blobs": blobsMapping, "locations": locationsMapping, "branches": branchesMapping, "deps": depsMapping,
	} {
		var m struct {
			Mappings struct {
				Dynamic string `json:"dynamic"`
				Meta    struct {
					Schema int `json:"trawl_schema"`
				} `json:"_meta"`
			} `json:"mappings"`
		}
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Errorf("%s mapping: %v", name, err)
			continue
		}
		if m.Mappings.Meta.Schema != schemaVersion || m.Mappings.Dynamic != "strict" {
			t.Errorf("%s mapping: schema %d, dynamic %q; want %d, strict", name, m.Mappings.Meta.Schema, m.Mappings.Dynamic, schemaVersion)
		}
	}
}

// TestDepsPaging lists more dependency records than one search page holds,
// so the search_after cursor, with its numeric line, carries the order.
func TestDepsPaging(t *testing.T) {
	ctx := context.Background()
	x := open(t, esConfig(t))
	var c indexer.Changes
	n := 0
	for _, k := range []indexer.BranchKey{{Repo: "r", Name: "main"}, {Repo: "r", Name: "dev"}} {
		var ds []indexer.Dependency
		for i := range pageSize/2 + 300 {
			// Each line twice, so seq is what tells records apart.
			ds = append(ds, indexer.Dependency{Path: "package-lock.json", Line: i / 2, Ecosystem: "npm", Name: "p"})
		}
		c.PutDeps = append(c.PutDeps, indexer.BranchDeps{Branch: k, Deps: ds})
		n += len(ds)
	}
	if err := x.Commit(ctx, &c); err != nil {
		t.Fatal(err)
	}
	var got []indexer.Dependency
	err := x.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		got = append(got, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("Deps listed %d records, want %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.Branch > b.Branch || (a.Branch == b.Branch && a.Line > b.Line) {
			t.Fatalf("Deps out of order at %d: %+v then %+v", i, a, b)
		}
	}
}

func TestBlobTexts(t *testing.T) {
	idx := open(t, esConfig(t))
	ctx := context.Background()
	a, b := []byte("alpha text\n"), []byte("beta text\n")
	err := idx.Commit(ctx, &indexer.Changes{Blobs: []indexer.Blob{
		{ID: strings.Repeat("a", 40), Text: a, Trigrams: trigram.Extract(a), Lines: 1},
		{ID: strings.Repeat("b", 40), Text: b, Trigrams: trigram.Extract(b), Lines: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := idx.BlobTexts(ctx, []string{strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[strings.Repeat("a", 40)]) != string(a) || string(got[strings.Repeat("b", 40)]) != string(b) {
		t.Fatalf("BlobTexts = %q", got)
	}
}

// TestManyBlobs writes a commit of blobs large enough for several bulk
// requests in flight at once, and reads them back in several _mget
// requests at once: every text arrives whole, under its own id.
func TestManyBlobs(t *testing.T) {
	idx := open(t, esConfig(t))
	ctx := context.Background()
	var (
		blobs []indexer.Blob
		ids   []string
		total int
	)
	for i := range 150 {
		text := []byte(strings.Repeat(fmt.Sprintf("line %d of blob %d\n", i, i), 40<<10/20))
		id := fmt.Sprintf("%040x", i)
		blobs = append(blobs, indexer.Blob{ID: id, Text: text, Trigrams: trigram.Extract(text), Lines: bytes.Count(text, []byte("\n"))})
		ids = append(ids, id)
		total += len(text)
	}
	if total < 2*bulkBytes/4 {
		t.Fatalf("%d bytes of text make one bulk request; the test wants several", total)
	}
	if err := idx.Commit(ctx, &indexer.Changes{Blobs: blobs}); err != nil {
		t.Fatal(err)
	}
	got, err := idx.BlobTexts(ctx, append(ids, strings.Repeat("f", 40)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(blobs) {
		t.Errorf("BlobTexts found %d of %d blobs", len(got), len(blobs))
	}
	for _, b := range blobs {
		if !bytes.Equal(got[b.ID], b.Text) {
			t.Errorf("blob %s: text of %d bytes, want %d", b.ID, len(got[b.ID]), len(b.Text))
		}
	}
}

// TestOpenWritesNothing opens indices that are in place through a proxy
// that records each request: a second Open reads and never writes, since
// every trawl search opens the index and a create or a mapping put is a
// task for the master node even when it changes nothing. An old branches
// index without the generation field gets it.
func TestOpenWritesNothing(t *testing.T) {
	cfg := esConfig(t)
	var (
		mu   sync.Mutex
		seen []string
	)
	via := viaProxy(t, cfg, func(r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
	})
	requests := func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := seen
		seen = nil
		return s
	}

	first := open(t, via)
	if got := requests(); !slices.Contains(got, "PUT /"+first.blobs) {
		t.Errorf("first Open of a new prefix sent %q, want the indices created", got)
	}
	open(t, via)
	got := requests()
	for _, r := range got {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("second Open sent %s; want reads only (all: %q)", r, got)
		}
	}
	if len(got) > 2 {
		t.Errorf("second Open sent %d requests, want 2 (health, mappings): %q", len(got), got)
	}
	ro := via
	ro.ReadOnly = true
	open(t, ro)
	if got := requests(); len(got) != 1 || !strings.HasSuffix(got[0], "/_mapping") {
		t.Errorf("a reader's Open sent %q, want the mappings read only", got)
	}
	fresh := esConfig(t)
	fresh.Addresses, fresh.ReadOnly = via.Addresses, true
	created := open(t, fresh)
	got = requests()
	health := slices.Index(got, "GET /_cluster/health")
	if put := slices.Index(got, "PUT /"+created.blobs); put < 0 || health < 0 || health > put {
		t.Errorf("a reader's Open of a new prefix sent %q, want cluster health before creating the indices", got)
	}

	// A branches index from before the generation field: made here with
	// the mapping minus that field.
	res, err := first.client.do(t.Context(), request{method: http.MethodDelete, path: []string{first.branches}})
	if err := check(res, err); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	old := strings.Replace(branchesMapping, `"dirty":      {"type": "boolean"},
      "generation": {"type": "keyword", "index": false}`, `"dirty":      {"type": "boolean"}`, 1)
	if old == branchesMapping {
		t.Fatal("could not take the generation field out of the branches mapping")
	}
	res, err = first.client.do(t.Context(), createIndex(first.branches, strings.NewReader(old)))
	if err := check(res, err); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	x := open(t, cfg)
	m, err := x.mappings(t.Context(), x.branches)
	if err != nil {
		t.Fatal(err)
	}
	if m[x.branches].Mappings.Properties["generation"] == nil {
		t.Errorf("Open left the old branches index without generation: %v", m)
	}
	if err := x.Commit(t.Context(), &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "r", Name: "main"}}}); err != nil {
		t.Fatalf("commit into the upgraded branches index: %v", err)
	}
}

// viaProxy returns cfg pointed at a proxy to its cluster that shows each
// request to see before passing it on.
func viaProxy(t *testing.T, cfg Options, see func(*http.Request)) Options {
	t.Helper()
	target, err := url.Parse(cfg.Addresses[0])
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		see(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	via := cfg
	via.Addresses = []string{srv.URL}
	return via
}
