package compliance

import (
	"context"
	"slices"
	"testing"

	"github.com/trawl-dev/trawl/config"
)

// TestService: a first evaluation answers every (rule, branch) pair, a
// second with nothing crawled in between reuses them all, and a restarted
// service starts from the stored report.
func TestService(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	rules := slices.DeleteFunc(slices.Clone(o.cfg.Rules), func(r config.Rule) bool { return NeedsOSV([]config.Rule{r}) })
	s := NewService(ServiceOptions{Index: o.idx, Rules: rules, Indicators: o.cfg.Indicators, DataDir: t.TempDir()})
	if s.Report() != nil {
		t.Fatal("a report before any evaluation")
	}
	s.Evaluate(ctx)
	st := s.Status()
	if st.LastError != "" || st.Evaluated == 0 || st.Reused != 0 || st.Rules != len(rules) || st.LastRun.IsZero() {
		t.Fatalf("first run status %+v", st)
	}
	first := s.Report()
	if first == nil || len(first.Rules) != len(rules) {
		t.Fatalf("first report %+v", first)
	}
	s.Evaluate(ctx)
	if st := s.Status(); st.Evaluated != 0 || st.Reused == 0 {
		t.Errorf("second run without a crawl: status %+v, want everything reused", st)
	}

	// A restarted server shows the stored report before its first crawl.
	restarted := NewService(ServiceOptions{Index: o.idx, Rules: rules})
	restarted.Start(ctx)
	if rep := restarted.Report(); rep == nil || len(rep.Rules) != len(rules) {
		t.Errorf("report after a restart: %+v", rep)
	}
}
