package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
)

// searchLines runs an exhaustive query on the index in data and returns
// its hits as repo@branch:path:line.
func searchLines(t *testing.T, cfg *config.Config, query string) []string {
	t.Helper()
	ctx := context.Background()
	idx := openIndex(t, cfg)
	defer idx.Close()
	res, err := search.New(idx).Search(ctx, query, search.Options{})
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	var hits []string
	for _, f := range res.Files {
		for _, b := range f.Branches {
			if len(f.Matches) == 0 {
				hits = append(hits, fmt.Sprintf("%s@%s:%s", f.Repo, b.Name, f.Path))
			}
			for _, m := range f.Matches {
				hits = append(hits, fmt.Sprintf("%s@%s:%s:%d", f.Repo, b.Name, f.Path, m.Line))
			}
		}
	}
	return hits
}

func crawlSummary(t *testing.T, yaml string) (*crawler.Summary, *config.Config) {
	t.Helper()
	data := t.TempDir()
	cfg := loadConfig(t, t.TempDir(), yaml+fmt.Sprintf("index:\n  path: %s\n", data))
	ctx := context.Background()
	idx, err := bleve.Open(ctx, filepath.Join(data, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	c := crawltest.New(t, cfg, idx, crawler.Options{})
	sum, err := c.Run(ctx)
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	return sum, cfg
}

// TestSmartHTTP clones and fetches from a real git http-backend, with and
// without basic auth; a wrong password fails that repository with a clear
// error that does not quote the password, and the others are indexed.
func TestSmartHTTP(t *testing.T) {
	work := gittest.Init(t, filepath.Join(t.TempDir(), "api"))
	work.Commit("first", map[string]string{"app.conf": "listen = 8080\n"})
	work.Checkout("release/1.0")
	work.Commit("release", map[string]string{"app.conf": "listen = 9090\n"})
	work.Checkout("main")

	open := gittest.Serve(t, t.TempDir(), "", "")
	openURL := open.Bare(t, work, "team/open")
	// Passwords go over https only: the locked server is https, and go-git
	// trusts httptest's certificate for this test.
	locked := gittest.ServeTLS(t, t.TempDir(), "alice", "s3cret-pw")
	lockedURL := locked.Bare(t, work, "team/locked")
	client.InstallProtocol("https", githttp.NewClient(locked.Client()))
	t.Cleanup(func() { client.InstallProtocol("https", githttp.DefaultClient) })
	t.Setenv("TRAWL_TEST_GOOD", "s3cret-pw")
	t.Setenv("TRAWL_TEST_BAD", "wrong-pw-xyz")

	sum, cfg := crawlSummary(t, fmt.Sprintf(`sources:
  - git:
      urls: [%s]
  - git:
      urls: [%s]
      username: alice
      password_env: TRAWL_TEST_GOOD
  - git:
      urls: [%s/team/other.git]
      username: alice
      password_env: TRAWL_TEST_BAD
  - git:
      urls: [http://127.0.0.1:1/nothing-listens.git]
`, openURL, lockedURL, locked.URL))

	if len(sum.Errors) != 2 {
		t.Fatalf("want 2 failed repositories (wrong password, unreachable), got %+v", sum.Errors)
	}
	for _, e := range sum.Errors {
		if strings.Contains(e.Error, "wrong-pw-xyz") || strings.Contains(e.Error, "s3cret-pw") {
			t.Errorf("error quotes a password: %s", e.Error)
		}
		if strings.Contains(e.Repo, "other") && !strings.Contains(strings.ToLower(e.Error), "auth") {
			t.Errorf("wrong-password error does not say so: %s", e.Error)
		}
	}
	host := strings.TrimPrefix(open.URL, "http://")
	lockedHost := strings.TrimPrefix(locked.URL, "https://")
	data := cfg.Index.Path
	hits := searchLines(t, cfg, "listen")
	want := []string{
		host + "/team/open@main:app.conf:1", host + "/team/open@release/1.0:app.conf:1",
		lockedHost + "/team/locked@main:app.conf:1", lockedHost + "/team/locked@release/1.0:app.conf:1",
	}
	if strings.Join(sorted(hits), "\n") != strings.Join(sorted(want), "\n") {
		t.Fatalf("hits:\n%s\nwant:\n%s", strings.Join(sorted(hits), "\n"), strings.Join(sorted(want), "\n"))
	}

	// The mirror is fetched incrementally: a pushed commit shows up.
	work.Commit("more", map[string]string{"app.conf": "listen = 7070\n"})
	gittest.Run(t, work.Dir, "push", "-q", filepath.Join(open.Root, "team/open.git"), "main")
	cfg = loadConfig(t, t.TempDir(), fmt.Sprintf("sources:\n  - git:\n      urls: [%s]\nindex:\n  path: %s\n", openURL, data))
	second := crawlOnce(t, cfg)
	if second.BranchesChanged != 1 || second.FilesWritten != 1 {
		t.Errorf("incremental fetch: want 1 branch and 1 file changed, got %+v", second)
	}
	if got := searchLines(t, cfg, "7070"); len(got) != 1 || got[0] != host+"/team/open@main:app.conf:1" {
		t.Errorf("pushed line: %v", got)
	}
	// The mirror's stored remote holds no credential.
	cfgFiles, _ := filepath.Glob(filepath.Join(data, "mirrors", "*", "config"))
	for _, f := range cfgFiles {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("s3cret")) {
			t.Errorf("%s holds the password", f)
		}
	}
}

// TestBadInput crawls repositories that are broken in the ways real ones
// are and checks each is reported for itself while the rest is indexed.
func TestBadInput(t *testing.T) {
	root := t.TempDir()

	good := gittest.Init(t, filepath.Join(root, "good"))
	good.Commit("first", map[string]string{"ok.txt": "findme\n"})
	for _, b := range []string{"ü/名前", "release/v1.0+build", "hash#tag", "dots.and-dashes_"} {
		good.Checkout(b)
		good.Commit("on "+b, map[string]string{"branch.txt": "findme on " + b + "\n"})
		good.Checkout("main")
	}

	gittest.Init(t, filepath.Join(root, "empty")) // no commits at all

	missing := gittest.Init(t, filepath.Join(root, "missing-blob"))
	missing.Commit("first", map[string]string{"gone.txt": "vanished content\n", "kept.txt": "findme\n"})
	blob := gittest.Run(t, missing.Dir, "rev-parse", "HEAD:gone.txt")
	if err := os.Remove(filepath.Join(missing.Dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}

	corrupt := gittest.Init(t, filepath.Join(root, "corrupt"))
	corrupt.Commit("first", map[string]string{"a.txt": "findme\n"})
	tree := gittest.Run(t, corrupt.Dir, "rev-parse", "HEAD^{tree}")
	treeFile := filepath.Join(corrupt.Dir, ".git", "objects", tree[:2], tree[2:])
	os.Chmod(treeFile, 0o644)
	if err := os.WriteFile(treeFile, []byte("not a zlib stream"), 0o644); err != nil {
		t.Fatal(err)
	}

	big := gittest.Init(t, filepath.Join(root, "big"))
	bigFile := filepath.Join(big.Dir, "huge.log")
	f, err := os.Create(bigFile)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	for range 200 << 10 { // 200 MiB
		f.Write(line)
	}
	f.Close()
	big.Commit("big", map[string]string{"small.txt": "findme\n", "image.png": "\x89PNG\r\n\x1a\n\x00\x00"})

	sum, cfg := crawlSummary(t, fmt.Sprintf("sources:\n  - dir: %s\n", root))

	failed := map[string]string{}
	for _, e := range sum.Errors {
		failed[e.Repo] = e.Error
	}
	if len(failed) != 1 || failed["corrupt"] == "" {
		t.Fatalf("want exactly the corrupt repository to fail, got %+v", sum.Errors)
	}

	hits := strings.Join(sorted(searchLines(t, cfg, "findme")), "\n")
	for _, want := range []string{"good@main:ok.txt:1", "good@ü/名前:branch.txt:1", "good@release/v1.0+build:branch.txt:1",
		"good@hash#tag:branch.txt:1", "good@dots.and-dashes_:branch.txt:1", "missing-blob@main:kept.txt:1", "big@main:small.txt:1"} {
		if !strings.Contains(hits, want) {
			t.Errorf("missing hit %s in\n%s", want, hits)
		}
	}

	ctx := context.Background()
	idx := openIndex(t, cfg)
	defer idx.Close()
	reasons := map[string]string{}
	idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.SkippedOnly}, func(l indexer.Location) error {
		reasons[l.Repo+":"+l.Path] = l.Skip
		return nil
	})
	want := map[string]string{
		"missing-blob:gone.txt": indexer.SkipUnreadable,
		"big:huge.log":          indexer.SkipTooLarge,
		"big:image.png":         indexer.SkipBinary,
	}
	for k, v := range want {
		if reasons[k] != v {
			t.Errorf("skip reason of %s = %q, want %q (all: %v)", k, reasons[k], v, reasons)
		}
	}
}

func sorted(l []string) []string {
	out := slices.Clone(l)
	slices.Sort(out)
	return out
}

// TestDirRemoteBranches: a plain clone read by a dir source is indexed
// with every branch of its origin (refs/remotes/origin/*), not only the
// checked-out one; origin/HEAD is no branch, and a local branch wins over
// the remote one of the same name.
func TestDirRemoteBranches(t *testing.T) {
	upstream := gittest.Init(t, filepath.Join(t.TempDir(), "upstream"))
	upstream.Commit("first", map[string]string{"a.txt": "on main\n"})
	for _, b := range []string{"release/1", "release/2", "feature/x"} {
		upstream.Checkout(b)
		upstream.Commit(b, map[string]string{"a.txt": "on " + b + "\n"})
		upstream.Checkout("main")
	}
	root := t.TempDir()
	gittest.Run(t, root, "clone", "-q", upstream.Dir, "api")
	gittest.Run(t, filepath.Join(root, "api"), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "local only")
	localMain := gittest.Run(t, filepath.Join(root, "api"), "rev-parse", "refs/heads/main")

	sum, cfg := crawlSummary(t, fmt.Sprintf("sources:\n  - dir: %s\n", root))
	if len(sum.Errors) > 0 || sum.Branches != 4 {
		t.Fatalf("want 4 branches (main and 3 from origin), got %d: %+v", sum.Branches, sum)
	}
	hits := sorted(searchLines(t, cfg, "on"))
	want := []string{"api@feature/x:a.txt:1", "api@main:a.txt:1", "api@release/1:a.txt:1", "api@release/2:a.txt:1"}
	if !slices.Equal(hits, want) {
		t.Errorf("hits %v, want %v", hits, want)
	}
	if got := branchCommit(t, cfg, "api", "main"); got != localMain {
		t.Errorf("main indexed at %s, want the local branch %s", got, localMain)
	}
}

// TestIncludeMatchesNothing: a repos.include pattern that matches no
// discovered repository is reported by name.
func TestIncludeMatchesNothing(t *testing.T) {
	root := t.TempDir()
	makeOrg(t, root, 1, 2)
	sum, _ := crawlSummary(t, fmt.Sprintf("sources:\n  - dir: %s\nrepos:\n  include: ['^team0/', '^acme/']\n", root))
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], `"^acme/"`) {
		t.Errorf("warnings: %q", sum.Warnings)
	}
	if sum.Repos != 1 {
		t.Errorf("repos: %d", sum.Repos)
	}
}

// TestDirForgeLink crawls a folder whose clone has a GitHub origin: its
// branch states carry the web address, so results link to the forge.
func TestDirForgeLink(t *testing.T) {
	root := t.TempDir()
	r := gittest.Init(t, filepath.Join(root, "tool"))
	r.Commit("first", map[string]string{"a.txt": "hello\n"})
	r.Git("remote", "add", "origin", "git@github.com:acme/tool.git")
	plain := gittest.Init(t, filepath.Join(root, "local"))
	plain.Commit("first", map[string]string{"b.txt": "hi\n"})
	cfg := dirConfig(t, root, t.TempDir(), "")
	crawlOnce(t, cfg)
	idx := openIndex(t, cfg)
	defer idx.Close()
	branches, err := idx.Branches(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, b := range branches {
		got[b.Repo] = b.Meta.URL
	}
	if got["tool"] != "https://github.com/acme/tool" || got["local"] != "" {
		t.Errorf("web addresses %v, want tool on GitHub and local without one", got)
	}
}
