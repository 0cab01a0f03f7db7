package bitbucket_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source/bitbucket/bitbuckettest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

const appPassword = "ATBBa8Kx2mQ9pL4vR7nT1wZ3"

// cloudFixture serves workspace acme: api and tools in project PLAT,
// site in project WEB, and a fork of api in PLAT.
func cloudFixture(t *testing.T) *bitbuckettest.Server {
	t.Helper()
	f := bitbuckettest.NewCloud(t, "acme", "alice", appPassword)
	f.TrustGit(t)
	f.Add(forgeapitest.NewWork(t, map[string]string{"main.go": "package main\n"}), "PLAT", "api", nil)
	f.Add(forgeapitest.NewWork(t, map[string]string{"tool.sh": "echo\n"}), "PLAT", "tools", map[string]any{"is_private": false})
	f.Add(forgeapitest.NewWork(t, map[string]string{"index.html": "<p>\n"}), "WEB", "site", nil)
	f.Add(forgeapitest.NewWork(t, map[string]string{"main.go": "package fork\n"}), "PLAT", "api-fork",
		map[string]any{"parent": map[string]any{"full_name": "acme/api", "type": "repository"}})
	return f
}

func TestCloudWorkspaceWithAppPassword(t *testing.T) {
	f := cloudFixture(t)
	s, _ := newSource(t, f, config.Bitbucket{Workspace: "acme", Username: "alice"}, "")
	repos := list(t, s)
	if got, want := forgeapitest.Names(repos), []string{"acme/api", "acme/site", "acme/tools"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if n := f.Calls("/2.0/repositories/acme"); n != 2 {
		t.Errorf("%d page requests for 4 repositories 2 a page, want 2", n)
	}
	api, tools := repos[0].Meta, repos[0].Meta
	for _, r := range repos {
		switch r.Meta.Name {
		case "acme/api":
			api = r.Meta
		case "acme/tools":
			tools = r.Meta
		}
	}
	if api.DefaultBranch != "main" || api.Visibility != "private" || tools.Visibility != "public" ||
		!api.UpdatedAt.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("meta %+v / %+v", api, tools)
	}
	want := "https://bitbucket.example/acme/api/src/0123abc/docs/read%20me.md#lines-7"
	if got := api.Permalink("0123abc", "docs/read me.md", 7); got != want {
		t.Errorf("permalink %s, want %s", got, want)
	}
	if s.Name() != "bitbucket cloud workspace acme" {
		t.Errorf("name %q", s.Name())
	}
}

func TestCloudProjectFilterAndAccessToken(t *testing.T) {
	f := cloudFixture(t)
	// An access token: Bearer on the API, x-token-auth on git.
	f.User = "x-token-auth"
	s, _ := newSource(t, f, config.Bitbucket{Workspace: "acme", Project: "PLAT", IncludeForks: true}, "")
	repos := list(t, s)
	if got, want := forgeapitest.Names(repos), []string{"acme/api", "acme/api-fork", "acme/tools"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for _, r := range repos {
		if r.Meta.Name == "acme/api-fork" && !r.Meta.Fork {
			t.Errorf("the fork is not marked: %+v", r.Meta)
		}
	}
}

// TestCloudUnchangedCrawlIsCheap: the second listing is answered 304
// from the state file (in a new process, too), and a repository whose
// updated_on did not move is not fetched.
func TestCloudUnchangedCrawlIsCheap(t *testing.T) {
	f := cloudFixture(t)
	mirrors := t.TempDir()
	ctx := context.Background()
	s, _ := newSource(t, f, config.Bitbucket{Workspace: "acme", Username: "alice"}, mirrors)
	for _, r := range list(t, s) {
		if _, err := r.Open(ctx); err != nil {
			t.Fatalf("open %s: %v", r.Meta.Name, err)
		}
	}
	if f.Fetches() != 3 {
		t.Fatalf("%d fetches for 3 repositories", f.Fetches())
	}
	calls, refAds := f.Calls(""), f.RefAdvertisements()

	// A new process: state comes from the file.
	s2, _ := newSource(t, f, config.Bitbucket{Workspace: "acme", Username: "alice"}, mirrors)
	for _, r := range list(t, s2) {
		if _, err := r.Open(ctx); err != nil {
			t.Fatalf("open %s: %v", r.Meta.Name, err)
		}
	}
	if st := s2.Stats(); st.NotModified != 2 || f.Calls("")-calls != 2 {
		t.Errorf("second listing: %d calls, %d not modified; want 2 and 2", f.Calls("")-calls, st.NotModified)
	}
	if f.Fetches() != 3 || f.RefAdvertisements() != refAds {
		t.Errorf("unchanged repositories were fetched: %d fetches, %d ref advertisements", f.Fetches(), f.RefAdvertisements()-refAds)
	}

	// A push moves updated_on: that repository, and only it, is fetched.
	work := forgeapitest.NewWork(t, map[string]string{"new.go": "package n\n"})
	work.Git("push", "-q", "-f", f.BareDir("PLAT", "api"), "main")
	f.Touch("api", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	for _, r := range list(t, s2) {
		if _, err := r.Open(ctx); err != nil {
			t.Fatalf("open %s: %v", r.Meta.Name, err)
		}
	}
	if f.Fetches() != 4 {
		t.Errorf("%d fetches after one push, want 4", f.Fetches())
	}
}

func TestCloudUnknownWorkspaceAndProject(t *testing.T) {
	f := cloudFixture(t)
	s, _ := newSource(t, f, config.Bitbucket{Workspace: "nobody", Username: "alice"}, "")
	if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "workspace nobody does not exist or the token cannot see it") {
		t.Errorf("unknown workspace: %v", err)
	}
	s, _ = newSource(t, f, config.Bitbucket{Workspace: "acme", Project: "NOPE", Username: "alice"}, "")
	if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "project NOPE of workspace acme does not exist") {
		t.Errorf("unknown project: %v", err)
	}
	// A project that exists but holds nothing is no error.
	f.AddProject("EMPTY")
	s, _ = newSource(t, f, config.Bitbucket{Workspace: "acme", Project: "EMPTY", Username: "alice"}, "")
	if repos, err := s.List(context.Background()); err != nil || len(repos) != 0 {
		t.Errorf("empty project: %v %v", forgeapitest.Names(repos), err)
	}
}

func TestCloudRateLimitAndExpiredToken(t *testing.T) {
	f := cloudFixture(t)
	f.Inject(bitbuckettest.RateLimited(3))
	s, sl := newSource(t, f, config.Bitbucket{Workspace: "acme", Username: "alice"}, "")
	if got := forgeapitest.Names(list(t, s)); len(got) != 3 {
		t.Fatalf("listed %v", got)
	}
	if w := sl.Waits(); len(w) != 1 || w[0] < 3*time.Second {
		t.Errorf("waits %v, want Retry-After's 3s", w)
	}

	f.Inject(f.Status(http.StatusUnauthorized, "Token is invalid, expired, or not supported for this endpoint."))
	s, _ = newSource(t, f, config.Bitbucket{Workspace: "acme", Username: "alice"}, "")
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "expired") || strings.Contains(err.Error(), appPassword) {
		t.Errorf("expired token: %v", err)
	}
}

// TestCloudNextLinksInACircle: a next link back to a page already read
// is an error, not an endless crawl.
func TestCloudNextLinksInACircle(t *testing.T) {
	f := cloudFixture(t)
	f.Inject(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"pagelen":100,"page":1,"values":[],"next":"` + f.API.URL + r.URL.RequestURI() + `"}`))
		return true
	})
	s, _ := newSource(t, f, config.Bitbucket{Workspace: "acme", Username: "alice"}, "")
	if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "circle") {
		t.Fatalf("err %v", err)
	}
}
