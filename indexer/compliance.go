package indexer

import (
	"context"
	"time"
)

// ComplianceStatus is the outcome of one rule on one branch: pass, fail,
// error (the rule could not be answered) or n/a (nothing to check there).
type ComplianceStatus string

// ComplianceEvidence is one reason a branch fails a rule.
type ComplianceEvidence struct {
	// Path, line, text and url are always present, as DESIGN.md §8 shows
	// them; line 0 and empty text mean the whole file (forbid_file).
	Path string `json:"path"`
	Line int    `json:"line"`
	Text string `json:"text"`
	URL  string `json:"url"` // permalink; empty when the host's web address is unknown
	// For forbid_vulnerable: the advisory and the version that fixes it.
	Advisory string `json:"advisory,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Fixed    string `json:"fixed,omitempty"`
}

// ComplianceResult is the outcome of one rule on one branch at one
// commit, as the compliance package computes it and a backend stores it.
type ComplianceResult struct {
	Rule        string               `json:"rule"`
	Fingerprint string               `json:"fingerprint"` // of the rule and what it reads, when evaluated
	Repo        string               `json:"repo"`
	Branch      string               `json:"branch"`
	Commit      string               `json:"commit"`
	Status      ComplianceStatus     `json:"status"`
	Error       string               `json:"error,omitempty"`
	Evidence    []ComplianceEvidence `json:"evidence"`
	// EvidenceOmitted counts the evidence left out past a limit.
	EvidenceOmitted int       `json:"evidence_omitted,omitempty"`
	EvaluatedAt     time.Time `json:"evaluated_at"`
	// Since is when the branch entered its current status for the rule
	// (for a failing branch: failing since). An error does not reset it.
	Since time.Time `json:"since"`
	// LastDecided is, for an error, the pass or fail seen before it, so
	// that an error between two failures is no new failure.
	LastDecided ComplianceStatus `json:"last_decided,omitempty"`
}

// ComplianceKey identifies a result: one rule on one branch.
type ComplianceKey struct{ Rule, Repo, Branch string }

// Key returns r's key.
func (r ComplianceResult) Key() ComplianceKey {
	return ComplianceKey{Rule: r.Rule, Repo: r.Repo, Branch: r.Branch}
}

// ComplianceCount is one rule's counts at one evaluation: the history
// that trend charts draw.
type ComplianceCount struct {
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Checked  int    `json:"checked"`
	Failing  int    `json:"failing"`
	Errors   int    `json:"errors"`
}

// ComplianceEvaluation is one evaluation's history point.
type ComplianceEvaluation struct {
	At     time.Time         `json:"at"`
	Counts []ComplianceCount `json:"counts"`
}

// ComplianceChanges is one write of compliance state: results replaced or
// deleted, one history point added, history older than PruneBefore
// deleted (zero: keep everything).
type ComplianceChanges struct {
	Put         []ComplianceResult
	Delete      []ComplianceKey
	History     *ComplianceEvaluation
	PruneBefore time.Time
}

// ComplianceStore keeps compliance results and their history next to the
// index they were computed from, on either backend.
type ComplianceStore interface {
	// ComplianceResults streams every stored result, in no particular order.
	ComplianceResults(ctx context.Context, fn func(ComplianceResult) error) error
	// PutCompliance applies c.
	PutCompliance(ctx context.Context, c *ComplianceChanges) error
	// ComplianceHistory streams the history points at or after since,
	// oldest first.
	ComplianceHistory(ctx context.Context, since time.Time, fn func(ComplianceEvaluation) error) error
	// ComplianceLatest returns the newest history point, or nil when
	// nothing was ever evaluated; it costs one small read however long the
	// history is.
	ComplianceLatest(ctx context.Context) (*ComplianceEvaluation, error)
}
