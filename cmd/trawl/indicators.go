package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indicators"
	"github.com/trawl-dev/trawl/source/sources"
)

const indicatorsHelp = `
Usage: trawl indicators [-c trawl.yaml] [--repo RE] [--branch RE] [--json] [--outputs]
                        [--post URL | --es URL --es-index NAME] [--group NAME]... [--run-id ID]

Reads the values the indicators section of trawl.yaml asks for out of the
indexed files, one document per repository and branch, in the format of
Société Générale's github-crawler: {name, branchName, indicators{}, tags[],
groups[], crawlerRunId, ...}. A file that is missing leaves its indicators
out; "not found" means the file exists without the value.

--post URL sends each document with its own POST, as github-crawler's HTTP
output does; {id} in URL becomes the document's id (a SHA-256 of repository
and branch), so a rerun updates rather than duplicates. --es indexes them
with the _bulk API under those ids. Date placeholders in github-crawler's
syntax ({yyyy-MM}) in the URL or index name become today's date.

repository_tasks in trawl.yaml fill miscTasksResults of each repository's
default branch document. --outputs writes the files indicators_export.files
asks for (PREFIX_yyyyMMdd_HHmmss.txt, CIdroidReadyContent_*.csv/json,
SearchPatternInCode_*.csv, RecentRepositories_*.csv). trawl serve runs
indicators_export after every crawl.

Examples:
  trawl indicators --json
  trawl indicators --es http://127.0.0.1:9200 --es-index technologymap --group backend
  trawl indicators --post 'http://es:9200/technologymap-{yyyy-MM}/_doc/{id}'
  trawl indicators --outputs
`

// indicatorsFlags are trawl indicators' flags.
type indicatorsFlags struct {
	repo, branch, runID         string
	post, esURL, esIndex        string
	esUser, esPassEnv, esKeyEnv string
	asJSON, outputs             bool
	groups                      []string
}

func (f *indicatorsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.repo, "repo", "", "only repositories whose full name matches `RE`")
	fs.StringVar(&f.branch, "branch", "", "only branches whose name matches `RE`")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON: {\"documents\": [...]}")
	fs.BoolVar(&f.outputs, "outputs", false, "write the files indicators_export.files asks for (github-crawler's file and CSV outputs)")
	fs.Func("group", "add `NAME` to every document's groups (repeatable; github-crawler's Spring profiles)", func(s string) error {
		f.groups = append(f.groups, s)
		return nil
	})
	fs.StringVar(&f.runID, "run-id", "", "crawlerRunId of every document (default the time as yyyyMMdd_HHmmss)")
	fs.StringVar(&f.post, "post", "", "POST each document to `URL` ({id} is replaced by its id)")
	fs.StringVar(&f.esURL, "es", "", "index the documents into the Elasticsearch cluster at `URL`")
	fs.StringVar(&f.esIndex, "es-index", "", "Elasticsearch index `NAME` for --es")
	fs.StringVar(&f.esUser, "es-user", "", "user name for --es (with --es-password-env)")
	fs.StringVar(&f.esPassEnv, "es-password-env", "", "environment variable `NAME` holding the --es password")
	fs.StringVar(&f.esKeyEnv, "es-api-key-env", "", "environment variable `NAME` holding an Elasticsearch API key")
}

func cmdIndicators(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("indicators", indicatorsHelp, stderr)
	var (
		f indicatorsFlags
	)
	f.register(fs)
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArguments("indicators", words); err != nil {
		return err
	}
	opts := indicators.Options{Groups: f.groups, RunID: f.runID}
	if err := compileRegexps("indicators", regexpFlag{"--repo", f.repo, &opts.Repo}, regexpFlag{"--branch", f.branch, &opts.Branch}); err != nil {
		return err
	}
	es, err := esTarget(f.esURL, f.esIndex, f.esUser, f.esPassEnv, f.esKeyEnv)
	if err != nil {
		return err
	}
	if f.post != "" {
		if err := checkPostURL(f.post); err != nil {
			return usageError{fmt.Errorf("indicators: --post: %w", err)}
		}
	}
	return f.run(ctx, c, opts, es, stdout, stderr)
}

// run computes the documents, sends them where the flags say and prints
// them, or what was sent.
func (f *indicatorsFlags) run(ctx context.Context, c *common, opts indicators.Options, es *indicators.ES, stdout, stderr io.Writer) error {
	cfg, idx, err := c.open(ctx, readOnly)
	if err != nil {
		return err
	}
	defer idx.Close()
	if len(cfg.Indicators) == 0 && len(cfg.RepositoryTasks) == 0 {
		return usageError{fmt.Errorf("indicators: %s has no indicators section (see trawl indicators -h)", c.configPath)}
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	docs, problems, err := computeDocuments(ctx, cfg, idx, sources.New(sources.Options{Logger: log}), opts)
	for _, p := range problems {
		log.Warn("repository task failed", "err", p)
	}
	if err != nil {
		return fmt.Errorf("indicators: %w", err)
	}
	if f.outputs {
		if err := writeOutputs(cfg, c.configPath, docs, stdout); err != nil {
			return err
		}
	}
	if f.post != "" {
		if err := indicators.Post(ctx, nil, f.post, docs); err != nil {
			return err
		}
	}
	if es != nil {
		if err := indicators.PostES(ctx, nil, *es, docs); err != nil {
			return err
		}
	}
	switch {
	case f.asJSON:
		return printJSON(stdout, map[string]any{"documents": docs})
	case f.post != "" || es != nil || f.outputs:
		fmt.Fprintf(stdout, "sent %d documents\n", len(docs))
		return nil
	}
	return printIndicators(stdout, docs)
}

// writeOutputs writes the files of indicators_export.files (--outputs),
// printing each path written.
func writeOutputs(cfg *config.Config, configPath string, docs []indicators.Document, stdout io.Writer) error {
	x := cfg.IndicatorsExport
	if x == nil || x.Files == nil {
		return usageError{fmt.Errorf("indicators: --outputs: %s has no indicators_export.files section", configPath)}
	}
	paths, err := indicators.WriteFiles(indicators.ExportDir(cfg), *x.Files, docs, time.Now())
	for _, p := range paths {
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	return err
}

// printIndicators prints one line per (document, indicator), indicators
// by name.
func printIndicators(w io.Writer, docs []indicators.Document) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPO@BRANCH\tINDICATOR\tVALUE")
	for _, d := range docs {
		for _, n := range slices.Sorted(maps.Keys(d.Indicators)) {
			fmt.Fprintf(tw, "%s@%s\t%s\t%s\n", d.FullName, d.BranchName, n, d.Indicators[n])
		}
	}
	return tw.Flush()
}

// esTarget checks the --es flags and reads the secrets they name.
func esTarget(addr, index, user, passEnv, keyEnv string) (*indicators.ES, error) {
	if addr == "" {
		if index != "" || user != "" || passEnv != "" || keyEnv != "" {
			return nil, usageError{errors.New("indicators: --es-index, --es-user, --es-password-env and --es-api-key-env need --es URL")}
		}
		return nil, nil
	}
	if err := checkPostURL(addr); err != nil {
		return nil, usageError{fmt.Errorf("indicators: --es: %w", err)}
	}
	// Elasticsearch index names: lower case, no \/*?"<>|,# or spaces, not
	// starting with -, _ or +.
	if msg := config.CheckDatePlaceholders(index); msg != "" {
		return nil, usageError{fmt.Errorf("indicators: --es-index: %s", msg)}
	}
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`).MatchString(indicators.ExpandTarget(index, time.Now())) {
		return nil, usageError{fmt.Errorf("indicators: --es-index %q is not a valid index name (lower-case letters, digits, '.', '_' and '-')", index)}
	}
	es := &indicators.ES{URL: addr, Index: index, Username: user}
	if err := readSecret(&es.Password, "indicators: --es-password-env", passEnv); err != nil {
		return nil, err
	}
	if err := readSecret(&es.APIKey, "indicators: --es-api-key-env", keyEnv); err != nil {
		return nil, err
	}
	return es, nil
}

func checkPostURL(s string) error {
	u, err := url.Parse(strings.ReplaceAll(s, "{id}", "id"))
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must be an http or https URL")
	case u.Host == "":
		return errors.New("has no host")
	}
	if _, set := u.User.Password(); set {
		return errors.New("must not hold a password; use --es-user and --es-password-env")
	}
	return nil
}
