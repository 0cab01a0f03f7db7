package compliance

import (
	"context"
	"fmt"
	"strings"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// SelectRules returns the rules of cfg that ids name (all of them when
// ids is empty), in the configuration's order. An id that is no rule is
// an error listing the rules there are.
func SelectRules(cfg *config.Config, ids []string) ([]config.Rule, error) {
	if len(ids) == 0 {
		return cfg.Rules, nil
	}
	want := map[string]bool{}
	for _, id := range ids {
		if cfg.Rules.Find(id) == nil {
			known := make([]string, len(cfg.Rules))
			for i, r := range cfg.Rules {
				known[i] = r.ID
			}
			return nil, fmt.Errorf("--rule %q is not a rule of %s (rules: %s)", id, cfg.Path, strings.Join(known, ", "))
		}
		want[id] = true
	}
	var out []config.Rule
	for _, r := range cfg.Rules {
		if want[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// EvaluateReadOnly evaluates rules as trawl check does: it reuses the
// results stored in the index (by trawl serve) where rule and commit are
// unchanged, and stores nothing, so that checking some rules never drops
// the stored results of the others.
func (e *Evaluator) EvaluateReadOnly(ctx context.Context, rules []config.Rule) (*Evaluation, error) {
	prev, err := storedResults(ctx, e.Index)
	if err != nil {
		return nil, err
	}
	return e.Evaluate(ctx, rules, prev)
}

// storedResults reads the index's results by key.
func storedResults(ctx context.Context, idx indexer.Index) (map[Key]Result, error) {
	prev := map[Key]Result{}
	err := idx.ComplianceResults(ctx, func(r Result) error {
		prev[r.Key()] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate rules: %w", err)
	}
	return prev, nil
}

// FailingRules lists, in the report's order, the rules of severity failOn
// or above that fail or could not be answered on some branch: those that
// make trawl check --fail-on exit 1.
func (rep *Report) FailingRules(failOn string) []string {
	min := config.SeverityRank(failOn)
	var ids []string
	for _, r := range rep.Rules {
		if config.SeverityRank(r.Severity) >= min && r.Status != Pass {
			ids = append(ids, r.ID)
		}
	}
	return ids
}
