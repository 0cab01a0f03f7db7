package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
)

// defaultHistory is the trend shown when history= is "yes".
const defaultHistory = 30 * 24 * time.Hour

// complianceRoutes mounts the compliance API and pages. Everything is read
// from the index (results and history stored by trawl serve's
// evaluations), so a read-only replica serves them too.
func (s *Server) complianceRoutes(mux *http.ServeMux) {
	s.api(mux, "GET /api/compliance", s.timeout, s.handleCompliance)
	s.api(mux, "GET /api/compliance/matrix", s.timeout, s.handleMatrix)
	mux.HandleFunc("GET /compliance", s.page("compliance"))
	mux.HandleFunc("GET /matrix", s.page("matrix"))
}

// complianceResponse is DESIGN.md §8's report, plus the per-rule counts of
// each evaluation since the requested time when history= is given.
type complianceResponse struct {
	*compliance.Report
	History []indexer.ComplianceEvaluation `json:"history,omitempty"`
}

// handleCompliance answers GET /api/compliance?rule=ID&format=csv&history=720h.
func (s *Server) handleCompliance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	withHistory := q.Get("history") != ""
	if h := q.Get("history"); h != "" {
		d := defaultHistory
		if h != "yes" && h != "1" {
			var err error
			if d, err = time.ParseDuration(h); err != nil || d <= 0 {
				s.fail(w, r, "compliance", badRequest("history: want a duration such as 720h, or yes"))
				return
			}
		}
		since = time.Now().Add(-d)
	} else {
		since = time.Now() // only the last point, for the rules
	}
	rep, history, err := compliance.Stored(r.Context(), s.idx, since)
	if err != nil {
		s.fail(w, r, "read compliance results", err)
		return
	}
	if rep == nil {
		rep = &compliance.Report{Rules: []compliance.RuleReport{}}
	}
	if id := q.Get("rule"); id != "" {
		var keep []compliance.RuleReport
		for _, rr := range rep.Rules {
			if rr.ID == id {
				keep = append(keep, rr)
			}
		}
		if keep == nil {
			s.fail(w, r, "compliance", &httpError{http.StatusNotFound, fmt.Sprintf("no rule %q was evaluated", id)})
			return
		}
		rep.Rules = keep
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="trawl-compliance.csv"`)
		if err := rep.WriteCSV(w); err != nil {
			s.log.Warn("write compliance CSV", "err", err)
		}
		return
	default:
		s.fail(w, r, "compliance", badRequest("format: want json or csv"))
		return
	}
	resp := complianceResponse{Report: rep}
	if withHistory {
		resp.History = history
		if resp.History == nil {
			resp.History = []indexer.ComplianceEvaluation{}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// matrixCell is one (repo, branch) of a version matrix.
type matrixCell struct {
	Branch   string   `json:"branch"`
	Commit   string   `json:"commit"`
	Default  bool     `json:"default"`
	Versions []string `json:"versions"` // empty: not used there
}

type matrixRow struct {
	Repo     string       `json:"repo"`
	Branches []matrixCell `json:"branches"`
}

type matrixResponse struct {
	Kind string      `json:"kind"` // dependency or indicator
	Name string      `json:"name"`
	Rows []matrixRow `json:"repos"`
}

// handleMatrix answers GET /api/compliance/matrix?dependency=NAME or
// ?indicator=NAME, with optional repo= and branch= regular expressions:
// for every (repository, branch), the versions of the dependency (as
// resolved, else as declared) or the indicator's value, and the head
// commit: the "diff of versions across environments" view.
func (s *Server) handleMatrix(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dep, ind := q.Get("dependency"), q.Get("indicator")
	if (dep == "") == (ind == "") {
		s.fail(w, r, "version matrix", badRequest("give dependency=NAME or indicator=NAME"))
		return
	}
	var repoRE, branchRE *regexp.Regexp
	for _, p := range []struct {
		name string
		dst  **regexp.Regexp
	}{{"repo", &repoRE}, {"branch", &branchRE}} {
		if v := q.Get(p.name); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				s.fail(w, r, "version matrix", badRequest(p.name+": "+err.Error()))
				return
			}
			*p.dst = re
		}
	}
	branches, err := s.idx.Branches(r.Context())
	if err != nil {
		s.fail(w, r, "list branches", err)
		return
	}
	var keys []indexer.BranchKey
	byKey := map[indexer.BranchKey]indexer.Branch{}
	for _, b := range branches {
		if (repoRE == nil || repoRE.MatchString(b.Repo)) && (branchRE == nil || branchRE.MatchString(b.Name)) {
			keys = append(keys, b.Key())
			byKey[b.Key()] = b
		}
	}
	versions := map[indexer.BranchKey]map[string]bool{}
	resp := matrixResponse{Kind: "dependency", Name: dep}
	if dep != "" {
		f, err := deps.ParseTarget(dep, "")
		if err != nil {
			s.fail(w, r, "version matrix", badRequest("dependency: "+err.Error()))
			return
		}
		err = s.idx.Deps(r.Context(), indexer.DepQuery{Names: f.Names, Ecosystem: f.Ecosystem, Branches: keys}, func(d indexer.Dependency) error {
			k := indexer.BranchKey{Repo: d.Repo, Name: d.Branch}
			v := d.ResolvedVersion
			if v == "" {
				v = d.Version
			}
			if v == "" {
				v = "(no version)"
			}
			if versions[k] == nil {
				versions[k] = map[string]bool{}
			}
			versions[k][v] = true
			return nil
		})
		if err != nil {
			s.fail(w, r, "read dependencies", err)
			return
		}
	} else {
		resp = matrixResponse{Kind: "indicator", Name: ind}
		if s.indicators == nil {
			s.fail(w, r, "version matrix", badRequest("this server computes no indicators"))
			return
		}
		v, err := s.indicators(r.Context())
		if err != nil {
			s.fail(w, r, "compute indicators", err)
			return
		}
		// The indicators callback answers GET /api/indicators; read its
		// documents back by their JSON names.
		var docs struct {
			Documents []struct {
				FullName   string            `json:"fullName"`
				BranchName string            `json:"branchName"`
				Indicators map[string]string `json:"indicators"`
			} `json:"documents"`
		}
		b, _ := json.Marshal(v)
		if err := json.Unmarshal(b, &docs); err != nil {
			s.fail(w, r, "read indicators", err)
			return
		}
		for _, d := range docs.Documents {
			k := indexer.BranchKey{Repo: d.FullName, Name: d.BranchName}
			if val, ok := d.Indicators[ind]; ok {
				if _, in := byKey[k]; in {
					versions[k] = map[string]bool{val: true}
				}
			}
		}
	}
	rows := map[string]*matrixRow{}
	for _, k := range keys {
		b := byKey[k]
		row := rows[k.Repo]
		if row == nil {
			row = &matrixRow{Repo: k.Repo}
			rows[k.Repo] = row
		}
		cell := matrixCell{Branch: k.Name, Commit: b.Commit, Default: b.Name == b.Meta.DefaultBranch, Versions: []string{}}
		for v := range versions[k] {
			cell.Versions = append(cell.Versions, v)
		}
		sort.Strings(cell.Versions)
		row.Branches = append(row.Branches, cell)
	}
	resp.Rows = []matrixRow{}
	for _, row := range rows {
		sort.Slice(row.Branches, func(i, j int) bool {
			a, b := row.Branches[i], row.Branches[j]
			if a.Default != b.Default {
				return a.Default
			}
			return a.Branch < b.Branch
		})
		resp.Rows = append(resp.Rows, *row)
	}
	sort.Slice(resp.Rows, func(i, j int) bool { return resp.Rows[i].Repo < resp.Rows[j].Repo })
	writeJSON(w, http.StatusOK, resp)
}
