// Command rusage runs a command and writes its wall time and peak RSS,
// "<nanoseconds> <bytes>\n", to file descriptor 3; it exits with the
// command's exit code. The benchmark (internal/bench) starts every
// measured process through it: a child's ru_maxrss is never below the RSS
// high-water mark of the process that started it (Go starts children with
// clone(CLONE_VM|CLONE_VFORK), and exec keeps the larger mark), so the
// starter must be small. This one imports nothing of trawl's for that
// reason; what it adds is measured by running it on true(1).
//
//	rusage COMMAND [ARG...] 3>report
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
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
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = max(exit.ExitCode(), 1)
	case err != nil:
		fmt.Fprintf(os.Stderr, "rusage: %v\n", err)
		return 127
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) * 1024 // KiB on Linux
		if runtime.GOOS == "darwin" {
			rss = int64(ru.Maxrss) // bytes
		}
	}
	if _, err := fmt.Fprintf(report, "%d %d\n", wall.Nanoseconds(), rss); err != nil {
		fmt.Fprintf(os.Stderr, "rusage: write report: %v\n", err)
		return 127
	}
	return code
}
