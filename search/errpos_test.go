package search

import (
	"errors"
	"strings"
	"testing"
)

// TestParseErrorPoints checks that regexp errors point at the offending
// part of the query as the user wrote it and never show the (?i) the
// planner adds for case folding.
func TestParseErrorPoints(t *testing.T) {
	for _, tc := range []struct {
		query string
		pos   int    // byte offset of the offending part
		quote string // the message quotes this
	}{
		{"/func New[A-Z/", 9, "[A-Z"},
		{"log /a(b/", 5, "a(b"},
		{"ünï /x**/", 8, "**"},
		{"repo:a[ lib", 6, "`[`"},
		{"case:no /foo)/", 9, "foo)"},
	} {
		_, err := Parse(tc.query)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want a ParseError", tc.query, err)
			continue
		}
		if pe.Pos != tc.pos {
			t.Errorf("Parse(%q): error at %d (%q), want %d (%q): %s", tc.query, pe.Pos, tc.query[pe.Pos:], tc.pos, tc.query[tc.pos:], pe.Msg)
		}
		if strings.Contains(pe.Msg, "(?i)") || !strings.Contains(pe.Msg, tc.quote) {
			t.Errorf("Parse(%q): message %q, want it to quote %q and not (?i)", tc.query, pe.Msg, tc.quote)
		}
	}
}
