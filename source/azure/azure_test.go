package azure

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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
)

const testPAT = "3kq7zqv2m5x4c6b8n1p9r0t2w4y6a8d0f2h4j6l8z0x2c4v6b8n0" // fake, shaped like a PAT (52 characters)

func work(t *testing.T, files map[string]string) *gittest.Repo {
	t.Helper()
	w := gittest.Init(t, filepath.Join(t.TempDir(), "work"))
	w.Commit("first", files)
	return w
}

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

func names(repos []source.Repo) []string {
	var out []string
	for _, r := range repos {
		out = append(out, r.Meta.Name)
	}
	slices.Sort(out)
	return out
}

func byName(t *testing.T, repos []source.Repo, name string) source.Repo {
	t.Helper()
	for _, r := range repos {
		if r.Meta.Name == name {
			return r
		}
	}
	t.Fatalf("%s not listed in %v", name, names(repos))
	return source.Repo{}
}

// fixture is an organisation of three projects (two pages of projects)
// holding a repository with two branches, a fork, a disabled repository
// and an empty one.
func fixture(t *testing.T) (*azuretest.Server, *gittest.Repo) {
	f := azuretest.New(t, "acme", testPAT)
	f.AddProject("web", nil)
	f.AddProject("tools", map[string]any{"visibility": "public"})
	f.AddProject("legacy", nil)
	api := work(t, map[string]string{"main.go": "package main // hello azure\n"})
	api.Checkout("feature/x")
	api.Commit("feature", map[string]string{"x.go": "package main // feature\n"})
	api.Checkout("main")
	f.AddRepo("web", api, "api", nil)
	f.AddRepo("web", work(t, map[string]string{"fork.txt": "forked\n"}), "api-fork", map[string]any{"isFork": true})
	f.AddRepo("tools", work(t, map[string]string{"tool.sh": "echo hi\n"}), "sharpen", map[string]any{"defaultBranch": "refs/heads/trunk"})
	f.AddRepo("legacy", work(t, map[string]string{"old.txt": "old\n"}), "frozen", map[string]any{"isDisabled": true})
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
	if got, want := names(repos), []string{"acme/legacy/empty", "acme/tools/sharpen", "acme/web/api"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "repo=acme/legacy/frozen reason=\"disabled in Azure DevOps") {
		t.Errorf("the disabled repository's skip is not logged with its reason:\n%s", logs)
	}
	if f.CallCount("/acme/_apis/projects") != 2 {
		t.Errorf("%d projects pages asked, want 2 (page size 2, three projects)", f.CallCount("/acme/_apis/projects"))
	}
	apiRepo, tools := byName(t, repos, "acme/web/api"), byName(t, repos, "acme/tools/sharpen")
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
	if _, err := byName(t, repos, "acme/legacy/empty").Open(ctx); !errors.Is(err, source.ErrEmpty) {
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
	if _, err := byName(t, repos2, "acme/web/api").Open(ctx); err != nil {
		t.Fatal(err)
	}
	if f.Fetches() != fetched {
		t.Errorf("an unchanged repository was fetched again (%d git requests)", f.Fetches()-fetched)
	}

	// A push moves a head: the next Open fetches it.
	api.Commit("second", map[string]string{"main.go": "package main // pushed\n"})
	gittest.Run(t, api.Dir, "push", "-q", f.PushURL("web", "api"), "main")
	r, err = byName(t, repos2, "acme/web/api").Open(ctx)
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
	if _, err := byName(t, repos2, "acme/web/api").Open(ctx); err != nil {
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
