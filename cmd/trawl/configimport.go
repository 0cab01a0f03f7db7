package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/config/ghcimport"
)

const configImportHelp = `
Usage: trawl config import github-crawler APPLICATION.YML [--profile NAME]... [-o trawl.yaml] [--force] [--json]

Writes the trawl.yaml equivalent to a Société Générale github-crawler
configuration and prints, for every key of it, what it became. Keys trawl
has no equivalent for are named with their line (status unmapped), never
dropped silently; a repository pattern that RE2 cannot express the same
way (a lookbehind, a possessive quantifier...) refuses the import, naming
the construct. The written file sets compatibility: github-crawler.

Spring rules apply: gitHub.url and gitHub: {url:} are the same key, so are
crawl-in-parallel and crawlInParallel; a --- document with spring.profiles
applies only when that profile is active (--profile, else the file's
spring.profiles.active, else NAME of application-NAME.yml), and the active
profiles become the groups of every indicator document.

Examples:
  trawl config import github-crawler application.yml
  trawl config import github-crawler application.yml --profile backend -o backend.yaml
  trawl config import github-crawler application.yml --json | jq '.entries[] | select(.status != "mapped")'
`

func cmdConfigImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("config import", configImportHelp, stderr)
	var (
		out           string
		force, asJSON bool
		profiles      []string
	)
	fs.StringVar(&out, "o", "trawl.yaml", "write the configuration to `file` (- for standard output)")
	fs.BoolVar(&force, "force", false, "overwrite the -o file if it exists")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON: {\"output\", \"profiles\", \"entries\": [{key, line, status, how}]}")
	fs.Func("profile", "activate Spring profile `NAME` (repeatable)", func(s string) error {
		profiles = append(profiles, strings.Split(s, ",")...)
		return nil
	})
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) != 2 || words[0] != "github-crawler" {
		fs.Usage()
		return usageError{errors.New("config import: want github-crawler APPLICATION.YML")}
	}
	data, err := os.ReadFile(words[1])
	if err != nil {
		return usageError{fmt.Errorf("config import: %w", err)}
	}
	res, err := ghcimport.Import(data, ghcimport.Options{Profiles: profiles, File: words[1]})
	if err != nil {
		return usageError{fmt.Errorf("config import: %w", err)}
	}
	// The written file must load; say why when it does not (a source type
	// this import cannot write, say), but still write it for editing.
	cfg, checkErr := config.Parse(res.Config, out)
	if checkErr == nil {
		checkErr = compliance.Validate(cfg.Rules)
	}
	switch {
	case out == "-":
		if _, err := stdout.Write(res.Config); err != nil {
			return err
		}
		stdout = stderr // the report goes beside, not into, the file
	default:
		if err := writeImported(out, res.Config, force); err != nil {
			return err
		}
	}
	if err := printImportReport(stdout, out, res, checkErr, asJSON); err != nil {
		return err
	}
	for _, w := range res.Warnings() {
		fmt.Fprintf(stderr, "warning: %s:%d: %s: %s\n", words[1], w.Line, w.Key, w.How)
	}
	if checkErr != nil {
		return fmt.Errorf("config import: the written %s does not load yet, edit it: %w", out, checkErr)
	}
	return nil
}

// writeImported writes the configuration to out, which must not exist
// unless force.
func writeImported(out string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(out, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return usageError{fmt.Errorf("config import: %s exists (--force overwrites it)", out)}
	}
	if err != nil {
		return fmt.Errorf("config import: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("config import: write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config import: write %s: %w", out, err)
	}
	return nil
}

// printImportReport prints what each key became, and whether the
// written file loads.
func printImportReport(w io.Writer, out string, res *ghcimport.Result, checkErr error, asJSON bool) error {
	if asJSON {
		rep := map[string]any{"output": out, "profiles": res.Profiles, "entries": res.Entries}
		if checkErr != nil {
			rep["check_error"] = checkErr.Error()
		}
		return printJSON(w, rep)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tKEY\tSTATUS\tHOW")
	for _, e := range res.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", e.Line, e.Key, e.Status, e.How)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: %d keys, %d not mapped\n", out, len(res.Entries), len(res.Warnings()))
	return nil
}
