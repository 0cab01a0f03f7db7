package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
	"github.com/trawl-dev/trawl/source/gitea/giteatest"
)

const testToken = "3f6b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c" // fake, shaped like a Gitea token

// newSource builds a source for cfg against f, with waits recorded
// instead of slept.
func newSource(t *testing.T, f *giteatest.Server, cfg *config.Gitea) (*Source, *[]time.Duration) {
	t.Helper()
	if cfg.APIURL == "" {
		cfg.APIURL = f.APIURL()
	}
	if cfg.TokenEnv == "" && f.Token != "" {
		t.Setenv("TRAWL_TEST_GITEA_TOKEN", f.Token)
		cfg.TokenEnv = "TRAWL_TEST_GITEA_TOKEN"
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	s, err := New(cfg, filepath.Join(t.TempDir(), "mirrors"), Options{Sleep: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s, &waits
}

func TestListPaginatesFiltersAndDescribes(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.SetPageSize(2)
	f.AddRepo(nil, "acme/api", map[string]any{"empty": false, "topics": []string{"payments", "go"}, "default_branch": "trunk",
		"updated_at": "2024-05-06T07:08:09Z"})
	f.AddRepo(nil, "acme/secret", map[string]any{"empty": false, "private": true})
	f.AddRepo(nil, "acme/fork", map[string]any{"empty": false, "fork": true})
	f.AddRepo(nil, "acme/old", map[string]any{"empty": false, "archived": true})
	f.AddRepo(nil, "acme/inner", map[string]any{"empty": false, "internal": true})
	f.AddRepo(nil, "other/elsewhere", nil)

	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/api", "acme/inner", "acme/secret"}; !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v (forks and archived left out)", got, want)
	}
	if n := f.CallCount("/api/v1/orgs/acme/repos"); n != 3 {
		t.Errorf("%d listing calls for 5 repositories at 2 a page, want 3", n)
	}
	api := forgeapitest.Find(t, repos, "acme/api").Meta
	if api.DefaultBranch != "trunk" || api.Visibility != "public" || !slices.Equal(api.Topics, []string{"go", "payments"}) ||
		!api.UpdatedAt.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) || api.URL != "https://gitea.example/acme/api" {
		t.Errorf("acme/api described as %+v", api)
	}
	if v := forgeapitest.Find(t, repos, "acme/secret").Meta.Visibility; v != "private" {
		t.Errorf("acme/secret visibility %q", v)
	}
	if v := forgeapitest.Find(t, repos, "acme/inner").Meta.Visibility; v != "internal" {
		t.Errorf("acme/inner visibility %q", v)
	}
	if got, want := api.Permalink("0123abc", "src/a b#c.go", 12), "https://gitea.example/acme/api/src/commit/0123abc/src/a%20b%23c.go#L12"; got != want {
		t.Errorf("permalink %s, want %s", got, want)
	}
	if got, want := api.Permalink("0123abc", "README.md", 0), "https://gitea.example/acme/api/src/commit/0123abc/README.md"; got != want {
		t.Errorf("file permalink %s, want %s", got, want)
	}

	all, _ := newSource(t, f, &config.Gitea{Org: "acme", IncludeForks: true, IncludeArchived: true})
	repos, err = all.List(context.Background())
	if err != nil || len(repos) != 5 {
		t.Errorf("with forks and archived: %v, %v", forgeapitest.Names(repos), err)
	}
}

func TestAnonymousSeesPublicRepositoriesOnly(t *testing.T) {
	f := giteatest.New(t, "")
	f.AddRepo(nil, "acme/api", nil)
	f.AddRepo(nil, "acme/secret", map[string]any{"private": true})
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil || !slices.Equal(forgeapitest.Names(repos), []string{"acme/api"}) {
		t.Errorf("anonymous listing: %v, %v", forgeapitest.Names(repos), err)
	}
}

func TestTopicsFilter(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("listing without topics %v", old), func(t *testing.T) {
			f := giteatest.New(t, testToken)
			f.AddRepo(nil, "acme/pay", map[string]any{"topics": []string{"backend", "payments"}})
			f.AddRepo(nil, "acme/sandbox", map[string]any{"topics": []string{"backend", "sandbox"}})
			f.AddRepo(nil, "acme/web", map[string]any{"topics": []string{"frontend"}})
			f.AddRepo(nil, "acme/none", nil)
			if old {
				f.OmitTopics()
			}
			s, _ := newSource(t, f, &config.Gitea{Org: "acme", Topics: config.Filter{Include: []string{"^backend$"}, Exclude: []string{"^sandbox$"}}})
			repos, err := s.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := forgeapitest.Names(repos); !slices.Equal(got, []string{"acme/pay"}) {
				t.Errorf("topics filter kept %v, want [acme/pay]", got)
			}
			calls := f.CallCount("/api/v1/repos/acme/web/topics")
			if old && calls != 1 || !old && calls != 0 {
				t.Errorf("%d topics calls for acme/web (listing without topics: %v)", calls, old)
			}
		})
	}
}

func TestUserSource(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.SetLogin("dana")
	f.AddRepo(nil, "dana/notes", map[string]any{"private": true})
	f.AddRepo(nil, "dana/dots", nil)
	f.AddOwner("erik", "user")
	f.AddRepo(nil, "erik/tools", nil)

	mine, _ := newSource(t, f, &config.Gitea{User: "Dana"})
	repos, err := mine.List(context.Background())
	if err != nil || !slices.Equal(forgeapitest.Names(repos), []string{"dana/dots", "dana/notes"}) {
		t.Errorf("own account: %v, %v", forgeapitest.Names(repos), err)
	}
	if f.CallCount("/api/v1/user/repos") != 1 || f.CallCount("/api/v1/users/Dana/repos") != 0 {
		t.Errorf("own account listed through %v", f.CallCount(""))
	}
	if _, err := mine.List(context.Background()); err != nil || f.CallCount("/api/v1/user") != 1 {
		t.Errorf("GET /user asked %d times over two listings (%v), want once", f.CallCount("/api/v1/user"), err)
	}

	other, _ := newSource(t, f, &config.Gitea{User: "erik"})
	repos, err = other.List(context.Background())
	if err != nil || !slices.Equal(forgeapitest.Names(repos), []string{"erik/tools"}) || f.CallCount("/api/v1/users/erik/repos") != 1 {
		t.Errorf("another user: %v, %v", forgeapitest.Names(repos), err)
	}
}

func TestRateLimitWaitsForRetryAfter(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.AddRepo(nil, "acme/api", nil)
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"rate limit exceeded"}`))
		return true
	})
	s, waits := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil || len(repos) != 1 {
		t.Fatalf("after a 429: %v, %v", forgeapitest.Names(repos), err)
	}
	if len(*waits) != 1 || (*waits)[0] < 7*time.Second {
		t.Errorf("waits %v, want one of at least Retry-After's 7s", *waits)
	}
	if st := s.Stats(); st.RateLimitWaits != 1 || st.APICalls != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestListingErrorsSayWhy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *giteatest.Server)
		cfg   config.Gitea
		want  []string
	}{
		{"expired token", func(f *giteatest.Server) { f.Expire() }, config.Gitea{Org: "acme"},
			[]string{"gitea org acme", "401", "expired or revoked"}},
		{"organisation the token cannot see", nil, config.Gitea{Org: "hidden"},
			[]string{`organisation "hidden" not found, or the token cannot see it`, "404"}},
		{"unknown user", nil, config.Gitea{User: "ghost"},
			[]string{`user "ghost" not found`}},
		{"HTML login page", func(f *giteatest.Server) {
			f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<!DOCTYPE html><html><head><title>Sign In - Gitea</title></head><body><form action=\"/user/login\"></form></body></html>"))
				return true
			})
		}, config.Gitea{Org: "acme"}, []string{"HTML page", "not JSON", "check api_url and the token"}},
		{"missing scope", func(f *giteatest.Server) {
			f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"message":"token does not have at least one of required scope(s): [read:organization]","url":"https://gitea.example/api/swagger"}`))
				return true
			})
		}, config.Gitea{Org: "acme"}, []string{"read:organization", "403"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := giteatest.New(t, testToken)
			f.AddRepo(nil, "acme/api", nil)
			if tc.setup != nil {
				tc.setup(f)
			}
			s, _ := newSource(t, f, &tc.cfg)
			_, err := s.List(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "invalid character") {
				t.Errorf("error %q", err)
			}
		})
	}
}

func TestRenamedBetweenPagesIsListedOnce(t *testing.T) {
	// The token's own repositories come sorted by name: a rename moves one
	// from the first page to the last, which shifts the others back by
	// one, so that a single pass would skip one and see the renamed one.
	f := giteatest.New(t, testToken)
	f.SetLogin("dana")
	f.SetPageSize(2)
	for _, n := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
		f.AddRepo(nil, "dana/"+n, nil)
	}
	once := sync.Once{}
	f.AfterPage(func(path string, page int) {
		if page == 1 {
			once.Do(func() { f.Rename("dana/alpha", "zulu") })
		}
	})
	s, _ := newSource(t, f, &config.Gitea{User: "dana"})
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"dana/bravo", "dana/charlie", "dana/delta", "dana/echo", "dana/zulu"}; !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	if n := f.CallCount("/api/v1/user/repos"); n != 6 {
		t.Errorf("%d listing calls, want 6 (a pass that moved, then a clean one)", n)
	}
}

func TestDeletedBetweenPagesSkipsNothing(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.SetPageSize(2)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		f.AddRepo(nil, "acme/"+n, nil)
	}
	once := sync.Once{}
	f.AfterPage(func(path string, page int) {
		if page == 1 {
			once.Do(func() { f.Delete("acme/a") }) // c moves to page 1: a single pass misses it
		}
	})
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/b", "acme/c", "acme/d", "acme/e"}; !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}

func TestListingThatKeepsMovingFails(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.SetPageSize(1)
	f.AddRepo(nil, "acme/a", nil)
	f.AddRepo(nil, "acme/b", nil)
	n := 0
	f.AfterPage(func(path string, page int) {
		if page == 1 {
			n++
			f.AddRepo(nil, fmt.Sprintf("acme/new%d", n), nil)
		}
	})
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Errorf("error %v, want the listing kept changing", err)
	}
	if n != maxPasses {
		t.Errorf("%d passes, want %d", n, maxPasses)
	}
}

func TestEndlessPagesStop(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.AddRepo(nil, "acme/a", nil)
	for range 10 {
		f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
			p := r.URL.Query().Get("page")
			w.Header().Set("Link", fmt.Sprintf(`<https://gitea.example/api/v1/orgs/acme/repos?limit=50&page=%s1>; rel="next"`, p))
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `[{"id":%s1,"name":"r%s","full_name":"acme/r%s","owner":{"login":"acme"}}]`, p, p, p)
			return true
		})
	}
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	s.maxPages = 3
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "stopped after 3 pages") {
		t.Errorf("error %v, want the listing stopped after 3 pages", err)
	}
}

func TestNextPage(t *testing.T) {
	for _, tc := range []struct {
		link                 string
		page, n, read, total int
		want                 int
		ok                   bool
	}{
		{`<https://g/api/v1/orgs/a/repos?limit=50&page=2>; rel="next",<https://g/api/v1/orgs/a/repos?limit=50&page=9>; rel="last"`, 1, 50, 50, 450, 2, true},
		{`<https://g/x?page=1>; rel="first",<https://g/x?page=8>; rel="prev"`, 9, 10, 450, 450, 0, false},
		{`<https://g/x?page=3>; rel="next"`, 3, 50, 150, 200, 0, false}, // a link back is a loop
		{"", 1, 50, 50, 120, 2, true},
		{"", 3, 20, 120, 120, 0, false},
		{"", 2, 0, 50, 120, 0, false}, // an empty page ends a listing whose total was too high
		{"", 1, 50, 50, -1, 2, true},
		{"", 2, 10, 60, -1, 0, false},
	} {
		got, ok := nextPage(tc.link, tc.page, tc.n, tc.read, tc.total)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("nextPage(%q, page %d, %d read of %d) = %d, %v; want %d, %v", tc.link, tc.page, tc.read, tc.total, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://codeberg.org":             "https://codeberg.org/api/v1",
		"https://codeberg.org/":            "https://codeberg.org/api/v1",
		"https://git.example.com/api/v1":   "https://git.example.com/api/v1",
		"https://example.com/gitea/api/v1": "https://example.com/gitea/api/v1",
		"http://127.0.0.1:3000":            "http://127.0.0.1:3000/api/v1",
	} {
		if got := APIBase(in); got != want {
			t.Errorf("APIBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenMirrorsAndSkipsUnchangedRepositories(t *testing.T) {
	f := giteatest.New(t, testToken)
	api := giteatest.NewWork(t, map[string]string{"main.go": "package main\n"})
	api.Git("checkout", "-q", "-b", "feature")
	api.Commit("feature", map[string]string{"f.go": "package main\n"})
	f.AddRepo(api, "acme/api", nil)
	f.AddRepo(nil, "acme/empty", nil)
	f.AddRepo(giteatest.NewWork(t, map[string]string{"x": "y"}), "acme/new", map[string]any{"object_format_name": "sha256"})
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	apiRepo := forgeapitest.Find(t, repos, "acme/api")
	g, err := apiRepo.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"main", "feature"} {
		if _, err := g.Reference(plumbing.NewBranchReferenceName(b), true); err != nil {
			t.Errorf("branch %s not mirrored: %v", b, err)
		}
	}
	if _, err := forgeapitest.Find(t, repos, "acme/empty").Open(context.Background()); !errors.Is(err, source.ErrEmpty) {
		t.Errorf("empty repository: %v, want ErrEmpty", err)
	}
	if _, err := forgeapitest.Find(t, repos, "acme/new").Open(context.Background()); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("sha256 repository: %v", err)
	}
	if n := f.Clones(); n != 1 {
		t.Errorf("%d clones, want 1 (empty and sha256 repositories are not cloned)", n)
	}

	// Nothing changed: the listing costs its page and nothing is fetched.
	calls := f.CallCount("")
	repos, err = s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forgeapitest.Find(t, repos, "acme/api").Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.Clones() != 1 || f.CallCount("")-calls != 1 {
		t.Errorf("an unchanged pass fetched %d times and made %d API calls, want 0 and 1", f.Clones()-1, f.CallCount("")-calls)
	}

	// A push moves updated_at: the next open fetches.
	api.Git("checkout", "-q", "main")
	api.Commit("second", map[string]string{"main.go": "package main // v2\n"})
	api.Git("push", "-q", f.PushURL("acme/api"), "main")
	f.Push("acme/api", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	repos, _ = s.List(context.Background())
	g, err = forgeapitest.Find(t, repos, "acme/api").Open(context.Background())
	if err != nil || f.Clones() != 2 {
		t.Fatalf("after a push: %v, %d clones", err, f.Clones())
	}
	head, _ := g.Reference(plumbing.NewBranchReferenceName("main"), true)
	if want := strings.TrimSpace(api.Git("rev-parse", "main")); head.Hash().String() != want {
		t.Errorf("mirror main at %s, want %s", head.Hash(), want)
	}

	// A webhook says it moved: the next open fetches though updated_at did not.
	s.MarkChanged("acme/api")
	if _, err := forgeapitest.Find(t, repos, "acme/api").Open(context.Background()); err != nil || f.Clones() != 3 {
		t.Errorf("after MarkChanged: %v, %d clones", err, f.Clones())
	}

	// A new process reads the state file: no fetch either.
	again, err := New(s.cfg, filepath.Dir(filepath.Dir(s.root)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	repos, _ = again.List(context.Background())
	if _, err := forgeapitest.Find(t, repos, "acme/api").Open(context.Background()); err != nil || f.Clones() != 3 {
		t.Errorf("a new process: %v, %d clones, want 3", err, f.Clones())
	}

	// The token is in no stored file.
	filepath.Walk(s.root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			if data, _ := os.ReadFile(p); strings.Contains(string(data), testToken) {
				t.Errorf("%s holds the token", p)
			}
		}
		return nil
	})
}

func TestTokenNeverInErrors(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.AddRepo(giteatest.NewWork(t, map[string]string{"a": "b"}), "acme/api", nil)
	// A clone URL with the token in it, to a server that refuses it.
	f.Set("acme/api", "clone_url", strings.Replace(f.API.URL, "http://", "http://trawl:"+testToken+"@", 1)+"/nowhere/"+testToken+".git")
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = repos[0].Open(context.Background())
	if err == nil {
		t.Fatal("clone of a missing repository worked")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error holds the token: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	mirrors := t.TempDir()
	for _, tc := range []struct {
		cfg  config.Gitea
		want string
	}{
		{config.Gitea{Org: "acme", APIURL: "https://git.example.com/api/v1", TokenEnv: "TRAWL_TEST_GITEA_UNSET"}, "TRAWL_TEST_GITEA_UNSET"},
		{config.Gitea{Org: "acme", APIURL: "ftp://git.example.com"}, `gitea org acme: api_url "ftp://git.example.com" is not an http(s) URL`},
		{config.Gitea{Org: "acme", User: "bob", APIURL: "https://git.example.com"}, "exactly one of org or user"},
		{config.Gitea{Org: "acme", APIURL: "https://git.example.com", Topics: config.Filter{Include: []string{"("}}}, "gitea org acme on git.example.com: topics"},
	} {
		_, err := New(&tc.cfg, mirrors, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want %q", tc.cfg, err, tc.want)
		}
	}
	s, err := New(&config.Gitea{User: "bob", APIURL: "https://codeberg.org"}, mirrors, Options{})
	if err != nil || s.Name() != "gitea user bob on codeberg.org" || s.api != "https://codeberg.org/api/v1" {
		t.Errorf("New: %v, %v", s, err)
	}
}

func TestTokenOnlyToHTTPSOrTheAPIHost(t *testing.T) {
	f := giteatest.New(t, testToken)
	f.AddRepo(giteatest.NewWork(t, map[string]string{"a": "b"}), "acme/api", map[string]any{"clone_url": "http://elsewhere.invalid/acme/api.git"})
	s, _ := newSource(t, f, &config.Gitea{Org: "acme"})
	repos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = repos[0].Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not send the token there") {
		t.Errorf("clone over http to another host: %v", err)
	}
	if err := s.mayAuthenticate("https://elsewhere.invalid/acme/api.git"); err != nil {
		t.Errorf("https clone URL refused: %v", err)
	}
}
