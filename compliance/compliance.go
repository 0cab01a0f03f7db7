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

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// Status is the outcome of one rule on one branch.
type Status = indexer.ComplianceStatus

const (
	Pass Status = "pass"
	Fail Status = "fail"
	// Error means the rule could not be answered (a query that timed out
	// or failed, no advisories imported): never counted as a pass, and
	// never reused by the next evaluation.
	Error Status = "error"
	// NotApplicable marks a branch the rule has nothing to say about (an
	// indicator rule on a branch without that indicator); it is kept so
	// that the branch is not evaluated again, but counted nowhere.
	NotApplicable Status = "n/a"
)

// Evidence is one reason a branch fails.
type Evidence = indexer.ComplianceEvidence

// Result is the outcome of one rule on one branch at one commit.
type Result = indexer.ComplianceResult

// Key identifies a result.
type Key = indexer.ComplianceKey

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
		Indicators config.Indicators `json:",omitempty"`
		OSV        string            `json:",omitempty"`
	}{Rule: r}
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
