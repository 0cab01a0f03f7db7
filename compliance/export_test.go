package compliance

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/trawl-dev/trawl/internal/estest"
)

// savedObject is a line of the Kibana saved-objects file.
type savedObject struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Title         string `json:"title"`
		VisState      string `json:"visState"`
		PanelsJSON    string `json:"panelsJSON"`
		TimeFieldName string `json:"timeFieldName"`
		Meta          struct {
			SearchSourceJSON string `json:"searchSourceJSON"`
		} `json:"kibanaSavedObjectMeta"`
	} `json:"attributes"`
	References []struct{ Name, Type, ID string } `json:"references"`
}

func readSavedObjects(t *testing.T) map[string]savedObject {
	t.Helper()
	f, err := os.Open("../examples/kibana/trawl-compliance.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs := map[string]savedObject{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o savedObject
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("saved object %q: %v", sc.Text(), err)
		}
		objs[o.ID] = o
	}
	return objs
}

var kql = regexp.MustCompile(`^([a-z_.@]+):([a-z]+)$`)

// TestExportAndDashboard exports a real evaluation into the Elasticsearch
// at TRAWL_ES_URL and runs each visualization of the Kibana dashboard as
// Kibana would: its query, its aggregations on its fields.
func TestExportAndDashboard(t *testing.T) {
	objs := readSavedObjects(t)
	dash, ok := objs["trawl-compliance"]
	if !ok || dash.Type != "dashboard" {
		t.Fatal("no dashboard trawl-compliance")
	}
	for _, r := range dash.References {
		if _, ok := objs[r.ID]; !ok || objs[r.ID].Type != r.Type {
			t.Errorf("dashboard panel %s refers to missing %s %s", r.Name, r.Type, r.ID)
		}
	}
	if ip := objs["trawl-compliance"]; ip.Type == "" {
		t.Fatal("no index pattern")
	}

	url := os.Getenv("TRAWL_ES_URL")
	if url == "" {
		t.Skip("set TRAWL_ES_URL to run the export against Elasticsearch")
	}
	ctx := context.Background()
	// The indices go with estest's cleanup (Elasticsearch 8 refuses a
	// wildcard delete), the template with this one.
	es := ES{URL: url, Prefix: estest.Prefix(t)}
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, url+"/_index_template/"+es.Prefix, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})

	o := newOrg(t)
	e := &Evaluator{Index: o.idx, Indicators: o.cfg.Indicators, OSV: osvDB(t)}
	ev, err := e.Evaluate(ctx, o.cfg.Rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(o.cfg.Rules, ev.At, ev.Results)
	docs := Docs(rep.Rules, ev.At, ev.Results)
	if err := es.Export(ctx, ev.At, docs); err != nil {
		t.Fatal(err)
	}
	// A second export of the same evaluation replaces, never duplicates.
	if err := es.Export(ctx, ev.At, docs); err != nil {
		t.Fatal(err)
	}

	search := func(body any) map[string]any {
		t.Helper()
		var out map[string]any
		b, _ := json.Marshal(body)
		if err := es.do(ctx, http.MethodPost, "/"+es.Prefix+"-*/_search", "application/json", b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	total := search(map[string]any{"size": 0, "track_total_hits": true})["hits"].(map[string]any)["total"].(map[string]any)["value"].(float64)
	if int(total) != len(docs) || len(docs) != 18 {
		t.Errorf("%v documents in the index, %d exported, want 18 (every applicable rule × branch)", total, len(docs))
	}

	// Expected from the report: failing branches per rule, per repo.
	wantByRule := map[string]int{}
	wantByRepo := map[string]int{}
	for _, r := range rep.Rules {
		if r.BranchesFailing > 0 {
			wantByRule[r.ID] = r.BranchesFailing
		}
		for _, f := range r.Failing {
			wantByRepo[f.Repo]++
		}
	}
	checked := 0
	for _, obj := range objs {
		if obj.Type != "visualization" {
			continue
		}
		var vs struct {
			Aggs []struct {
				ID, Type, Schema string
				Params           map[string]any
			}
		}
		if err := json.Unmarshal([]byte(obj.Attributes.VisState), &vs); err != nil {
			t.Fatalf("%s: visState: %v", obj.ID, err)
		}
		var src struct {
			Query struct{ Query, Language string }
		}
		json.Unmarshal([]byte(obj.Attributes.Meta.SearchSourceJSON), &src)
		m := kql.FindStringSubmatch(src.Query.Query)
		if m == nil || src.Query.Language != "kuery" {
			t.Fatalf("%s: query %q is not the field:value this test can run", obj.ID, src.Query.Query)
		}
		// Nest the bucket aggregations in order, as Kibana does.
		var aggs, inner map[string]any
		for _, a := range vs.Aggs {
			var agg map[string]any
			switch a.Type {
			case "count":
				continue
			case "terms":
				agg = map[string]any{"terms": map[string]any{"field": a.Params["field"], "size": a.Params["size"]}}
			case "date_histogram":
				agg = map[string]any{"date_histogram": map[string]any{"field": a.Params["field"], "calendar_interval": "1d", "min_doc_count": 1}}
			default:
				t.Fatalf("%s: aggregation %s not covered by this test", obj.ID, a.Type)
			}
			if aggs == nil {
				aggs = map[string]any{a.ID: agg}
			} else {
				inner["aggs"] = map[string]any{a.ID: agg}
			}
			inner = agg
		}
		res := search(map[string]any{"size": 0, "query": map[string]any{"term": map[string]any{m[1]: m[2]}}, "aggs": aggs})
		first := vs.Aggs[1].ID
		buckets := res["aggregations"].(map[string]any)[first].(map[string]any)["buckets"].([]any)
		got := map[string]int{}
		for _, bk := range buckets {
			bm := bk.(map[string]any)
			got[fmt.Sprint(bm["key"])] = int(bm["doc_count"].(float64))
		}
		switch obj.ID {
		case "trawl-compliance-failing-by-rule":
			if !equalCounts(got, wantByRule) {
				t.Errorf("%s: %v, want %v", obj.ID, got, wantByRule)
			}
		case "trawl-compliance-failing-by-repo":
			if !equalCounts(got, wantByRepo) {
				t.Errorf("%s: %v, want %v", obj.ID, got, wantByRepo)
			}
		case "trawl-compliance-errors":
			if len(got) != 0 {
				t.Errorf("%s: %v, want none", obj.ID, got)
			}
		case "trawl-compliance-trend":
			n := 0
			for _, c := range wantByRule {
				n += c
			}
			if len(got) != 1 || sum(got) != n {
				t.Errorf("%s: %v, want one day with %d failing branches", obj.ID, got, n)
			}
		default:
			t.Errorf("visualization %s is not checked by this test", obj.ID)
		}
		checked++
	}
	if checked != 4 {
		t.Errorf("%d visualizations checked, want 4", checked)
	}

	// Evidence is searchable for the saved search's columns.
	res := search(map[string]any{"query": map[string]any{"bool": map[string]any{"filter": []any{
		map[string]any{"term": map[string]any{"evidence.advisory": "GHSA-jfh8-c2jp-5v3q"}},
		map[string]any{"term": map[string]any{"status": "fail"}}}}}})
	hits := res["hits"].(map[string]any)["hits"].([]any)
	if len(hits) != 1 {
		t.Fatalf("advisory search: %d hits", len(hits))
	}
	var doc ExportDoc
	raw, _ := json.Marshal(hits[0].(map[string]any)["_source"])
	json.Unmarshal(raw, &doc)
	if doc.Repo != "acme/api" || doc.Branch != "main" || doc.Evidence[0].Fixed != "2.15.0" || doc.Commit != o.head("acme/api", "main") {
		t.Errorf("exported document %+v", doc)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
