package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/osv"
)

const checkHelp = `
Usage: trawl check [-c trawl.yaml] [--rule ID]... [--json|--csv|--sarif]
                   [--fail-on info|warning|error] [--timeout D] [--es URL [--es-prefix P]]

Answers the rules of trawl.yaml (the rules: section) on every indexed
branch in their scope: pass or fail, with evidence (path, line, text and
permalink). A rule that could not be answered (a query that timed out, no
OSV advisories imported) is reported as an error, never as a pass.

Exit codes: 1 when a rule of severity --fail-on or above fails or errs on
some branch, 0 otherwise, 2 on bad usage or configuration. Use it as a CI
gate.

Examples:
  trawl check                              # a table of rules and failing branches
  trawl check --rule log4shell --json      # one rule, JSON (DESIGN.md §8)
  trawl check --sarif > trawl.sarif        # SARIF 2.1.0 for code scanning
  trawl check --csv --fail-on warning      # CSV, fail on warnings too
  trawl check --es http://127.0.0.1:9200   # and index into trawl-compliance-YYYY.MM.DD (Kibana: examples/kibana)
  trawl osv import osv-maven-all.zip       # before forbid_vulnerable rules
`

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkHelp, stderr)
	var (
		c                       common
		ids                     []string
		asJSON, asCSV, asSARIF  bool
		failOn, esURL, esPrefix string
		timeout                 time.Duration
	)
	c.register(fs)
	fs.Func("rule", "check only rule `ID` (repeatable)", func(s string) error {
		ids = append(ids, s)
		return nil
	})
	fs.BoolVar(&asJSON, "json", false, "print JSON (DESIGN.md §8)")
	fs.BoolVar(&asCSV, "csv", false, "print CSV: one row per piece of evidence")
	fs.BoolVar(&asSARIF, "sarif", false, "print SARIF 2.1.0")
	fs.StringVar(&failOn, "fail-on", "error", "exit 1 when a rule of this `severity` or above fails: info, warning or error")
	fs.DurationVar(&timeout, "timeout", compliance.DefaultTimeout, "time allowed to one rule's query; past it the rule is an error")
	fs.StringVar(&esURL, "es", "", "also index one document per (rule, repo, branch) into the Elasticsearch cluster at `URL` (credentials: compliance.elasticsearch)")
	fs.StringVar(&esPrefix, "es-prefix", "", "index `prefix` for --es: documents go to PREFIX-YYYY.MM.DD (default compliance.elasticsearch.index_prefix, else trawl-compliance)")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return usageError{fmt.Errorf("check: unexpected argument %q", words[0])}
	}
	formats := 0
	for _, b := range []bool{asJSON, asCSV, asSARIF} {
		if b {
			formats++
		}
	}
	if formats > 1 {
		return usageError{errors.New("check: choose one of --json, --csv and --sarif")}
	}
	if config.SeverityRank(failOn) < 0 {
		return usageError{fmt.Errorf("check: --fail-on %q is not info, warning or error", failOn)}
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	rules, err := selectRules(cfg, ids)
	if err != nil {
		return err
	}
	var es *compliance.ES
	if esURL != "" {
		if err := checkPostURL(esURL); err != nil {
			return usageError{fmt.Errorf("check: --es: %w", err)}
		}
		if es, err = complianceES(cfg.Compliance.Elasticsearch, esURL, esPrefix); err != nil {
			return err
		}
	} else if esPrefix != "" {
		return usageError{errors.New("check: --es-prefix needs --es URL")}
	}
	idx, err := openIndex(ctx, cfg)
	if err != nil {
		return err
	}
	defer idx.Close()

	e := &compliance.Evaluator{Index: idx, Indicators: cfg.Indicators, Timeout: timeout}
	if compliance.NeedsOSV(rules) {
		if e.OSV, err = osv.Load(ctx, cfg.Index.Path); err != nil {
			return err
		}
	}
	// Results trawl serve stored are reused where rule and commit are
	// unchanged; check itself stores nothing, so that --rule never drops
	// the other rules' results.
	prev := map[compliance.Key]compliance.Result{}
	if err := idx.ComplianceResults(ctx, func(r compliance.Result) error {
		prev[r.Key()] = r
		return nil
	}); err != nil {
		return err
	}
	ev, err := e.Evaluate(ctx, rules, prev)
	if err != nil {
		return err
	}
	rep := compliance.NewReport(rules, ev.At, ev.Results)
	if es != nil {
		if err := es.Export(ctx, ev.At, compliance.Docs(rep.Rules, ev.At, ev.Results)); err != nil {
			return err
		}
	}
	switch {
	case asJSON:
		err = rep.WriteJSON(stdout)
	case asCSV:
		err = rep.WriteCSV(stdout)
	case asSARIF:
		err = rep.WriteSARIF(stdout)
	default:
		err = writeCheckTable(stdout, rep)
	}
	if err != nil {
		return err
	}
	if rep.Failed(failOn) {
		var failing []string
		for _, r := range rep.Rules {
			if config.SeverityRank(r.Severity) >= config.SeverityRank(failOn) && r.Status != compliance.Pass {
				failing = append(failing, r.ID)
			}
		}
		return fmt.Errorf("check: rules of severity %s or above fail or err: %s", failOn, strings.Join(failing, ", "))
	}
	return nil
}

// selectRules returns the rules named by ids (all when none), in the
// configuration's order.
func selectRules(cfg *config.Config, ids []string) ([]config.Rule, error) {
	if len(cfg.Rules) == 0 {
		return nil, usageError{fmt.Errorf("check: %s has no rules section (see trawl check -h and DESIGN.md §8)", cfg.Path)}
	}
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
			return nil, usageError{fmt.Errorf("check: --rule %q is not a rule of %s (rules: %s)", id, cfg.Path, strings.Join(known, ", "))}
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

func writeCheckTable(w io.Writer, rep *compliance.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tSTATUS\tCHECKED\tFAILING\tTITLE")
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.Severity, r.Status, r.BranchesChecked, r.BranchesFailing, r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Rules {
		if r.Status == compliance.Pass {
			continue
		}
		fmt.Fprintf(w, "\n%s (%s):\n", r.ID, r.Status)
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", r.Error)
		}
		for _, f := range r.Failing {
			if len(f.Evidence) == 0 {
				fmt.Fprintf(w, "  %s@%s\n", f.Repo, f.Branch)
			}
			for _, ev := range f.Evidence {
				loc := ev.Path
				if ev.Line > 0 {
					loc += fmt.Sprintf(":%d", ev.Line)
				}
				text := ev.Text
				if ev.Advisory != "" {
					text += " " + ev.Advisory
					if ev.Fixed != "" {
						text += " (fixed in " + ev.Fixed + ")"
					}
				}
				fmt.Fprintf(w, "  %s@%s:%s: %s\n", f.Repo, f.Branch, loc, text)
			}
			if f.EvidenceOmitted > 0 {
				fmt.Fprintf(w, "  %s@%s: %d more not shown\n", f.Repo, f.Branch, f.EvidenceOmitted)
			}
		}
	}
	return nil
}
