package deps

import (
	"errors"
	"testing"
)

func TestRangeErrorsPoint(t *testing.T) {
	for _, tc := range []struct {
		eco, text string
		pos       int // -1: valid
	}{
		{"maven", ">>2", 0},
		{"maven", ">=1.0 >>2", 6},
		{"maven", "2.6.*", 4},
		{"golang", "v2.6.*", 5},
		{"maven", "=>2", 0},
		{"maven", ">=2 <", 4},
		{"maven", "<1.0 || >=", 8},
		{"npm", "2.6.*", -1},
		{"pypi", "==2.6.*", -1},
		{"maven", "[2.6,2.7)", -1},
		{"maven", ">=2.0,<2.17.1", -1},
		{"maven", ">= 2.0", -1},
		{"maven", "!=2.0", -1},
		{"golang", "vers:golang/>=v2.0.0|<v2.5.0", -1},
	} {
		_, err := ParseRange(tc.eco, tc.text)
		var re *RangeError
		switch {
		case tc.pos < 0 && err != nil:
			t.Errorf("ParseRange(%s, %q) = %v, want it valid", tc.eco, tc.text, err)
		case tc.pos >= 0 && !errors.As(err, &re):
			t.Errorf("ParseRange(%s, %q) = %v, want a RangeError", tc.eco, tc.text, err)
		case tc.pos >= 0 && re.Pos != tc.pos:
			t.Errorf("ParseRange(%s, %q): error at %d (%v), want %d", tc.eco, tc.text, re.Pos, err, tc.pos)
		}
	}
}

func FuzzCheckRange(f *testing.F) {
	for _, s := range []string{">>2", "2.6.*", ">=1 <2", "[1,2)", "<1 || >=2", "=> 1", "vers:npm/*"} {
		f.Add("maven", s)
	}
	f.Fuzz(func(t *testing.T, eco, s string) {
		var re *RangeError
		if err := checkRange(eco, s); errors.As(err, &re) && (re.Pos < 0 || re.Pos >= len(s)) {
			t.Errorf("checkRange(%q, %q) points at %d, outside the text", eco, s, re.Pos)
		}
		ParseRange(eco, s) // must not panic
	})
}
