package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/trawl-dev/trawl/search"
)

const searchHelp = `
Usage: trawl search [-c trawl.yaml] [--json] [--limit N] [--context N] QUERY

Searches every indexed branch. Results are exact: every match, no invented
ones. Without --json each matching line prints as
  repo@branch:path:line:text
once per branch holding that file content.

Query language (terms are ANDed per file):
  foo              literal substring        "foo bar"   literal with spaces
  /fo+[a-z]/       RE2 regular expression   a or b, -foo, ( ... )
  'or' (lower case) binds looser than AND: a b or c = (a b) or c; OR is a literal
  repo:RE  branch:RE  file:RE (path:RE)  lang:NAME   filters; -repo:RE excludes
  case:yes|no|auto (default auto: case-sensitive if the pattern has upper case)

Examples:
  trawl search 'log4j-core file:pom.xml'
  trawl search '/^FROM\s+\S+:(11|16)-/ file:Dockerfile$' --limit 0   # regexes match line by line
  trawl search '"err != nil" lang:go'      # quoted: one literal; unquoted: three terms
  trawl search -- '-file:_test log4j'      # -- before a query that starts with -
  trawl search --json 'file:CODEOWNERS branch:^main$'
`

func cmdSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("search", searchHelp, stderr)
	var (
		asJSON  bool
		limit   int
		context int
	)
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON (docs/design.md §6)")
	fs.IntVar(&limit, "limit", 100, "at most `N` files; 0 means no limit (exhaustive)")
	fs.IntVar(&context, "context", 0, "`N` lines of context around each match")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		fs.Usage()
		return usageError{errors.New("search: missing QUERY")}
	}
	if limit < 0 || context < 0 {
		return usageError{errors.New("search: --limit and --context take numbers >= 0")}
	}
	gc := deferFirstGC()
	defer runtime.KeepAlive(gc)
	_, _, idx, err := c.openLogged(ctx, stderr, readOnly)
	if err != nil {
		return err
	}
	defer idx.Close()

	query := strings.Join(words, " ")
	res, err := search.New(idx).Search(ctx, query, search.Options{MaxFiles: limit, Context: context})
	var pe *search.ParseError
	if errors.As(err, &pe) {
		return usageError{fmt.Errorf("search: %w\n  %s\n  %s^", err, query, strings.Repeat(" ", pe.Pos))}
	}
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if asJSON {
		return res.WriteJSON(stdout)
	}
	// One write per line, unbuffered, was 777,280 system calls for "err !=
	// nil" on the bench org.
	out := bufio.NewWriterSize(stdout, 64<<10)
	printGrep(out, res, context > 0)
	if err := out.Flush(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if res.Stats.LimitHit {
		fmt.Fprintf(stderr, "trawl: stopped at a limit after %d files; --limit 0 gives every result\n", res.Stats.Files)
	}
	return nil
}

// printGrep prints results the way git grep -n does, one line per branch.
func printGrep(w io.Writer, res *search.Result, withContext bool) {
	for _, f := range res.Files {
		for _, b := range f.Branches {
			prefix := fmt.Sprintf("%s@%s:%s", f.Repo, b.Name, f.Path)
			if len(f.Matches) == 0 {
				fmt.Fprintln(w, prefix)
				continue
			}
			for _, m := range f.Matches {
				for i, line := range m.Before {
					fmt.Fprintf(w, "%s-%d-%s\n", prefix, m.Line-len(m.Before)+i, line)
				}
				fmt.Fprintf(w, "%s:%d:%s\n", prefix, m.Line, m.Text)
				for i, line := range m.After {
					fmt.Fprintf(w, "%s-%d-%s\n", prefix, m.Line+1+i, line)
				}
				if withContext {
					fmt.Fprintln(w, "--")
				}
			}
		}
	}
}
