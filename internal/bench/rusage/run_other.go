//go:build !linux

package main

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"
)

// runCommand runs cmd; only Linux tells its memory at exit.
func runCommand(cmd *exec.Cmd) (result, error) {
	res := result{anon: -1}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = max(exit.ExitCode(), 1)
	case err != nil:
		return res, err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSS = int64(ru.Maxrss) // bytes on macOS
		if runtime.GOOS != "darwin" {
			res.maxRSS *= 1024
		}
	}
	return res, nil
}
