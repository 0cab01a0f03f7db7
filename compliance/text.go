package compliance

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText writes the report for a terminal: a table of the rules, then
// each rule that does not pass with its error and, per failing branch,
// one line per piece of evidence (path:line: text, and the advisory with
// its fixed version for a vulnerable dependency).
func (rep *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tSTATUS\tCHECKED\tFAILING\tTITLE")
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.Severity, r.Status, r.BranchesChecked, r.BranchesFailing, r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Rules {
		if r.Status == Pass {
			continue
		}
		fmt.Fprintf(w, "\n%s (%s):\n", r.ID, r.Status)
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", r.Error)
		}
		for _, f := range r.Failing {
			writeFailingText(w, f)
		}
	}
	return nil
}

func writeFailingText(w io.Writer, f Failing) {
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
