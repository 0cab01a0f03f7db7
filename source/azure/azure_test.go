package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/azure/azuretest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

const testPAT = "3kq7zqv2m5x4c6b8n1p9r0t2w4y6a8d0f2h4j6l8z0x2c4v6b8n0" // fake, shaped like a PAT (52 characters)

// newSource builds a source for f's organisation, with waits recorded
// rather than slept and logs kept.
func newSource(t *testing.T, f *azuretest.Server, mirrors string, edit func(*config.Azure)) (*Source, *[]time.Duration, *bytes.Buffer) {
	t.Helper()
	t.Setenv("TRAWL_TEST_AZURE_PAT", f.PAT)
	cfg := &config.Azure{Organization: f.Org, APIURL: f.APIURL(), TokenEnv: "TRAWL_TEST_AZURE_PAT", Concurrency: 2}
	if edit != nil {
		edit(cfg)
	}
	var mu sync.Mutex
	var waits []time.Duration
	logs := &bytes.Buffer{}
	src, err := New(cfg, mirrors, Options{
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return src, &waits, logs
}

// fixture is an organisation of three projects (two pages of projects)
// holding a repository with two branches, a fork, a disabled repository
// and an empty one.
func fixture(t *testing.T) (*azuretest.Server, *gittest.Repo) {
	f := azuretest.New(t, "acme", testPAT)
	f.AddProject("web", nil)
	f.AddProject("tools", map[string]any{"visibility": "public"})
	f.AddProject("legacy", nil)
	api := forgeapitest.NewWork(t, map[string]string{"main.go": "package main // hello azure\n"})
	api.Checkout("feature/x")
	api.Commit("feature", map[string]string{"x.go": "package main // feature\n"})
	api.Checkout("main")
	f.AddRepo("web", api, "api", nil)
	f.AddRepo("web", forgeapitest.NewWork(t, map[string]string{"fork.txt": "forked\n"}), "api-fork", map[string]any{"isFork": true})
	f.AddRepo("tools", forgeapitest.NewWork(t, map[string]string{"tool.sh": "echo hi\n"}), "sharpen", map[string]any{"defaultBranch": "refs/heads/trunk"})
	f.AddRepo("legacy", forgeapitest.NewWork(t, map[string]string{"old.txt": "old\n"}), "frozen", map[string]any{"isDisabled": true})
	f.AddRepo("legacy", gittest.Init(t, filepath.Join(t.TempDir(), "empty")), "empty", map[string]any{"size": 0, "defaultBranch": nil})
	return f, api
}

// TestListThenMirror lists an organisation across pages of projects,
// applies the fork and disabled rules, records default branches,
// visibility and permalinks, mirrors with the PAT, and on a second pass
// with nothing pushed costs API calls but no git traffic; a push or a
// push service hook makes the next Open fetch.
func TestListThenMirror(t *testing.T) {
	f, api := fixture(t)
	mirrors := t.TempDir()
	src, _, logs := newSource(t, f, mirrors, nil)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/legacy/empty", "acme/tools/sharpen", "acme/web/api"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "repo=acme/legacy/frozen reason=\"disabled in Azure DevOps") {
		t.Errorf("the disabled repository's skip is not logged with its reason:\n%s", logs)
	}
	if f.CallCount("/acme/_apis/projects") != 2 {
		t.Errorf("%d projects pages asked, want 2 (page size 2, three projects)", f.CallCount("/acme/_apis/projects"))
	}
	apiRepo, tools := forgeapitest.Find(t, repos, "acme/web/api"), forgeapitest.Find(t, repos, "acme/tools/sharpen")
	if apiRepo.Meta.DefaultBranch != "main" || tools.Meta.DefaultBranch != "trunk" {
		t.Errorf("default branches %q %q, want main trunk", apiRepo.Meta.DefaultBranch, tools.Meta.DefaultBranch)
	}
	if apiRepo.Meta.Visibility != "private" || tools.Meta.Visibility != "public" {
		t.Errorf("visibility %q %q, want private public", apiRepo.Meta.Visibility, tools.Meta.Visibility)
	}
	web := f.API.URL + "/acme/web/_git/api"
	if got, want := apiRepo.Meta.Permalink("abc123", "src/a b&c.go", 7), web+"?path=/src/a+b%26c.go&version=GCabc123&_a=contents&line=7&lineEnd=7&lineStartColumn=1&lineEndColumn=1000000&lineStyle=plain"; got != want {
		t.Errorf("permalink\n got %s\nwant %s", got, want)
	}
	if got, want := apiRepo.Meta.Permalink("abc123", "go.mod", 0), web+"?path=/go.mod&version=GCabc123&_a=contents"; got != want {
		t.Errorf("file permalink\n got %s\nwant %s", got, want)
	}

	ctx := context.Background()
	if _, err := forgeapitest.Find(t, repos, "acme/legacy/empty").Open(ctx); !errors.Is(err, source.ErrEmpty) {
		t.Errorf("empty repository: %v, want source.ErrEmpty", err)
	}
	if f.Fetches() != 0 {
		t.Errorf("an empty repository was fetched (%d git requests): its refs said no branch", f.Fetches())
	}
	r, err := apiRepo.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	branches := branchNames(t, r)
	if want := []string{"feature/x", "main"}; !slices.Equal(branches, want) {
		t.Errorf("mirrored branches %v, want %v", branches, want)
	}
	cfg, err := r.Config()
	if err != nil {
		t.Fatal(err)
	}
	if u := cfg.Remotes["origin"].URLs[0]; strings.Contains(u, "@") || strings.Contains(u, testPAT) || u != web {
		t.Errorf("stored remote %q, want %s (no user, no PAT)", u, web)
	}
	fetched := f.Fetches()
	if fetched == 0 {
		t.Fatal("no git request for the first mirror")
	}

	// Nothing pushed: a new source (a new process) reads the state file
	// and fetches nothing.
	src2, _, _ := newSource(t, f, mirrors, nil)
	repos2, err := src2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forgeapitest.Find(t, repos2, "acme/web/api").Open(ctx); err != nil {
		t.Fatal(err)
	}
	if f.Fetches() != fetched {
		t.Errorf("an unchanged repository was fetched again (%d git requests)", f.Fetches()-fetched)
	}

	// A push moves a head: the next Open fetches it.
	api.Commit("second", map[string]string{"main.go": "package main // pushed\n"})
	gittest.Run(t, api.Dir, "push", "-q", f.PushURL("web", "api"), "main")
	r, err = forgeapitest.Find(t, repos2, "acme/web/api").Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Fetches() == fetched {
		t.Error("a pushed repository was not fetched")
	}
	head, _ := r.Reference("refs/heads/main", true)
	if want := api.Git("rev-parse", "main"); head == nil || head.Hash().String() != want {
		t.Errorf("mirrored main %v, want %s", head, want)
	}

	// A push service hook: the next Open fetches even with heads unchanged.
	fetched = f.Fetches()
	src2.MarkChanged("acme/web/api")
	if _, err := forgeapitest.Find(t, repos2, "acme/web/api").Open(ctx); err != nil {
		t.Fatal(err)
	}
	if f.Fetches() == fetched {
		t.Error("MarkChanged did not make the next Open fetch")
	}
}

func branchNames(t *testing.T, r *git.Repository) []string {
	t.Helper()
	it, err := r.Branches()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	it.ForEach(func(ref *plumbing.Reference) error {
		out = append(out, ref.Name().Short())
		return nil
	})
	slices.Sort(out)
	return out
}

// TestForksAndOneProject: include_forks lists forks; project: lists one
// project without listing the organisation's.
func TestForksAndOneProject(t *testing.T) {
	f, _ := fixture(t)
	src, _, _ := newSource(t, f, t.TempDir(), func(c *config.Azure) { c.Project = "web"; c.IncludeForks = true })
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := forgeapitest.Names(repos), []string{"acme/web/api", "acme/web/api-fork"}; !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	if !forgeapitest.Find(t, repos, "acme/web/api-fork").Meta.Fork {
		t.Error("the fork is not marked as one")
	}
	if n := f.CallCount("/acme/_apis/projects"); n != 0 {
		t.Errorf("the organisation's projects were listed (%d calls) for a one-project source", n)
	}
	if src.Name() != "azure project acme/web" {
		t.Errorf("name %q", src.Name())
	}
}

// TestRefusals: what Azure DevOps answers a bad PAT (401, or 203 with a
// sign-in page), a hidden project, and an HTML page from a proxy become
// errors naming the organisation or project and the likely cause, never
// quoting the PAT.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name    string
		setup   func(f *azuretest.Server)
		edit    func(c *config.Azure)
		want    []string
		wantErr bool
	}{
		{"expired PAT, 401", func(f *azuretest.Server) { f.PAT = "revoked" }, nil,
			[]string{"organization acme", "401", "expired, revoked", "TF400813"}, true},
		{"expired PAT, 203 sign-in page", func(f *azuretest.Server) { f.PAT, f.SignInPage = "revoked", true }, nil,
			[]string{"organization acme", "sign-in page (203)", "expired, revoked"}, true},
		{"project the PAT cannot see", func(f *azuretest.Server) { f.Hide("web") }, func(c *config.Azure) { c.Project = "web" },
			[]string{"project acme/web", "not found, or not visible", "TF200016"}, true},
		{"HTML from a proxy", func(f *azuretest.Server) {
			f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<html><body>Corporate SSO</body></html>")
				return true
			})
		}, nil, []string{"organization acme", "HTML page", "check api_url"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, _ := fixture(t)
			src, _, logs := newSource(t, f, t.TempDir(), c.edit) // the source holds the right PAT...
			c.setup(f)                                           // ...that the server no longer accepts
			repos, err := src.List(context.Background())
			if err == nil {
				t.Fatalf("no error; listed %v", forgeapitest.Names(repos))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testPAT) || strings.Contains(logs.String(), testPAT) || strings.Contains(err.Error(), basicValue(testPAT)) {
				t.Errorf("the PAT leaked: %v\n%s", err, logs)
			}
		})
	}
}

// TestRateLimitAndRetry: a 429 with Retry-After is waited out and a 503
// retried; the listing completes.
func TestRateLimitAndRetry(t *testing.T) {
	f, _ := fixture(t)
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		// Azure DevOps' throttling answer.
		w.Header().Set("Retry-After", "7")
		w.Header().Set("X-RateLimit-Resource", "Core")
		w.Header().Set("X-RateLimit-Delay", "3.5")
		w.Header().Set("X-RateLimit-Limit", "200")
		w.Header().Set("X-RateLimit-Remaining", "12")
		azuretest.WriteError(w, http.StatusTooManyRequests, "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'Core'.", "RequestBlockedException")
		return true
	})
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		azuretest.WriteError(w, http.StatusServiceUnavailable, "TF400898: service unavailable", "ServiceUnavailableException")
		return true
	})
	src, waits, _ := newSource(t, f, t.TempDir(), nil)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 3 {
		t.Errorf("listed %v", forgeapitest.Names(repos))
	}
	st := src.Stats()
	if st.RateLimitWaits != 1 || st.Retries != 2 {
		t.Errorf("stats %+v, want one rate-limit wait and two retries", st)
	}
	if len(*waits) != 2 || (*waits)[0] < 7*time.Second {
		t.Errorf("waits %v, want at least Retry-After's 7s, then a backoff", *waits)
	}
}

// TestPaging: projects and branches page by continuation token; a
// repeated token stops the listing with an error rather than looping;
// a repository moved between projects mid-listing is listed once.
func TestPaging(t *testing.T) {
	f, api := fixture(t)
	for i := range 5 {
		api.Checkout(fmt.Sprintf("b%d", i))
	}
	gittest.Run(t, api.Dir, "push", "-q", f.PushURL("web", "api"), "--all")
	src, _, _ := newSource(t, f, t.TempDir(), nil)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := forgeapitest.Find(t, repos, "acme/web/api").Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := branchNames(t, r); len(got) != 7 {
		t.Errorf("branches %v, want 7", got)
	}
	if n := f.CallCount("/acme/" + f.ProjectID("web") + "/_apis/git/repositories/" + f.RepoID("web", "api") + "/refs"); n != 2 {
		t.Errorf("%d refs pages asked for 7 branches, want 2 (the fake answers 4 a page)", n)
	}

	// The server repeats the token it was sent.
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool { return false }) // first projects page as usual
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("x-ms-continuationtoken", r.URL.Query().Get("continuationToken"))
		azuretest.WriteJSON(w, http.StatusOK, map[string]any{"count": 0, "value": []any{}})
		return true
	})
	if _, err := src.List(context.Background()); err == nil || !strings.Contains(err.Error(), "continuation token") {
		t.Errorf("a repeated continuation token: %v, want an error saying so", err)
	}

	// api shows in web's answer and in tools', as while it moves.
	f.Moving("api", "web", "tools")
	repos, err = src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range repos {
		if strings.HasSuffix(r.Meta.Name, "/api") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a repository moved mid-listing is listed %d times: %v", n, forgeapitest.Names(repos))
	}
	forgeapitest.Find(t, repos, "acme/web/api") // the first project's answer wins, every time
}

// TestPagesBounded: a forge answering a new continuation token for ever
// is stopped at maxPages, with an error.
func TestPagesBounded(t *testing.T) {
	calls := 0
	err := paged(context.Background(), func(string) (string, error) {
		calls++
		return fmt.Sprint(calls), nil
	})
	if err == nil || calls != maxPages || !strings.Contains(err.Error(), "pages") {
		t.Errorf("%d calls, error %v; want %d calls and an error", calls, err, maxPages)
	}
}

// TestCollectionURL: Services, legacy visualstudio.com and Server URLs,
// with or without the collection in api_url.
func TestCollectionURL(t *testing.T) {
	for _, c := range []struct{ api, org, want string }{
		{"https://dev.azure.com", "acme", "https://dev.azure.com/acme"},
		{"https://dev.azure.com/", "acme", "https://dev.azure.com/acme"},
		{"https://dev.azure.com/acme", "acme", "https://dev.azure.com/acme"},
		{"https://acme.visualstudio.com", "acme", "https://acme.visualstudio.com"},
		{"https://tfs.example.com/tfs", "DefaultCollection", "https://tfs.example.com/tfs/DefaultCollection"},
		{"https://tfs.example.com/tfs/DefaultCollection/", "DefaultCollection", "https://tfs.example.com/tfs/DefaultCollection"},
		{"https://tfs.example.com:8080/tfs", "Bank Collection", "https://tfs.example.com:8080/tfs/Bank%20Collection"},
	} {
		if got := collectionURL(c.api, c.org); got != c.want {
			t.Errorf("collectionURL(%q, %q) = %s, want %s", c.api, c.org, got, c.want)
		}
	}
}

// TestRemoteHost: the PAT is never sent to a clone URL on another host.
func TestRemoteHost(t *testing.T) {
	f, _ := fixture(t)
	src, _, _ := newSource(t, f, t.TempDir(), nil)
	if _, err := src.remote("https://acme@evil.example/acme/web/_git/api"); err == nil || !strings.Contains(err.Error(), "evil.example") {
		t.Errorf("a remoteUrl on another host: %v, want a refusal naming the host", err)
	}
	if !sameService("dev.azure.com", "acme.visualstudio.com") || sameService("dev.azure.com", "visualstudio.com.evil.example") || sameService("tfs.example.com", "acme.visualstudio.com") {
		t.Error("sameService accepts or refuses the wrong hosts")
	}
	got, err := src.remote(strings.Replace(f.API.URL, "://", "://acme@", 1) + "/acme/web/_git/api")
	if err != nil || strings.Contains(got, "@") {
		t.Errorf("remote %q, %v: want the URL without its user", got, err)
	}
}

// TestConditionalListing: where the server sends ETags, a repeated
// single-answer listing costs 304s, while paged listings are asked
// unconditionally: a 304 need not carry x-ms-continuationtoken, and
// trusting the cached first page alone would drop the projects after it
// (and their repositories from the index).
func TestConditionalListing(t *testing.T) {
	f, _ := fixture(t)
	f.ETags = true
	mirrors := t.TempDir()
	src, _, _ := newSource(t, f, mirrors, nil)
	first, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src2, _, _ := newSource(t, f, mirrors, nil) // a new process: the ETags come from the state file
	second, err := src2.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(forgeapitest.Names(first), forgeapitest.Names(second)) {
		t.Errorf("second listing %v, want %v", forgeapitest.Names(second), forgeapitest.Names(first))
	}
	if n := f.NotModified(); n != 3 {
		t.Errorf("%d answers were 304, want 3 (one repositories listing per project)", n)
	}
	if st := src2.Stats(); st.NotModified != 3 {
		t.Errorf("stats %+v, want 3 not modified", st)
	}
}

// TestSignInRedirect: a redirect to another host (Azure's sign-in) is
// not followed and says what it likely means.
func TestSignInRedirect(t *testing.T) {
	f, _ := fixture(t)
	f.InjectOnce(func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "https://login.example.invalid/_signin?realm=dev.azure.com", http.StatusFound)
		return true
	})
	src, _, _ := newSource(t, f, t.TempDir(), nil)
	_, err := src.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "organization acme") || !strings.Contains(err.Error(), "redirected the call to login.example.invalid") {
		t.Errorf("error %v, want one naming the organization and the redirect", err)
	}
}
