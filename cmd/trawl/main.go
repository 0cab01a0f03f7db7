// Command trawl crawls every branch of an organisation's git repositories
// into an index and answers exact code searches over them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, as docs/design.md §5 fixes them.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `trawl crawls every branch of your git repositories and answers exact code searches.

Usage:
  trawl <command> [flags] [arguments]

Commands:
  crawl          one crawl pass: fetch every branch, index what changed
  search QUERY   exact literal and regex search over every branch
  skipped        files that matched the patterns but were not indexed, and why
  deps [NAME]    dependencies declared in manifests on every branch, with version ranges
  indicators     github-crawler compatible indicator documents (JSON, POST, Elasticsearch)
  sbom           CycloneDX SBOM of one branch (--repo R --branch B)
  serve          scheduled crawls, webhooks, HTTP API and web UI
  change         bulk changes through pull requests: plan, apply, status
  config check   validate trawl.yaml (config example prints a commented one)
  config import  github-crawler application.yml to trawl.yaml, with a report per key
  demo init DIR  write a demo organisation to crawl (demo tour asks it questions)
  version        module version, commit, build date and Go version (also --version)
  completion SH  shell completion script for bash, zsh or fish

Every command reads ./trawl.yaml unless -c names another file.
Run 'trawl <command> -h' for the command's flags and examples.

Exit codes: 0 success, 1 error (a repository that failed counts), 2 bad usage or config.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "crawl":
		err = cmdCrawl(ctx, rest, stdout, stderr)
	case "search":
		err = cmdSearch(ctx, rest, stdout, stderr)
	case "skipped":
		err = cmdSkipped(ctx, rest, stdout, stderr)
	case "deps":
		err = cmdDeps(ctx, rest, stdout, stderr)
	case "indicators":
		err = cmdIndicators(ctx, rest, stdout, stderr)
	case "sbom":
		err = cmdSBOM(ctx, rest, stdout, stderr)
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr)
	case "config":
		err = cmdConfig(ctx, rest, stdout, stderr)
	case "change":
		err = cmdChange(ctx, rest, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		err = cmdVersion(ctx, rest, stdout, stderr)
	case "completion":
		err = cmdCompletion(ctx, rest, stdout, stderr)
	case "__complete": // hidden: the completion scripts' helper
		cmdComplete(ctx, rest, stdout)
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "trawl: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "trawl: %v\n", err)
		return exitUsage
	case errors.Is(err, errReported):
		return exitError
	}
	fmt.Fprintf(stderr, "trawl: %v\n", err)
	return exitError
}

// usageError is bad usage or bad configuration: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// errHelp ends a command that printed its help.
var errHelp = errors.New("help shown")

// errReported ends a command whose failure was already told to the user.
var errReported = errors.New("failure reported")
