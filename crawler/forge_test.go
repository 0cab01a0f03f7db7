package crawler_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/internal/gittest"
)

func TestWebURLOf(t *testing.T) {
	for clone, want := range map[string]string{
		"git@github.com:acme/api.git":           "https://github.com/acme/api",
		"https://github.com/acme/api.git":       "https://github.com/acme/api",
		"https://user@gitlab.example.com/a/b/c": "https://gitlab.example.com/a/b/c",
		"ssh://git@codeberg.org/acme/tool.git":  "https://codeberg.org/acme/tool",
		"https://gitea.acme.io:3000/org/x.git/": "https://gitea.acme.io/org/x",
		"/srv/mirrors/tools.git":                "",
		"file:///srv/github/acme/api.git":       "",
		"https://git.example.com/team/api.git":  "", // not a known forge: no guessed link
		"https://bitbucket.org/acme/api.git":    "", // its pages are /src/, not /blob/
		"git@github.com:api.git":                "",
		"ftp://github.com/acme/api.git":         "",
		"C:\\repos\\github\\api":                "",
		"https://github.com/":                   "",
	} {
		if got := crawler.WebURLOf(clone); got != want {
			t.Errorf("WebURLOf(%q) = %q, want %q", clone, got, want)
		}
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
