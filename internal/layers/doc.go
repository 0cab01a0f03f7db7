// Package layers holds no code: its test enforces the import rules of
// docs/architecture.md, so that a package reaching into a layer it must
// not know fails the build's tests rather than a reviewer's eye.
package layers
