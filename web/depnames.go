package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/trawl-dev/trawl/depquery"
	"github.com/trawl-dev/trawl/indexer"
)

// versionSummary is one bar of the Dependencies page: a version's counts
// and the repositories using it, so the bar can name them.
type versionSummary struct {
	depquery.VersionCount
	RepoNames []string `json:"repo_names"`
}

// namedSummary adds the repositories to each version of sum.
func namedSummary(sum []depquery.VersionCount, recs []indexer.Dependency) []versionSummary {
	type key struct{ eco, name, version string }
	repos := map[key]map[string]bool{}
	for _, d := range recs {
		v := d.ResolvedVersion
		if v == "" {
			v = d.Version
		}
		k := key{d.Ecosystem, d.Name, v}
		if repos[k] == nil {
			repos[k] = map[string]bool{}
		}
		repos[k][d.Repo] = true
	}
	out := make([]versionSummary, len(sum))
	for i, v := range sum {
		out[i].VersionCount = v
		for r := range repos[key{v.Ecosystem, v.Name, v.Version}] {
			out[i].RepoNames = append(out[i].RepoNames, r)
		}
		slices.Sort(out[i].RepoNames)
	}
	return out
}

// depName is one dependency name in the index, for name search.
type depName struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
	Repos     int    `json:"repos"`
	Branches  int    `json:"branches"`
}

// depNames keeps the names of every dependency record, computed once per
// set of branch heads: listing every record is too slow to repeat for
// each keystroke of a name search.
type depNames struct {
	mu    sync.Mutex
	heads string // fingerprint of the branch states the list was made from
	list  []depName
}

const (
	maxNameQuery = 200
	maxNameHits  = 20
)

// names returns the dependency names, recomputed when a branch moved.
func (s *Server) names(ctx context.Context) ([]depName, error) {
	branches, err := s.idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	var fp strings.Builder
	for _, b := range branches {
		fp.WriteString(b.Repo + "\x00" + b.Name + "\x00" + b.Commit + "\x00" + b.Settings + "\n")
	}
	s.depNames.mu.Lock()
	defer s.depNames.mu.Unlock()
	if s.depNames.list != nil && s.depNames.heads == fp.String() {
		return s.depNames.list, nil
	}
	type key struct{ eco, name string }
	type sets struct{ repos, branches map[string]bool }
	m := map[key]*sets{}
	err = s.idx.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		k := key{d.Ecosystem, d.Name}
		st := m[k]
		if st == nil {
			st = &sets{map[string]bool{}, map[string]bool{}}
			m[k] = st
		}
		st.repos[d.Repo] = true
		st.branches[d.Repo+"\x00"+d.Branch] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dependencies: %w", err)
	}
	list := make([]depName, 0, len(m))
	for k, st := range m {
		list = append(list, depName{Name: k.name, Ecosystem: k.eco, Repos: len(st.repos), Branches: len(st.branches)})
	}
	slices.SortFunc(list, func(a, b depName) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Ecosystem, b.Ecosystem))
	})
	s.depNames.heads, s.depNames.list = fp.String(), list
	return list, nil
}

// handleDepNames answers GET /api/deps/names?q=: up to 20 dependency names
// containing q, case-insensitively; names starting with it, then the most
// used, come first.
func (s *Server) handleDepNames(w http.ResponseWriter, r *http.Request) {
	q, err := textParam(r.URL.Query(), "q", true, maxNameQuery)
	if err != nil {
		s.fail(w, r, "dependency names", err)
		return
	}
	all, err := s.names(r.Context())
	if err != nil {
		s.fail(w, r, "dependency names", err)
		return
	}
	lq := strings.ToLower(strings.TrimSpace(q))
	hits := []depName{}
	for _, n := range all {
		if strings.Contains(strings.ToLower(n.Name), lq) {
			hits = append(hits, n)
		}
	}
	total := len(hits)
	slices.SortStableFunc(hits, func(a, b depName) int {
		pa, pb := strings.HasPrefix(strings.ToLower(a.Name), lq), strings.HasPrefix(strings.ToLower(b.Name), lq)
		if pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Repos, a.Repos), cmp.Compare(b.Branches, a.Branches))
	})
	writeJSON(w, http.StatusOK, struct {
		Names []depName `json:"names"`
		Total int       `json:"total"` // names that match; more than listed when over 20
	}{hits[:min(len(hits), maxNameHits)], total})
}
