package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// runner starts measured commands through the rusage helper
// (internal/bench/rusage, built by the run), whose small size keeps the
// commands' peak RSS their own; see its doc comment for why.
type runner struct {
	helper string // path of the rusage binary
}

// buildRunner builds the rusage helper into dir.
func buildRunner(ctx context.Context, dir string) (runner, error) {
	bin := filepath.Join(dir, "rusage")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/trawl-dev/trawl/internal/bench/rusage")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return runner{}, fmt.Errorf("go build internal/bench/rusage (run inside the module): %w: %s", err, msg)
	}
	return runner{helper: bin}, nil
}

// measured is a command's run under the helper.
type measured struct {
	Wall    time.Duration // the command's own, from start to exit
	PeakRSS int64         // bytes
	Anon    int64         // bytes of anonymous memory at exit; -1 when unknown (see rusage)
}

// run runs name with args under the helper, with env (nil: this
// process's) and the given input and outputs. Its error is exec.Cmd.Run's,
// so the command's exit code reaches the caller as an *exec.ExitError.
func (rn runner) run(ctx context.Context, name string, args, env []string, stdin io.Reader, stdout, stderr io.Writer) (measured, error) {
	var m measured
	path, err := exec.LookPath(name)
	if err != nil {
		return m, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return m, fmt.Errorf("measure %s: %w", name, err)
	}
	defer r.Close()
	helper := exec.CommandContext(ctx, rn.helper, append([]string{path}, args...)...)
	helper.Env = env
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
	if len(f) != 3 {
		if err == nil {
			err = fmt.Errorf("measure %s: the helper reported nothing (%v)", name, rerr)
		}
		return m, err
	}
	wall, err1 := strconv.ParseInt(f[0], 10, 64)
	rss, err2 := strconv.ParseInt(f[1], 10, 64)
	anon, err3 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return m, fmt.Errorf("measure %s: bad helper report %q", name, buf.String())
	}
	m.Wall, m.PeakRSS, m.Anon = time.Duration(wall), rss, anon
	return m, err
}
