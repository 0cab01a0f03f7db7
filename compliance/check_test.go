package compliance

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
)

func TestSelectRules(t *testing.T) {
	cfg, err := config.Parse([]byte(rulesYAML), filepath.Join(t.TempDir(), "trawl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := SelectRules(cfg, nil)
	if err != nil || len(all) != len(cfg.Rules) {
		t.Fatalf("no ids: %d rules, %v; want all %d", len(all), err, len(cfg.Rules))
	}
	// The configuration's order, whatever the order of the ids.
	got, err := SelectRules(cfg, []string{"vulnerable", "codeowners", "vulnerable"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if want := []string{"codeowners", "vulnerable"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("selected %v, want %v", ids, want)
	}
	_, err = SelectRules(cfg, []string{"codeowners", "nope"})
	if err == nil || !strings.Contains(err.Error(), `--rule "nope" is not a rule of `+cfg.Path) || !strings.Contains(err.Error(), "(rules: codeowners, no-private-keys, log4shell,") {
		t.Errorf("unknown rule: err = %v", err)
	}
}

func TestFailingRulesAndText(t *testing.T) {
	rep := &Report{Rules: []RuleReport{
		{ID: "license", Severity: "info", Status: Fail, Title: "has a license", BranchesChecked: 2, BranchesFailing: 1,
			Failing: []Failing{{Repo: "acme/web", Branch: "main", Evidence: []Evidence{}}}},
		{ID: "log4shell", Severity: "error", Status: Fail, BranchesChecked: 3, BranchesFailing: 1,
			Failing: []Failing{{Repo: "acme/api", Branch: "main", EvidenceOmitted: 4, Evidence: []Evidence{
				{Path: "pom.xml", Line: 5, Text: "log4j-core 2.14.1", Advisory: "GHSA-jfh8", Fixed: "2.15.0"},
				{Path: "gradle.lockfile", Text: "log4j-core 2.14.0"},
			}}}},
		{ID: "owners", Severity: "warning", Status: Error, Error: "query timed out", BranchesChecked: 1},
		{ID: "keys", Severity: "error", Status: Pass, BranchesChecked: 3},
	}}
	for _, tc := range []struct {
		failOn string
		want   []string
	}{{"error", []string{"log4shell"}}, {"warning", []string{"log4shell", "owners"}}, {"info", []string{"license", "log4shell", "owners"}}} {
		if got := rep.FailingRules(tc.failOn); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FailingRules(%s) = %v, want %v", tc.failOn, got, tc.want)
		}
		if !rep.Failed(tc.failOn) {
			t.Errorf("Failed(%s) = false", tc.failOn)
		}
	}
	if (&Report{Rules: rep.Rules[3:]}).Failed("info") {
		t.Error("a passing report fails the gate")
	}

	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `RULE       SEVERITY  STATUS  CHECKED  FAILING  TITLE
license    info      fail    2        1        has a license
log4shell  error     fail    3        1        
owners     warning   error   1        0        
keys       error     pass    3        0        

license (fail):
  acme/web@main

log4shell (fail):
  acme/api@main:pom.xml:5: log4j-core 2.14.1 GHSA-jfh8 (fixed in 2.15.0)
  acme/api@main:gradle.lockfile: log4j-core 2.14.0
  acme/api@main: 4 more not shown

owners (error):
  error: query timed out
`
	if b.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestEvaluateReadOnly: trawl check reuses what trawl serve stored and
// stores nothing itself.
func TestEvaluateReadOnly(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	e := &Evaluator{Index: o.idx, Indicators: o.cfg.Indicators, OSV: osvDB(t)}
	ev, err := e.EvaluateReadOnly(ctx, o.cfg.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Evaluated == 0 || len(ev.Results) != ev.Evaluated {
		t.Fatalf("nothing stored yet: evaluated %d of %d results, want all", ev.Evaluated, len(ev.Results))
	}
	if _, hist, err := Stored(ctx, o.idx, time.Time{}); err != nil || len(hist) != 0 {
		t.Fatalf("a read-only evaluation stored %d history points (%v)", len(hist), err)
	}
	if _, err := e.EvaluateStored(ctx, o.cfg.Rules, 0); err != nil {
		t.Fatal(err)
	}
	again, err := e.EvaluateReadOnly(ctx, o.cfg.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if again.Evaluated != 0 || len(again.Results) != len(ev.Results) {
		t.Errorf("after a stored evaluation: evaluated %d of %d, want every result reused", again.Evaluated, len(again.Results))
	}
}
