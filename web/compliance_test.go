package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

const complianceRules = `sources:
  - dir: /unused
rules:
  - id: old-bleve
    title: Bleve 2.6 or later
    severity: error
    forbid_dependency: {name: github.com/blevesearch/bleve/v2, version: '<v2.6.0'}
  - id: readme
    title: Every repository has a README
    severity: warning
    branches: default
    require_file: [README.md]
  - id: few-replicas
    title: At most 3 replicas
    severity: info
    forbid_match: '/replicas: [4-9]/ file:values\.yaml$'
`

// complianceIndex is generatedOrg with its dependencies and two stored
// evaluations of complianceRules a day apart.
func complianceIndex(t *testing.T) indexer.Index {
	t.Helper()
	org := generatedOrg()
	idx := openIndex(t, org)
	putDeps(t, idx, orgDeps(org))
	cfg, err := config.Parse([]byte(complianceRules), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now().Add(-24 * time.Hour).UTC()
	e := &compliance.Evaluator{Index: idx, Now: func() time.Time { return clock }}
	// The first evaluation knows one rule only, so the trend of the others
	// starts later.
	if _, err := e.EvaluateStored(context.Background(), cfg.Rules[:1], 0); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(23 * time.Hour)
	if _, err := e.EvaluateStored(context.Background(), cfg.Rules, 0); err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestComplianceAPI(t *testing.T) {
	idx := complianceIndex(t)
	srv := serve(t, idx, Options{})

	resp := get(t, srv, "/api/compliance?history=yes", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var rep struct {
		EvaluatedAt string `json:"evaluated_at"`
		Rules       []struct {
			ID, Severity, Status, Kind string
			BranchesChecked            int `json:"branches_checked"`
			BranchesFailing            int `json:"branches_failing"`
			Failing                    []struct {
				Repo, Branch, Commit string
				Evidence             []struct {
					Path, Text, URL string
					Line            int
				}
			}
		}
		History []struct {
			At     string
			Counts []struct {
				Rule    string
				Failing int
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rules) != 3 || len(rep.History) != 2 || len(rep.History[0].Counts) != 1 || len(rep.History[1].Counts) != 3 {
		t.Fatalf("report %+v", rep)
	}
	old := rep.Rules[0]
	// develop (4), release/2.0 (2) and acme/infra's main: 7 of 10.
	if old.ID != "old-bleve" || old.Kind != "forbid_dependency" || old.BranchesChecked != 10 || old.BranchesFailing != 7 || old.Status != "fail" {
		t.Errorf("old-bleve %+v", old)
	}
	f := old.Failing[0]
	if f.Repo != "acme/api" || f.Branch != "develop" || f.Evidence[0].Path != "go.mod" || f.Evidence[0].Line != 5 ||
		f.Evidence[0].URL != "https://github.com/acme/api/blob/"+commitID("acme/api", "develop")+"/go.mod#L5" {
		t.Errorf("first failing %+v", f)
	}
	readme := rep.Rules[1]
	if readme.BranchesChecked != 4 || readme.BranchesFailing != 2 || readme.Failing[0].Repo != "acme/billing" || readme.Failing[1].Repo != "acme/web" {
		t.Errorf("readme %+v", readme)
	}
	if rp := rep.Rules[2]; rp.BranchesFailing != 5 || rp.Failing[0].Evidence[0].Text != "replicas: 4" {
		t.Errorf("few-replicas %+v", rp)
	}

	resp = get(t, srv, "/api/compliance?format=csv&rule=readme", "")
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %v %s", err, resp.Header.Get("Content-Type"))
	}
	if len(rows) != 3 || rows[1][0] != "readme" || rows[1][3] != "acme/billing" || rows[2][3] != "acme/web" {
		t.Errorf("csv rows %q", rows)
	}
	for path, code := range map[string]int{
		"/api/compliance?rule=nope":     http.StatusNotFound,
		"/api/compliance?format=xml":    http.StatusBadRequest,
		"/api/compliance?history=never": http.StatusBadRequest,
	} {
		if r := get(t, srv, path, ""); r.StatusCode != code {
			t.Errorf("%s: status %d, want %d", path, r.StatusCode, code)
		}
	}

	resp = get(t, srv, "/api/compliance/matrix?dependency="+bleveModule+"&repo=infra", "")
	var m struct {
		Kind  string
		Repos []struct {
			Repo     string
			Branches []struct {
				Branch, Commit string
				Default        bool
				Versions       []string
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m.Repos) != 1 || m.Repos[0].Repo != "acme/infra" {
		t.Fatalf("matrix %+v", m)
	}
	bs := m.Repos[0].Branches
	// Default branch first, then by name; infra has main and develop.
	if len(bs) != 2 || bs[0].Branch != "main" || !bs[0].Default || bs[0].Versions[0] != "v2.4.4" || bs[1].Versions[0] != "v2.5.0" ||
		bs[0].Commit != commitID("acme/infra", "main") {
		t.Errorf("infra branches %+v", bs)
	}
	if r := get(t, srv, "/api/compliance/matrix", ""); r.StatusCode != http.StatusBadRequest {
		t.Errorf("matrix without a name: %d", r.StatusCode)
	}

	// An index never evaluated answers an empty report.
	empty := serve(t, openIndex(t, generatedOrg()[:1]), Options{})
	resp = get(t, empty, "/api/compliance", "")
	var e struct{ Rules []any }
	if json.NewDecoder(resp.Body).Decode(&e); resp.StatusCode != http.StatusOK || e.Rules == nil || len(e.Rules) != 0 {
		t.Errorf("empty index: %d %+v", resp.StatusCode, e)
	}
}

// The indicator matrix reads the indicators' documents back by their JSON
// names: a branch the index holds shows its value, one without the
// indicator shows none, and a document of a branch the index does not
// hold is left out.
func TestMatrixIndicator(t *testing.T) {
	type doc struct {
		FullName   string            `json:"fullName"`
		BranchName string            `json:"branchName"`
		Indicators map[string]string `json:"indicators"`
	}
	indicators := func(context.Context) (any, error) {
		return map[string]any{"documents": []doc{
			{"acme/infra", "main", map[string]string{"java": "17"}},
			{"acme/infra", "develop", map[string]string{"go": "1.24"}},
			{"acme/infra", "gone", map[string]string{"java": "8"}},
		}}, nil
	}
	srv := serve(t, openIndex(t, generatedOrg()), Options{Indicators: indicators})
	resp := get(t, srv, "/api/compliance/matrix?indicator=java&repo=infra", "")
	var m matrixResponse
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != "indicator" || m.Name != "java" || len(m.Rows) != 1 || len(m.Rows[0].Branches) != 2 {
		t.Fatalf("matrix %+v", m)
	}
	main, develop := m.Rows[0].Branches[0], m.Rows[0].Branches[1]
	if main.Branch != "main" || len(main.Versions) != 1 || main.Versions[0] != "17" ||
		develop.Branch != "develop" || len(develop.Versions) != 0 {
		t.Errorf("infra branches %+v", m.Rows[0].Branches)
	}

	// Indicators that do not encode as JSON are an internal error.
	bad := serve(t, openIndex(t, generatedOrg()[:1]), Options{Indicators: func(context.Context) (any, error) { return func() {}, nil }})
	if r := get(t, bad, "/api/compliance/matrix?indicator=java", ""); r.StatusCode != http.StatusInternalServerError {
		t.Errorf("unencodable indicators: status %d, want 500", r.StatusCode)
	}
	none := serve(t, openIndex(t, generatedOrg()[:1]), Options{})
	if r := get(t, none, "/api/compliance/matrix?indicator=java", ""); r.StatusCode != http.StatusBadRequest {
		t.Errorf("a server without indicators: status %d, want 400", r.StatusCode)
	}
}
