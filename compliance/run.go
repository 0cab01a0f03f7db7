package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// Transition is a branch that newly fails a rule, or recovers.
type Transition struct {
	Rule     string     `json:"rule"`
	Title    string     `json:"title"`
	Severity string     `json:"severity"`
	Repo     string     `json:"repo"`
	Branch   string     `json:"branch"`
	Commit   string     `json:"commit"`
	From     Status     `json:"from"`
	To       Status     `json:"to"` // fail: newly failing; pass: recovered
	At       time.Time  `json:"at"`
	Evidence []Evidence `json:"evidence"`
}

// ID identifies the transition: the same (rule, branch) entering the same
// status at the same time is one transition, however often it is seen.
func (t Transition) ID() string {
	return fingerprint(t.Rule, t.Repo, t.Branch, string(t.To), t.At.UTC().Format(time.RFC3339Nano))
}

// Run is one stored evaluation.
type Run struct {
	Evaluation  *Evaluation
	Report      *Report
	Transitions []Transition
}

// EvaluateStored evaluates rules against the results stored in the
// index, stores what changed (new results, results of branches or rules
// gone, one history point) and prunes history older than retention (0:
// keep everything). A branch that newly fails or recovers is a
// Transition; a rule's first evaluation has none, so adding a rule does
// not page anyone for every branch it already fails on.
func (e *Evaluator) EvaluateStored(ctx context.Context, rules []config.Rule, retention time.Duration) (*Run, error) {
	prev, err := storedResults(ctx, e.Index)
	if err != nil {
		return nil, err
	}
	ev, err := e.Evaluate(ctx, rules, prev)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for k := range prev {
		known[k.Rule] = true
	}
	ch := &indexer.ComplianceChanges{}
	now := map[Key]bool{}
	run := &Run{Evaluation: ev, Report: NewReport(rules, ev.At, ev.Results)}
	for _, r := range ev.Results {
		now[r.Key()] = true
		p, had := prev[r.Key()]
		if had && p.EvaluatedAt.Equal(r.EvaluatedAt) && p.Commit == r.Commit && p.Status == r.Status && p.Fingerprint == r.Fingerprint {
			continue // reused as is
		}
		ch.Put = append(ch.Put, r)
		if !known[r.Rule] {
			continue
		}
		from := Status("")
		if had {
			from = p.Status
			if from == Error {
				from = p.LastDecided // an error between two failures is no new failure
			}
		}
		if (r.Status == Fail && from != Fail) || (r.Status == Pass && from == Fail) {
			rule := findRule(rules, r.Rule)
			run.Transitions = append(run.Transitions, Transition{Rule: r.Rule, Title: rule.Title, Severity: rule.Severity,
				Repo: r.Repo, Branch: r.Branch, Commit: r.Commit, From: from, To: r.Status, At: r.Since, Evidence: r.Evidence})
		}
	}
	for k := range prev {
		if !now[k] {
			ch.Delete = append(ch.Delete, k)
		}
	}
	point := &indexer.ComplianceEvaluation{At: ev.At}
	for _, rr := range run.Report.Rules {
		point.Counts = append(point.Counts, indexer.ComplianceCount{Rule: rr.ID, Title: rr.Title, Kind: rr.Kind, Severity: rr.Severity,
			Checked: rr.BranchesChecked, Failing: rr.BranchesFailing, Errors: rr.BranchesError})
	}
	ch.History = point
	if retention > 0 {
		ch.PruneBefore = ev.At.Add(-retention)
	}
	if err := e.Index.PutCompliance(ctx, ch); err != nil {
		return nil, fmt.Errorf("evaluate rules: %w", err)
	}
	return run, nil
}

func findRule(rules []config.Rule, id string) config.Rule {
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	return config.Rule{ID: id}
}

// Stored reads the last stored evaluation back as a report: the rules as
// the last history point lists them (so a read-only server needs no rules
// of its own) and every stored result. It is nil when nothing was ever
// evaluated.
func Stored(ctx context.Context, idx indexer.Index, since time.Time) (*Report, []indexer.ComplianceEvaluation, error) {
	var history []indexer.ComplianceEvaluation
	if err := idx.ComplianceHistory(ctx, since, func(p indexer.ComplianceEvaluation) error {
		history = append(history, p)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	last, err := idx.ComplianceLatest(ctx)
	if err != nil {
		return nil, nil, err
	}
	if last == nil {
		return nil, history, nil
	}
	rules := make([]config.Rule, len(last.Counts))
	for i, c := range last.Counts {
		rules[i] = config.Rule{ID: c.Rule, Title: c.Title, Severity: c.Severity}
	}
	var results []Result
	if err := idx.ComplianceResults(ctx, func(r Result) error {
		results = append(results, r)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	rep := NewReport(rules, last.At, results)
	for i := range rep.Rules {
		rep.Rules[i].Kind = last.Counts[i].Kind
	}
	return rep, history, nil
}
