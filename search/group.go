package search

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/trawl-dev/trawl/lang"
)

// Ranked is a whole answer grouped by path and ranked as people read
// results: one Group per (repo, path) with the versions of that file across
// branches, groups on a default branch first, hand-written before
// generated or vendored files, shorter paths before longer ones.
type Ranked struct {
	Query  string  `json:"query"`
	Stats  Stats   `json:"stats"`
	Totals Totals  `json:"totals"`
	Facets Facets  `json:"facets"`
	Groups []Group `json:"groups"`
}

// Totals count the whole answer. When Exact is false a limit stopped the
// search and the counts are lower bounds ("10,000+").
type Totals struct {
	Files   int  `json:"files"`   // (repo, path, blob)
	Paths   int  `json:"paths"`   // (repo, path): groups
	Matches int  `json:"matches"` // matching lines over every file
	Exact   bool `json:"exact"`
}

// Facets count the files of the whole answer by repository, branch (a file
// counts once per branch holding it), language and extension, most files
// first. Like Totals they are lower bounds when Totals.Exact is false.
type Facets struct {
	Repository []FacetValue `json:"repository"`
	Branch     []FacetValue `json:"branch"`
	Language   []FacetValue `json:"language"`
	Extension  []FacetValue `json:"extension"`
}

// FacetValue is one value of a facet and the files that have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Group is one path of one repository with each version (blob) of it the
// answer holds: the version on the default branch first, then the ones on
// most branches, then by branch name.
type Group struct {
	Repo      string `json:"repo"`
	Path      string `json:"path"`
	Versions  []File `json:"versions"`
	Branches  int    `json:"branches"` // branches holding the path, over every version
	Default   bool   `json:"default"`  // a version is on the repository's default branch
	Generated bool   `json:"generated,omitempty"`
	Vendored  bool   `json:"vendored,omitempty"`
}

// Rank runs query within opt's limits and returns its answer grouped and
// ranked, with totals and facets over everything the search found. The
// order depends only on the answer, so a page of it can be continued from
// an offset.
func (s *Searcher) Rank(ctx context.Context, query string, opt Options) (*Ranked, error) {
	res, err := s.Search(ctx, query, opt)
	if err != nil {
		return nil, err
	}
	branches, err := s.idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("rank %q: list branches: %w", query, err)
	}
	defaults := map[string]string{}
	for _, b := range branches {
		if b.Meta.DefaultBranch != "" {
			defaults[b.Repo] = b.Meta.DefaultBranch
		}
	}
	return GroupFiles(res, defaults), nil
}

// GroupFiles groups and ranks the files of res; defaults maps a repository
// to its default branch.
func GroupFiles(res *Result, defaults map[string]string) *Ranked {
	out := &Ranked{Query: res.Query, Stats: res.Stats, Groups: []Group{}}
	out.Totals = Totals{Files: len(res.Files), Matches: res.Stats.Matches, Exact: !res.Stats.LimitHit}
	out.Facets = facetsOf(res.Files)

	type key struct{ repo, path string }
	index := map[key]int{}
	for _, f := range res.Files {
		k := key{f.Repo, f.Path}
		i, ok := index[k]
		if !ok {
			i = len(out.Groups)
			index[k] = i
			out.Groups = append(out.Groups, Group{Repo: f.Repo, Path: f.Path,
				Generated: lang.IsGenerated(f.Path, head(f)), Vendored: lang.IsVendor(f.Path)})
		}
		out.Groups[i].Versions = append(out.Groups[i].Versions, f)
	}
	for i := range out.Groups {
		g := &out.Groups[i]
		def := defaults[g.Repo]
		onDefault := func(f File) bool {
			return def != "" && slices.ContainsFunc(f.Branches, func(b BranchRef) bool { return b.Name == def })
		}
		for _, f := range g.Versions {
			g.Branches += len(f.Branches)
			g.Default = g.Default || onDefault(f)
		}
		slices.SortFunc(g.Versions, func(a, b File) int {
			if da, db := onDefault(a), onDefault(b); da != db {
				if da {
					return -1
				}
				return 1
			}
			return cmp.Or(cmp.Compare(len(b.Branches), len(a.Branches)), strings.Compare(firstBranch(a), firstBranch(b)), strings.Compare(a.Blob, b.Blob))
		})
	}
	out.Totals.Paths = len(out.Groups)
	slices.SortFunc(out.Groups, compareGroups)
	return out
}

func firstBranch(f File) string {
	if len(f.Branches) == 0 {
		return ""
	}
	return f.Branches[0].Name
}

// head returns the first lines of f when its matches and their context
// hold them, for go-enry's content rules ("Code generated ... DO NOT
// EDIT."); the blob itself is not read again just to rank it.
func head(f File) []byte {
	if len(f.Matches) == 0 {
		return nil
	}
	m := f.Matches[0]
	if m.Line-len(m.Before) != 1 {
		return nil
	}
	lines := append(append(append([]string{}, m.Before...), m.Text), m.After...)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// compareGroups is the ranking: default branch first, then hand-written
// before generated or vendored, then shallower and shorter paths, then by
// name so the order is total.
func compareGroups(a, b Group) int {
	if a.Default != b.Default {
		if a.Default {
			return -1
		}
		return 1
	}
	if ga, gb := a.Generated || a.Vendored, b.Generated || b.Vendored; ga != gb {
		if ga {
			return 1
		}
		return -1
	}
	return cmp.Or(
		cmp.Compare(strings.Count(a.Path, "/"), strings.Count(b.Path, "/")),
		cmp.Compare(len(a.Path), len(b.Path)),
		strings.Compare(a.Repo, b.Repo),
		strings.Compare(a.Path, b.Path))
}

// facetsOf counts files as the facet column shows them.
func facetsOf(files []File) Facets {
	repo, branch, lang, ext := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range files {
		repo[f.Repo]++
		for _, b := range f.Branches {
			branch[b.Name]++
		}
		if f.Language != "" {
			lang[f.Language]++
		}
		if e := extension(f.Path); e != "" {
			ext[e]++
		}
	}
	return Facets{Repository: sortedFacet(repo), Branch: sortedFacet(branch), Language: sortedFacet(lang), Extension: sortedFacet(ext)}
}

// extension is the extension the facet counts: from the last dot of the
// base name, not counting a leading dot (".gitignore" has none).
func extension(p string) string {
	base := path.Base(p)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return base[i:]
	}
	return ""
}

func sortedFacet(m map[string]int) []FacetValue {
	out := make([]FacetValue, 0, len(m))
	for v, n := range m {
		out = append(out, FacetValue{v, n})
	}
	slices.SortFunc(out, func(a, b FacetValue) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	return out
}
