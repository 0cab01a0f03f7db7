package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// SARIF 2.1.0 (OASIS), the subset trawl writes. Written by hand rather
// than with a SARIF library: the few objects below are all a code
// scanning upload needs, and a test validates them against the official
// schema.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level          string       `json:"level"`
	Message        sarifMessage `json:"message"`
	AssociatedRule sarifRuleRef `json:"associatedRule"`
}

type sarifRuleRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifLevel maps a rule severity to a SARIF level.
func sarifLevel(severity string) string {
	switch severity {
	case "error":
		return "error"
	case "info":
		return "note"
	}
	return "warning"
}

// WriteSARIF writes the report as one SARIF 2.1.0 run: each rule a
// reportingDescriptor, each piece of evidence (or each failing branch
// without evidence) a result whose location is the permalink when known,
// else the path. A rule that could not be answered is a tool execution
// notification and makes the invocation unsuccessful.
func (rep *Report) WriteSARIF(w io.Writer) error {
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "trawl", InformationURI: "https://github.com/trawl-dev/trawl", Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     []sarifResult{},
	}
	for i, r := range rep.Rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: r.ID, Name: r.ID, ShortDescription: sarifMessage{Text: r.Title},
			DefaultConfiguration: sarifRuleLevel{Level: sarifLevel(r.Severity)},
			Properties:           map[string]any{"kind": r.Kind, "branches_checked": r.BranchesChecked, "branches_failing": r.BranchesFailing},
		})
		if r.Status == Error {
			inv := &run.Invocations[0]
			inv.ExecutionSuccessful = false
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level: "error", Message: sarifMessage{Text: fmt.Sprintf("rule %s could not be answered on %d branches: %s", r.ID, r.BranchesError, r.Error)},
				AssociatedRule: sarifRuleRef{ID: r.ID, Index: i},
			})
		}
		for _, f := range r.Failing {
			props := map[string]any{"repo": f.Repo, "branch": f.Branch, "commit": f.Commit, "since": f.Since}
			msg := fmt.Sprintf("%s@%s: %s", f.Repo, f.Branch, r.Title)
			if len(f.Evidence) == 0 {
				run.Results = append(run.Results, sarifResult{RuleID: r.ID, RuleIndex: i, Level: sarifLevel(r.Severity),
					Message: sarifMessage{Text: msg}, Properties: props,
					PartialFingerprints: map[string]string{"trawl/v1": fingerprint(r.ID, f.Repo, f.Branch)}})
				continue
			}
			for _, ev := range f.Evidence {
				uri := ev.URL
				if uri == "" {
					uri = ev.Path
				}
				loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}}
				if ev.Line > 0 {
					loc.PhysicalLocation.Region = &sarifRegion{StartLine: ev.Line}
				}
				text := msg
				if ev.Text != "" {
					text += ": " + ev.Text
				}
				if ev.Advisory != "" {
					text += " (" + ev.Advisory
					if ev.Fixed != "" {
						text += ", fixed in " + ev.Fixed
					}
					text += ")"
				}
				p := map[string]any{"path": ev.Path}
				for k, v := range props {
					p[k] = v
				}
				run.Results = append(run.Results, sarifResult{RuleID: r.ID, RuleIndex: i, Level: sarifLevel(r.Severity),
					Message: sarifMessage{Text: text}, Locations: []sarifLocation{loc}, Properties: p,
					PartialFingerprints: map[string]string{"trawl/v1": fingerprint(r.ID, f.Repo, f.Branch, ev.Path, strconv.Itoa(ev.Line), ev.Advisory)}})
			}
		}
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
