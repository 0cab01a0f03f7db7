// Package depquery answers questions about the dependency records the
// crawler stored: which records a filter selects (Find), how widely each
// version is used (Summarize), and the CSV and NDJSON encodings that trawl
// deps and GET /api/deps share (docs/design.md §7). Package deps parses
// manifests into those records; this package reads them from the index.
package depquery

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
)

// Filter selects dependency records for trawl deps and GET /api/deps.
type Filter struct {
	deps.Target                // names, ecosystem and range
	Undecided   bool           // with Range: also records whose version cannot be decided (^4.17 without a lockfile)
	Repo        *regexp.Regexp // repository full name
	Branch      *regexp.Regexp // branch name
}

// ParseFilter is deps.ParseTarget as a Filter, for callers that add the
// repository and branch expressions.
func ParseFilter(target, rangeText string) (Filter, error) {
	t, err := deps.ParseTarget(target, rangeText)
	return Filter{Target: t}, err
}

// Find streams the records f selects from idx.
func Find(ctx context.Context, idx indexer.Index, f Filter, fn func(deps.Dependency) error) error {
	q := indexer.DepQuery{Names: f.Names, Ecosystem: f.Ecosystem}
	if f.Repo != nil || f.Branch != nil {
		branches, err := idx.Branches(ctx)
		if err != nil {
			return fmt.Errorf("read branch states: %w", err)
		}
		q.Branches = []indexer.BranchKey{}
		for _, b := range branches {
			if (f.Repo == nil || f.Repo.MatchString(b.Repo)) && (f.Branch == nil || f.Branch.MatchString(b.Name)) {
				q.Branches = append(q.Branches, b.Key())
			}
		}
		if len(q.Branches) == 0 {
			return nil
		}
	}
	return idx.Deps(ctx, q, func(d deps.Dependency) error {
		if f.Range != nil {
			in, known := f.Range.Match(d)
			if !in && !(f.Undecided && !known) {
				return nil
			}
		}
		return fn(d)
	})
}

// VersionCount is one version in use and how widely.
type VersionCount struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"` // resolved where known, else as declared
	Repos     int    `json:"repos"`
	Branches  int    `json:"branches"`
	Files     int    `json:"files"`
}

// Summarize counts, per (name, version), the repositories, branches and
// files using it; most used first.
func Summarize(records []deps.Dependency) []VersionCount {
	type key struct{ eco, name, version string }
	type sets struct{ repos, branches, files map[string]bool }
	m := map[key]*sets{}
	for _, d := range records {
		v := d.ResolvedVersion
		if v == "" {
			v = d.Version
		}
		k := key{d.Ecosystem, d.Name, v}
		s := m[k]
		if s == nil {
			s = &sets{map[string]bool{}, map[string]bool{}, map[string]bool{}}
			m[k] = s
		}
		s.repos[d.Repo] = true
		s.branches[d.Repo+"\x00"+d.Branch] = true
		s.files[d.Repo+"\x00"+d.Branch+"\x00"+d.Path] = true
	}
	out := make([]VersionCount, 0, len(m))
	for k, s := range m {
		out = append(out, VersionCount{Ecosystem: k.eco, Name: k.name, Version: k.version,
			Repos: len(s.repos), Branches: len(s.branches), Files: len(s.files)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Branches != b.Branches {
			return a.Branches > b.Branches
		}
		return a.Version < b.Version
	})
	return slices.Clip(out)
}
