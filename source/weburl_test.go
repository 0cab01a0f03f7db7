package source_test

import (
	"testing"

	"github.com/trawl-dev/trawl/source"
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
		if got := source.WebURLOf(clone); got != want {
			t.Errorf("WebURLOf(%q) = %q, want %q", clone, got, want)
		}
	}
}
