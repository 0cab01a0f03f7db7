//go:build unix

package bleve

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errInUse is returned when another Open holds the index directory.
var errInUse = errors.New("in use by another trawl process")

// lockDir takes an exclusive, non-blocking flock on path, which the kernel
// releases when the process dies, so a killed crawl leaves no stale lock.
// flock locks belong to the open file, so a second Open in the same process
// is refused too.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
