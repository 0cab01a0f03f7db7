package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// ptraceExitKill is PTRACE_O_EXITKILL, which package syscall lacks: the
// command dies with this helper rather than run on untraced.
const ptraceExitKill = 0x100000

// runCommand runs cmd traced, so that it stops on its way out while its
// memory is still mapped, and reads its anonymous memory there.
func runCommand(cmd *exec.Cmd) (result, error) {
	res := result{anon: -1}
	// Every ptrace request must come from the thread that started the
	// tracee.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil { // stopped at exec
		return res, fmt.Errorf("wait for %s: %w", cmd.Path, err)
	}
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACEEXIT|ptraceExitKill); err != nil {
		return res, fmt.Errorf("trace %s: %w", cmd.Path, err)
	}
	var ru syscall.Rusage
	for sig := 0; ; {
		if err := syscall.PtraceCont(pid, sig); err != nil {
			return res, fmt.Errorf("resume %s: %w", cmd.Path, err)
		}
		if _, err := syscall.Wait4(pid, &ws, 0, &ru); err != nil {
			return res, fmt.Errorf("wait for %s: %w", cmd.Path, err)
		}
		sig = 0
		switch {
		case ws.Exited() || ws.Signaled():
			res.code, res.maxRSS = ws.ExitStatus(), ru.Maxrss*1024 // KiB
			if ws.Signaled() {
				res.code = 1
			}
			return res, nil
		case ws.Stopped() && ws.TrapCause() == syscall.PTRACE_EVENT_EXIT:
			res.anon = statusBytes(pid, "RssAnon:")
		case ws.Stopped():
			sig = int(ws.StopSignal()) // the command's own signal: deliver it
		}
	}
}

// statusBytes reads one "Name:  N kB" line of /proc/PID/status, or -1.
func statusBytes(pid int, name string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte(name)); ok {
			f := bytes.Fields(rest)
			if len(f) == 2 && string(f[1]) == "kB" {
				if n, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					return n * 1024
				}
			}
		}
	}
	return -1
}
