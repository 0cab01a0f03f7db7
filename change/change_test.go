package change_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/change"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/indexer/elastic"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/estest"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source"
)

// fixture is an index crawled from real repositories served by git
// http-backend behind basic auth, with pushes enabled.
type fixture struct {
	t    *testing.T
	cfg  *config.Config
	idx  indexer.Index
	srv  *gittest.Server
	work map[string]*gittest.Repo
	c    *change.Campaigns
}

const testPassword = "s3cret-pw"

func newFixture(t *testing.T, repos map[string]map[string]map[string]string, extra string) *fixture {
	t.Helper()
	return newFixtureOn(t, "bleve", repos, extra)
}

// newFixtureOn is newFixture on the named index backend.
func newFixtureOn(t *testing.T, backend string, repos map[string]map[string]map[string]string, extra string) *fixture {
	t.Helper()
	f := &fixture{t: t, work: map[string]*gittest.Repo{}}
	// Over https: trawl sends a password only there. go-git's https client
	// is process-wide, so it trusts the test server's certificate for the
	// test's duration (these tests do not run in parallel).
	f.srv = gittest.ServeTLS(t, t.TempDir(), "ci", testPassword)
	client.InstallProtocol("https", githttp.NewClient(f.srv.Client()))
	t.Cleanup(func() { client.InstallProtocol("https", githttp.DefaultClient) })
	var urls []string
	for name, branches := range repos {
		w := gittest.Init(t, filepath.Join(t.TempDir(), name))
		w.Commit("initial", branches["main"])
		for b, files := range branches {
			if b == "main" {
				continue
			}
			w.Checkout(b)
			w.Commit("on "+b, files)
			w.Checkout("main")
		}
		f.work[name] = w
		urls = append(urls, f.srv.Bare(t, w, name))
	}
	t.Setenv("TEST_READ_PW", testPassword)
	t.Setenv("TEST_WRITE_PW", testPassword)
	data := t.TempDir()
	yaml := fmt.Sprintf(`sources:
  - git:
      urls: [%s]
      username: ci
      password_env: TEST_READ_PW
index:
  path: %s
%schange:
  author: {name: Campaign Bot, email: bot@example.com}
  write:
%s    - repos: ''
      username: ci
      write_token_env: TEST_WRITE_PW
`, strings.Join(urls, ", "), data, backendYAML(t, backend), extra)
	path := filepath.Join(t.TempDir(), "trawl.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	f.cfg = cfg
	var idx indexer.Index
	if backend == "elasticsearch" {
		idx, err = elastic.Open(context.Background(), elastic.Options{Addresses: cfg.Index.Elasticsearch.Addresses, IndexPrefix: cfg.Index.Elasticsearch.IndexPrefix})
	} else {
		idx, err = bleve.Open(context.Background(), filepath.Join(data, "index"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	f.idx = idx
	f.crawl()
	f.c = change.New(cfg, idx, change.Options{Now: func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }})
	return f
}

func (f *fixture) crawl() {
	f.t.Helper()
	sum, err := crawltest.New(f.t, f.cfg, f.idx, crawler.Options{}).Run(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if len(sum.Errors) > 0 {
		f.t.Fatalf("crawl errors: %+v", sum.Errors)
	}
}

// bare is the served repository of name.
func (f *fixture) bare(name string) string { return filepath.Join(f.srv.Root, name+".git") }

func (f *fixture) git(name string, args ...string) string {
	f.t.Helper()
	return gittest.Run(f.t, f.bare(name), args...)
}

func byKey(p *change.Plan) map[string]*change.Change {
	out := map[string]*change.Change{}
	for _, c := range p.Changes {
		out[c.Repo+"@"+c.Branch] = c
	}
	return out
}

func repoName(f *fixture, name string) string {
	return source.RepoNameFromURL(f.srv.URL + "/" + name + ".git")
}

func TestReplaceApplyPushesExactlyThePlan(t *testing.T) {
	f := newFixture(t, map[string]map[string]map[string]string{
		"api": {
			"main":        {"src/app.txt": "use OldClient here\nand OldClient there\n", "README": "nothing\n"},
			"release/1.0": {"src/app.txt": "only OldClient\n"},
		},
		"tools": {"main": {"x.txt": "OldClient\n"}},
		"docs":  {"main": {"doc.txt": "no match\n"}},
	}, "")
	ctx := context.Background()
	p, err := f.c.Plan(ctx, change.Spec{ID: "rename", Query: "OldClient", Action: change.Action{Kind: change.KindReplace, Old: "OldClient", New: "NewClient"}})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(p)
	api := repoName(f, "api")
	if len(p.Changes) != 3 {
		t.Fatalf("changes: %d, want 3 (api main, api release/1.0, tools main): %+v", len(p.Changes), got)
	}
	main := got[api+"@main"]
	if main == nil || main.State != change.StatePlanned || len(main.Files) != 1 || main.Files[0].Path != "src/app.txt" {
		t.Fatalf("api main: %+v", main)
	}
	if !strings.Contains(main.Files[0].Diff, "-use OldClient here\n-and OldClient there\n+use NewClient here\n") {
		t.Errorf("diff:\n%s", main.Files[0].Diff)
	}
	if main.BaseCommit != f.work["api"].Git("rev-parse", "main") {
		t.Errorf("base commit %s", main.BaseCommit)
	}

	p, err = f.c.Apply(ctx, "rename", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.State != change.StatePushed {
			t.Errorf("%s@%s: %s, want pushed (a git source has no pull request API)", c.Repo, c.Branch, c.State)
		}
	}
	// The pushed commit is the base plus exactly the planned diff.
	head := "trawl/rename/release/1.0"
	if parent := f.git("api", "rev-parse", head+"^"); parent != f.work["api"].Git("rev-parse", "release/1.0") {
		t.Errorf("parent of %s is %s", head, parent)
	}
	if names := f.git("api", "diff", "--name-only", "release/1.0", head); names != "src/app.txt" {
		t.Errorf("changed files: %q", names)
	}
	if got := f.git("api", "show", head+":src/app.txt"); got != "only NewClient" {
		t.Errorf("pushed content %q", got)
	}
	if diff := f.git("api", "diff", "main", "trawl/rename/main"); !strings.Contains(diff, "-and OldClient there\n+use NewClient here\n+and NewClient there") {
		t.Errorf("git diff:\n%s", diff)
	}
	if author := f.git("api", "log", "-1", "--format=%an <%ae>|%s", "trawl/rename/main"); author != "Campaign Bot <bot@example.com>|trawl change rename: replace \"OldClient\" with \"NewClient\"" {
		t.Errorf("author and subject: %q", author)
	}
	if body := f.git("api", "log", "-1", "--format=%b", "trawl/rename/main"); !strings.Contains(body, "Campaign: rename\nQuery: OldClient") {
		t.Errorf("message body names no query: %q", body)
	}
	first := f.git("api", "rev-parse", "trawl/rename/main")

	// A rerun pushes the same commit again: nothing moves.
	p, err = f.c.Apply(ctx, "rename", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again := f.git("api", "rev-parse", "trawl/rename/main"); again != first {
		t.Errorf("rerun moved the branch: %s -> %s", first, again)
	}
	if s := byKey(p)[api+"@main"].State; s != change.StatePushed {
		t.Errorf("rerun state %s", s)
	}

	// The base moves: apply says base_moved and pushes nothing, --rebase
	// re-plans on the new head.
	w := f.work["api"]
	w.Commit("moved", map[string]string{"other.txt": "x\n"})
	w.Git("push", "-q", f.bare("api"), "main")
	p, err = f.c.Apply(ctx, "rename", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := byKey(p)[api+"@main"].State; s != change.StateBaseMoved {
		t.Fatalf("after the base moved: %s, want base_moved", s)
	}
	if again := f.git("api", "rev-parse", "trawl/rename/main"); again != first {
		t.Errorf("base_moved still pushed")
	}
	p, err = f.c.Apply(ctx, "rename", change.ApplyOptions{Rebase: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := byKey(p)[api+"@main"].State; s != change.StatePushed {
		t.Fatalf("after --rebase: %s", s)
	}
	if parent := f.git("api", "rev-parse", "trawl/rename/main^"); parent != w.Git("rev-parse", "main") {
		t.Errorf("rebased commit's parent %s, want the new head", parent)
	}
	if names := f.git("api", "diff", "--name-only", "main", "trawl/rename/main"); names != "src/app.txt" {
		t.Errorf("rebased diff touches %q", names)
	}
}

func TestApplyRefusesForeignBranchAndTooManyRepos(t *testing.T) {
	f := newFixture(t, map[string]map[string]map[string]string{
		"a": {"main": {"f.txt": "old\n"}},
		"b": {"main": {"f.txt": "old\n"}},
	}, "")
	f.cfg.Change.MaxRepos = 1
	ctx := context.Background()
	if _, err := f.c.Plan(ctx, change.Spec{ID: "c1", Action: change.Action{Kind: change.KindReplace, Old: "old", New: "new"}}); err != nil {
		t.Fatal(err)
	}
	var tooMany *change.TooManyError
	if _, err := f.c.Apply(ctx, "c1", change.ApplyOptions{}); !errors.As(err, &tooMany) {
		t.Fatalf("2 repositories over max_repos 1 without --yes: %v", err)
	}
	if out := f.git("a", "branch", "--list", "trawl/*"); out != "" {
		t.Fatalf("a refused campaign pushed %q", out)
	}
	// Someone already has a branch of that name on b.
	f.work["b"].Git("push", "-q", f.bare("b"), "main:refs/heads/trawl/c1/main")
	p, err := f.c.Apply(ctx, "c1", change.ApplyOptions{Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(p)
	if s := got[repoName(f, "a")+"@main"].State; s != change.StatePushed {
		t.Errorf("a: %s", s)
	}
	if s := got[repoName(f, "b")+"@main"].State; !strings.Contains(s, "failed: branch trawl/c1/main exists and was not pushed by trawl") {
		t.Errorf("b: %s", s)
	}
	if h := f.git("b", "rev-parse", "trawl/c1/main"); h != f.work["b"].Git("rev-parse", "main") {
		t.Errorf("the foreign branch was overwritten")
	}
}

func TestWrongPasswordFailsOnlyThatRepository(t *testing.T) {
	t.Setenv("TEST_BAD_PW", "not-the-password")
	f := newFixture(t, map[string]map[string]map[string]string{
		"good": {"main": {"f.txt": "old\n"}},
		"bad":  {"main": {"f.txt": "old\n"}},
	}, "    - repos: '/bad$'\n      username: ci\n      write_token_env: TEST_BAD_PW\n")
	ctx := context.Background()
	if _, err := f.c.Plan(ctx, change.Spec{ID: "pw", Action: change.Action{Kind: change.KindReplace, Old: "old", New: "new"}}); err != nil {
		t.Fatal(err)
	}
	p, err := f.c.Apply(ctx, "pw", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(p)
	if s := got[repoName(f, "good")+"@main"].State; s != change.StatePushed {
		t.Errorf("good: %s", s)
	}
	bad := got[repoName(f, "bad")+"@main"].State
	if !change.IsFailed(bad) || !strings.Contains(bad, "authentication") {
		t.Errorf("bad: %s, want failed: authentication ...", bad)
	}
	if strings.Contains(bad, "not-the-password") {
		t.Errorf("the password reached the state: %s", bad)
	}
}

func TestRejectedPushNoChangeAndTemplateErrors(t *testing.T) {
	f := newFixture(t, map[string]map[string]map[string]string{
		"guarded": {"main": {"VERSION": "1.0\n", "f.txt": "x\n"}},
		"plain":   {"main": {"VERSION": "2.0\n", "f.txt": "x\n"}},
		"bare":    {"main": {"f.txt": "x\n"}},
		"same":    {"main": {"f.txt": "x\n", "NOTICE": "v2.0 of same\n"}},
	}, "")
	hook := filepath.Join(f.bare("guarded"), "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'protected branch hook declined: reviews required' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := f.c.Plan(ctx, change.Spec{ID: "notice", Query: "file:f\\.txt", Action: change.Action{
		Kind: change.KindWrite, Path: "NOTICE", Template: true,
		Content: "v{{file \"VERSION\" | trim}} of {{.Name}}\n",
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(p)
	if s := got[repoName(f, "bare")+"@main"].State; !strings.Contains(s, "failed: template") || !strings.Contains(s, "VERSION does not exist") {
		t.Errorf("bare (no VERSION): %s", s)
	}
	plain := got[repoName(f, "plain")+"@main"]
	if plain.State != change.StatePlanned || plain.Files[0].Content != "v2.0 of plain\n" {
		t.Errorf("plain: %+v", plain)
	}
	p, err = f.c.Apply(ctx, "notice", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got = byKey(p)
	if s := got[repoName(f, "guarded")+"@main"].State; !strings.HasPrefix(s, "failed: push:") || !strings.Contains(s, "pre-receive hook declined") {
		t.Errorf("guarded: %s", s)
	}
	if s := got[repoName(f, "plain")+"@main"].State; s != change.StatePushed {
		t.Errorf("plain: %s", s)
	}

	p, err = f.c.Plan(ctx, change.Spec{ID: "same", Query: "file:f\\.txt", Action: change.Action{Kind: change.KindReplace, Old: "absent", New: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.State != change.StateNoChange {
			t.Errorf("%s: %s, want no_change", c.Repo, c.State)
		}
	}
	if _, err = f.c.Apply(ctx, "same", change.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := f.git("plain", "branch", "--list", "trawl/same/*"); out != "" {
		t.Errorf("no_change pushed a branch: %q", out)
	}
	if _, err := f.c.Plan(ctx, change.Spec{ID: "bad", Query: "x", Action: change.Action{Kind: change.KindRegex, Old: "a(", New: "b"}}); err == nil || !strings.Contains(err.Error(), "--regex") {
		t.Errorf("a regex that does not compile: %v", err)
	}
}

// TestReplanUpdatesOwnBranch re-plans an applied campaign with another
// replacement: apply replaces trawl's own branch (a force push guarded by
// a lease on the commit trawl pushed), and a query combined with a
// dependency selector keeps only the branches both choose.
func TestReplanUpdatesOwnBranch(t *testing.T) {
	pom := func(v string) string {
		return "<project>\n  <dependencies>\n    <dependency>\n      <groupId>g</groupId>\n      <artifactId>a</artifactId>\n      <version>" + v + "</version>\n    </dependency>\n  </dependencies>\n</project>\n"
	}
	f := newFixture(t, map[string]map[string]map[string]string{
		"svc": {"main": {"pom.xml": pom("1.0"), "team.txt": "owner: alpha\n"}, "old": {"pom.xml": pom("0.9"), "team.txt": "owner: beta\n"}},
	}, "")
	ctx := context.Background()
	spec := change.Spec{ID: "bump", Query: "alpha", DepName: "g:a", DepRange: "<2.0",
		Action: change.Action{Kind: change.KindSetDependency, Dependency: "g:a", Version: "1.5"}}
	p, err := f.c.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Branch != "main" || p.Changes[0].Files[0].Path != "pom.xml" {
		t.Fatalf("query alpha and g:a <2.0 select main only: %+v", p.Changes)
	}
	if _, err := f.c.Apply(ctx, "bump", change.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	first := f.git("svc", "rev-parse", "trawl/bump/main")
	spec.Action.Version = "1.6"
	spec.Message = "Bump g:a to 1.6\n"
	if _, err := f.c.Plan(ctx, spec); err != nil {
		t.Fatal(err)
	}
	p, err = f.c.Apply(ctx, "bump", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Changes[0].State; s != change.StatePushed {
		t.Fatalf("re-planned apply: %s", s)
	}
	second := f.git("svc", "rev-parse", "trawl/bump/main")
	if second == first {
		t.Fatal("the branch did not move to the new plan")
	}
	if got := f.git("svc", "show", "trawl/bump/main:pom.xml"); !strings.Contains(got, "<version>1.6</version>") {
		t.Errorf("pushed pom:\n%s", got)
	}
	if got := f.git("svc", "log", "-1", "--format=%s", "trawl/bump/main"); got != "Bump g:a to 1.6" {
		t.Errorf("message: %q", got)
	}
	if n := f.git("svc", "rev-list", "--count", "main..trawl/bump/main"); n != "1" {
		t.Errorf("%s commits on the branch, want one", n)
	}
}

// backendYAML configures the index backend: Elasticsearch at TRAWL_ES_URL
// under a prefix of the test's own, whose indices go when it ends.
func backendYAML(t *testing.T, backend string) string {
	if backend != "elasticsearch" {
		return ""
	}
	return fmt.Sprintf("  backend: elasticsearch\n  elasticsearch:\n    addresses: [%s]\n    index_prefix: %s\n", estest.URL(), estest.Prefix(t))
}

// TestPlanOnBothBackends makes the same plan from a Bleve index and an
// Elasticsearch index of the same repositories: plan reads the index only
// through trawl's search and dependency queries, exhaustively.
func TestPlanOnBothBackends(t *testing.T) {
	if os.Getenv("TRAWL_ES_URL") == "" {
		t.Skip("set TRAWL_ES_URL to run against Elasticsearch")
	}
	repos := map[string]map[string]map[string]string{
		"api": {"main": {"package.json": "{\n  \"dependencies\": {\"lodash\": \"4.17.15\"}\n}\n", "a.txt": "TODO one\n"},
			"release/1": {"package.json": "{\n  \"dependencies\": {\"lodash\": \"4.17.10\"}\n}\n", "a.txt": "TODO two\n"}},
		"web": {"main": {"package.json": "{\n  \"dependencies\": {\"lodash\": \"4.17.21\"}\n}\n", "b.txt": "no\n"}},
	}
	summary := func(backend string) []string {
		f := newFixtureOn(t, backend, repos, "")
		var out []string
		for _, spec := range []change.Spec{
			{ID: "lodash", DepRange: "<4.17.21", Action: change.Action{Kind: change.KindSetDependency, Dependency: "lodash", Version: "4.17.21"}},
			{ID: "todo", Action: change.Action{Kind: change.KindRegex, Old: `TODO (\w+)`, New: "DONE $1"}},
		} {
			p, err := f.c.Plan(context.Background(), spec)
			if err != nil {
				t.Fatalf("%s: %v", backend, err)
			}
			for _, c := range p.Changes {
				line := spec.ID + " " + path.Base(c.Repo) + "@" + c.Branch + " " + c.State
				for _, fc := range c.Files {
					line += " " + fc.Path + ":" + fc.Content
				}
				out = append(out, line)
			}
		}
		return out
	}
	bl, es := summary("bleve"), summary("elasticsearch")
	if len(bl) != 4 || strings.Join(bl, "|") != strings.Join(es, "|") {
		t.Errorf("bleve:\n%s\nelasticsearch:\n%s", strings.Join(bl, "\n"), strings.Join(es, "\n"))
	}
}
