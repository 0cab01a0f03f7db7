// Command rusage runs a command and writes its wall time, peak RSS and
// anonymous memory at exit, "<nanoseconds> <bytes> <bytes>\n", to file
// descriptor 3; it exits with the command's exit code. The benchmark
// (internal/bench) starts every measured process through it: a child's
// ru_maxrss is never below the RSS high-water mark of the process that
// started it (Go starts children with clone(CLONE_VM|CLONE_VFORK), and exec
// keeps the larger mark), so the starter must be small. This one imports
// nothing of trawl's for that reason; what it adds is measured by running
// it on true(1).
//
// Peak RSS counts the pages of mapped files too: an index read through
// mmap adds every page cache folio a read touches, whole, and how large
// those folios are depends on how the file came into the cache (written in
// large pieces, they may be 2 MiB each), not on the command. The anonymous
// memory at exit (RssAnon, read while the command stops on its way out:
// Linux only, -1 elsewhere) is what the command allocated and still holds,
// which for a short-lived Go process is close to its peak.
//
//	rusage COMMAND [ARG...] 3>report
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() { os.Exit(run()) }

func run() int {
	report := os.NewFile(3, "report")
	if len(os.Args) < 2 || report == nil {
		fmt.Fprintln(os.Stderr, "usage: rusage COMMAND [ARG...] 3>report")
		return 2
	}
	// The benchmark interrupts rusage to cancel; the command goes too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.CommandContext(ctx, os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	res, err := runCommand(cmd)
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "rusage: %v\n", err)
		return 127
	}
	if _, err := fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), res.maxRSS, res.anon); err != nil {
		fmt.Fprintf(os.Stderr, "rusage: write report: %v\n", err)
		return 127
	}
	return res.code
}

// result is what runCommand learns of a finished command.
type result struct {
	code   int   // exit code; 1 for a command killed by a signal
	maxRSS int64 // bytes
	anon   int64 // bytes of anonymous memory at exit; -1 when unknown
}
