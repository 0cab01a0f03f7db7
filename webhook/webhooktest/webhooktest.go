// Package webhooktest holds what the tests of every forge's webhook handler
// share.
package webhooktest

import (
	"io"
	"testing"
)

// Unread returns a body that fails t when read: a delivery a handler must
// refuse before reading it (a bad signature, an ignored event, a declared
// length over the cap). what names the delivery in the failure.
func Unread(t testing.TB, what string) io.Reader { return unread{t, what} }

type unread struct {
	t    testing.TB
	what string
}

func (u unread) Read([]byte) (int, error) {
	u.t.Errorf("%s: the body of a delivery to refuse was read", u.what)
	return 0, io.EOF
}
