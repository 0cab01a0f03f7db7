package demo

import (
	"reflect"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
)

func TestNotAnswered(t *testing.T) {
	branches := []indexer.Branch{
		{Repo: "acme/web", Name: "main"}, {Repo: "acme/web", Name: "dev"},
		{Repo: "acme/api", Name: "main"}, {Repo: "acme/api", Name: "dev"},
		{Repo: "acme/docs", Name: "main"},
	}
	res := &search.Result{Files: []search.File{{Repo: "acme/api", Path: "CODEOWNERS"}}}
	if got, want := NotAnswered(branches, res), []string{"acme/docs", "acme/web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("NotAnswered = %v, want %v (each once, by name)", got, want)
	}
	all := &search.Result{Files: []search.File{{Repo: "acme/api"}, {Repo: "acme/web"}, {Repo: "acme/docs"}}}
	if got := NotAnswered(branches, all); len(got) != 0 {
		t.Errorf("every repository answered: %v", got)
	}
}
