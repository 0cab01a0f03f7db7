package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trawl-dev/trawl/change"
)

// campaignStore stores one campaign as trawl change plan and apply leave it.
func campaignStore(t *testing.T) *change.Store {
	t.Helper()
	st := change.NewStore(t.TempDir())
	p := &change.Plan{
		ID: "log4shell", DepName: "org.apache.logging.log4j:log4j-core", DepRange: "<2.17.1",
		Action:    change.Action{Kind: change.KindSetDependency, Dependency: "org.apache.logging.log4j:log4j-core", Version: "2.17.1"},
		Message:   "trawl change log4shell: set org.apache.logging.log4j:log4j-core to 2.17.1\n",
		CreatedAt: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC),
		Changes: []*change.Change{
			{Repo: "acme/api", Branch: "main", BaseCommit: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d", HeadBranch: "trawl/log4shell/main",
				State: change.StatePROpen, PullRequest: "https://github.example/acme/api/pull/1348",
				Files: []*change.FileChange{{Path: "pom.xml", Diff: "--- a/pom.xml\n+++ b/pom.xml\n@@ -6 +6 @@\n-      <version>2.14.1</version>\n+      <version>2.17.1</version>\n"}}},
			{Repo: "acme/web", Branch: "release/1.2", BaseCommit: "4d5e6f4d5e6f4d5e6f4d5e6f4d5e6f4d5e6f4d5e", HeadBranch: "trawl/log4shell/release/1.2",
				State: change.Failed("push: pre-receive hook declined"), Files: []*change.FileChange{}},
			{Repo: "acme/old", Branch: "main", BaseCommit: "0a0b0c0a0b0c0a0b0c0a0b0c0a0b0c0a0b0c0a0b", HeadBranch: "trawl/log4shell/main",
				State: change.Failed("open mirror of acme/old: stat /srv/secret-layout/mirrors/acme_old.git: no such file or directory"), Files: []*change.FileChange{}},
			{Repo: "acme/tools", Branch: "main", BaseCommit: "7a8b9c7a8b9c7a8b9c7a8b9c7a8b9c7a8b9c7a8b", HeadBranch: "trawl/log4shell/main",
				State: "javascript:alert(1)", PullRequest: "javascript:alert(1)", Files: []*change.FileChange{}},
		},
	}
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestChangesAPI(t *testing.T) {
	srv := serve(t, openIndex(t, nil), Options{Changes: campaignStore(t)})
	resp := get(t, srv, "/api/changes", "")
	var list struct {
		Campaigns []struct {
			ID      string         `json:"id"`
			States  map[string]int `json:"states"`
			Changes []struct {
				Files []struct{ Path, Diff string }
			}
		}
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&list) != nil || len(list.Campaigns) != 1 {
		t.Fatalf("GET /api/changes: %d %+v", resp.StatusCode, list)
	}
	c := list.Campaigns[0]
	if c.ID != "log4shell" || c.States["pr_open"] != 1 || c.States["failed"] != 2 || c.Changes[0].Files[0].Diff != "" {
		t.Errorf("list (no diffs in it): %+v", c)
	}
	var detail struct {
		Changes []struct{ State string }
	}
	if r := get(t, srv, "/api/changes/log4shell", ""); json.NewDecoder(r.Body).Decode(&detail) != nil || len(detail.Changes) != 4 ||
		detail.Changes[2].State != "failed: open mirror of acme/old: stat …/acme_old.git: no such file or directory" {
		t.Errorf("a server path in a state must be scrubbed: %+v", detail)
	}
	if r := get(t, srv, "/api/changes/nope", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown campaign: %d", r.StatusCode)
	}
	if r := get(t, srv, "/api/changes/..%2Fetc", ""); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad id: %d", r.StatusCode)
	}
	if r := get(t, serve(t, openIndex(t, nil), Options{}), "/api/changes", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("without a store the route must not exist: %d", r.StatusCode)
	}
}

func TestChangesPageBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	srv := serve(t, openIndex(t, nil), Options{Changes: campaignStore(t)})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	console := watchConsole(ctx)

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/changes"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"] #changes tbody`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#changes tbody tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != "log4shell set org.apache.logging.log4j:log4j-core to 2.17.1 org.apache.logging.log4j:log4j-core <2.17.1 4 failed 2 javascript:alert(1) 1 pr_open 1" {
		t.Errorf("campaign rows: %q", rows)
	}

	type resource struct {
		Repo, State, PR string
		Diff            []string
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#changes tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`#change-detail tbody tr`)),
		chromedp.Click(chromedp.CSS(`#change-detail details summary`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]resource](`[...document.querySelectorAll('#change-detail tbody tr')].map(r => ({
			Repo: r.dataset.repo + '@' + r.dataset.branch,
			State: r.querySelector('.state').textContent,
			PR: (r.querySelector('a.pr') || {}).href || '',
			Diff: [...r.querySelectorAll('pre.diff span')].map(s => s.className + ' ' + s.textContent)}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("resources: %+v", res)
	}
	if res[0].Repo != "acme/api@main" || res[0].State != "pr_open" || res[0].PR != "https://github.example/acme/api/pull/1348" {
		t.Errorf("first resource: %+v", res[0])
	}
	wantDiff := []string{"diff-file --- a/pom.xml", "diff-file +++ b/pom.xml", "diff-hunk @@ -6 +6 @@",
		"diff-del -      <version>2.14.1</version>", "diff-add +      <version>2.17.1</version>", " "}
	if len(res[0].Diff) != len(wantDiff) {
		t.Fatalf("diff lines: %q", res[0].Diff)
	}
	for i := range wantDiff {
		if res[0].Diff[i] != wantDiff[i] {
			t.Errorf("diff line %d: %q, want %q", i, res[0].Diff[i], wantDiff[i])
		}
	}
	if res[1].State != "failed: push: pre-receive hook declined" {
		t.Errorf("failed resource: %+v", res[1])
	}
	if res[3].PR != "" {
		t.Errorf("a javascript: link was made: %+v", res[2])
	}
	screenshot(t, ctx, "changes.png")
	console.check(t, "changes page")
}
