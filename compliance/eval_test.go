package compliance

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xeipuuv/gojsonschema"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/osv"
)

// osvDB imports a small OSV archive, in the OSV schema, holding advisories
// for log4j-core and lodash.
func osvDB(t *testing.T) *osv.DB {
	t.Helper()
	dir := t.TempDir()
	name := filepath.Join(dir, "all.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, body := range map[string]string{
		"GHSA-jfh8-c2jp-5v3q.json": `{"id": "GHSA-jfh8-c2jp-5v3q", "summary": "Remote code injection in Log4j",
		  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
		    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}`,
		"GHSA-p6mc-m468-83gw.json": `{"id": "GHSA-p6mc-m468-83gw", "summary": "Prototype Pollution in lodash",
		  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
		    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.19"}]}]}]}`,
	} {
		w, _ := zw.Create(n)
		w.Write([]byte(body))
	}
	zw.Close()
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := (osv.Importer{DataDir: dir}).Import(ctx, name); err != nil {
		t.Fatal(err)
	}
	db, err := osv.Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func k3(rule, repo, branch string) Key { return Key{Rule: rule, Repo: repo, Branch: branch} }

func byKey(results []Result) map[Key]Result {
	m := map[Key]Result{}
	for _, r := range results {
		m[r.Key()] = r
	}
	return m
}

// status returns "repo@branch=status" of every result of a rule.
func statuses(results []Result, rule string) []string {
	var out []string
	for _, r := range results {
		if r.Rule == rule {
			out = append(out, r.Repo+"@"+r.Branch+"="+string(r.Status))
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	clock := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	e := &Evaluator{Index: o.idx, Indicators: o.cfg.Indicators, OSV: osvDB(t), Now: func() time.Time { return clock }}
	ev, err := e.Evaluate(ctx, o.cfg.Rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Evaluated != len(ev.Results) {
		t.Errorf("first evaluation: %d evaluated of %d", ev.Evaluated, len(ev.Results))
	}
	want := map[string][]string{
		"codeowners":         {"acme/api@main=pass", "acme/web@main=fail"},
		"no-private-keys":    {"acme/api@main=pass", "acme/api@release/1.2=fail", "acme/web@main=pass"},
		"log4shell":          {"acme/api@main=fail", "acme/api@release/1.2=pass", "acme/web@main=pass"},
		"no-plain-passwords": {"acme/api@main=fail", "acme/api@release/1.2=pass", "acme/web@main=pass"},
		"has-license":        {"acme/api@main=pass", "acme/api@release/1.2=pass"},
		"boot-3-2":           {"acme/api@main=fail", "acme/api@release/1.2=pass", "acme/web@main=n/a"},
		"vulnerable":         {"acme/api@main=fail", "acme/api@release/1.2=pass", "acme/web@main=fail"},
	}
	for rule, w := range want {
		if got := statuses(ev.Results, rule); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: %q, want %q", rule, got, w)
		}
	}

	res := byKey(ev.Results)
	mainHead := o.head("acme/api", "main")
	relHead := o.head("acme/api", "release/1.2")
	checkEvidence := func(k Key, want ...Evidence) {
		t.Helper()
		got := res[k].Evidence
		if len(want) == 0 && got != nil && len(got) == 0 {
			return // an empty list, never null in JSON
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v evidence:\n got %+v\nwant %+v", k, got, want)
		}
	}
	checkEvidence(k3("no-private-keys", "acme/api", "release/1.2"),
		Evidence{Path: "deploy/id_rsa", URL: "https://git.example.com/acme/api/blob/" + relHead + "/deploy/id_rsa"})
	checkEvidence(k3("log4shell", "acme/api", "main"),
		Evidence{Path: "pom.xml", Line: 5, Text: "org.apache.logging.log4j:log4j-core 2.14.1", URL: "https://git.example.com/acme/api/blob/" + mainHead + "/pom.xml#L5"})
	checkEvidence(k3("no-plain-passwords", "acme/api", "main"),
		Evidence{Path: "src/main/resources/application.properties", Line: 2, Text: "db.password = hunter2",
			URL: "https://git.example.com/acme/api/blob/" + mainHead + "/src/main/resources/application.properties#L2"})
	checkEvidence(k3("codeowners", "acme/web", "main"))
	checkEvidence(k3("boot-3-2", "acme/api", "main"),
		Evidence{Path: "pom.xml", Text: "springBootVersion = 3.1.0: outside >= 3.2", URL: "https://git.example.com/acme/api/blob/" + mainHead + "/pom.xml"})
	checkEvidence(k3("vulnerable", "acme/api", "main"),
		Evidence{Path: "pom.xml", Line: 5, Text: "org.apache.logging.log4j:log4j-core 2.14.1", URL: "https://git.example.com/acme/api/blob/" + mainHead + "/pom.xml#L5",
			Advisory: "GHSA-jfh8-c2jp-5v3q", Summary: "Remote code injection in Log4j", Fixed: "2.15.0"})
	if ev := res[k3("vulnerable", "acme/web", "main")].Evidence; len(ev) == 0 || ev[0].Advisory != "GHSA-p6mc-m468-83gw" || ev[0].Fixed != "4.17.19" || ev[0].Path != "package-lock.json" && ev[0].Path != "package.json" {
		t.Errorf("lodash evidence %+v", ev)
	}
	for _, r := range ev.Results {
		if !r.Since.Equal(clock) || r.Commit != o.head(r.Repo, r.Branch) {
			t.Errorf("%v: since %v commit %s", r.Key(), r.Since, r.Commit)
		}
	}

	// Nothing changed: nothing is evaluated again.
	clock = clock.Add(time.Hour)
	ev2, err := e.Evaluate(ctx, o.cfg.Rules, res)
	if err != nil {
		t.Fatal(err)
	}
	if ev2.Evaluated != 0 || !reflect.DeepEqual(ev2.Results, ev.Results) {
		t.Errorf("unchanged index: %d evaluated, results equal: %v", ev2.Evaluated, reflect.DeepEqual(ev2.Results, ev.Results))
	}

	// A push to release/1.2 re-evaluates that branch only, for the rules
	// whose scope holds it (codeowners checks default branches only).
	o.api.Checkout("release/1.2")
	o.api.Commit("remove the key", map[string]string{"deploy/id_rsa!": ""})
	o.api.Checkout("main")
	o.crawl()
	clock = clock.Add(time.Hour)
	ev3, err := e.Evaluate(ctx, o.cfg.Rules, byKey(ev2.Results))
	if err != nil {
		t.Fatal(err)
	}
	if ev3.Evaluated != 6 {
		t.Errorf("after a push to one branch: %d evaluated, want 6", ev3.Evaluated)
	}
	res3 := byKey(ev3.Results)
	k := k3("no-private-keys", "acme/api", "release/1.2")
	if r := res3[k]; r.Status != Pass || !r.Since.Equal(clock) || r.Commit == relHead {
		t.Errorf("recovered branch: %+v", r)
	}
	// A branch still failing keeps its failing-since time.
	if r := res3[k3("log4shell", "acme/api", "main")]; !r.Since.Equal(clock.Add(-2 * time.Hour)) {
		t.Errorf("log4shell on main failing since %v, want the first evaluation", r.Since)
	}

	// A changed rule is evaluated again everywhere in its scope.
	rules := append([]config.Rule{}, o.cfg.Rules...)
	rules[2].ForbidDependency = &config.DependencyCheck{Name: "org.apache.logging.log4j:log4j-core", Version: "<2.18"}
	ev4, err := e.Evaluate(ctx, rules, res3)
	if err != nil {
		t.Fatal(err)
	}
	if ev4.Evaluated != 3 {
		t.Errorf("after changing one rule: %d evaluated, want its 3 branches", ev4.Evaluated)
	}
	if got := statuses(ev4.Results, "log4shell"); !reflect.DeepEqual(got, []string{"acme/api@main=fail", "acme/api@release/1.2=fail", "acme/web@main=pass"}) {
		t.Errorf("changed log4shell: %q", got)
	}
}

func TestEvaluateErrorsAreNeverPasses(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	// No advisories, and a query that cannot finish in a nanosecond.
	e := &Evaluator{Index: o.idx, Indicators: o.cfg.Indicators, Timeout: time.Nanosecond}
	ev, err := e.Evaluate(ctx, o.cfg.Rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(o.cfg.Rules, ev.At, ev.Results)
	for _, r := range rep.Rules {
		switch r.ID {
		case "vulnerable":
			if r.Status != Error || !strings.Contains(r.Error, "no OSV advisories imported") || r.BranchesError != 3 {
				t.Errorf("vulnerable without a database: %+v", r)
			}
		case "no-plain-passwords", "has-license":
			if r.Status != Error || !strings.Contains(r.Error, "did not finish within 1ns") {
				t.Errorf("%s with a timed-out query: %+v", r.ID, r)
			}
		}
	}
	if !rep.Failed("error") {
		t.Error("an erroring error-severity rule does not fail the gate")
	}
	// An error is never reused: the next evaluation tries again.
	e.Timeout, e.OSV = 0, osvDB(t)
	ev2, err := e.Evaluate(ctx, o.cfg.Rules, byKey(ev.Results))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(ev2.Results, "has-license"); !reflect.DeepEqual(got, []string{"acme/api@main=pass", "acme/api@release/1.2=pass"}) {
		t.Errorf("has-license after the error: %q", got)
	}
	if ev2.Evaluated != 3+2+3 {
		t.Errorf("%d evaluated after errors, want the 8 erroring (rule, branch) pairs", ev2.Evaluated)
	}
}

func TestEvidenceLimit(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	var b strings.Builder
	for i := 0; i < MaxEvidence+7; i++ {
		b.WriteString("password: x\n")
	}
	o.api.Commit("many", map[string]string{"conf/a.yml": b.String()})
	o.crawl()
	e := &Evaluator{Index: o.idx}
	ev, err := e.Evaluate(ctx, o.cfg.Rules[3:4], nil)
	if err != nil {
		t.Fatal(err)
	}
	r := byKey(ev.Results)[k3("no-plain-passwords", "acme/api", "main")]
	if len(r.Evidence) != MaxEvidence || r.EvidenceOmitted != 8 {
		t.Errorf("%d evidence, %d omitted; want %d and 8", len(r.Evidence), r.EvidenceOmitted, MaxEvidence)
	}
}

func TestReportOutputs(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	e := &Evaluator{Index: o.idx, Indicators: o.cfg.Indicators, OSV: osvDB(t)}
	ev, err := e.Evaluate(ctx, o.cfg.Rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(o.cfg.Rules, ev.At, ev.Results)

	// JSON: DESIGN.md §8's keys.
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		EvaluatedAt string `json:"evaluated_at"`
		Rules       []struct {
			ID, Title, Severity string
			BranchesChecked     int `json:"branches_checked"`
			BranchesFailing     int `json:"branches_failing"`
			Failing             []struct {
				Repo, Branch, Commit string
				Evidence             []map[string]any
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.EvaluatedAt == "" || len(doc.Rules) != 7 {
		t.Fatalf("report: %s", buf.String())
	}
	l := doc.Rules[2]
	if l.ID != "log4shell" || l.Severity != "error" || l.BranchesChecked != 3 || l.BranchesFailing != 1 ||
		l.Failing[0].Repo != "acme/api" || l.Failing[0].Branch != "main" || l.Failing[0].Commit != o.head("acme/api", "main") {
		t.Errorf("log4shell: %+v", l)
	}
	if ev := l.Failing[0].Evidence[0]; ev["path"] != "pom.xml" || ev["line"] != 5.0 || ev["text"] == "" || ev["url"] == "" {
		t.Errorf("evidence keys: %v", ev)
	}
	if c := doc.Rules[0]; c.BranchesChecked != 2 || c.Failing[0].Evidence == nil {
		t.Errorf("require_file evidence must be [] not null: %+v", c)
	}
	if b := doc.Rules[5]; b.BranchesChecked != 2 {
		t.Errorf("indicator rule counts %d branches, want 2 (web has no pom.xml)", b.BranchesChecked)
	}

	// Gate.
	if !rep.Failed("error") || !rep.Failed("info") {
		t.Error("failing error rules do not fail the gate")
	}
	pass := NewReport(o.cfg.Rules[4:5], ev.At, ev.Results) // has-license, info, passing
	if pass.Failed("info") {
		t.Error("a passing rule fails the gate")
	}
	codeowners := NewReport(o.cfg.Rules[0:1], ev.At, ev.Results) // warning, failing
	if codeowners.Failed("error") || !codeowners.Failed("warning") {
		t.Error("--fail-on does not compare severities")
	}

	// CSV.
	buf.Reset()
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], CSVHeader) {
		t.Errorf("header %q", rows[0])
	}
	found := false
	for _, r := range rows[1:] {
		if r[0] == "vulnerable" && r[3] == "acme/api" && r[11] == "GHSA-jfh8-c2jp-5v3q" && r[12] == "2.15.0" && r[8] == "5" {
			found = true
		}
	}
	if !found {
		t.Errorf("no CSV row for the log4j advisory:\n%q", rows)
	}

	// SARIF against the official 2.1.0 schema (OASIS errata 01), kept in
	// testdata so that the test needs no network.
	buf.Reset()
	if err := rep.WriteSARIF(&buf); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	json.Unmarshal(buf.Bytes(), &sarif)
	found = false
	for _, r := range sarif.Runs[0].Results {
		if r.RuleID == "log4shell" && r.Level == "error" && r.Locations[0].PhysicalLocation.Region.StartLine == 5 &&
			strings.HasSuffix(r.Locations[0].PhysicalLocation.ArtifactLocation.URI, "/pom.xml#L5") {
			found = true
		}
	}
	if !found {
		t.Errorf("no SARIF result for log4shell:\n%s", buf.String())
	}

	// An erroring rule is still valid SARIF, with a notification.
	errRep := NewReport(o.cfg.Rules, ev.At, []Result{{Rule: "vulnerable", Repo: "acme/api", Branch: "main", Status: Error, Error: "boom"}})
	buf.Reset()
	errRep.WriteSARIF(&buf)
	validateSARIF(t, buf.Bytes())
	if !strings.Contains(buf.String(), `"executionSuccessful": false`) || !strings.Contains(buf.String(), "boom") {
		t.Errorf("SARIF of an erroring rule:\n%s", buf.String())
	}
}

func validateSARIF(t *testing.T, doc []byte) {
	t.Helper()
	// The official schema is not kept in this repository: the npm package
	// @microsoft/jest-sarif ships it, and scripts/sarif-schema.sh (run by
	// .ci/run) fetches it and prints its path.
	path := os.Getenv("TRAWL_SARIF_SCHEMA")
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TRAWL_SARIF_SCHEMA is unset: .ci/run sets it from scripts/sarif-schema.sh")
		}
		t.Log("SARIF not validated: set TRAWL_SARIF_SCHEMA=$(bash scripts/sarif-schema.sh)")
		return
	}
	schema, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("SARIF schema: %s", e)
	}
	// The validator must be able to fail.
	bad, _ := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader([]byte(`{"version": "2.1.0", "runs": [{"tool": {}}]}`)))
	if bad.Valid() {
		t.Fatal("the SARIF schema accepts a run without a driver")
	}
}
