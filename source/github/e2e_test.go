package github_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/github"
	"github.com/trawl-dev/trawl/webhook"
)

// TestCrawlOrganisationThenPushWebhook crawls an organisation through the
// source with the real crawler and Bleve index, pushes a commit, delivers
// a signed push webhook whose handler crawls that repository, and finds
// the new line.
func TestCrawlOrganisationThenPushWebhook(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t, "acme", testToken)
	api := newWork(t, map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl\") }\n"})
	f.addRepo(api, "api", nil)
	tools := newWork(t, map[string]string{"tool.sh": "echo sharpen\n"})
	f.addRepo(tools, "tools", nil)
	optOut := newWork(t, map[string]string{".trawl.yml": "exclude: true\n", "secret.txt": "do not index me\n"})
	f.addRepo(optOut, "private-stuff", nil)

	dir := t.TempDir()
	t.Setenv("TRAWL_TEST_GH_TOKEN", testToken)
	yaml := fmt.Sprintf("sources:\n  - github:\n      org: acme\n      api_url: %s\n      token_env: TRAWL_TEST_GH_TOKEN\nindex:\n  path: %s\n",
		f.apiURL(), filepath.Join(dir, "data"))
	if err := os.WriteFile(filepath.Join(dir, "trawl.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "trawl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := github.New(cfg.Sources[0].GitHub, filepath.Join(cfg.Index.Path, "mirrors"), github.Options{Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.Open(ctx, filepath.Join(cfg.Index.Path, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	crawl := func(repos ...string) *crawler.Summary {
		t.Helper()
		c, err := crawler.New(cfg, idx, crawler.Options{Sources: []source.Source{src}, Repos: repos})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := c.Run(ctx)
		if err != nil {
			t.Fatalf("crawl %v: %v", repos, err)
		}
		if len(sum.Errors) > 0 {
			t.Fatalf("crawl %v: %+v", repos, sum.Errors)
		}
		return sum
	}
	find := func(query string) *search.Result {
		t.Helper()
		res, err := search.New(idx).Search(ctx, query, search.Options{})
		if err != nil {
			t.Fatalf("search %q: %v", query, err)
		}
		return res
	}

	sum := crawl()
	if sum.Repos != 3 || sum.ReposExcluded != 1 {
		t.Errorf("first crawl: %+v", sum)
	}
	res := find(`"hello trawl"`)
	if len(res.Files) != 1 || res.Files[0].Repo != "acme/api" ||
		!strings.HasPrefix(res.Files[0].URL, "https://github.example/acme/api/blob/") {
		t.Fatalf("search hello trawl: %+v", res.Files)
	}
	if res := find("index"); len(res.Files) != 0 {
		t.Errorf("an opted-out repository was indexed: %+v", res.Files)
	}

	// A second pass with nothing changed: 304s and no fetches.
	quota := f.remaining()
	crawl()
	if f.remaining() != quota {
		t.Errorf("a pass without changes spent %d API calls of the quota", quota-f.remaining())
	}

	// A developer pushes; GitHub delivers the webhook (before the listing
	// shows the new pushed_at, as can happen).
	api.Commit("greet louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"HELLO WEBHOOK\") }\n"})
	api.Git("push", "-q", pushURL(f, "api"), "main")
	secret := []byte("webhook secret")
	done := make(chan *crawler.Summary, 1)
	hook := webhook.Handler(secret, webhook.Events{
		Push: func(repo, branch string) {
			src.MarkChanged(repo)
			done <- crawl(repo)
		},
	}, nil)
	srv := httptest.NewServer(hook)
	defer srv.Close()
	body := []byte(`{"ref":"refs/heads/main","repository":{"name":"api","full_name":"acme/api","owner":{"login":"acme"}},"pusher":{"name":"dev"}}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", webhook.Sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook status %d", resp.StatusCode)
	}
	if sum := <-done; sum.BranchesChanged != 1 {
		t.Errorf("webhook crawl: %+v", sum)
	}
	res = find("/HELLO WEBHOOK/")
	if len(res.Files) != 1 || res.Files[0].Repo != "acme/api" || res.Files[0].Matches[0].Line != 3 {
		t.Fatalf("search after the push: %+v", res.Files)
	}
	if res := find(`"hello trawl"`); len(res.Files) != 0 {
		t.Errorf("the old line is still found: %+v", res.Files)
	}
}
