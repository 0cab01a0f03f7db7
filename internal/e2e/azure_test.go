package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/azure"
	"github.com/trawl-dev/trawl/source/azure/azuretest"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/webhook"
)

// TestAzureCrawlThenServiceHook crawls an Azure DevOps organisation (the
// API answered by azuretest across two pages of projects, clones through
// git http-backend at the repositories' remoteUrl with the PAT) with the
// real crawler and Bleve index, checks every branch against git grep and
// the permalinks, checks a pass with nothing pushed fetches nothing,
// pushes a commit, delivers git.push service hooks with missing, wrong
// and valid basic-auth credentials to the handler trawl serve mounts at
// POST /hooks/azure, and finds the new line after the crawl the valid
// delivery asked for.
func TestAzureCrawlThenServiceHook(t *testing.T) {
	const pat = "7hq2mzv5k4x6c8b1n3p5r7t9w2y4a6d8f0h2j4l6z8x0c2v4b6n8" // fake, shaped like a PAT
	f := azuretest.New(t, "acme", pat)
	f.AddProject("web", nil)
	f.AddProject("tools", map[string]any{"visibility": "public"})
	f.AddProject("empty-project", nil)
	api := gittest.Init(t, filepath.Join(t.TempDir(), "api"))
	api.Commit("first", map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl\") }\n"})
	api.Checkout("feature/louder")
	api.Commit("louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl!!\") }\n"})
	api.Checkout("main")
	f.AddRepo("web", api, "api", nil)
	tools := gittest.Init(t, filepath.Join(t.TempDir(), "tools"))
	tools.Commit("first", map[string]string{"tool.sh": "echo sharpen\n"})
	f.AddRepo("tools", tools, "sharpen", nil)
	frozen := gittest.Init(t, filepath.Join(t.TempDir(), "frozen"))
	frozen.Commit("first", map[string]string{"old.sh": "echo hello trawl\n"})
	f.AddRepo("tools", frozen, "frozen", map[string]any{"isDisabled": true})

	t.Setenv("TRAWL_TEST_AZURE_PAT", pat)
	t.Setenv("TRAWL_TEST_AZURE_HOOK", "service hook password")
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - azure:\n      organization: acme\n      api_url: %s\n      token_env: TRAWL_TEST_AZURE_PAT\n      webhook_secret_env: TRAWL_TEST_AZURE_HOOK\n", f.APIURL()))
	src, err := azure.New(cfg.Sources[0].Azure, filepath.Join(cfg.Index.Path, "mirrors"), azure.Options{
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	// trawl builds the source from the configuration the same way.
	if built, err := sources.For(cfg, sources.Options{}); err != nil || len(built) != 1 || built[0].Name() != "azure organization acme" {
		t.Fatalf("sources.For: %v %v", built, err)
	}
	idx := openIndex(t, cfg)
	crawlOK := crawlerOK(t, cfg, idx, []source.Source{src})

	sum := crawlOK()
	if sum.Repos != 2 {
		t.Errorf("first crawl: %+v, want the two enabled repositories", sum)
	}
	works := map[string]string{"acme/web/api": api.Dir, "acme/tools/sharpen": tools.Dir}
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
	checkParity(t, idx, works, `/echo [a-z]+/`, "-E", "-e", "echo [a-z]+")
	res, err := search.New(idx).Search(context.Background(), `"hello trawl"`, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prefix := f.API.URL + "/acme/web/_git/api?path=/main.go&version=GC"
	for _, file := range res.Files {
		if !strings.HasPrefix(file.URL, prefix) || !strings.HasSuffix(file.URL, "&_a=contents&line=3&lineEnd=3&lineStartColumn=1&lineEndColumn=1000000&lineStyle=plain") {
			t.Errorf("permalink %s, want %s<commit>&_a=contents&line=3&lineEnd=3...", file.URL, prefix)
		}
		commit := strings.TrimPrefix(file.URL, prefix)[:40]
		if !strings.Contains(api.Git("branch", "--contains", commit), "main") && !strings.Contains(api.Git("branch", "--contains", commit), "feature/louder") {
			t.Errorf("permalink commit %s is not a commit of acme/web/api", commit)
		}
	}

	// A second pass with nothing pushed: API calls, no git traffic.
	fetches := f.Fetches()
	if sum := crawlOK(); sum.BranchesChanged != 0 {
		t.Errorf("unchanged pass: %+v", sum)
	}
	if f.Fetches() != fetches {
		t.Errorf("a pass without pushes made %d git requests", f.Fetches()-fetches)
	}

	// A developer pushes; Azure DevOps delivers the service hook.
	api.Commit("greet louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"HELLO SERVICE HOOK\") }\n"})
	api.Git("push", "-q", f.PushURL("web", "api"), "main")
	done := make(chan *crawler.Summary, 1)
	srv := hookServer(t, cfg, webhook.Events{
		Push: func(repo, branch string) {
			src.MarkChanged(repo)
			done <- crawlOK(repo)
		},
	})
	body := []byte(`{"id":"03c164c2-8912-4d5e-8009-3707d5f83734","eventType":"git.push","publisherId":"tfs",` +
		`"resource":{"refUpdates":[{"name":"refs/heads/main","oldObjectId":"aad331d8d3b131fa9ae03cf5e53965b51942618a","newObjectId":"33b55f7cb7e7e245323987634f960cf4a6e6bc74"}],` +
		`"repository":{"id":"278d5cd2-584d-4b63-824a-2ba458937249","name":"api","project":{"name":"web","state":"wellFormed"},` +
		`"remoteUrl":"` + strings.Replace(f.API.URL, "://", "://acme@", 1) + `/acme/web/_git/api"}}}`)
	for _, c := range []struct {
		name, user, password string
		want                 int
	}{
		{"missing credentials", "", "", http.StatusUnauthorized},
		{"wrong password", "azure", "not the password", http.StatusUnauthorized},
		{"valid credentials", "azure", "service hook password", http.StatusAccepted},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/azure", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if c.user != "" {
			req.SetBasicAuth(c.user, c.password)
		}
		if code := deliver(t, req); code != c.want {
			t.Fatalf("service hook with %s: status %d, want %d", c.name, code, c.want)
		}
	}
	if sum := <-done; sum.BranchesChanged != 1 {
		t.Errorf("service hook crawl: %+v", sum)
	}
	checkParity(t, idx, works, `"HELLO SERVICE HOOK"`, "-F", "-e", "HELLO SERVICE HOOK")
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
}
