package elastic

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// TestBranchCache reads branch states through a second Index, as a server
// does while a crawl in another process writes: each commit is seen at the
// next read; an older trawl's crawl, which writes no tokens but sets and
// clears the dirty flag, is seen when it starts and ends and, while it
// writes, once the cached list is older than the TTL.
func TestBranchCache(t *testing.T) {
	ctx := context.Background()
	cfg := esConfig(t)
	writer, reader := open(t, cfg), open(t, cfg)
	names := func() string {
		t.Helper()
		states, err := reader.Branches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, b := range states {
			s = append(s, b.Repo+"@"+b.Name)
		}
		return strings.Join(s, " ")
	}
	// expect fails the test unless the reader lists want, after what the
	// step says happened.
	expect := func(after, want string) {
		t.Helper()
		if got := names(); got != want {
			t.Fatalf("after %s: branches %q, want %q", after, got, want)
		}
	}
	put := func(name string) {
		t.Helper()
		err := writer.Commit(ctx, &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "acme/api", Name: name, Commit: strings.Repeat("1", 40)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// old writes a branch state the way an older trawl's commit does:
	// without a new token.
	old := func(name string) {
		t.Helper()
		body, _ := json.Marshal(branchDoc{Kind: kindBranch, Repo: "acme/api", Name: name, Commit: strings.Repeat("2", 40)})
		res, err := writer.client.do(ctx, putDoc(writer.branches, branchID(indexer.BranchKey{Repo: "acme/api", Name: name}),
			strings.NewReader(string(body)), url.Values{"refresh": {"true"}}))
		if err := check(res, err); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	dirty := func(on bool) {
		t.Helper()
		if err := writer.SetDirty(ctx, on); err != nil {
			t.Fatal(err)
		}
	}
	age := func() {
		reader.states.mu.Lock()
		reader.states.listed = reader.states.listed.Add(-branchCacheTTL)
		reader.states.mu.Unlock()
	}

	expect("opening a new index", "")
	put("main")
	expect("a commit", "acme/api@main")
	put("dev")
	expect("a second commit (its state is seen at once)", "acme/api@dev acme/api@main")
	err := writer.Commit(ctx, &indexer.Changes{DeleteBranches: []indexer.BranchKey{{Repo: "acme/api", Name: "dev"}}})
	if err != nil {
		t.Fatal(err)
	}
	expect("deleting a branch", "acme/api@main")
	age()
	expect("the list aged past the TTL with no crawl writing", "acme/api@main")

	// An older trawl's crawl.
	dirty(true)
	old("old")
	expect("the dirty flag was set (a new listing)", "acme/api@main acme/api@old")
	old("older")
	expect("a commit without a token, within the TTL (the cached list)", "acme/api@main acme/api@old")
	age()
	expect("the list aged past the TTL while a crawl writes", "acme/api@main acme/api@old acme/api@older")
	old("oldest")
	dirty(false)
	expect("the crawl cleared the dirty flag (a new listing)", "acme/api@main acme/api@old acme/api@older acme/api@oldest")
}

func TestBranchCacheGet(t *testing.T) {
	c := newBranchCache()
	now := time.Now()
	clean := indexVersion{token: "t1", dirtyVersion: 2}
	if _, ok := c.get(clean, now); ok {
		t.Error("hit in an empty cache")
	}
	c.put(clean, now, []indexer.Branch{{Repo: "r", Name: "main"}})
	got, ok := c.get(clean, now.Add(time.Hour))
	if !ok || len(got) != 1 {
		t.Fatalf("get at the same version, no crawl writing, an hour on = %v, %v", got, ok)
	}
	got[0].Name = "changed"
	if again, _ := c.get(clean, now); again[0].Name != "main" {
		t.Error("a caller's change reached the cache")
	}
	for _, v := range []indexVersion{{token: "t2", dirtyVersion: 2}, {token: "t1", dirtyVersion: 3}, {token: "t1", dirtyVersion: 2, dirty: true}} {
		if _, ok := c.get(v, now); ok {
			t.Errorf("hit at version %+v, cached at %+v", v, clean)
		}
	}
	writing := indexVersion{token: "t1", dirtyVersion: 3, dirty: true}
	c.put(writing, now, nil)
	if got, ok := c.get(writing, now.Add(branchCacheTTL-time.Millisecond)); !ok || got == nil {
		t.Errorf("no branches, cached while a crawl writes, within the TTL: %v, %v", got, ok)
	}
	if _, ok := c.get(writing, now.Add(branchCacheTTL)); ok {
		t.Error("hit after the TTL while a crawl writes")
	}
	// A listing that began before the cached one does not replace it.
	c.put(clean, now.Add(-time.Second), nil)
	if _, ok := c.get(writing, now); !ok {
		t.Error("an older listing replaced a newer one")
	}
}

// TestBranchCacheOneListing has eight queries miss the cache at once, as a
// busy server's do after a commit: one lists the states and the others
// take its list.
func TestBranchCacheOneListing(t *testing.T) {
	cfg := esConfig(t)
	var listings atomic.Int32
	via := viaProxy(t, cfg, func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "-branches/_search") {
			listings.Add(1)
		}
	})
	writer := open(t, cfg)
	reader := open(t, via)
	err := writer.Commit(t.Context(), &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main"}}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			states, err := reader.Branches(t.Context())
			if err != nil || len(states) != 1 {
				t.Errorf("Branches = %v, %v", states, err)
			}
		})
	}
	wg.Wait()
	if n := listings.Load(); n != 1 {
		t.Errorf("eight concurrent misses listed the states %d times, want once", n)
	}
}

// TestBranchStateFile reads branch states the way successive trawl search
// processes do, each a new Index on the same state file: the first lists
// the states and keeps them, the next read them without listing until a
// commit or a crawl changes the index's version; a corrupt file, or an
// index without a generation token, is listed.
func TestBranchStateFile(t *testing.T) {
	ctx := t.Context()
	cfg := esConfig(t)
	cfg.StateFile = filepath.Join(t.TempDir(), "states.json")
	var listings atomic.Int32
	via := viaProxy(t, cfg, func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "-branches/_search") {
			listings.Add(1)
		}
	})
	writer := open(t, cfg)
	read := func(step string, wantListings int32) {
		t.Helper()
		want, err := writer.listBranches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := listings.Load()
		got, err := open(t, via).Branches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("after %s: branches\n%+v\nwant\n%+v", step, got, want)
		}
		if n := listings.Load() - before; n != wantListings {
			t.Errorf("after %s: %d listings, want %d", step, n, wantListings)
		}
	}
	put := func(name string) {
		t.Helper()
		b := indexer.Branch{Repo: "acme/api", Name: name, Commit: strings.Repeat("1", 40), Settings: "s1",
			CrawledAt: time.Date(2026, 12, 4, 21, 0, 0, 123456789, time.UTC),
			Meta:      indexer.Repo{Name: "acme/api", URL: "https://github.com/acme/api", Topics: []string{"go"}, DefaultBranch: "main"},
			Counts:    &indexer.BranchCounts{Files: 3, Bytes: 1234, Skipped: map[string]int{indexer.SkipBinary: 1}}}
		if err := writer.Commit(ctx, &indexer.Changes{PutBranches: []indexer.Branch{b}}); err != nil {
			t.Fatal(err)
		}
	}

	read("opening an index no commit has written", 1)
	if _, err := os.Stat(cfg.StateFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a state file was kept for an index without a generation token: %v", err)
	}
	put("main")
	read("a commit", 1)
	if fi, err := os.Stat(cfg.StateFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, %v; want mode 0600", fi, err)
	}
	read("nothing changed", 0)
	put("dev")
	read("a second commit", 1)
	read("nothing changed since", 0)
	gone := []indexer.BranchKey{{Repo: "acme/api", Name: "main"}, {Repo: "acme/api", Name: "dev"}}
	if err := writer.Commit(ctx, &indexer.Changes{DeleteBranches: gone}); err != nil {
		t.Fatal(err)
	}
	read("deleting every branch", 1)
	read("nothing changed, no branches", 0)
	put("main")
	put("dev")
	read("both branches back", 1)
	if err := os.WriteFile(cfg.StateFile, []byte(`{"token": `), 0o600); err != nil {
		t.Fatal(err)
	}
	read("the file was cut short", 1)
	read("it was written again", 0)
	if err := writer.SetDirty(ctx, true); err != nil {
		t.Fatal(err)
	}
	read("a crawl started writing", 1)
	read("a crawl writes, within the TTL", 0)
	var r stateRecord
	data, err := os.ReadFile(cfg.StateFile)
	if err == nil {
		err = gob.NewDecoder(bytes.NewReader(data)).Decode(&r)
	}
	if err != nil {
		t.Fatal(err)
	}
	v := indexVersion{r.Token, r.DirtyVersion, r.Dirty}
	if err := (&stateFile{cfg.StateFile}).save(v, r.Listed.Add(-branchCacheTTL), r.States); err != nil {
		t.Fatal(err)
	}
	read("a crawl writes, the file aged past the TTL", 1)
}
