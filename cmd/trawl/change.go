package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/trawl-dev/trawl/change"
	"github.com/trawl-dev/trawl/webhook"
)

const changeHelp = `
Usage:
  trawl change plan   [-c trawl.yaml] --id ID (--query QUERY | --dependency NAME [--version RANGE]) ACTION [--message MSG] [--json]
  trawl change apply  [-c trawl.yaml] --id ID [--yes] [--rebase] [--json]
  trawl change status [-c trawl.yaml] [--id ID] [--no-refresh] [--json]

Bulk changes through pull requests. plan selects every (repo, branch) that
a trawl query or a dependency selector finds (exhaustively, on every
branch), computes the new files from the crawl's mirrors, prints unified
diffs and stores the plan with each base commit; it changes nothing
anywhere. apply pushes exactly that plan, one commit per (repo, branch) on
branch trawl/ID/BRANCH made from the planned base commit, and opens one
pull request from it (a source without a pull request API: the branch is
pushed, state "pushed"). A rerun updates the same branch and pull request.

Actions (one per campaign):
  --replace OLD --with NEW         literal replacement in the selected files
  --regex RE --with TEMPLATE       RE2 replacement; TEMPLATE may use $1, ${name}
  --set-dependency NAME=VERSION    set a version in place: pom.xml (direct,
                                   property, parent), package.json, go.mod,
                                   Gradle catalogs, Dockerfile FROM, Actions uses:
  --write PATH --from FILE         write PATH; with --template FILE is a Go
                                   text/template: {{.Repo}} {{.Branch}} {{.Path}}
                                   {{.Owner}} {{.Name}} {{.Commit}} {{.Campaign}}
                                   {{file "VERSION" | trim}}
  --delete                         delete every selected file
  --xml-add XPATH --from FILE      add FILE's XML as the last child of each
                                   element XPATH selects (indicators' XPath subset)
  --xml-remove XPATH               remove each element XPATH selects

States: planned, pushed, pr_open, pr_merged, pr_closed, no_change,
base_moved (the branch moved since the plan: apply --rebase re-plans it),
failed: REASON. Write credentials come from change.write in trawl.yaml,
never from the crawl's read token. Without --yes apply refuses a campaign
over change.max_repos repositories (default 10). plan and apply exit 1 when
a resource failed (the others are planned or applied all the same), 2 on
bad usage.

Examples:
  trawl change plan --id log4shell --set-dependency org.apache.logging.log4j:log4j-core=2.17.1 --version '<2.17.1'
  trawl change apply --id log4shell --yes
  trawl change plan --id rename-client --replace OldClient --with NewClient --query 'OldClient lang:go'
  trawl change plan --id owners --query 'file:^pom\.xml$ branch:^main$' --write CODEOWNERS --from owners.tmpl --template
  trawl change plan --id no-junit --query 'file:pom\.xml$ junit' --xml-remove "//dependency[artifactId='junit']"
  trawl change status --id log4shell --json
`

func cmdChange(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, strings.TrimLeft(changeHelp, "\n"))
		return usageError{errors.New("change: missing subcommand (plan, apply or status)")}
	}
	switch args[0] {
	case "plan":
		return cmdChangePlan(ctx, args[1:], stdout, stderr)
	case "apply":
		return cmdChangeApply(ctx, args[1:], stdout, stderr)
	case "status":
		return cmdChangeStatus(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, strings.TrimLeft(changeHelp, "\n"))
		return errHelp
	}
	return usageError{fmt.Errorf("change: unknown subcommand %q (plan, apply or status)", args[0])}
}

// openCampaigns checks the log flags, loads the configuration and opens
// the index of its campaigns.
func openCampaigns(ctx context.Context, c *common, stderr io.Writer) (*change.Campaigns, func(), error) {
	_, cfg, idx, err := c.openLogged(ctx, stderr, readWrite)
	if err != nil {
		return nil, nil, err
	}
	return change.New(cfg, idx, change.Options{}), func() { idx.Close() }, nil
}

func cmdChangePlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("change plan", changeHelp, stderr)
	var (
		spec   change.Spec
		act    change.ActionFlags
		asJSON bool
	)
	fs.StringVar(&spec.ID, "id", "", "campaign `ID` (a-z 0-9 . _ -): names the branch trawl/ID/BRANCH")
	fs.StringVar(&spec.Query, "query", "", "trawl `QUERY` selecting the files (and so the repositories and branches)")
	fs.StringVar(&spec.DepName, "dependency", "", "select the branches declaring dependency `NAME` (as trawl deps)")
	fs.StringVar(&spec.DepRange, "version", "", "with --dependency or --set-dependency: only versions in `RANGE`")
	fs.StringVar(&act.Replace, "replace", "", "replace the literal `OLD`")
	fs.StringVar(&act.Regex, "regex", "", "replace matches of the RE2 expression `RE`")
	fs.Func("with", "replacement `TEXT` for --replace or --regex", func(s string) error { act.With, act.WithSet = s, true; return nil })
	fs.StringVar(&act.SetDependency, "set-dependency", "", "set `NAME=VERSION` in the manifests declaring NAME")
	fs.StringVar(&act.Write, "write", "", "write the file `PATH`")
	fs.StringVar(&act.From, "from", "", "with --write: the content, read from `FILE` (- for standard input)")
	fs.BoolVar(&act.Template, "template", false, "with --write: the content is a Go text/template")
	fs.BoolVar(&act.Delete, "delete", false, "delete every selected file")
	fs.StringVar(&act.XMLAdd, "xml-add", "", "add the XML of --from under each element `XPATH` selects")
	fs.StringVar(&act.XMLRemove, "xml-remove", "", "remove each element `XPATH` selects")
	fs.StringVar(&spec.Message, "message", "", "commit `MSG`; the first line titles the pull request")
	fs.BoolVar(&asJSON, "json", false, `print {"id", "changes": [...]} (DESIGN.md §9)`)
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return usageError{fmt.Errorf("change plan: unexpected argument %q (quote the query and give it to --query)", words[0])}
	}
	if spec, err = act.Spec(spec, readFrom); err != nil {
		return usageError{fmt.Errorf("change plan: %w", err)}
	}
	camp, done, err := openCampaigns(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer done()
	p, err := camp.Plan(ctx, spec)
	if err != nil {
		return fmt.Errorf("change plan %s: %w", spec.ID, err)
	}
	if asJSON {
		err = change.WritePlanJSON(stdout, p)
	} else {
		printPlan(stdout, p)
	}
	if err != nil {
		return err
	}
	t := p.Tally()
	fmt.Fprintf(stderr, "trawl: campaign %s: %d planned in %d repositories, %d no_change, %d failed; stored in %s; apply with: trawl change apply --id %s\n",
		p.ID, t.Planned, p.Repos(), t.NoChange, t.Failed, camp.Store().Dir, p.ID)
	if t.Failed > 0 {
		// The plan is stored all the same: apply pushes the planned
		// resources and leaves the failed ones as they are.
		return errReported
	}
	return nil
}

// readFrom reads --from's file, - being standard input.
func readFrom(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// printPlan prints each resource's state and unified diffs.
func printPlan(w io.Writer, p *change.Plan) {
	for _, ch := range p.Changes {
		fmt.Fprintf(w, "# %s@%s (base %s): %s\n", ch.Repo, ch.Branch, shortHash(ch.BaseCommit), ch.State)
		for _, f := range ch.Files {
			fmt.Fprint(w, f.Diff)
		}
	}
}

func shortHash(h string) string { return h[:min(len(h), 12)] }

func cmdChangeApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("change apply", changeHelp, stderr)
	var (
		id                  string
		yes, rebase, asJSON bool
	)
	fs.StringVar(&id, "id", "", "campaign `ID`")
	fs.BoolVar(&yes, "yes", false, "apply however many repositories the campaign changes")
	fs.BoolVar(&rebase, "rebase", false, "re-plan the resources whose base branch moved since the plan")
	fs.BoolVar(&asJSON, "json", false, "print the states as trawl change status --json does")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if id == "" {
		return usageError{errors.New("change apply: --id is required")}
	}
	camp, done, err := openCampaigns(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer done()
	p, err := camp.Apply(ctx, id, change.ApplyOptions{Yes: yes, Rebase: rebase})
	var tooMany *change.TooManyError
	switch {
	case errors.As(err, &tooMany):
		return usageError{fmt.Errorf("change apply %s: %w", id, err)}
	case errors.Is(err, change.ErrNoPlan):
		return usageError{fmt.Errorf("change apply: %w (run trawl change plan --id %s first)", err, id)}
	case err != nil && p == nil:
		return fmt.Errorf("change apply %s: %w", id, err)
	}
	rows, serr := camp.Status(ctx, id, false)
	if serr != nil {
		return serr
	}
	if perr := printRows(stdout, rows, asJSON); perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("change apply %s: %w", id, err)
	}
	for _, r := range rows {
		if change.IsFailed(r.State) {
			fmt.Fprintf(stderr, "trawl: some resources failed; fix them and run trawl change apply --id %s again\n", id)
			return errReported
		}
	}
	return nil
}

func cmdChangeStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("change status", changeHelp, stderr)
	var (
		id                string
		noRefresh, asJSON bool
	)
	fs.StringVar(&id, "id", "", "only campaign `ID`")
	fs.BoolVar(&noRefresh, "no-refresh", false, "show the stored states without asking the pull request API")
	fs.BoolVar(&asJSON, "json", false, `print {"changes": [{"id", "repo", "branch", "state", "pull_request"}]}`)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	camp, done, err := openCampaigns(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer done()
	rows, err := camp.Status(ctx, id, !noRefresh)
	if errors.Is(err, change.ErrNoPlan) {
		return usageError{fmt.Errorf("change status: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("change status: %w", err)
	}
	return printRows(stdout, rows, asJSON)
}

func printRows(w io.Writer, rows []change.Row, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{"changes": rows})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREPO@BRANCH\tSTATE\tPULL REQUEST")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s@%s\t%s\t%s\n", r.ID, r.Repo, r.Branch, r.State, r.PullRequest)
	}
	return tw.Flush()
}

// pullRequestEvents records pull_request webhooks on trawl's campaigns.
func pullRequestEvents(c *change.Campaigns, log *slog.Logger) func(webhook.PullRequestEvent) {
	return func(e webhook.PullRequestEvent) {
		ok, err := c.PullRequestEvent(e.Repo, e.Head, e.Number, e.URL, e.State, e.Merged)
		switch {
		case err != nil:
			log.Warn("pull_request webhook", "repo", e.Repo, "head", e.Head, "err", err)
		case ok:
			log.Info("pull_request webhook", "repo", e.Repo, "head", e.Head, "action", e.Action)
		}
	}
}
