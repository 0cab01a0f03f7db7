package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source/bitbucket"
	"github.com/trawl-dev/trawl/source/bitbucket/bitbuckettest"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/webhook"
)

const bitbucketToken = "BBDC-OTk4NzY1NDMyMTAxOkzQx7y"

func bitbucketWork(t *testing.T, files map[string]string) *gittest.Repo {
	t.Helper()
	w := gittest.Init(t, filepath.Join(t.TempDir(), "work"))
	w.Commit("first", files)
	return w
}

// TestBitbucketDataCenter crawls a Data Center project through the
// source: discovery with the fork filter, search equal to git grep on
// every branch, Data Center permalinks, a second crawl that fetches
// nothing, and a signed repo:refs_changed webhook through the hooks table
// trawl serve mounts (a wrong or missing signature crawls nothing).
func TestBitbucketDataCenter(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", bitbucketToken)
	f.TrustGit(t)
	api := bitbucketWork(t, map[string]string{
		"cmd/server/main.go": "package main\n\nfunc main() { connect(\"db.internal:5432\") }\n",
		"docs/read me.md":    "Run with DB_TIMEOUT=30\n",
	})
	api.Checkout("release/1.0")
	api.Commit("slower", map[string]string{"docs/read me.md": "Run with DB_TIMEOUT=90\n"})
	api.Checkout("main")
	f.Add(api, "ACME", "api", nil)
	tools := bitbucketWork(t, map[string]string{"deploy.sh": "#!/bin/sh\necho DB_TIMEOUT=5 > env\n"})
	f.Add(tools, "ACME", "tools", nil)
	f.Add(bitbucketWork(t, map[string]string{"fork.txt": "DB_TIMEOUT=1\n"}), "ACME", "api-fork",
		map[string]any{"origin": map[string]any{"slug": "api", "project": map[string]any{"key": "ACME"}}})
	f.Add(bitbucketWork(t, map[string]string{"x.txt": "DB_TIMEOUT=2\n"}), "OTHER", "web", nil)

	t.Setenv("TRAWL_TEST_BB_TOKEN", bitbucketToken)
	t.Setenv("TRAWL_TEST_BB_HOOK", "hook secret")
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - bitbucket:\n      project: ACME\n      api_url: %s\n      token_env: TRAWL_TEST_BB_TOKEN\n      webhook_secret_env: TRAWL_TEST_BB_HOOK\n", f.APIURL()))
	idx := openIndex(t, cfg)
	set := sources.New(sources.Options{})
	srcs, err := set.For(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum := crawl(t, cfg, idx, srcs)
	if len(sum.Errors) > 0 || sum.Repos != 2 {
		t.Fatalf("first crawl: %+v", sum)
	}
	served := map[string]string{"ACME/api": f.BareDir("ACME", "api"), "ACME/tools": f.BareDir("ACME", "tools")}
	checkParity(t, idx, served, "DB_TIMEOUT", "-F", "-e", "DB_TIMEOUT")
	checkParity(t, idx, served, "/TIMEOUT=[0-9]0/", "-E", "-e", "TIMEOUT=[0-9]0")
	checkParity(t, idx, served, `"db.internal:5432"`, "-F", "-e", "db.internal:5432")

	// Permalinks: Data Center's browse URL, path escaped, ?at=commit#line.
	res := searchFiles(t, idx, `"DB_TIMEOUT=30"`)
	head := gittest.Run(t, f.BareDir("ACME", "api"), "rev-parse", "main")
	want := f.WebURL() + "/projects/ACME/repos/api/browse/docs/read%20me.md?at=" + head + "#1"
	if len(res.Files) != 1 || res.Files[0].URL != want {
		t.Fatalf("permalink: %+v, want %s", res.Files, want)
	}

	// Nothing changed: one page of listing, one ref advertisement per
	// repository, no fetch.
	calls, fetches := f.Calls(""), f.Fetches()
	if sum := crawl(t, cfg, idx, srcs); len(sum.Errors) > 0 || sum.BranchesChanged != 0 {
		t.Fatalf("second crawl: %+v", sum)
	}
	if f.Calls("")-calls != 2 || f.Fetches() != fetches {
		t.Errorf("a crawl without changes: %d API calls (want 2 pages), %d fetches (want 0)", f.Calls("")-calls, f.Fetches()-fetches)
	}

	// A developer pushes; Bitbucket delivers repo:refs_changed.
	api.Commit("longer", map[string]string{"docs/read me.md": "Run with DB_TIMEOUT=45\n"})
	api.Git("push", "-q", f.BareDir("ACME", "api"), "main")
	crawled := make(chan string, 4)
	events := webhook.Events{
		Push: func(repo, branch string) {
			set.MarkChanged(repo)
			crawl(t, cfg, idx, srcs, repo)
			crawled <- repo + "@" + branch
		},
		Repository: func(repo string) { crawled <- "list " + repo },
	}
	srv := hookServer(t, cfg, events)
	body := []byte(`{"eventKey":"repo:refs_changed","date":"2026-12-02T19:00:00+0000","actor":{"name":"dev","slug":"dev","type":"NORMAL"},` +
		`"repository":{"slug":"api","id":1,"name":"api","scmId":"git","state":"AVAILABLE","project":{"key":"ACME","id":1,"name":"Acme","type":"NORMAL"},"public":false},` +
		`"changes":[{"ref":{"id":"refs/heads/main","displayId":"main","type":"BRANCH"},"refId":"refs/heads/main","fromHash":"` + head + `","toHash":"` +
		gittest.Run(t, f.BareDir("ACME", "api"), "rev-parse", "main") + `","type":"UPDATE"}]}`)
	post := func(sig string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/bitbucket", bytes.NewReader(body))
		req.Header.Set("X-Event-Key", "repo:refs_changed")
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if sig != "" {
			req.Header.Set("X-Hub-Signature", sig)
		}
		return deliver(t, req)
	}
	if code := post(bitbucket.Sign([]byte("not the secret"), body)); code != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d", code)
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("missing signature: %d", code)
	}
	if len(crawled) != 0 {
		t.Fatalf("an unsigned delivery crawled %s", <-crawled)
	}
	if code := post(bitbucketSign(t, body)); code != http.StatusAccepted {
		t.Fatalf("valid signature: %d", code)
	}
	if got := <-crawled; got != "ACME/api@main" {
		t.Fatalf("webhook crawled %s", got)
	}
	checkParity(t, idx, served, "DB_TIMEOUT", "-F", "-e", "DB_TIMEOUT")
	if got := hits(t, idx, `"DB_TIMEOUT=30"`); len(got) != 0 {
		t.Errorf("the old line is still found: %v", got)
	}
}

func bitbucketSign(t *testing.T, body []byte) string {
	t.Helper()
	return bitbucket.Sign([]byte("hook secret"), body)
}

func searchFiles(t *testing.T, idx indexer.Index, query string) *search.Result {
	t.Helper()
	res, err := search.New(idx).Search(context.Background(), query, search.Options{})
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	return res
}

// TestBitbucketCloud crawls a Cloud workspace narrowed to a project with
// an app password: search equals git grep, Cloud permalinks, and a
// second crawl costs 304s and no fetch.
func TestBitbucketCloud(t *testing.T) {
	const password = "ATBBc5Hq8Lm2Rt7Xw4Zp9Kd1"
	f := bitbuckettest.NewCloud(t, "acme", "alice", password)
	f.TrustGit(t)
	api := bitbucketWork(t, map[string]string{"src/app.py": "import os\nTIMEOUT = os.environ['APP_TIMEOUT']\n"})
	api.Checkout("develop")
	api.Commit("dev", map[string]string{"src/app.py": "import os\nTIMEOUT = int(os.environ['APP_TIMEOUT'])\n"})
	api.Checkout("main")
	f.Add(api, "PLAT", "api", nil)
	f.Add(bitbucketWork(t, map[string]string{"x.py": "APP_TIMEOUT = 1\n"}), "WEB", "site", nil)

	t.Setenv("TRAWL_TEST_BB_PASSWORD", password)
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - bitbucket:\n      workspace: acme\n      project: PLAT\n      api_url: %s\n      username: alice\n      token_env: TRAWL_TEST_BB_PASSWORD\n", f.APIURL()))
	idx := openIndex(t, cfg)
	srcs, err := sources.For(cfg, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum := crawl(t, cfg, idx, srcs); len(sum.Errors) > 0 || sum.Repos != 1 {
		t.Fatalf("crawl: %+v", sum)
	}
	served := map[string]string{"acme/api": f.BareDir("PLAT", "api")}
	checkParity(t, idx, served, "APP_TIMEOUT", "-F", "-e", "APP_TIMEOUT")
	checkParity(t, idx, served, `/int\(os\.environ/`, "-E", "-e", `int\(os\.environ`)
	res := searchFiles(t, idx, `"int(os"`)
	commit := gittest.Run(t, f.BareDir("PLAT", "api"), "rev-parse", "develop")
	if want := "https://bitbucket.example/acme/api/src/" + commit + "/src/app.py#lines-2"; len(res.Files) != 1 || res.Files[0].URL != want {
		t.Fatalf("permalink %+v, want %s", res.Files, want)
	}
	fetches := f.Fetches()
	if sum := crawl(t, cfg, idx, srcs); len(sum.Errors) > 0 || sum.BranchesChanged != 0 || f.Fetches() != fetches {
		t.Errorf("a crawl without changes: %+v, %d fetches", sum, f.Fetches()-fetches)
	}
	if st := srcs[0].(*bitbucket.Source).Stats(); st.NotModified != 1 {
		t.Errorf("the unchanged listing was not answered 304: %+v", st)
	}
}
