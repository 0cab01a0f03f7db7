package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/github"
	"github.com/trawl-dev/trawl/source/github/githubtest"
	"github.com/trawl-dev/trawl/webhook"
)

// TestCrawlOrganisationThenPushWebhook crawls a GitHub organisation (the
// API answered by githubtest, clones through git http-backend) with the
// real crawler and Bleve index, checks every branch against git grep and
// the permalinks, pushes a commit, delivers push webhooks with a missing,
// a wrong and a valid signature, and finds the new line after the one
// crawl the valid delivery asked for.
func TestCrawlOrganisationThenPushWebhook(t *testing.T) {
	const token = "ghp_Zq3vX9kLmN2pR7sT4uW8yA1bC5dE6fG0hJ2k" // fake, shaped like a classic token
	f := githubtest.New(t, "acme", token)
	api := githubtest.NewWork(t, map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl\") }\n"})
	api.Git("checkout", "-q", "-b", "feature/louder")
	api.Commit("louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl!!\") }\n"})
	api.Git("checkout", "-q", "main")
	f.AddRepo(api, "api", nil)
	tools := githubtest.NewWork(t, map[string]string{"tool.sh": "echo sharpen\n"})
	f.AddRepo(tools, "tools", nil)
	optOut := githubtest.NewWork(t, map[string]string{".trawl.yml": "exclude: true\n", "secret.txt": "do not index me\n"})
	f.AddRepo(optOut, "private-stuff", nil)

	t.Setenv("TRAWL_TEST_GH_TOKEN", token)
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - github:\n      org: acme\n      api_url: %s\n      token_env: TRAWL_TEST_GH_TOKEN\n", f.APIURL()))
	src, err := github.New(cfg.Sources[0].GitHub, filepath.Join(cfg.Index.Path, "mirrors"), github.Options{
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	idx := openIndex(t, cfg)
	crawlOK := crawlerOK(t, cfg, idx, []source.Source{src})

	sum := crawlOK()
	if sum.Repos != 3 || sum.ReposExcluded != 1 {
		t.Errorf("first crawl: %+v", sum)
	}
	works := map[string]string{"acme/api": api.Dir, "acme/tools": tools.Dir}
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
	checkParity(t, idx, works, `/echo [a-z]+/`, "-E", "-e", "echo [a-z]+")
	res, err := search.New(idx).Search(context.Background(), `"hello trawl"`, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range res.Files {
		if !strings.HasPrefix(file.URL, "https://github.example/acme/api/blob/") || !strings.HasSuffix(file.URL, "/main.go#L3") {
			t.Errorf("permalink %s, want https://github.example/acme/api/blob/<commit>/main.go#L3", file.URL)
		}
	}
	if got := hits(t, idx, "index"); len(got) != 0 {
		t.Errorf("an opted-out repository was indexed: %v", got)
	}

	// A second pass with nothing changed: 304s and no fetches.
	quota := f.Remaining()
	crawlOK()
	if f.Remaining() != quota {
		t.Errorf("a pass without changes spent %d API calls of the quota", quota-f.Remaining())
	}

	// A developer pushes; GitHub delivers the webhook (before the listing
	// shows the new pushed_at, as can happen).
	api.Commit("greet louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"HELLO WEBHOOK\") }\n"})
	api.Git("push", "-q", f.PushURL("api"), "main")
	secret := []byte("webhook secret")
	// The handler only queues, as trawl serve's does; the test crawls.
	pushed := make(chan string, 4)
	hook := webhook.Handler(secret, webhook.Events{
		Push: func(repo, branch string) {
			src.MarkChanged(repo)
			pushed <- repo
		},
	}, nil)
	srv := httptest.NewServer(hook)
	defer srv.Close()
	body := []byte(`{"ref":"refs/heads/main","repository":{"name":"api","full_name":"acme/api","owner":{"login":"acme"}},"pusher":{"name":"dev"}}`)
	for _, c := range []struct {
		name, signature string
		want            int
	}{
		{"missing signature", "", http.StatusUnauthorized},
		{"wrong signature", webhook.Sign([]byte("not the secret"), body), http.StatusUnauthorized},
		{"valid signature", webhook.Sign(secret, body), http.StatusAccepted},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		if c.signature != "" {
			req.Header.Set("X-Hub-Signature-256", c.signature)
		}
		if code := deliver(t, req); code != c.want {
			t.Fatalf("webhook with %s: status %d, want %d", c.name, code, c.want)
		}
	}
	if len(pushed) != 1 {
		t.Fatalf("%d pushes queued, want the valid delivery's only", len(pushed))
	}
	if sum := crawlOK(<-pushed); sum.BranchesChanged != 1 {
		t.Errorf("webhook crawl: %+v", sum)
	}
	checkParity(t, idx, works, "/HELLO WEBHOOK/", "-E", "-e", "HELLO WEBHOOK")
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
}
