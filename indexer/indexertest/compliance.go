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
func RunCompliance(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	count := func() []indexer.ComplianceResult {
		t.Helper()
		var out []indexer.ComplianceResult
		must(t, idx.ComplianceResults(ctx, func(r indexer.ComplianceResult) error {
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
	history := func(since time.Time) []indexer.ComplianceEvaluation {
		t.Helper()
		var out []indexer.ComplianceEvaluation
		must(t, idx.ComplianceHistory(ctx, since, func(p indexer.ComplianceEvaluation) error {
			out = append(out, p)
			return nil
		}))
		return out
	}
	if got := count(); len(got) != 0 {
		t.Fatalf("new index holds %d results", len(got))
	}
	if got := history(time.Time{}); len(got) != 0 {
		t.Fatalf("new index holds %d history points", len(got))
	}
	latest := func() *indexer.ComplianceEvaluation {
		t.Helper()
		p, err := idx.ComplianceLatest(ctx)
		must(t, err)
		return p
	}
	if p := latest(); p != nil {
		t.Fatalf("new index has a latest point %+v", p)
	}

	t0 := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	fail := indexer.ComplianceResult{Rule: "log4shell", Fingerprint: "f1", Repo: "acme/api", Branch: "release/1.2", Commit: "c1",
		Status: "fail", EvaluatedAt: t0, Since: t0.Add(-time.Hour),
		Evidence:        []indexer.ComplianceEvidence{{Path: "pom.xml", Line: 42, Text: "<version>2.14.1</version>", URL: "https://x/blob/c1/pom.xml#L42", Advisory: "GHSA-1", Summary: "s", Fixed: "2.15.0"}},
		EvidenceOmitted: 3}
	pass := indexer.ComplianceResult{Rule: "codeowners", Fingerprint: "f2", Repo: "acme/api", Branch: "main", Commit: "c2",
		Status: "pass", EvaluatedAt: t0, Since: t0, Evidence: []indexer.ComplianceEvidence{}}
	other := indexer.ComplianceResult{Rule: "codeowners", Fingerprint: "f2", Repo: "acme/web", Branch: "main", Commit: "c3",
		Status: "error", Error: "query timed out", EvaluatedAt: t0, Since: t0, Evidence: []indexer.ComplianceEvidence{}}
	h := func(at time.Time, failing int) *indexer.ComplianceEvaluation {
		return &indexer.ComplianceEvaluation{At: at, Counts: []indexer.ComplianceCount{{Rule: "log4shell", Severity: "error", Checked: 3, Failing: failing}}}
	}
	must(t, idx.PutCompliance(ctx, &indexer.ComplianceChanges{Put: []indexer.ComplianceResult{fail, pass, other}, History: h(t0, 1)}))
	if got, want := count(), []indexer.ComplianceResult{pass, other, fail}; !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %+v\nwant %+v", got, want)
	}

	// Replace one, delete one, add two history points.
	fixed := fail
	fixed.Status, fixed.Commit, fixed.Evidence, fixed.EvidenceOmitted = "pass", "c4", []indexer.ComplianceEvidence{}, 0
	must(t, idx.PutCompliance(ctx, &indexer.ComplianceChanges{Put: []indexer.ComplianceResult{fixed}, Delete: []indexer.ComplianceKey{other.Key()}, History: h(t0.Add(time.Hour), 0)}))
	must(t, idx.PutCompliance(ctx, &indexer.ComplianceChanges{History: h(t0.Add(2*time.Hour), 2)}))
	if got, want := count(), []indexer.ComplianceResult{pass, fixed}; !reflect.DeepEqual(got, want) {
		t.Errorf("after replace and delete:\n got %+v\nwant %+v", got, want)
	}
	hs := history(time.Time{})
	if len(hs) != 3 || !hs[0].At.Equal(t0) || hs[2].Counts[0].Failing != 2 {
		t.Errorf("history %+v", hs)
	}
	if got := history(t0.Add(time.Hour)); len(got) != 2 || !got[0].At.Equal(t0.Add(time.Hour)) {
		t.Errorf("history since t0+1h: %+v", got)
	}
	if got := history(t0.Add(time.Hour + time.Nanosecond)); len(got) != 1 {
		t.Errorf("history since just after t0+1h: %+v", got)
	}
	if p := latest(); p == nil || !p.At.Equal(t0.Add(2*time.Hour)) || p.Counts[0].Failing != 2 {
		t.Errorf("latest %+v", p)
	}

	// Prune keeps what is at or after the cut.
	must(t, idx.PutCompliance(ctx, &indexer.ComplianceChanges{PruneBefore: t0.Add(90 * time.Minute)}))
	if got := history(time.Time{}); len(got) != 1 || !got[0].At.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("after pruning: %+v", got)
	}
	if err := idx.PutCompliance(ctx, &indexer.ComplianceChanges{Put: []indexer.ComplianceResult{{Rule: "x"}}}); err == nil {
		t.Error("an incomplete result was accepted")
	}

	// Durable.
	must(t, idx.Close())
	idx = open(t)
	if got, want := count(), []indexer.ComplianceResult{pass, fixed}; !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	if got := history(time.Time{}); len(got) != 1 {
		t.Errorf("history after reopening: %+v", got)
	}
	if p := latest(); p == nil || !p.At.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("latest after reopening %+v", p)
	}
}
