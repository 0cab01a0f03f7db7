package bitbucket_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/bitbucket"
	"github.com/trawl-dev/trawl/source/bitbucket/bitbuckettest"
	"github.com/trawl-dev/trawl/source/forgeapi"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

const testToken = "BBDC-NzQ5OTg2ODk1NjE0OkeeTlq3hZ5"

// newSource builds a source for cfg against f, the token in the
// environment as a configuration would have it.
func newSource(t *testing.T, f *bitbuckettest.Server, cfg config.Bitbucket, mirrors string) (*bitbucket.Source, *forgeapitest.Sleeps) {
	t.Helper()
	t.Setenv("TRAWL_TEST_BB_TOKEN", f.Token)
	cfg.TokenEnv = "TRAWL_TEST_BB_TOKEN"
	if cfg.APIURL == "" {
		cfg.APIURL = f.APIURL()
	}
	if mirrors == "" {
		mirrors = t.TempDir()
	}
	sl := &forgeapitest.Sleeps{}
	s, err := bitbucket.New(&cfg, mirrors, bitbucket.Options{Sleep: sl.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return s, sl
}

func list(t *testing.T, s *bitbucket.Source) []source.Repo {
	t.Helper()
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return repos
}

// dcFixture serves project ACME (api, tools, an archived legacy and a
// fork) and project OTHER (web).
func dcFixture(t *testing.T) *bitbuckettest.Server {
	t.Helper()
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	f.Add(forgeapitest.NewWork(t, map[string]string{"main.go": "package main\n"}), "ACME", "api", nil)
	f.Add(forgeapitest.NewWork(t, map[string]string{"tool.sh": "echo\n"}), "ACME", "tools", nil)
	f.Add(forgeapitest.NewWork(t, map[string]string{"old.c": "int x;\n"}), "ACME", "legacy", map[string]any{"archived": true})
	f.Add(forgeapitest.NewWork(t, map[string]string{"main.go": "package fork\n"}), "ACME", "api-fork",
		map[string]any{"origin": map[string]any{"slug": "api", "project": map[string]any{"key": "ACME"}}})
	f.Add(forgeapitest.NewWork(t, map[string]string{"index.html": "<p>\n"}), "OTHER", "web", map[string]any{"public": true})
	return f
}

func TestDataCenterProjectPagedAndFiltered(t *testing.T) {
	f := dcFixture(t)
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	repos := list(t, s)
	if got, want := forgeapitest.Names(repos), []string{"ACME/api", "ACME/tools"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v (forks and archived left out)", got, want)
	}
	// Four repositories, two a page: the last page says isLastPage.
	if n := f.Calls("/rest/api/1.0/projects/ACME/repos"); n != 2 {
		t.Errorf("%d page requests, want 2", n)
	}
	m := repos[0].Meta
	if m.Name != "ACME/api" || m.Visibility != "private" || m.Fork || m.Archived {
		t.Errorf("meta %+v", m)
	}
	want := f.WebURL() + "/projects/ACME/repos/api/browse/cmd/a%20b/main.go?at=0123abc#12"
	if got := m.Permalink("0123abc", "cmd/a b/main.go", 12); got != want {
		t.Errorf("permalink %s, want %s", got, want)
	}
	if got := m.Permalink("0123abc", "main.go", 0); got != f.WebURL()+"/projects/ACME/repos/api/browse/main.go?at=0123abc" {
		t.Errorf("file permalink %s", got)
	}

	all, _ := newSource(t, f, config.Bitbucket{Project: "ACME", IncludeForks: true, IncludeArchived: true}, "")
	if got, want := forgeapitest.Names(list(t, all)), []string{"ACME/api", "ACME/api-fork", "ACME/legacy", "ACME/tools"}; !slices.Equal(got, want) {
		t.Errorf("with forks and archived: %v, want %v", got, want)
	}
}

func TestDataCenterEveryRepositoryTheTokenSees(t *testing.T) {
	f := dcFixture(t)
	s, _ := newSource(t, f, config.Bitbucket{}, "")
	if got, want := forgeapitest.Names(list(t, s)), []string{"ACME/api", "ACME/tools", "OTHER/web"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if n := f.Calls("/rest/api/1.0/repos"); n != 3 {
		t.Errorf("%d page requests for 5 repositories 2 a page, want 3", n)
	}
	if s.Name() != "bitbucket "+strings.TrimPrefix(f.API.URL, "http://") {
		t.Errorf("name %q", s.Name())
	}
}

// TestDataCenterMirrorsOnceUntilAPush: the first Open clones, with the
// default branch from git's HEAD; an Open with nothing pushed costs one
// ref advertisement and no fetch; after a push the next Open fetches.
func TestDataCenterMirrorsOnceUntilAPush(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	work := forgeapitest.NewWork(t, map[string]string{"main.go": "package main\n"})
	work.Git("branch", "-m", "main", "trunk")
	work.Checkout("feature")
	work.Commit("feature", map[string]string{"f.go": "package f\n"})
	work.Checkout("trunk")
	f.Add(work, "ACME", "api", nil)
	mirrors := t.TempDir()
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, mirrors)
	ctx := context.Background()

	open := func() {
		t.Helper()
		repos := list(t, s)
		if len(repos) != 1 {
			t.Fatalf("listed %v", forgeapitest.Names(repos))
		}
		r, err := repos[0].Open(ctx)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		head, err := r.Storer.Reference("HEAD")
		if err != nil || head.Target().Short() != "trunk" {
			t.Fatalf("mirror HEAD %v (%v), want the remote's trunk", head, err)
		}
		if _, err := r.Reference("refs/heads/feature", false); err != nil {
			t.Errorf("feature branch not mirrored: %v", err)
		}
	}
	open()
	if f.Fetches() != 1 {
		t.Fatalf("%d fetches after the first open", f.Fetches())
	}
	refAds := f.RefAdvertisements()
	open()
	if f.Fetches() != 1 || f.RefAdvertisements() != refAds+1 {
		t.Errorf("an unchanged repository: %d fetches (want 1), %d ref advertisements (want %d)", f.Fetches(), f.RefAdvertisements(), refAds+1)
	}
	work.Commit("more", map[string]string{"g.go": "package g\n"})
	work.Git("push", "-q", f.BareDir("ACME", "api"), "trunk")
	open()
	if f.Fetches() != 2 {
		t.Errorf("%d fetches after a push, want 2", f.Fetches())
	}
	// A webhook may come before anything else shows the push.
	// then the next Open asks git again even though the heads match.
	s.MarkChanged("ACME/api")
	refAds = f.RefAdvertisements()
	open()
	if f.RefAdvertisements() != refAds+2 {
		t.Errorf("after MarkChanged: %d ref advertisements, want %d (the check, then the fetch's)", f.RefAdvertisements(), refAds+2)
	}
}

// TestDataCenterRenameMidListing: a repository renamed between two
// passes is listed once, under its new name (its id stays).
func TestDataCenterRenameMidListing(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	for _, n := range []string{"a", "b", "c"} {
		f.Add(forgeapitest.NewWork(t, map[string]string{n: n + "\n"}), "ACME", n, nil)
	}
	once := sync.Once{}
	f.AfterPage(func(path string, n int) {
		if n == 1 {
			once.Do(func() {
				f.Set("ACME", "a", "slug", "a-renamed")
				f.MoveFirst("ACME", "c") // [c a b]: page 2 repeats b
			})
		}
	})
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	if got, want := forgeapitest.Names(list(t, s)), []string{"ACME/a-renamed", "ACME/b", "ACME/c"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
}

func TestDataCenterDefaultBranchField(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	f.Add(forgeapitest.NewWork(t, map[string]string{"a": "a\n"}), "ACME", "api", map[string]any{"defaultBranch": "main"})
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	if m := list(t, s)[0].Meta; m.DefaultBranch != "main" {
		t.Fatalf("default branch %q, want the listing's", m.DefaultBranch)
	}
}

func TestDataCenterEmptyRepository(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	work := forgeapitest.NewWork(t, map[string]string{"a": "a\n"})
	f.Add(work, "ACME", "empty", nil)
	// Make the served repository empty: no branch at all.
	gittest.Run(t, f.BareDir("ACME", "empty"), "update-ref", "-d", "refs/heads/main")
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	repos := list(t, s)
	if _, err := repos[0].Open(context.Background()); !errors.Is(err, source.ErrEmpty) {
		t.Fatalf("open of an empty repository: %v, want ErrEmpty", err)
	}
}

// TestListingShiftedMidway: a repository renamed (moved in the order)
// between two page requests comes twice in that pass; the source lists
// again and returns each repository once, none missing.
func TestListingShiftedMidway(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	for _, n := range []string{"a", "b", "c", "d"} {
		f.Add(forgeapitest.NewWork(t, map[string]string{n: n + "\n"}), "ACME", n, nil)
	}
	once := sync.Once{}
	f.AfterPage(func(path string, n int) {
		if n == 1 {
			// After page 1 (a, b), a sorts last: page 2 is [d, a], c
			// would be skipped.
			once.Do(func() { f.MoveFirst("ACME", "b"); f.MoveFirst("ACME", "c"); f.MoveFirst("ACME", "d") })
		}
	})
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	got := forgeapitest.Names(list(t, s))
	if want := []string{"ACME/a", "ACME/b", "ACME/c", "ACME/d"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v, each once", got, want)
	}
	if n := f.Calls("/rest/api/1.0/projects/ACME/repos"); n != 4 {
		t.Errorf("%d page requests, want 4 (a shifted pass of 2, a clean one of 2)", n)
	}
}

func TestListingThatNeverSettlesIsAnError(t *testing.T) {
	f := bitbuckettest.NewDataCenter(t, "", testToken)
	f.TrustGit(t)
	for _, n := range []string{"a", "b", "c"} {
		f.Add(forgeapitest.NewWork(t, map[string]string{n: n + "\n"}), "ACME", n, nil)
	}
	order := []string{"a", "b", "c"}
	f.AfterPage(func(path string, n int) {
		if n == 1 {
			// Every pass, the last sorts first: page 2 repeats page 1's end.
			last := order[len(order)-1]
			order = append([]string{last}, order[:len(order)-1]...)
			f.MoveFirst("ACME", last)
		}
	})
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	repos, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "shifted") || !strings.Contains(err.Error(), "project ACME") {
		t.Fatalf("err %v, want the listing named as shifting", err)
	}
	if len(repos) == 0 {
		t.Errorf("the repositories seen should come with the error")
	}
}

func TestRateLimitRetryAfterIsWaitedOut(t *testing.T) {
	f := dcFixture(t)
	f.Inject(bitbuckettest.RateLimited(7))
	f.Inject(f.Status(http.StatusBadGateway, "proxy error"))
	s, sl := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	if got := forgeapitest.Names(list(t, s)); len(got) != 2 {
		t.Fatalf("listed %v", got)
	}
	var _ forgeapi.Instrumented = s // metrics: trawl_bitbucket_api_calls_total and the like
	waits := sl.Waits()
	if len(waits) != 2 || waits[0] < 7*time.Second {
		t.Errorf("waits %v: want Retry-After's 7s, then a backoff", waits)
	}
	if st := s.Stats(); st.RateLimitWaits != 1 || st.Retries != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestExpiredToken(t *testing.T) {
	f := dcFixture(t)
	good := f.Token
	f.Token = "BBDC-expired-Mjk4NTU3OTI1OTQ4"
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	f.Token = good
	_, err := s.List(context.Background())
	var se *forgeapi.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("err %v, want a 401 StatusError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "expired") || !strings.Contains(msg, "bitbucket project ACME") {
		t.Errorf("message %q should say the token may be expired and name the source", msg)
	}
	if strings.Contains(msg, "Mjk4NTU3OTI1OTQ4") {
		t.Errorf("the token leaked: %q", msg)
	}
}

func TestHTMLLoginPage(t *testing.T) {
	f := dcFixture(t)
	f.Inject(bitbuckettest.LoginPage())
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	_, err := s.List(context.Background())
	var he *forgeapi.HTMLError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "HTML page") || strings.Contains(err.Error(), "invalid character") {
		t.Fatalf("err %v, want an HTMLError saying so", err)
	}
}

func TestProjectTheTokenCannotSee(t *testing.T) {
	f := dcFixture(t)
	s, _ := newSource(t, f, config.Bitbucket{Project: "SECRET"}, "")
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "project SECRET does not exist or the token cannot see it") {
		t.Fatalf("err %v, want one naming project SECRET", err)
	}
}

// TestTokenOnlyOverHTTPS: a clone link over plain http is refused before
// the token is sent, and no error or stored remote holds the token.
func TestTokenOnlyOverHTTPS(t *testing.T) {
	f := dcFixture(t)
	plain := gittest.Serve(t, t.TempDir(), "x-token-auth", testToken)
	url := plain.Bare(t, forgeapitest.NewWork(t, map[string]string{"a": "a\n"}), "scm/acme/plain")
	f.Add(forgeapitest.NewWork(t, map[string]string{"a": "a\n"}), "ACME", "plain", nil)
	f.Set("ACME", "plain", "links", map[string]any{"clone": []map[string]string{{"name": "http", "href": url}}})
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	for _, r := range list(t, s) {
		if r.Meta.Name != "ACME/plain" {
			continue
		}
		_, err := r.Open(context.Background())
		if err == nil || !strings.Contains(err.Error(), "over http") || strings.Contains(err.Error(), testToken) {
			t.Fatalf("open over http: %v", err)
		}
		return
	}
	t.Fatal("ACME/plain not listed")
}

func TestStoredRemoteHasNoCredentials(t *testing.T) {
	f := dcFixture(t)
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	r, err := list(t, s)[0].Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rem, err := r.Remote("origin")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range rem.Config().URLs {
		if strings.Contains(u, "@") || strings.Contains(u, testToken) {
			t.Errorf("stored remote %q holds a user or token", u)
		}
	}
}

func TestNewRequiresAPIURLForDataCenter(t *testing.T) {
	if _, err := bitbucket.New(&config.Bitbucket{Project: "ACME"}, t.TempDir(), bitbucket.Options{}); err == nil ||
		!strings.Contains(err.Error(), "api_url") {
		t.Fatalf("err %v", err)
	}
}

// TestPagingThatDoesNotAdvance: a page that is not the last but points
// back at its own start is an error, not an endless crawl.
func TestPagingThatDoesNotAdvance(t *testing.T) {
	f := dcFixture(t)
	f.Inject(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"size":1,"limit":1,"isLastPage":false,"start":0,"nextPageStart":0,"values":[{"slug":"api","id":1,"project":{"key":"ACME"},"links":{"clone":[{"name":"http","href":"https://x.example/scm/acme/api.git"}]}}]}`))
		return true
	})
	s, _ := newSource(t, f, config.Bitbucket{Project: "ACME"}, "")
	if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "did not advance") {
		t.Fatalf("err %v", err)
	}
}
