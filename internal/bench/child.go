package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A child's ru_maxrss, as wait4 reports it, is never below the RSS
// high-water mark of the process that started it: Go starts children with
// clone(CLONE_VM|CLONE_VFORK), and exec keeps the larger of the old and new
// marks. The benchmark process holds a whole index, so its children would
// all seem to need what it needs. Each measured command therefore runs under
// a small helper, this same binary started afresh, which starts the
// command, times it and reports its own child's figures.

// childEnv asks a process to act as the helper.
const childEnv = "TRAWL_BENCH_CHILD"

// ServeChild acts as the measuring helper when the environment asks for
// it: it runs os.Args[1:], writes "<wall ns> <peak RSS bytes>" to file
// descriptor 3 and exits with the command's exit code. It reports false,
// doing nothing, otherwise. Programs that run Run call it first in main
// (and tests in TestMain).
func ServeChild() bool {
	if os.Getenv(childEnv) != "1" {
		return false
	}
	os.Exit(serveChild())
	return true
}

func serveChild() int {
	report := os.NewFile(3, "report")
	if report == nil || len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "trawl-bench helper: no command or no report pipe")
		return 2
	}
	// The parent interrupts the helper to cancel; the command goes too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.CommandContext(ctx, os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	for i, kv := range cmd.Env {
		if strings.HasPrefix(kv, childEnv+"=") {
			cmd.Env = append(cmd.Env[:i:i], cmd.Env[i+1:]...)
			break
		}
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = max(exit.ExitCode(), 1)
	case err != nil:
		fmt.Fprintf(os.Stderr, "trawl-bench helper: %v\n", err)
		return 127
	}
	fmt.Fprintf(report, "%d %d\n", wall.Nanoseconds(), peakRSS(cmd.ProcessState))
	report.Close()
	return code
}

// measured is a command's run under the helper.
type measured struct {
	Wall    time.Duration // the command's own, from start to exit
	PeakRSS int64         // bytes
}

// runMeasured runs name with args under the helper, with env (nil: this
// process's) and the given input and outputs. Its error is exec.Cmd.Run's,
// so the command's exit code reaches the caller as an *exec.ExitError.
func runMeasured(ctx context.Context, name string, args, env []string, stdin io.Reader, stdout, stderr io.Writer) (measured, error) {
	var m measured
	self, err := os.Executable()
	if err != nil {
		return m, fmt.Errorf("measure %s: %w", name, err)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return m, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return m, fmt.Errorf("measure %s: %w", name, err)
	}
	defer r.Close()
	helper := exec.CommandContext(ctx, self, append([]string{path}, args...)...)
	if env == nil {
		env = os.Environ()
	}
	helper.Env = append(slices.Clip(env), childEnv+"=1")
	helper.Stdin, helper.Stdout, helper.Stderr = stdin, stdout, stderr
	helper.ExtraFiles = []*os.File{w}
	helper.Cancel = func() error { return helper.Process.Signal(os.Interrupt) }
	helper.WaitDelay = 5 * time.Second
	err = helper.Start()
	w.Close()
	if err != nil {
		return m, err
	}
	var buf bytes.Buffer
	_, rerr := buf.ReadFrom(r)
	err = helper.Wait()
	f := strings.Fields(buf.String())
	if len(f) != 2 {
		if err == nil {
			err = fmt.Errorf("measure %s: the helper reported nothing (%v)", name, rerr)
		}
		return m, err
	}
	wall, err1 := strconv.ParseInt(f[0], 10, 64)
	rss, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return m, fmt.Errorf("measure %s: bad helper report %q", name, buf.String())
	}
	m.Wall, m.PeakRSS = time.Duration(wall), rss
	return m, err
}
