package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/trawl-dev/trawl/demo"
	"github.com/trawl-dev/trawl/search"
)

const demoHelp = `
Usage:
  trawl demo init [--force] [DIR]      write a demo organisation and its trawl.yaml into DIR (default demo-org)
  trawl demo tour [-c DIR/trawl.yaml]  ask the crawled demo the questions trawl is for

The demo organisation is generated offline in a second: six repositories of
acme (Maven, npm, Go, Python, Docker, Helm, GitHub Actions), about five
branches each, with a log4j-core 2.14.1 on one release branch only, a
configuration key whose value differs across branches, a repository with no
CODEOWNERS, a generated file too large to index, a binary file and a
plain-text password. Generation is deterministic: same commit ids on every
machine.

Examples:
  trawl demo init demo-org
  trawl crawl -c demo-org/trawl.yaml
  trawl demo tour -c demo-org/trawl.yaml
  trawl serve -c demo-org/trawl.yaml      # then open http://127.0.0.1:8080
`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, demoHelp[1:])
		return usageError{errors.New("demo: missing subcommand (init or tour)")}
	}
	switch args[0] {
	case "init":
		return cmdDemoInit(ctx, args[1:], stdout, stderr)
	case "tour":
		return cmdDemoTour(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, demoHelp[1:])
		return errHelp
	}
	return usageError{fmt.Errorf("demo: unknown subcommand %q (init or tour)", args[0])}
}

func cmdDemoInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo init", demoHelp, stderr)
	force := fs.Bool("force", false, "replace DIR even if trawl demo init did not make it")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	dir := "demo-org"
	switch len(words) {
	case 0:
	case 1:
		dir = words[0]
	default:
		return usageError{errors.New("demo init: give one DIR")}
	}
	res, err := demo.Init(ctx, dir, demo.Options{Force: *force})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d repositories (%d branches) below %s and %s\n",
		len(res.Repos), res.Branches, filepath.Join(dir, "repos"), res.Config)
	fmt.Fprintf(stdout, "next:\n  trawl crawl -c %[1]s\n  trawl demo tour -c %[1]s\n  trawl serve -c %[1]s\n", res.Config)
	return nil
}

func cmdDemoTour(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo tour", demoHelp, stderr)
	cfgPath := fs.String("c", filepath.Join("demo-org", demo.ConfigFile), "configuration `file` of the crawled demo")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	for _, q := range demo.Tour() {
		fmt.Fprintf(stdout, "\n# %s\n$ trawl %s\n", q.Title, shellJoin(q.Args))
		if q.Missing {
			if err := tourMissing(ctx, *cfgPath, q, stdout); err != nil {
				return err
			}
			continue
		}
		code := run(ctx, append(append([]string{}, q.Args...), "-c", *cfgPath), stdout, stderr)
		if code != exitOK && !(q.Gate && code == exitError) {
			return errReported
		}
	}
	fmt.Fprintln(stdout)
	return nil
}

// tourMissing prints the search's answer, then the repositories it leaves
// out: the question "who has no CODEOWNERS" is the complement of a search.
func tourMissing(ctx context.Context, cfgPath string, q demo.Question, stdout io.Writer) error {
	c := common{configPath: cfgPath}
	_, idx, err := c.open(ctx, readOnly)
	if err != nil {
		return err
	}
	defer idx.Close()
	query := strings.Join(q.Args[1:], " ")
	res, err := search.New(idx).Search(ctx, query, search.Options{})
	if err != nil {
		return fmt.Errorf("search %q: %w", query, err)
	}
	printGrep(stdout, res, false)
	branches, err := idx.Branches(ctx)
	if err != nil {
		return fmt.Errorf("list branches: %w", err)
	}
	fmt.Fprintf(stdout, "not in this answer: %s\n", strings.Join(demo.NotAnswered(branches, res), ", "))
	return nil
}

// shellJoin quotes each argument that a POSIX shell would split or expand.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=,") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
