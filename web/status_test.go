package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// noScan is an index on which listing locations fails the test: the Status
// page's answers must come from the counts kept with the branch states,
// whatever the size of the index.
type noScan struct {
	indexer.Index
	t *testing.T
}

func (x noScan) Locations(ctx context.Context, q indexer.LocationQuery, fn func(indexer.Location) error) error {
	if q.Skipped == indexer.SkippedOnly {
		// GET /api/skipped lists skips: as many as there are skips, not files.
		return x.Index.Locations(ctx, q, fn)
	}
	x.t.Errorf("Locations(%+v) called: the status answers listed locations", q)
	return fmt.Errorf("listing locations is not allowed here")
}

func (x noScan) Paths(ctx context.Context, fn func(string) error) error {
	x.t.Errorf("Paths called: the status answers listed paths")
	return fmt.Errorf("listing paths is not allowed here")
}

// recordingCrawler is the crawl service's side of the Status page.
type recordingCrawler struct {
	mu        sync.Mutex
	requested []string
	errs      map[string]string
}

func (c *recordingCrawler) Request(repos ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requested = append(c.requested, repos...)
}

func (c *recordingCrawler) RepoErrors() map[string]string { return c.errs }

// bigOrgStates are the branch states of an org the size of the one issue
// 17 reports (17 repositories, 454 branches, 664,000 locations), with the
// counts a crawl keeps; the locations themselves are not written, so only
// the counts can give the right totals.
func bigOrgStates() []indexer.Branch {
	var out []indexer.Branch
	for r := range 17 {
		name := fmt.Sprintf("org/repo%02d", r)
		for b := range 454 / 17 {
			branch := fmt.Sprintf("feature/%03d", b)
			if b == 0 {
				branch = "main"
			}
			c := &indexer.BranchCounts{Files: 1460 + r, Bytes: int64(1460+r) * 4096, Skipped: map[string]int{indexer.SkipBinary: 2, indexer.SkipTooLarge: r % 2}}
			if c.Skipped[indexer.SkipTooLarge] == 0 {
				delete(c.Skipped, indexer.SkipTooLarge)
			}
			out = append(out, indexer.Branch{Repo: name, Name: branch, Commit: commitID(name, branch), Settings: "test",
				CrawledAt: crawledAt.Add(time.Duration(b) * time.Minute), Counts: c,
				Meta: indexer.Repo{Name: name, URL: "https://github.com/" + name, DefaultBranch: "main"}})
		}
	}
	return out
}

func TestStatusFromCounts(t *testing.T) {
	base := openIndex(t, nil)
	states := bigOrgStates()
	// One branch from before counts were kept.
	states[len(states)-1].Counts = nil
	if err := base.Commit(context.Background(), &indexer.Changes{PutBranches: states}); err != nil {
		t.Fatal(err)
	}
	mirror := filepath.Join(os.TempDir(), "trawl-data", "mirrors", "org", "repo09.git")
	crawler := &recordingCrawler{errs: map[string]string{"org/repo09": "fetch org/repo09: open " + mirror + ": authentication required", "org/gone": "list branches: not found"}}
	srv := serve(t, noScan{base, t}, Options{Crawler: crawler})

	var wantFiles int
	var wantBytes int64
	wantSkips := map[string]int{}
	for _, b := range states {
		if b.Counts == nil {
			continue
		}
		wantFiles += b.Counts.Files
		wantBytes += b.Counts.Bytes
		for k, v := range b.Counts.Skipped {
			wantSkips[k] += v
		}
	}
	var st statusResponse
	decode(t, get(t, srv, "/api/status", ""), http.StatusOK, &st)
	if st.Files != wantFiles || st.Bytes != wantBytes || st.Repos != 17 || st.Uncounted != 1 || st.FailedRepos != 2 || !st.CanRetry {
		t.Errorf("status %+v, want %d files, %d bytes, 17 repos, 1 uncounted branch, 2 failing", st, wantFiles, wantBytes)
	}
	if fmt.Sprint(st.Skipped) != fmt.Sprint(wantSkips) {
		t.Errorf("skipped by reason %v, want %v", st.Skipped, wantSkips)
	}

	var repos struct {
		Repos []repoInfo `json:"repos"`
	}
	decode(t, get(t, srv, "/api/repos", ""), http.StatusOK, &repos)
	if len(repos.Repos) != 18 {
		t.Fatalf("%d repositories, want 17 and the one that never crawled", len(repos.Repos))
	}
	// Failing first, each with its error, then by name.
	if r := repos.Repos[0]; r.Name != "org/gone" || r.Error == "" || len(r.Branches) != 0 {
		t.Errorf("first %+v, want the failing org/gone without branches", r)
	}
	if r := repos.Repos[1]; r.Name != "org/repo09" || !strings.Contains(r.Error, "authentication required") {
		t.Errorf("second %+v, want the failing org/repo09", r)
	} else if strings.Contains(r.Error, os.TempDir()) {
		t.Errorf("the error %q shows a path of the machine", r.Error)
	}
	if r := repos.Repos[2]; r.Name != "org/repo00" || r.Error != "" || r.Files != 26*1460 {
		t.Errorf("third %+v, want org/repo00 with %d files", r, 26*1460)
	}
	var sum int
	for _, r := range repos.Repos {
		sum += r.Files
		if len(r.Branches) > 0 && (r.Branches[0].Name != "main" || !r.Branches[0].Default) {
			t.Errorf("%s: first branch %+v, want the default", r.Name, r.Branches[0])
		}
	}
	if sum != wantFiles {
		t.Errorf("repositories hold %d files, want %d", sum, wantFiles)
	}
	last := repos.Repos[len(repos.Repos)-1]
	if b := last.Branches[len(last.Branches)-1]; b.Counted || b.Files != 0 {
		t.Errorf("the branch without counts says %+v, want counted=false", b)
	}

	// Retry queues a crawl of that repository, and only from this site.
	post := func(path, origin string) *http.Response { return postTo(t, srv, path, origin) }
	var queued struct {
		Queued []string `json:"queued"`
	}
	decode(t, post("/api/crawl?repo=org/repo09", srv.URL), http.StatusAccepted, &queued)
	decode(t, post("/api/crawl?repo=org/gone", ""), http.StatusAccepted, &queued)
	wantError(t, post("/api/crawl?repo=org/nope", ""), http.StatusNotFound)
	wantError(t, post("/api/crawl", ""), http.StatusBadRequest)
	wantError(t, post("/api/crawl?repo=org/repo01", "https://evil.example"), http.StatusForbidden)
	wantError(t, get(t, srv, "/api/crawl?repo=org/repo01", ""), http.StatusMethodNotAllowed)
	if want := []string{"org/repo09", "org/gone"}; !slices.Equal(crawler.requested, want) {
		t.Errorf("crawls requested %v, want %v", crawler.requested, want)
	}

	// Without a crawl service there is nothing to retry with.
	plain := serve(t, noScan{base, t}, Options{})
	decode(t, get(t, plain, "/api/status", ""), http.StatusOK, &st)
	if st.CanRetry || st.FailedRepos != 0 {
		t.Errorf("status without a crawler %+v", st)
	}
	wantError(t, postTo(t, plain, "/api/crawl?repo=org/repo01", ""), http.StatusNotFound)
}

// postTo POSTs to path on srv with an optional Origin header.
func postTo(t *testing.T, srv *httptest.Server, path, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
