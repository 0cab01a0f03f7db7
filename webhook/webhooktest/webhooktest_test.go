package webhooktest

import (
	"io"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Errorf says.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

// TestUnreadFailsWhenRead: reading the body fails the test, and a body
// left unread does not.
func TestUnreadFailsWhenRead(t *testing.T) {
	r := &recorder{TB: t}
	body := Unread(r, "bad signature")
	if len(r.errs) != 0 {
		t.Fatalf("failed before any read: %v", r.errs)
	}
	n, err := body.Read(make([]byte, 8))
	if n != 0 || err != io.EOF {
		t.Errorf("Read = %d, %v; want 0, EOF", n, err)
	}
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "was read") {
		t.Errorf("a read reported %v, want one failure", r.errs)
	}
}
