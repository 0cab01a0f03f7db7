// Package compliance evaluates the rules of trawl.yaml (DESIGN.md §8)
// against the index: for every rule, every branch in its scope passes or
// fails, with evidence (path, line, text, permalink). It reuses what the
// other commands already know how to do: search for forbid_match and
// require_match, deps for forbid_dependency, indicators for indicator
// constraints and osv for known vulnerabilities, so a rule and the
// command a user would run by hand never disagree.
//
// Evaluation is incremental: a result is keyed by the rule's fingerprint
// and the branch's commit, and only (rule, branch) pairs where either
// changed are evaluated again.
package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/trawl-dev/trawl/config"
)

// Status is the outcome of one rule on one branch.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	// Error means the rule could not be answered (a query that timed out
	// or failed, no advisories imported): never counted as a pass.
	Error Status = "error"
	// NotApplicable marks a branch the rule has nothing to say about (an
	// indicator rule on a branch without that indicator); it is kept so
	// that the branch is not evaluated again, but counted nowhere.
	NotApplicable Status = "n/a"
)

// Evidence is one reason a branch fails.
type Evidence struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
	Text string `json:"text,omitempty"`
	URL  string `json:"url,omitempty"` // permalink; empty when the host's web address is unknown
	// For forbid_vulnerable: the advisory and the version that fixes it.
	Advisory string `json:"advisory,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Fixed    string `json:"fixed,omitempty"`
}

// Result is the outcome of one rule on one branch at one commit.
type Result struct {
	Rule        string     `json:"rule"`
	Fingerprint string     `json:"fingerprint"` // of the rule (and what it reads) when evaluated
	Repo        string     `json:"repo"`
	Branch      string     `json:"branch"`
	Commit      string     `json:"commit"`
	Status      Status     `json:"status"`
	Error       string     `json:"error,omitempty"`
	Evidence    []Evidence `json:"evidence,omitempty"`
	// EvidenceOmitted counts evidence beyond MaxEvidence, left out.
	EvidenceOmitted int       `json:"evidence_omitted,omitempty"`
	EvaluatedAt     time.Time `json:"evaluated_at"`
	// Since is when the branch entered its current status for this rule
	// (for a failing branch: failing since).
	Since time.Time `json:"since"`
}

// Key identifies a result.
type Key struct{ Rule, Repo, Branch string }

// Key returns r's key.
func (r Result) Key() Key { return Key{r.Rule, r.Repo, r.Branch} }

// Fingerprint identifies what a rule's answers depend on besides the
// branch content: the rule itself and, for indicator and vulnerability
// rules, the indicator definitions and the advisory database. A rule
// whose fingerprint is unchanged keeps its results on unchanged branches.
func Fingerprint(r config.Rule, indicators config.Indicators, osvDigest string) string {
	r.Line = 0 // moving a rule in the file changes nothing
	r.Title = ""
	r.Severity = "" // reported from the configuration, not stored
	v := struct {
		Rule       config.Rule
		Repos      [2][]string
		Topics     [2][]string
		Indicators config.Indicators `json:",omitempty"`
		OSV        string            `json:",omitempty"`
	}{Rule: r, Repos: [2][]string{r.Repos.Include, r.Repos.Exclude}, Topics: [2][]string{r.Topics.Include, r.Topics.Exclude}}
	if r.Indicator != nil {
		v.Indicators = indicators
	}
	if r.ForbidVulnerable != nil {
		v.OSV = osvDigest
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("compliance: marshal rule: " + err.Error()) // plain data always marshals
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
