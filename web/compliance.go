package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	mq, err := parseMatrixQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, "version matrix", err)
		return
	}
	resp, err := s.versionMatrix(r.Context(), mq)
	if err != nil {
		op := "version matrix"
		var se *stepError
		if errors.As(err, &se) {
			op, err = se.op, se.err
		}
		s.fail(w, r, op, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// stepError is an error of one step of a handler, with the operation it
// is answered as (see Server.fail).
type stepError struct {
	op  string
	err error
}

func (e *stepError) Error() string { return e.op + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// matrixQuery is a version matrix request: one of dep and ind is set; the
// expressions, when set, choose the repositories and branches.
type matrixQuery struct {
	dep, ind         string
	repoRE, branchRE *regexp.Regexp
}

func parseMatrixQuery(q url.Values) (matrixQuery, error) {
	mq := matrixQuery{dep: q.Get("dependency"), ind: q.Get("indicator")}
	if (mq.dep == "") == (mq.ind == "") {
		return mq, badRequest("give dependency=NAME or indicator=NAME")
	}
	for _, p := range []struct {
		name string
		dst  **regexp.Regexp
	}{{"repo", &mq.repoRE}, {"branch", &mq.branchRE}} {
		if v := q.Get(p.name); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				return mq, badRequest(p.name + ": " + err.Error())
			}
			*p.dst = re
		}
	}
	return mq, nil
}

// versionMatrix reads the branches mq chooses and the versions on each.
func (s *Server) versionMatrix(ctx context.Context, mq matrixQuery) (*matrixResponse, error) {
	branches, err := s.idx.Branches(ctx)
	if err != nil {
		return nil, &stepError{"list branches", err}
	}
	var keys []indexer.BranchKey
	byKey := map[indexer.BranchKey]indexer.Branch{}
	for _, b := range branches {
		if (mq.repoRE == nil || mq.repoRE.MatchString(b.Repo)) && (mq.branchRE == nil || mq.branchRE.MatchString(b.Name)) {
			keys = append(keys, b.Key())
			byKey[b.Key()] = b
		}
	}
	var resp *matrixResponse
	var versions map[indexer.BranchKey]map[string]bool
	if mq.dep != "" {
		resp = &matrixResponse{Kind: "dependency", Name: mq.dep}
		versions, err = s.dependencyVersions(ctx, mq.dep, keys)
	} else {
		resp = &matrixResponse{Kind: "indicator", Name: mq.ind}
		versions, err = s.indicatorValues(ctx, mq.ind, byKey)
	}
	if err != nil {
		return nil, err
	}
	resp.Rows = matrixRows(keys, byKey, versions)
	return resp, nil
}

// dependencyVersions are the versions of the dependency dep on each of
// the branches: as resolved, else as declared, else "(no version)".
func (s *Server) dependencyVersions(ctx context.Context, dep string, keys []indexer.BranchKey) (map[indexer.BranchKey]map[string]bool, error) {
	f, err := deps.ParseTarget(dep, "")
	if err != nil {
		return nil, &stepError{"version matrix", badRequest("dependency: " + err.Error())}
	}
	versions := map[indexer.BranchKey]map[string]bool{}
	err = s.idx.Deps(ctx, indexer.DepQuery{Names: f.Names, Ecosystem: f.Ecosystem, Branches: keys}, func(d indexer.Dependency) error {
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
		return nil, &stepError{"read dependencies", err}
	}
	return versions, nil
}

// indicatorValues are the values of the indicator ind on the branches of
// byKey that have one.
func (s *Server) indicatorValues(ctx context.Context, ind string, byKey map[indexer.BranchKey]indexer.Branch) (map[indexer.BranchKey]map[string]bool, error) {
	if s.indicators == nil {
		return nil, &stepError{"version matrix", badRequest("this server computes no indicators")}
	}
	v, err := s.indicators(ctx)
	if err != nil {
		return nil, &stepError{"compute indicators", err}
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
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &docs)
	}
	if err != nil {
		return nil, &stepError{"read indicators", err}
	}
	versions := map[indexer.BranchKey]map[string]bool{}
	for _, d := range docs.Documents {
		k := indexer.BranchKey{Repo: d.FullName, Name: d.BranchName}
		if val, ok := d.Indicators[ind]; ok {
			if _, in := byKey[k]; in {
				versions[k] = map[string]bool{val: true}
			}
		}
	}
	return versions, nil
}

// matrixRows groups the branches by repository, in order of repository,
// each repository's default branch first and then the others by name.
func matrixRows(keys []indexer.BranchKey, byKey map[indexer.BranchKey]indexer.Branch, versions map[indexer.BranchKey]map[string]bool) []matrixRow {
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
	out := []matrixRow{}
	for _, row := range rows {
		sort.Slice(row.Branches, func(i, j int) bool {
			a, b := row.Branches[i], row.Branches[j]
			if a.Default != b.Default {
				return a.Default
			}
			return a.Branch < b.Branch
		})
		out = append(out, *row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Repo < out[j].Repo })
	return out
}
