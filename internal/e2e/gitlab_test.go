package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source/gitlab/gitlabtest"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/webhook"
)

// TestGitLabGroupThenPushWebhook crawls a GitLab group with nested
// subgroups (the API answered by gitlabtest, clones through git
// http-backend as user oauth2) with the real crawler and Bleve, checks
// every branch against git grep and the /-/blob/ permalinks, crawls again
// without changes (304s, no fetch), pushes a commit, delivers Push Hooks
// with a missing, a wrong and a valid X-Gitlab-Token through the route
// trawl serve mounts, and finds the pushed line after the one crawl the
// valid delivery asked for.
func TestGitLabGroupThenPushWebhook(t *testing.T) {
	const token = "glpat-Xq3vZ9kLmN2pR7sT4uW8" // fake, shaped like a personal access token
	f := gitlabtest.New(t, token)
	api := gitlabtest.NewWork(t, map[string]string{
		"main.go":       "package main\n\nfunc main() { println(\"hello trawl\") }\n",
		"docs/a b#1.md": "say hello trawl in docs\n",
	})
	api.Git("checkout", "-q", "-b", "feature/louder")
	api.Commit("louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl!!\") }\n"})
	api.Git("checkout", "-q", "main")
	f.AddProject(api, "acme/platform/api", map[string]any{"topics": []string{"go"}})
	tools := gitlabtest.NewWork(t, map[string]string{"tool.sh": "echo sharpen\n"})
	f.AddProject(tools, "acme/platform/ci/tools", nil)
	fork := gitlabtest.NewWork(t, map[string]string{"x.go": "// hello trawl from a fork\n"})
	f.AddProject(fork, "acme/fork", map[string]any{"forked_from_project": map[string]any{"id": 1, "path_with_namespace": "up/fork"}})
	other := gitlabtest.NewWork(t, map[string]string{"x.go": "// hello trawl from elsewhere\n"})
	f.AddProject(other, "elsewhere/x", nil)

	t.Setenv("TRAWL_TEST_GL_TOKEN", token)
	t.Setenv("TRAWL_TEST_GL_HOOK", "hook secret")
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - gitlab:\n      group: acme\n      api_url: %s\n      token_env: TRAWL_TEST_GL_TOKEN\n      webhook_secret_env: TRAWL_TEST_GL_HOOK\n", f.APIURL()))
	set := sources.New(sources.Options{Sleep: func(context.Context, time.Duration) error { return nil }})
	srcs, err := set.For(cfg)
	if err != nil {
		t.Fatal(err)
	}
	idx := openIndex(t, cfg)
	crawlOK := crawlerOK(t, cfg, idx, srcs)

	if sum := crawlOK(); sum.Repos != 2 || sum.Branches != 3 {
		t.Errorf("first crawl: %d repos, %d branches; want 2 (the fork and the other group left out), 3", sum.Repos, sum.Branches)
	}
	works := map[string]string{"acme/platform/api": api.Dir, "acme/platform/ci/tools": tools.Dir}
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
	checkParity(t, idx, works, `/echo [a-z]+/`, "-E", "-e", "echo [a-z]+")

	res, err := search.New(idx).Search(context.Background(), `"hello trawl"`, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mainCommit := strings.TrimSpace(api.Git("rev-parse", "main"))
	louderCommit := strings.TrimSpace(api.Git("rev-parse", "feature/louder"))
	var links []string
	for _, file := range res.Files {
		links = append(links, file.URL)
	}
	slices.Sort(links)
	base := "https://gitlab.example/acme/platform/api/-/blob/"
	// Each file's link is at its first branch's commit: docs is the same
	// blob on both branches, main.go differs.
	wantDocs := []string{base + mainCommit + "/docs/a%20b%231.md#L1", base + louderCommit + "/docs/a%20b%231.md#L1"}
	if len(links) != 3 || !slices.Contains(wantDocs, links[0]) ||
		!slices.Contains([]string{base + mainCommit + "/main.go#L3", base + louderCommit + "/main.go#L3"}, links[1]) ||
		links[1] == links[2] {
		t.Errorf("permalinks %q\nwant %s<commit>/docs/a%%20b%%231.md#L1 and %s<commit>/main.go#L3 at main %s and feature/louder %s", links, base, base, mainCommit, louderCommit)
	}

	// A second pass with nothing changed: every listing page a 304.
	calls := f.Calls()
	if sum := crawlOK(); sum.BranchesChanged != 0 {
		t.Errorf("second crawl changed %d branches", sum.BranchesChanged)
	}
	if n := f.Calls() - calls; n != 2 {
		t.Errorf("a pass without changes made %d API calls, want the 2 listing pages", n)
	}

	// A developer pushes; GitLab delivers the Push Hook before the
	// listing's last_activity_at moves (GitLab holds it back for an hour).
	api.Commit("greet louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"HELLO WEBHOOK\") }\n"})
	api.Git("push", "-q", f.PushURL("acme/platform/api"), "main")
	done := make(chan *crawler.Summary, 3)
	srv := hookServer(t, cfg, webhook.Events{
		Push: func(repo, branch string) {
			set.MarkChanged(repo)
			done <- crawlOK(repo)
		},
	})
	body := `{"object_kind":"push","event_name":"push","ref":"refs/heads/main","project":{"path_with_namespace":"acme/platform/api","web_url":"https://gitlab.example/acme/platform/api"}}`
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"missing token", "", http.StatusUnauthorized},
		{"wrong token", "not the secret", http.StatusUnauthorized},
		{"valid token", "hook secret", http.StatusAccepted},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/gitlab", strings.NewReader(body))
		req.Header.Set("X-Gitlab-Event", "Push Hook")
		if c.token != "" {
			req.Header.Set("X-Gitlab-Token", c.token)
		}
		if code := deliver(t, req); code != c.want {
			t.Fatalf("webhook with %s: status %d, want %d", c.name, code, c.want)
		}
		if c.want == http.StatusUnauthorized {
			if got := hits(t, idx, "/HELLO WEBHOOK/"); len(got) != 0 || len(done) != 0 {
				t.Fatalf("webhook with %s led to a crawl: %v", c.name, got)
			}
		}
	}
	if sum := <-done; sum.BranchesChanged != 1 {
		t.Errorf("webhook crawl: %+v", sum)
	}
	checkParity(t, idx, works, "/HELLO WEBHOOK/", "-E", "-e", "HELLO WEBHOOK")
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
}
