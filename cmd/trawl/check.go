package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
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

// checkFlags are trawl check's flags.
type checkFlags struct {
	ids                     []string
	asJSON, asCSV, asSARIF  bool
	failOn, esURL, esPrefix string
	timeout                 time.Duration
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("check", checkHelp, stderr)
	var (
		f checkFlags
	)
	fs.Func("rule", "check only rule `ID` (repeatable)", func(s string) error {
		f.ids = append(f.ids, s)
		return nil
	})
	fs.BoolVar(&f.asJSON, "json", false, "print JSON (DESIGN.md §8)")
	fs.BoolVar(&f.asCSV, "csv", false, "print CSV: one row per piece of evidence")
	fs.BoolVar(&f.asSARIF, "sarif", false, "print SARIF 2.1.0")
	fs.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a rule of this `severity` or above fails: info, warning or error")
	fs.DurationVar(&f.timeout, "timeout", compliance.DefaultTimeout, "time allowed to one rule's query; past it the rule is an error")
	fs.StringVar(&f.esURL, "es", "", "also index one document per (rule, repo, branch) into the Elasticsearch cluster at `URL` (credentials: compliance.elasticsearch)")
	fs.StringVar(&f.esPrefix, "es-prefix", "", "index `prefix` for --es: documents go to PREFIX-YYYY.MM.DD (default compliance.elasticsearch.index_prefix, else trawl-compliance)")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArguments("check", words); err != nil {
		return err
	}
	if countSet(f.asJSON, f.asCSV, f.asSARIF) > 1 {
		return usageError{errors.New("check: choose one of --json, --csv and --sarif")}
	}
	if config.SeverityRank(f.failOn) < 0 {
		return usageError{fmt.Errorf("check: --fail-on %q is not info, warning or error", f.failOn)}
	}
	return f.run(ctx, c, stdout)
}

// run evaluates the rules, prints the report and fails at --fail-on.
func (f *checkFlags) run(ctx context.Context, c *common, stdout io.Writer) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if len(cfg.Rules) == 0 {
		return usageError{fmt.Errorf("check: %s has no rules section (see trawl check -h and DESIGN.md §8)", cfg.Path)}
	}
	rules, err := compliance.SelectRules(cfg, f.ids)
	if err != nil {
		return usageError{fmt.Errorf("check: %w", err)}
	}
	es, err := checkES(cfg, f.esURL, f.esPrefix)
	if err != nil {
		return err
	}
	idx, err := openIndex(ctx, cfg, readWrite)
	if err != nil {
		return err
	}
	defer idx.Close()

	e := &compliance.Evaluator{Index: idx, Indicators: cfg.Indicators, Timeout: f.timeout}
	if compliance.NeedsOSV(rules) {
		if e.OSV, err = osv.Load(ctx, cfg.Index.Path); err != nil {
			return err
		}
	}
	ev, err := e.EvaluateReadOnly(ctx, rules)
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
	case f.asJSON:
		err = rep.WriteJSON(stdout)
	case f.asCSV:
		err = rep.WriteCSV(stdout)
	case f.asSARIF:
		err = rep.WriteSARIF(stdout)
	default:
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if failing := rep.FailingRules(f.failOn); len(failing) > 0 {
		return fmt.Errorf("check: rules of severity %s or above fail or err: %s", f.failOn, strings.Join(failing, ", "))
	}
	return nil
}

// checkES is the export target of --es and --es-prefix, nil without --es.
func checkES(cfg *config.Config, esURL, esPrefix string) (*compliance.ES, error) {
	if esURL == "" {
		if esPrefix != "" {
			return nil, usageError{errors.New("check: --es-prefix needs --es URL")}
		}
		return nil, nil
	}
	if err := checkPostURL(esURL); err != nil {
		return nil, usageError{fmt.Errorf("check: --es: %w", err)}
	}
	return complianceES(cfg.Compliance.Elasticsearch, esURL, esPrefix)
}
