package compliance

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/internal/csvsafe"
)

// Report is the answer of trawl check --json and GET /api/compliance
// (DESIGN.md §8). Status, Error, BranchesError and Since are additions.
type Report struct {
	EvaluatedAt time.Time    `json:"evaluated_at,omitzero"` // absent when nothing was evaluated yet
	Rules       []RuleReport `json:"rules"`
}

// RuleReport is one rule's answer.
type RuleReport struct {
	ID              string `json:"id"`
	Title           string `json:"title"`
	Severity        string `json:"severity"`
	Kind            string `json:"kind"`
	Status          Status `json:"status"` // error when a branch could not be answered, else fail or pass
	Error           string `json:"error,omitempty"`
	BranchesChecked int    `json:"branches_checked"`
	BranchesFailing int    `json:"branches_failing"`
	BranchesError   int    `json:"branches_error"`
	// Failing lists every failing (repo, branch), by repo then branch.
	Failing []Failing `json:"failing"`
	// Errors lists the branches that could not be answered.
	Errors []Failing `json:"errors,omitempty"`
}

// Failing is one failing (repo, branch) with its evidence.
type Failing struct {
	Repo            string     `json:"repo"`
	Branch          string     `json:"branch"`
	Commit          string     `json:"commit"`
	Since           time.Time  `json:"since"` // failing since
	Evidence        []Evidence `json:"evidence"`
	EvidenceOmitted int        `json:"evidence_omitted,omitempty"`
	Error           string     `json:"error,omitempty"`
}

// NewReport summarises results (as Evaluate orders them) for rules, in
// the rules' order. A rule with no branch in scope is reported with zero
// counts.
func NewReport(rules []config.Rule, at time.Time, results []Result) *Report {
	rep := &Report{EvaluatedAt: at.UTC(), Rules: make([]RuleReport, 0, len(rules))}
	byRule := map[string][]Result{}
	for _, r := range results {
		byRule[r.Rule] = append(byRule[r.Rule], r)
	}
	for _, r := range rules {
		rr := RuleReport{ID: r.ID, Title: r.Title, Severity: r.Severity, Kind: r.Kind(), Status: Pass, Failing: []Failing{}}
		for _, res := range byRule[r.ID] {
			f := Failing{Repo: res.Repo, Branch: res.Branch, Commit: res.Commit, Since: res.Since, Evidence: res.Evidence, EvidenceOmitted: res.EvidenceOmitted}
			if f.Evidence == nil {
				f.Evidence = []Evidence{}
			}
			switch res.Status {
			case NotApplicable:
				continue
			case Fail:
				rr.BranchesFailing++
				rr.Failing = append(rr.Failing, f)
			case Error:
				rr.BranchesError++
				f.Error = res.Error
				rr.Errors = append(rr.Errors, f)
				if rr.Error == "" {
					rr.Error = res.Error
				}
			}
			rr.BranchesChecked++
		}
		byBranch := func(l []Failing) {
			sort.Slice(l, func(i, j int) bool {
				if l[i].Repo != l[j].Repo {
					return l[i].Repo < l[j].Repo
				}
				return l[i].Branch < l[j].Branch
			})
		}
		byBranch(rr.Failing)
		byBranch(rr.Errors)
		switch {
		case rr.BranchesError > 0:
			rr.Status = Error
		case rr.BranchesFailing > 0:
			rr.Status = Fail
		}
		rep.Rules = append(rep.Rules, rr)
	}
	return rep
}

// Failed reports whether a rule of severity failOn or above fails or could
// not be answered on some branch: the CI gate of trawl check --fail-on.
func (rep *Report) Failed(failOn string) bool { return len(rep.FailingRules(failOn)) > 0 }

// WriteJSON writes the report as DESIGN.md §8 shapes it.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"rule", "severity", "status", "repo", "branch", "commit", "since", "path", "line", "text", "url", "advisory", "fixed", "error"}

// WriteCSV writes one row per piece of evidence of every failing or
// erroring branch (one row without evidence columns when it has none).
// Cells that would start a spreadsheet formula (evidence text, branch
// names come from anyone who can push) are neutralised by csvsafe.
func (rep *Report) WriteCSV(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rep.Rules {
		rows := func(status Status, list []Failing) {
			for _, f := range list {
				base := []string{r.ID, r.Severity, string(status), f.Repo, f.Branch, f.Commit, f.Since.UTC().Format(time.RFC3339)}
				if len(f.Evidence) == 0 {
					cw.Write(append(base, "", "", "", "", "", "", f.Error))
				}
				for _, ev := range f.Evidence {
					line := ""
					if ev.Line > 0 {
						line = strconv.Itoa(ev.Line)
					}
					cw.Write(append(base, ev.Path, line, ev.Text, ev.URL, ev.Advisory, ev.Fixed, f.Error))
				}
			}
		}
		rows(Fail, r.Failing)
		rows(Error, r.Errors)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
