package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
	"github.com/trawl-dev/trawl/source/gitlab/gitlabtest"
)

const token = "glpat-s3cr3t-t0ken"

func newSource(t *testing.T, f *gitlabtest.Server, cfg config.GitLab, sl *forgeapitest.Sleeps) (*Source, string) {
	t.Helper()
	t.Setenv("GITLAB_TEST_TOKEN", token)
	cfg.APIURL = f.APIURL()
	cfg.TokenEnv = "GITLAB_TEST_TOKEN"
	mirrors := t.TempDir()
	if sl == nil {
		sl = &forgeapitest.Sleeps{}
	}
	s, err := New(&cfg, mirrors, Options{Sleep: sl.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return s, mirrors
}

// org is a group acme with nested subgroups, a fork, an archived project,
// topics, and a project of another group.
func org(t *testing.T) *gitlabtest.Server {
	f := gitlabtest.New(t, token)
	work := gitlabtest.NewWork(t, map[string]string{"main.go": "package main\n"})
	f.AddProject(work, "acme/platform/api", map[string]any{
		"topics": []string{"go", "backend"}, "visibility": "internal", "default_branch": "trunk",
		"last_activity_at": "2024-05-01T10:00:00.000Z",
	})
	f.AddProject(work, "acme/web", map[string]any{"visibility": "public"})
	f.AddProject(work, "acme/platform/deep/er/lib", nil)
	f.AddProject(work, "acme/forked", map[string]any{"forked_from_project": map[string]any{
		"id": 99, "path_with_namespace": "upstream/forked", "web_url": "https://gitlab.example/upstream/forked"}})
	f.AddProject(work, "acme/old", map[string]any{"archived": true})
	f.AddProject(work, "acme/sandbox", map[string]any{"topics": []string{"sandbox"}})
	f.AddProject(work, "other/x", nil)
	return f
}

func TestListGroupWithSubgroups(t *testing.T) {
	f := org(t)
	s, _ := newSource(t, f, config.GitLab{Group: "acme", Topics: config.Filter{Exclude: []string{"^sandbox$"}}}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acme/platform/api", "acme/platform/deep/er/lib", "acme/web"}
	if got := forgeapitest.Names(repos); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if n := f.CallCount("/api/v4/groups/acme/projects"); n < 2 {
		t.Errorf("%d listing calls: the fake pages by 2, so the listing must have followed pages", n)
	}
	var api source.Repo
	for _, r := range repos {
		if r.Meta.Name == "acme/platform/api" {
			api = r
		}
	}
	m := api.Meta
	if m.Visibility != "internal" || m.DefaultBranch != "trunk" || !slices.Equal(m.Topics, []string{"backend", "go"}) ||
		m.Fork || m.Archived || !m.PushedAt.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) ||
		m.URL != "https://gitlab.example/acme/platform/api" {
		t.Errorf("metadata %+v", m)
	}
	if got, want := m.Permalink("0123abc", "cmd/a b#c.go", 7), "https://gitlab.example/acme/platform/api/-/blob/0123abc/cmd/a%20b%23c.go#L7"; got != want {
		t.Errorf("permalink %q, want %q", got, want)
	}
	if got, want := m.Permalink("0123abc", "main.go", 0), "https://gitlab.example/acme/platform/api/-/blob/0123abc/main.go"; got != want {
		t.Errorf("file permalink %q, want %q", got, want)
	}
	if s.Name() != "gitlab group acme" {
		t.Errorf("name %q", s.Name())
	}
}

func TestFiltersIncludeForksArchivedTopics(t *testing.T) {
	f := org(t)
	s, _ := newSource(t, f, config.GitLab{Group: "acme", IncludeForks: true, IncludeArchived: true}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acme/forked", "acme/old", "acme/platform/api", "acme/platform/deep/er/lib", "acme/sandbox", "acme/web"}
	if got := forgeapitest.Names(repos); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for _, r := range repos {
		if r.Meta.Fork != (r.Meta.Name == "acme/forked") || r.Meta.Archived != (r.Meta.Name == "acme/old") {
			t.Errorf("%s: fork %v archived %v", r.Meta.Name, r.Meta.Fork, r.Meta.Archived)
		}
	}

	s, _ = newSource(t, f, config.GitLab{Group: "acme/platform", Topics: config.Filter{Include: []string{"^go$"}}}, nil)
	repos, err = s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := forgeapitest.Names(repos); !slices.Equal(got, []string{"acme/platform/api"}) {
		t.Fatalf("subgroup with topic go: %v", got)
	}
}

func TestListUser(t *testing.T) {
	f := gitlabtest.New(t, token)
	work := gitlabtest.NewWork(t, map[string]string{"a": "a\n"})
	f.AddProject(work, "jdoe/dotfiles", nil)
	f.AddProject(work, "acme/api", nil)
	s, _ := newSource(t, f, config.GitLab{User: "jdoe"}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := forgeapitest.Names(repos); !slices.Equal(got, []string{"jdoe/dotfiles"}) || s.Name() != "gitlab user jdoe" {
		t.Fatalf("%s listed %v", s.Name(), got)
	}
}

func TestKeysetPagination(t *testing.T) {
	f := org(t)
	f.SetKeyset(true)
	s, _ := newSource(t, f, config.GitLab{Group: "acme", IncludeForks: true, IncludeArchived: true}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 6 || f.CallCount("/api/v4/groups/acme/projects") != 3 {
		t.Fatalf("keyset listing: %v in %d calls, want 6 projects in 3 pages", forgeapitest.Names(repos), f.CallCount("/api/v4/groups/acme/projects"))
	}
}

func TestOffsetPaginationByXNextPage(t *testing.T) {
	f := org(t)
	f.SetNoLink(true)
	s, _ := newSource(t, f, config.GitLab{Group: "acme", IncludeForks: true, IncludeArchived: true}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 6 || f.CallCount("/api/v4/groups/acme/projects") != 3 {
		t.Fatalf("X-Next-Page listing: %v in %d calls, want 6 projects in 3 pages", forgeapitest.Names(repos), f.CallCount("/api/v4/groups/acme/projects"))
	}
}

// A project transferred into the group between two page reads shifts the
// offset pages: one project comes twice, and is listed once.
func TestProjectMovedMidListingListedOnce(t *testing.T) {
	f := gitlabtest.New(t, token)
	work := gitlabtest.NewWork(t, map[string]string{"a": "a\n"})
	for _, n := range []string{"a", "b", "c", "d"} {
		f.AddProject(work, "acme/"+n, nil)
	}
	f.AfterPage(1, func() {
		f.AddProject(work, "acme/moved-in", map[string]any{"id": 1})
		f.Set("acme/b", "path_with_namespace", "acme/sub/b-renamed")
	})
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := forgeapitest.Names(repos)
	want := []string{"acme/a", "acme/c", "acme/d", "acme/sub/b-renamed"}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v (each once; the renamed project under its new path)", got, want)
	}
}

// The same project on two pages (GitLab's subgroup traversal, or a loop
// in a fake) is listed once.
func TestDuplicateProjectListedOnce(t *testing.T) {
	f := gitlabtest.New(t, token)
	work := gitlabtest.NewWork(t, map[string]string{"a": "a\n"})
	id := f.AddProject(work, "acme/a", nil)
	f.AddProject(work, "acme/sub/b", nil)
	f.AddProject(work, "acme/sub/sub/c", map[string]any{"id": id}) // same id: the same project seen again
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 2 {
		t.Fatalf("listed %v, want 2 projects", forgeapitest.Names(repos))
	}
}

func TestNoChangeCrawlFetchesNothing(t *testing.T) {
	f := org(t)
	s, mirrors := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	ctx := context.Background()
	repos, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		if _, err := r.Open(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The stored remote holds no token.
	cfgs, _ := filepath.Glob(filepath.Join(mirrors, "gitlab", "*", "*.git", "config"))
	if len(cfgs) != 4 {
		t.Fatalf("%d mirrors, want 4", len(cfgs))
	}
	for _, c := range cfgs {
		b, _ := os.ReadFile(c)
		if strings.Contains(string(b), token) {
			t.Fatalf("%s holds the token", c)
		}
	}
	// With the served repositories gone, a second crawl still opens every
	// mirror: it fetched nothing.
	if err := os.RemoveAll(filepath.Join(f.Git.Root, "acme")); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	s2, err := New(s.cfg, mirrors, Options{}) // a new process: ETags and versions from the state file
	if err != nil {
		t.Fatal(err)
	}
	repos, err = s2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		if _, err := r.Open(ctx); err != nil {
			t.Fatalf("second crawl of %s fetched: %v", r.Meta.Name, err)
		}
	}
	st := s2.Stats()
	if st.APICalls != 3 || st.NotModified != 3 || before.APICalls != 3 {
		t.Errorf("no-change listing: %d calls, %d not modified; want 3 pages, all 304 (first crawl made %d)", st.APICalls, st.NotModified, before.APICalls)
	}

	// Activity moves: the next Open fetches (and fails, the repository is gone).
	f.Push("acme/web", time.Now().Add(-2*time.Hour))
	repos, err = s2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		_, err := r.Open(ctx)
		if (err != nil) != (r.Meta.Name == "acme/web") {
			t.Errorf("%s after a push to acme/web: %v", r.Meta.Name, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("fetch error holds the token: %v", err)
		}
	}
	// A webhook's MarkChanged makes an unchanged project fetch too.
	s2.MarkChanged("acme/platform/api")
	for _, r := range repos {
		if r.Meta.Name == "acme/platform/api" {
			if _, err := r.Open(ctx); err == nil {
				t.Error("MarkChanged: the next Open did not fetch")
			}
		}
	}
}

// GitLab holds last_activity_at for an hour after it moves: a fetch made
// within that hour is not taken as covering it.
func TestRecentActivityAlwaysFetches(t *testing.T) {
	f := gitlabtest.New(t, token)
	work := gitlabtest.NewWork(t, map[string]string{"a": "a\n"})
	now := time.Now()
	f.AddProject(work, "acme/a", nil)
	f.Push("acme/a", now.Add(-10*time.Minute))
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	ctx := context.Background()
	repos, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repos[0].Open(ctx); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(f.Git.Root, "acme"))
	if _, err := repos[0].Open(ctx); err == nil {
		t.Fatal("an Open within the hour of last_activity_at did not fetch")
	}
}

func TestEmptyProject(t *testing.T) {
	f := gitlabtest.New(t, token)
	f.AddProject(nil, "acme/empty", nil)
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	repos, err := s.List(context.Background())
	if err != nil || len(repos) != 1 {
		t.Fatal(repos, err)
	}
	if _, err := repos[0].Open(context.Background()); !errors.Is(err, source.ErrEmpty) {
		t.Fatalf("empty project: %v, want ErrEmpty", err)
	}
}

func TestRateLimits(t *testing.T) {
	f := org(t)
	reset := time.Now().Add(30 * time.Second)
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		gitlabtest.RateHeaders(w, 0, reset)
		w.Header().Set("Retry-After", "30")
		gitlabtest.WriteJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Retry later"})
		return true
	})
	sl := &forgeapitest.Sleeps{}
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, sl)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 4 || len(sl.Waits()) != 1 || s.Stats().RateLimitWaits != 1 {
		t.Fatalf("after a 429: %d repos, %d sleeps, stats %+v", len(repos), len(sl.Waits()), s.Stats())
	}
	if d := sl.Waits()[0]; d < 20*time.Second || d > 2*time.Minute {
		t.Errorf("waited %v for a reset 30s away", d)
	}

	// A 200 that spends the quota (RateLimit-Remaining: 0) makes the next
	// call wait for RateLimit-Reset instead of spending itself on a 429.
	f.SetQuota(1)
	sl2 := &forgeapitest.Sleeps{}
	s2, _ := newSource(t, f, config.GitLab{Group: "acme"}, sl2)
	if _, err := s2.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sl2.Waits()) == 0 || s2.Stats().RateLimitWaits == 0 {
		t.Fatalf("quota spent: no wait before the next page (stats %+v)", s2.Stats())
	}
}

func TestServerErrorsRetried(t *testing.T) {
	f := org(t)
	for range 2 {
		f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
			gitlabtest.WriteJSON(w, http.StatusBadGateway, map[string]string{"message": "502 Bad Gateway"})
			return true
		})
	}
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	repos, err := s.List(context.Background())
	if err != nil || len(repos) != 4 || s.Stats().Retries != 2 {
		t.Fatalf("after two 502s: %d repos, %v, stats %+v", len(repos), err, s.Stats())
	}
}

func TestExpiredToken(t *testing.T) {
	f := org(t)
	f.SetExpired(true)
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "expired") ||
		!strings.Contains(err.Error(), "group acme") || !strings.Contains(err.Error(), "GITLAB_TEST_TOKEN") {
		t.Fatalf("expired token: %v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("error holds the token: %v", err)
	}
}

func TestGroupNotVisible(t *testing.T) {
	f := org(t)
	f.Hide("acme/platform")
	s, _ := newSource(t, f, config.GitLab{Group: "acme/platform"}, nil)
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "group acme/platform") || !strings.Contains(err.Error(), "404") ||
		!strings.Contains(err.Error(), "cannot see") {
		t.Fatalf("hidden group: %v", err)
	}

	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		gitlabtest.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "403 Forbidden"})
		return true
	})
	s, _ = newSource(t, f, config.GitLab{Group: "acme"}, nil)
	_, err = s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "group acme") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("forbidden group: %v", err)
	}
}

func TestHTMLLoginPage(t *testing.T) {
	f := org(t)
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!DOCTYPE html><html><head><title>Sign in · GitLab</title></head><body>...</body></html>"))
		return true
	})
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	_, err := s.List(context.Background())
	var html *forgeapi.HTMLError
	if !errors.As(err, &html) || !strings.Contains(err.Error(), "HTML") || strings.Contains(err.Error(), "invalid character") {
		t.Fatalf("HTML answer: %v", err)
	}
	if !strings.Contains(err.Error(), "GitLab") || !strings.Contains(err.Error(), "group acme") {
		t.Errorf("HTML error does not name the forge and group: %v", err)
	}
}

func TestTokenSentAsPrivateToken(t *testing.T) {
	f := org(t)
	var got []string
	f.Handle("GET /api/v4/groups/acme/projects", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("Authorization"))
		gitlabtest.WriteJSON(w, http.StatusOK, []any{})
	})
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{token, ""}) {
		t.Fatalf("headers %q", got)
	}
}

func TestBadAPIURL(t *testing.T) {
	_, err := New(&config.GitLab{Group: "acme", APIURL: "gitlab.example.com"}, t.TempDir(), Options{})
	if err == nil || !strings.Contains(err.Error(), "api_url") || !strings.Contains(err.Error(), "group acme") {
		t.Fatalf("bad api_url: %v", err)
	}
	_, err = New(&config.GitLab{Group: "acme", User: "jdoe"}, t.TempDir(), Options{})
	if err == nil {
		t.Fatal("group and user both set: no error")
	}
}

func TestAnonymous(t *testing.T) {
	f := org(t)
	var sent []string
	f.Handle("GET /api/v4/groups/acme/projects", func(w http.ResponseWriter, r *http.Request) {
		sent = append(sent, r.Header.Get("PRIVATE-TOKEN"))
		gitlabtest.WriteJSON(w, http.StatusOK, []map[string]any{{"id": 1, "path_with_namespace": "acme/pub", "web_url": "https://gitlab.example/acme/pub", "visibility": "public"}})
	})
	s, err := New(&config.GitLab{Group: "acme", APIURL: f.APIURL()}, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	repos, err := s.List(context.Background())
	if err != nil || len(repos) != 1 || !slices.Equal(sent, []string{""}) {
		t.Fatalf("anonymous listing: %v %v, tokens sent %q", forgeapitest.Names(repos), err, sent)
	}
	s, _ = New(&config.GitLab{Group: "acme/platform", APIURL: f.APIURL()}, t.TempDir(), Options{})
	if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "needs a token") {
		t.Fatalf("anonymous 401: %v", err)
	}
}

// A listing that names a clone URL over plain http on another host does
// not get the token.
func TestTokenNotSentInClearToAnotherHost(t *testing.T) {
	f := gitlabtest.New(t, token)
	work := gitlabtest.NewWork(t, map[string]string{"a": "a\n"})
	f.AddProject(work, "acme/a", nil)
	f.Set("acme/a", "http_url_to_repo", "http://git.elsewhere.example/acme/a.git")
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = repos[0].Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refusing to send the token to git.elsewhere.example over http") || strings.Contains(err.Error(), token) {
		t.Fatalf("clone over http to another host: %v", err)
	}
}

func TestNextLink(t *testing.T) {
	for h, want := range map[string]string{
		``: ``,
		`<https://gitlab.example.com/api/v4/groups/acme/projects?id_after=9&pagination=keyset>; rel="next"`:                             `https://gitlab.example.com/api/v4/groups/acme/projects?id_after=9&pagination=keyset`,
		`<https://g.example/a?page=1>; rel="first", <https://g.example/a?page=3>; rel="next", <https://g.example/a?page=9>; rel="last"`: `https://g.example/a?page=3`,
		`<https://g.example/a?page=1>; rel="prev"`:                     ``,
		`<https://g.example/a?page=2>; REL=next`:                       `https://g.example/a?page=2`,
		`<https://g.example/a?page=2>; title="x"; rel="prefetch next"`: `https://g.example/a?page=2`,
		`https://g.example/a?page=2; rel="next"`:                       ``,
		`<https://g.example/a?page=2`:                                  ``,
	} {
		if got := nextLink(h); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", h, got, want)
		}
	}
}

// A server that answers "next page" without end is stopped at the bound,
// with an error, so that the crawl does not take a partial listing for
// the whole.
func TestEndlessPagesStopped(t *testing.T) {
	f := org(t)
	calls := 0
	f.Handle("GET /api/v4/groups/acme/projects", func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("X-Next-Page", strconv.Itoa(calls+1))
		gitlabtest.WriteJSON(w, http.StatusOK, []any{map[string]any{"id": calls, "path_with_namespace": fmt.Sprintf("acme/p%d", calls)}})
	})
	s, _ := newSource(t, f, config.GitLab{Group: "acme"}, nil)
	s.pages = 5
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 pages") || calls != 5 {
		t.Fatalf("endless pages: %v after %d calls", err, calls)
	}
}
