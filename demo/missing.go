package demo

import (
	"slices"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
)

// NotAnswered is the other half of a Missing question's answer: the
// indexed repositories (those with a branch in branches) that have no file
// in res, by name.
func NotAnswered(branches []indexer.Branch, res *search.Result) []string {
	found := map[string]bool{}
	for _, f := range res.Files {
		found[f.Repo] = true
	}
	var names []string
	for _, b := range branches {
		if !found[b.Repo] && !slices.Contains(names, b.Repo) {
			names = append(names, b.Repo)
		}
	}
	slices.Sort(names)
	return names
}
