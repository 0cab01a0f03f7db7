package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/trawl-dev/trawl/depquery"
	"github.com/trawl-dev/trawl/indexer"
)

const depsHelp = `
Usage: trawl deps [-c trawl.yaml] [NAME-OR-PURL] [--version RANGE] [--repo RE] [--branch RE] [--json|--csv] [--summary]

Lists the dependencies that manifests declare on every indexed branch
(Maven, Gradle, npm, Go, Python, Dockerfiles, compose, Helm, GitHub Actions,
Jenkinsfiles), with the line that declares them and the version a lockfile,
property, parent or catalog resolves. Without NAME every dependency is listed.

Names follow each ecosystem: Maven groupId:artifactId, npm name or
@scope/name, Go module path, PyPI normalised name, Docker image without tag,
Actions owner/repo; or give a purl (pkg:maven/org.apache.logging.log4j/log4j-core).
Ranges: '<2.17.1', '>=2.0 <2.17.1', '>=2.0,<2.17.1', 'vers:maven/>=2.0|<2.17.1',
or the ecosystem's own ('[2.0,2.17.1)', '^1.2', '~=6.0').

Examples:
  trawl deps org.apache.logging.log4j:log4j-core --version '<2.17.1'
  trawl deps --summary org.springframework.boot:spring-boot-starter-parent
  trawl deps pkg:npm/lodash --version '<4.17.21' --csv > lodash.csv
`

func cmdDeps(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("deps", depsHelp, stderr)
	var (
		version, repo, branch  string
		asJSON, asCSV, summary bool
		undecided              bool
	)
	fs.StringVar(&version, "version", "", "only versions in `RANGE`")
	fs.BoolVar(&undecided, "undecided", false, "with --version: also list versions that cannot be decided (a range without a lockfile)")
	fs.StringVar(&repo, "repo", "", "only repositories whose full name matches `RE`")
	fs.StringVar(&branch, "branch", "", "only branches whose name matches `RE`")
	fs.BoolVar(&asJSON, "json", false, "print JSON (docs/design.md §7)")
	fs.BoolVar(&asCSV, "csv", false, "print CSV with a header row")
	fs.BoolVar(&summary, "summary", false, "versions in use with counts of repositories and branches")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 1 {
		return usageError{errors.New("deps: give one NAME-OR-PURL")}
	}
	if asJSON && asCSV {
		return usageError{errors.New("deps: --json and --csv exclude each other")}
	}
	target := ""
	if len(words) == 1 {
		target = words[0]
	}
	f, err := depquery.ParseFilter(target, version)
	if err != nil {
		return usageError{fmt.Errorf("deps: %w", err)}
	}
	f.Undecided = undecided
	if err := compileRegexps("deps", regexpFlag{"--repo", repo, &f.Repo}, regexpFlag{"--branch", branch, &f.Branch}); err != nil {
		return err
	}
	_, idx, err := c.open(ctx, readOnly)
	if err != nil {
		return err
	}
	defer idx.Close()

	records := []indexer.Dependency{}
	bar := newCounter(stderr, "deps: records read")
	err = depquery.Find(ctx, idx, f, func(d indexer.Dependency) error {
		records = append(records, d)
		bar.add(1)
		return nil
	})
	bar.stop()
	if err != nil {
		return fmt.Errorf("deps: %w", err)
	}
	if summary {
		return printDepSummary(stdout, depquery.Summarize(records), asJSON, asCSV)
	}
	return printDeps(stdout, records, asJSON, asCSV)
}

func printDeps(w io.Writer, records []indexer.Dependency, asJSON, asCSV bool) error {
	switch {
	case asJSON:
		return printJSON(w, map[string]any{"dependencies": records})
	case asCSV:
		return depquery.WriteCSV(w, records)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPO@BRANCH:PATH:LINE\tNAME\tVERSION\tRESOLVED\tSOURCE")
	for _, d := range records {
		fmt.Fprintf(tw, "%s@%s:%s:%d\t%s\t%s\t%s\t%s\n", d.Repo, d.Branch, d.Path, d.Line, d.Name, d.Version, d.ResolvedVersion, d.VersionSource)
	}
	return tw.Flush()
}

func printDepSummary(w io.Writer, rows []depquery.VersionCount, asJSON, asCSV bool) error {
	switch {
	case asJSON:
		return printJSON(w, map[string]any{"summary": rows})
	case asCSV:
		return depquery.WriteSummary(w, depquery.CSV, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tREPOS\tBRANCHES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", r.Name, r.Version, r.Repos, r.Branches)
	}
	return tw.Flush()
}
