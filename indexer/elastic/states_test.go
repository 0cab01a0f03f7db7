package elastic

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// TestBranchCache reads branch states through a second Index, as a server
// does while a crawl in another process writes: each commit is seen at
// the next read, writes that leave the generation token alone (an older
// trawl's) are seen once the cached list expires, and an index no commit
// of this code wrote a token to is listed at every read.
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
	put := func(name string) {
		t.Helper()
		err := writer.Commit(ctx, &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "acme/api", Name: name, Commit: strings.Repeat("1", 40)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// raw writes a branch state the way a trawl without tokens does.
	raw := func(name string) {
		t.Helper()
		body, _ := json.Marshal(branchDoc{Kind: kindBranch, Repo: "acme/api", Name: name, Commit: strings.Repeat("2", 40)})
		res, err := writer.client.do(ctx, putDoc(writer.branches, branchID(indexer.BranchKey{Repo: "acme/api", Name: name}),
			strings.NewReader(string(body)), url.Values{"refresh": {"true"}}))
		if err := check(res, err); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}

	if got := names(); got != "" {
		t.Fatalf("new index: branches %q", got)
	}
	put("main")
	if got := names(); got != "acme/api@main" {
		t.Fatalf("after a commit: %q", got)
	}
	put("dev")
	if got := names(); got != "acme/api@dev acme/api@main" {
		t.Fatalf("after a second commit: %q, want the new state at once", got)
	}
	err := writer.Commit(ctx, &indexer.Changes{DeleteBranches: []indexer.BranchKey{{Repo: "acme/api", Name: "dev"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(); got != "acme/api@main" {
		t.Fatalf("after deleting a branch: %q", got)
	}

	raw("old")
	if got := names(); got != "acme/api@main" {
		t.Fatalf("a write without a new token, within the TTL: %q; want the cached list (is it cached?)", got)
	}
	reader.states.mu.Lock()
	reader.states.listed = reader.states.listed.Add(-branchCacheTTL)
	reader.states.mu.Unlock()
	if got := names(); got != "acme/api@main acme/api@old" {
		t.Fatalf("once the cached list expired: %q", got)
	}

	res, err := writer.client.do(ctx, deleteDoc(writer.branches, generationID, url.Values{"refresh": {"true"}}))
	if err := check(res, err); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	raw("older")
	if got := names(); got != "acme/api@main acme/api@old acme/api@older" {
		t.Fatalf("no token: %q; want every read to list", got)
	}
}

func TestBranchCacheGet(t *testing.T) {
	var c branchCache
	now := time.Now()
	states := []indexer.Branch{{Repo: "r", Name: "main"}}
	c.put("", now, states)
	if _, ok := c.get("", now); ok {
		t.Error("cached under no token")
	}
	c.put("t1", now, states)
	got, ok := c.get("t1", now.Add(branchCacheTTL-time.Millisecond))
	if !ok || len(got) != 1 {
		t.Fatalf("get under the same token within the TTL = %v, %v", got, ok)
	}
	got[0].Name = "changed"
	if again, _ := c.get("t1", now); again[0].Name != "main" {
		t.Error("a caller's change reached the cache")
	}
	if _, ok := c.get("t2", now); ok {
		t.Error("hit under another token")
	}
	if _, ok := c.get("t1", now.Add(branchCacheTTL)); ok {
		t.Error("hit after the TTL")
	}
	// A listing that began before the cached one does not replace it.
	c.put("t0", now.Add(-time.Second), nil)
	if _, ok := c.get("t1", now); !ok {
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
