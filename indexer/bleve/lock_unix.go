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

// lockDir takes a non-blocking flock on path, exclusive for a writer and
// shared for a reader, which the kernel releases when the process dies, so
// a killed crawl leaves no stale lock. flock locks belong to the open file,
// so a second Open in the same process is refused too.
func lockDir(path string, shared bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
