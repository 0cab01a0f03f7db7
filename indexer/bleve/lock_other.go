//go:build !unix

package bleve

import "os"

// lockDir only opens path where flock is missing; Bleve's own bolt lock
// (with its open timeout) then keeps a second process out.
func lockDir(path string, shared bool) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
