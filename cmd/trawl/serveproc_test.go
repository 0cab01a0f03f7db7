package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// served is a trawl serve child process started by startServe.
type served struct {
	cmd    *exec.Cmd
	base   string        // http://host:port, from the address serve prints
	logs   *bytes.Buffer // its standard error
	exited chan error    // receives Wait's result once the process ends
}

// startServe runs bin with args (serve and its flags) and extra environment,
// and waits for the address it prints. The process is killed when the test
// ends, and its logs are shown when the test failed.
func startServe(t *testing.T, bin string, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, logs: logs, exited: make(chan error, 1)}
	done := make(chan struct{})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		io.Copy(io.Discard, stdout)
		s.exited <- cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("trawl serve logs:\n%s", logs.String())
		}
	})
	if err != nil {
		t.Fatalf("serve printed no address: %v\n%s", err, logs.String())
	}
	s.base = strings.TrimSpace(strings.TrimPrefix(line, "trawl serving on "))
	return s
}
