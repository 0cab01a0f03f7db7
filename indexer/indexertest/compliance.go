package indexertest

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// RunCompliance checks a backend's indexer.ComplianceStore: results put,
// replaced, deleted and read back whole; history points read from a time
// on, oldest first, and pruned; everything still there after a reopen.
//
// Each step is a sub-test that builds on what the step before it left in
// the index, so the first step that fails ends the suite.
func RunCompliance(t *testing.T, open Opener) {
	s := newComplianceSuite()
	s.idx = open(t)
	for _, step := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Empty", s.testEmpty},
		{"Put", s.testPut},
		{"ReplaceAndDelete", s.testReplaceAndDelete},
		{"History", s.testHistory},
		{"Prune", s.testPrune},
		{"IncompleteRefused", s.testIncompleteRefused},
	} {
		if !t.Run(step.name, step.fn) {
			return
		}
	}
	// The Opener reopens the same storage for the same t, so the reopen
	// is made with the suite's t, not a step's.
	must(t, s.idx.Close())
	s.idx = open(t)
	t.Run("Reopened", s.testReopened)
}

// complianceSuite is the state RunCompliance's steps share: the index
// and the results they put, replace and delete.
type complianceSuite struct {
	ctx                      context.Context
	idx                      indexer.Index
	t0                       time.Time
	fail, pass, other, fixed indexer.ComplianceResult
}

func newComplianceSuite() *complianceSuite {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	s := &complianceSuite{ctx: context.Background(), t0: t0}
	s.fail = indexer.ComplianceResult{Rule: "log4shell", Fingerprint: "f1", Repo: "acme/api", Branch: "release/1.2", Commit: "c1",
		Status: "fail", EvaluatedAt: t0, Since: t0.Add(-time.Hour),
		Evidence:        []indexer.ComplianceEvidence{{Path: "pom.xml", Line: 42, Text: "<version>2.14.1</version>", URL: "https://x/blob/c1/pom.xml#L42", Advisory: "GHSA-1", Summary: "s", Fixed: "2.15.0"}},
		EvidenceOmitted: 3}
	s.pass = indexer.ComplianceResult{Rule: "codeowners", Fingerprint: "f2", Repo: "acme/api", Branch: "main", Commit: "c2",
		Status: "pass", EvaluatedAt: t0, Since: t0, Evidence: []indexer.ComplianceEvidence{}}
	s.other = indexer.ComplianceResult{Rule: "codeowners", Fingerprint: "f2", Repo: "acme/web", Branch: "main", Commit: "c3",
		Status: "error", Error: "query timed out", EvaluatedAt: t0, Since: t0, Evidence: []indexer.ComplianceEvidence{}}
	s.fixed = s.fail
	s.fixed.Status, s.fixed.Commit, s.fixed.Evidence, s.fixed.EvidenceOmitted = "pass", "c4", []indexer.ComplianceEvidence{}, 0
	return s
}

// results reads every stored result, ordered by rule, repository and
// branch.
func (s *complianceSuite) results(t *testing.T) []indexer.ComplianceResult {
	t.Helper()
	var out []indexer.ComplianceResult
	must(t, s.idx.ComplianceResults(s.ctx, func(r indexer.ComplianceResult) error {
		out = append(out, r)
		return nil
	}))
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		return a.Branch < b.Branch
	})
	return out
}

func (s *complianceSuite) history(t *testing.T, since time.Time) []indexer.ComplianceEvaluation {
	t.Helper()
	var out []indexer.ComplianceEvaluation
	must(t, s.idx.ComplianceHistory(s.ctx, since, func(p indexer.ComplianceEvaluation) error {
		out = append(out, p)
		return nil
	}))
	return out
}

func (s *complianceSuite) latest(t *testing.T) *indexer.ComplianceEvaluation {
	t.Helper()
	p, err := s.idx.ComplianceLatest(s.ctx)
	must(t, err)
	return p
}

// point is a history point of one rule with failing branches.
func point(at time.Time, failing int) *indexer.ComplianceEvaluation {
	return &indexer.ComplianceEvaluation{At: at, Counts: []indexer.ComplianceCount{{Rule: "log4shell", Severity: "error", Checked: 3, Failing: failing}}}
}

func (s *complianceSuite) testEmpty(t *testing.T) {
	if got := s.results(t); len(got) != 0 {
		t.Fatalf("new index holds %d results", len(got))
	}
	if got := s.history(t, time.Time{}); len(got) != 0 {
		t.Fatalf("new index holds %d history points", len(got))
	}
	if p := s.latest(t); p != nil {
		t.Fatalf("new index has a latest point %+v", p)
	}
}

func (s *complianceSuite) testPut(t *testing.T) {
	must(t, s.idx.PutCompliance(s.ctx, &indexer.ComplianceChanges{Put: []indexer.ComplianceResult{s.fail, s.pass, s.other}, History: point(s.t0, 1)}))
	if got, want := s.results(t), []indexer.ComplianceResult{s.pass, s.other, s.fail}; !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %+v\nwant %+v", got, want)
	}
}

// testReplaceAndDelete replaces one result, deletes one, and adds two
// history points.
func (s *complianceSuite) testReplaceAndDelete(t *testing.T) {
	must(t, s.idx.PutCompliance(s.ctx, &indexer.ComplianceChanges{Put: []indexer.ComplianceResult{s.fixed}, Delete: []indexer.ComplianceKey{s.other.Key()}, History: point(s.t0.Add(time.Hour), 0)}))
	must(t, s.idx.PutCompliance(s.ctx, &indexer.ComplianceChanges{History: point(s.t0.Add(2*time.Hour), 2)}))
	if got, want := s.results(t), []indexer.ComplianceResult{s.pass, s.fixed}; !reflect.DeepEqual(got, want) {
		t.Errorf("after replace and delete:\n got %+v\nwant %+v", got, want)
	}
}

// testHistory reads the three points from a time on: the time itself is
// included, to the nanosecond.
func (s *complianceSuite) testHistory(t *testing.T) {
	t0 := s.t0
	hs := s.history(t, time.Time{})
	if len(hs) != 3 || !hs[0].At.Equal(t0) || hs[2].Counts[0].Failing != 2 {
		t.Errorf("history %+v", hs)
	}
	if got := s.history(t, t0.Add(time.Hour)); len(got) != 2 || !got[0].At.Equal(t0.Add(time.Hour)) {
		t.Errorf("history since t0+1h: %+v", got)
	}
	if got := s.history(t, t0.Add(time.Hour+time.Nanosecond)); len(got) != 1 {
		t.Errorf("history since just after t0+1h: %+v", got)
	}
	if p := s.latest(t); p == nil || !p.At.Equal(t0.Add(2*time.Hour)) || p.Counts[0].Failing != 2 {
		t.Errorf("latest %+v", p)
	}
}

// testPrune checks that a prune keeps what is at or after the cut.
func (s *complianceSuite) testPrune(t *testing.T) {
	must(t, s.idx.PutCompliance(s.ctx, &indexer.ComplianceChanges{PruneBefore: s.t0.Add(90 * time.Minute)}))
	if got := s.history(t, time.Time{}); len(got) != 1 || !got[0].At.Equal(s.t0.Add(2*time.Hour)) {
		t.Errorf("after pruning: %+v", got)
	}
}

func (s *complianceSuite) testIncompleteRefused(t *testing.T) {
	if err := s.idx.PutCompliance(s.ctx, &indexer.ComplianceChanges{Put: []indexer.ComplianceResult{{Rule: "x"}}}); err == nil {
		t.Error("an incomplete result was accepted")
	}
}

// testReopened checks that results and history survive a reopen.
func (s *complianceSuite) testReopened(t *testing.T) {
	if got, want := s.results(t), []indexer.ComplianceResult{s.pass, s.fixed}; !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	if got := s.history(t, time.Time{}); len(got) != 1 {
		t.Errorf("history after reopening: %+v", got)
	}
	if p := s.latest(t); p == nil || !p.At.Equal(s.t0.Add(2*time.Hour)) {
		t.Errorf("latest after reopening %+v", p)
	}
}
