package github_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
	"github.com/trawl-dev/trawl/source/github"
	"github.com/trawl-dev/trawl/source/github/githubtest"
)

const testToken = "ghp_Zq3vX9kLmN2pR7sT4uW8yA1bC5dE6fG0hJ2k" // fake, shaped like a classic token

func ghConfig(t *testing.T, f *githubtest.Server) *config.GitHub {
	t.Setenv("TRAWL_TEST_GH_TOKEN", f.Token)
	return &config.GitHub{Org: f.Org, APIURL: f.APIURL(), TokenEnv: "TRAWL_TEST_GH_TOKEN", Concurrency: 2}
}

func newSource(t *testing.T, cfg *config.GitHub, mirrors string, sl *forgeapitest.Sleeps, retries int) *github.Source {
	t.Helper()
	if sl == nil {
		sl = &forgeapitest.Sleeps{}
	}
	src, err := github.New(cfg, mirrors, github.Options{Sleep: sl.Sleep, Retries: retries})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// orgOfFive lists five repositories over three pages of two.
func orgOfFive(t *testing.T) *githubtest.Server {
	f := githubtest.New(t, "acme", testToken)
	work := githubtest.NewWork(t, map[string]string{"README.md": "hello\n"})
	f.AddRepo(work, "api", nil)
	f.AddRepo(work, "web", map[string]any{"private": true, "visibility": "private", "topics": []string{}})
	f.AddRepo(work, "forked", map[string]any{"fork": true})
	f.AddRepo(work, "old", map[string]any{"archived": true})
	f.AddRepo(work, "sandbox", map[string]any{"topics": []string{"sandbox"}})
	return f
}

func TestListPaginatesFiltersAndDescribes(t *testing.T) {
	f := orgOfFive(t)
	ctx := context.Background()
	cfg := ghConfig(t, f)
	cfg.Topics = config.Filter{Exclude: []string{"^sandbox$"}}
	repos, err := newSource(t, cfg, t.TempDir(), nil, 0).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/api", "acme/web"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if n := f.CallCount("/api/v3/orgs/acme/repos"); n != 3 {
		t.Errorf("%d listing calls, want 3 pages", n)
	}
	api := repos[slices.IndexFunc(repos, func(r source.Repo) bool { return r.Meta.Name == "acme/api" })].Meta
	if api.URL != "https://github.example/acme/api" || api.DefaultBranch != "main" || api.Visibility != "public" ||
		!slices.Equal(api.Topics, []string{"api", "octocat"}) || api.Archived || api.Fork ||
		!api.PushedAt.Equal(time.Date(2011, 1, 26, 19, 6, 43, 0, time.UTC)) ||
		!api.CreatedAt.Equal(time.Date(2011, 1, 26, 19, 1, 12, 0, time.UTC)) || !api.UpdatedAt.Equal(time.Date(2011, 1, 26, 19, 14, 43, 0, time.UTC)) {
		t.Errorf("metadata of acme/api: %+v", api)
	}
	web := repos[slices.IndexFunc(repos, func(r source.Repo) bool { return r.Meta.Name == "acme/web" })].Meta
	if web.Visibility != "private" || web.Topics != nil {
		t.Errorf("metadata of acme/web: %+v", web)
	}

	cfg.IncludeForks, cfg.IncludeArchived = true, true
	repos, err = newSource(t, cfg, t.TempDir(), nil, 0).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/api", "acme/forked", "acme/old", "acme/web"}; !slices.Equal(got, want) {
		t.Errorf("with forks and archived: %v, want %v", got, want)
	}

	cfg.Topics = config.Filter{Include: []string{"^api$"}}
	repos, err = newSource(t, cfg, t.TempDir(), nil, 0).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/api", "acme/forked", "acme/old"}; !slices.Equal(got, want) {
		t.Errorf("topic api only: %v, want %v", got, want)
	}
}

func TestUnchangedListingCostsNoQuota(t *testing.T) {
	f := orgOfFive(t)
	ctx := context.Background()
	cfg := ghConfig(t, f)
	mirrors := t.TempDir()
	src := newSource(t, cfg, mirrors, nil, 0)
	first, err := src.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	quota := f.Remaining()

	again, err := src.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(forgeapitest.Names(again), forgeapitest.Names(first)) {
		t.Fatalf("second listing %v, first %v", forgeapitest.Names(again), forgeapitest.Names(first))
	}
	if f.Remaining() != quota {
		t.Errorf("an unchanged listing spent %d of the quota", quota-f.Remaining())
	}
	if st := src.Stats(); st.NotModified != 3 || st.APICalls != 6 || st.RateLimitRemaining != quota {
		t.Errorf("stats %+v, want 3 not-modified of 6 calls and %d remaining", st, quota)
	}

	// The ETags survive a restart.
	restarted := newSource(t, cfg, mirrors, nil, 0)
	if _, err := restarted.List(ctx); err != nil {
		t.Fatal(err)
	}
	if st := restarted.Stats(); st.NotModified != 3 || f.Remaining() != quota {
		t.Errorf("after a restart: stats %+v, quota spent %d", st, quota-f.Remaining())
	}

	// A push changes the first page only.
	pushed := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	f.Push("api", pushed)
	repos, err := restarted.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Remaining() != quota-1 {
		t.Errorf("a listing with one changed page spent %d, want 1", quota-f.Remaining())
	}
	for _, r := range repos {
		if r.Meta.Name == "acme/api" && !r.Meta.PushedAt.Equal(pushed) {
			t.Errorf("pushed_at %v, want %v", r.Meta.PushedAt, pushed)
		}
	}
}

func TestPrimaryRateLimitWaitsForReset(t *testing.T) {
	f := orgOfFive(t)
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		f.RateHeaders(w, 0) // and the quota stays: the wait below "passes" the reset
		githubtest.WriteJSON(w, http.StatusForbidden, map[string]string{
			"message":           "API rate limit exceeded for user ID 1.",
			"documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"})
		return true
	})
	sl := &forgeapitest.Sleeps{}
	src := newSource(t, ghConfig(t, f), t.TempDir(), sl, 0)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatalf("list failed instead of waiting: %v", err)
	}
	if len(repos) != 3 {
		t.Errorf("listed %v after the wait", forgeapitest.Names(repos))
	}
	waits := sl.Waits()
	if len(waits) != 1 || waits[0] < 55*time.Minute || waits[0] > 61*time.Minute {
		t.Errorf("waits %v, want one until the reset about an hour away", waits)
	}
	if st := src.Stats(); st.RateLimitWaits != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestExhaustedQuotaPausesBeforeTheNextCall(t *testing.T) {
	f := orgOfFive(t)
	f.SetQuota(1) // the first page spends the last call
	sl := &forgeapitest.Sleeps{After: func() { f.SetQuota(5000) }}
	src := newSource(t, ghConfig(t, f), t.TempDir(), sl, 0)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(repos) != 3 {
		t.Errorf("listed %v", forgeapitest.Names(repos))
	}
	if waits := sl.Waits(); len(waits) != 1 || waits[0] < 55*time.Minute {
		t.Errorf("waits %v, want one pause until the reset", waits)
	}
	if n := f.CallCount("/api/v3/orgs/acme/repos"); n != 3 {
		t.Errorf("%d calls, want 3: the spent quota must not cost a refused call", n)
	}
}

func TestSecondaryRateLimitBacksOff(t *testing.T) {
	f := orgOfFive(t)
	secondary := func(status int, retryAfter string) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			githubtest.WriteJSON(w, status, map[string]string{
				"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
			return true
		}
	}
	f.InjectOnce(secondary(http.StatusForbidden, "30"))
	f.InjectOnce(secondary(http.StatusTooManyRequests, ""))
	sl := &forgeapitest.Sleeps{}
	src := newSource(t, ghConfig(t, f), t.TempDir(), sl, 0)
	if _, err := src.List(context.Background()); err != nil {
		t.Fatalf("list failed instead of backing off: %v", err)
	}
	waits := sl.Waits()
	if len(waits) != 2 {
		t.Fatalf("waits %v, want 2", waits)
	}
	if waits[0] < 30*time.Second || waits[0] > 30*time.Second+30*time.Second/4+time.Second {
		t.Errorf("wait after Retry-After: 30 was %v", waits[0])
	}
	if waits[1] < time.Minute {
		t.Errorf("wait after a secondary limit without Retry-After was %v, want at least a minute", waits[1])
	}
}

func TestServerErrorsAreRetriedABoundedNumberOfTimes(t *testing.T) {
	f := orgOfFive(t)
	fail := func(w http.ResponseWriter, r *http.Request) bool {
		githubtest.WriteJSON(w, http.StatusBadGateway, map[string]string{"message": "Server Error"})
		return true
	}
	f.InjectOnce(fail)
	f.InjectOnce(fail)
	sl := &forgeapitest.Sleeps{}
	src := newSource(t, ghConfig(t, f), t.TempDir(), sl, 3)
	if _, err := src.List(context.Background()); err != nil {
		t.Fatalf("list failed after two 502s: %v", err)
	}
	if st := src.Stats(); st.Retries != 2 || len(sl.Waits()) != 2 {
		t.Errorf("stats %+v, waits %v: want 2 retries", st, sl.Waits())
	}

	for range 10 {
		f.InjectOnce(fail)
	}
	before := f.CallCount("/api/v3/orgs/acme/repos")
	src = newSource(t, ghConfig(t, f), t.TempDir(), &forgeapitest.Sleeps{}, 3)
	_, err := src.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("list with a failing API: %v, want the 502", err)
	}
	if n := f.CallCount("/api/v3/orgs/acme/repos") - before; n != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", n)
	}
}

func branchHead(t *testing.T, r source.Repo) string {
	t.Helper()
	repo, err := r.Open(context.Background())
	if err != nil {
		t.Fatalf("open %s: %v", r.Meta.Name, err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		t.Fatal(err)
	}
	return ref.Hash().String()
}

func TestOpenMirrorsAndSkipsUnchangedRepositories(t *testing.T) {
	f := githubtest.New(t, "acme", testToken)
	work := githubtest.NewWork(t, map[string]string{"a.txt": "one\n"})
	c1 := work.Git("rev-parse", "HEAD")
	f.AddRepo(work, "api", nil)
	mirrors := t.TempDir()
	src := newSource(t, ghConfig(t, f), mirrors, nil, 0)
	ctx := context.Background()
	repos, err := src.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := branchHead(t, forgeapitest.Find(t, repos, "acme/api")); got != c1 {
		t.Fatalf("main at %s, want %s", got, c1)
	}

	// A push that the listing does not show yet: no fetch.
	c2 := work.Commit("second", map[string]string{"a.txt": "two\n"})
	work.Git("push", "-q", f.PushURL("api"), "main")
	repos, _ = src.List(ctx)
	if got := branchHead(t, forgeapitest.Find(t, repos, "acme/api")); got != c1 {
		t.Errorf("main at %s: fetched although pushed_at did not move", got)
	}
	// A webhook says it moved.
	src.MarkChanged("acme/api")
	if got := branchHead(t, forgeapitest.Find(t, repos, "acme/api")); got != c2 {
		t.Errorf("main at %s after MarkChanged, want %s", got, c2)
	}
	// The listing shows a push.
	c3 := work.Commit("third", map[string]string{"a.txt": "three\n"})
	work.Git("push", "-q", f.PushURL("api"), "main")
	f.Push("api", time.Now())
	repos, _ = src.List(ctx)
	if got := branchHead(t, forgeapitest.Find(t, repos, "acme/api")); got != c3 {
		t.Errorf("main at %s after a new pushed_at, want %s", got, c3)
	}

	// Nothing under the mirrors folder holds the token: not the stored
	// remotes, not the state file.
	err = filepath.WalkDir(mirrors, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), testToken) {
			t.Errorf("%s holds the token", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmptyRepositories(t *testing.T) {
	f := githubtest.New(t, "acme", testToken)
	f.AddRepo(githubtest.EmptyWork(t), "empty", map[string]any{"size": 0, "pushed_at": nil})
	f.SetEmpty("acme/empty")
	work := githubtest.NewWork(t, map[string]string{"a.txt": "one\n"})
	// GitHub computes size lazily: a fresh push may still say 0.
	f.AddRepo(work, "fresh", map[string]any{"size": 0})
	src := newSource(t, ghConfig(t, f), t.TempDir(), nil, 0)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forgeapitest.Find(t, repos, "acme/empty").Open(context.Background()); !errors.Is(err, source.ErrEmpty) {
		t.Errorf("open of an empty repository: %v, want source.ErrEmpty", err)
	}
	if got, want := branchHead(t, forgeapitest.Find(t, repos, "acme/fresh")), work.Git("rev-parse", "HEAD"); got != want {
		t.Errorf("fresh repository with size 0: main at %s, want %s", got, want)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	f := orgOfFive(t)
	cfg := ghConfig(t, f)
	wrong := "ghp_" + strings.Repeat("W", 36)
	t.Setenv("TRAWL_TEST_GH_TOKEN", wrong)
	src := newSource(t, cfg, t.TempDir(), nil, 0)
	_, err := src.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("list with a wrong token: %v, want a 401", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error holds the token: %v", err)
	}

	// The API accepts the token but git does not: the fetch error must not
	// quote it either.
	f.Handle("GET /api/v3/orgs/acme/repos", func(w http.ResponseWriter, r *http.Request) {
		githubtest.WriteJSON(w, http.StatusOK, f.Repos()[:1])
	})
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = repos[0].Open(context.Background())
	if err == nil {
		t.Fatal("clone with a wrong token succeeded")
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "acme/api") {
		t.Errorf("clone error %q: want the repository named and the token absent", err)
	}
	if strings.Contains(fmt.Sprint(src.Stats()), wrong) {
		t.Error("stats hold the token")
	}
}

func TestUserSource(t *testing.T) {
	f := orgOfFive(t)
	cfg := ghConfig(t, f)
	cfg.Org, cfg.User = "", "acme"
	src := newSource(t, cfg, t.TempDir(), nil, 0)
	if got := src.Name(); got != "github user acme" {
		t.Errorf("Name() = %q", got)
	}
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 3 || f.CallCount("/api/v3/users/acme/repos") != 3 {
		t.Errorf("listed %v with %d calls to /users/acme/repos", forgeapitest.Names(repos), f.CallCount("/api/v3/users/acme/repos"))
	}

	// The token's own account: /user/repos, which includes private
	// repositories.
	f.SetLogin("acme")
	repos, err = newSource(t, cfg, t.TempDir(), nil, 0).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 3 || f.CallCount("/api/v3/user/repos") != 3 {
		t.Errorf("listed %v with %d calls to /user/repos", forgeapitest.Names(repos), f.CallCount("/api/v3/user/repos"))
	}
}
