package search

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{`foo`, `"foo"i`},
		{`Foo`, `"Foo"`},
		{`foo bar`, `(and "foo"i "bar"i)`},
		{`"foo bar"`, `"foo bar"i`},
		{`"say \"hi\" \\ \n"`, `"say \"hi\" \\ \\n"i`},
		{`/fo+[a-z]/`, `/fo+[a-z]/i`},
		{`/a\/b/`, `/a/b/i`},
		{`/\S+\pL\p{Greek}(?P<Name>x)/`, `/\S+\pL\p{Greek}(?P<Name>x)/i`},
		{`/[A-Z]/`, `/[A-Z]/`},
		{`a or b c`, `(or "a"i (and "b"i "c"i))`},
		{`a (b or c)`, `(and "a"i (or "b"i "c"i))`},
		{`-foo bar`, `(and (not "foo"i) "bar"i)`},
		{`-(a or b)`, `(not (or "a"i "b"i))`},
		{`f(x) (y)`, `(and "f(x)"i "y"i)`},
		{`a-b - c`, `(and "a-b"i "-"i "c"i)`},
		{`repo:^acme/ -repo:sandbox branch:main file:\.go$ path:x lang:golang`,
			`(and repo:"^acme/" (not repo:"sandbox") branch:"main" file:"\\.go$" file:"x" lang:"Go")`},
		{`lang:"Maven POM" log4j`, `(and lang:"Maven POM" "log4j"i)`},
		{`file:/a b/ x`, `(and file:/a b/ "x"i)`},
		{`repo:"a b"`, `repo:"a b"`},
		{`case:yes foo`, `"foo"`},
		{`foo case:no Bar`, `(and "foo"i "Bar"i)`},
		{`std::vector http://x`, `(and "std::vector"i "http://x"i)`},
		{`OR`, `"OR"`},
	}
	for _, tt := range tests {
		q, err := Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		if got := q.Root.String(); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.query, got, tt.want)
		}
	}
}

func TestParseNegatedMarks(t *testing.T) {
	q, err := Parse(`a -(b -c) d`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, term := range q.Terms {
		got[term.Value] = term.Negated
	}
	want := map[string]bool{"a": false, "b": true, "c": false, "d": false}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("term %s negated = %v, want %v", k, got[k], v)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		query string
		pos   int
		msg   string
	}{
		{``, 0, "empty query"},
		{`   `, 3, "empty query"},
		{`foo (bar`, 4, `unclosed "("`},
		{`foo)`, 3, `unmatched ")"`},
		{`"abc`, 0, `unclosed quote`},
		{`x /ab`, 2, `unclosed /regex/`},
		{`/a/b`, 3, `must be followed by a space`},
		{`a or`, 4, `missing term after "or"`},
		{`or a`, 0, `missing term before "or"`},
		{`a or or b`, 5, `missing term before "or"`},
		{`()`, 0, `empty group`},
		{`/a(/`, 1, `missing closing )`}, // at the part the regexp parser names
		{`repo:(`, 5, `missing closing )`},
		{`repo:`, 0, `repo: needs a value`},
		{`lang:klingonese`, 0, `unknown language`},
		{`case:maybe x`, 0, `case: wants yes, no or auto`},
		{`-case:yes x`, 0, `cannot be negated`},
		{`a or case:yes`, 5, `case: applies to the whole query`},
		{`case:yes`, 0, `case: applies to the whole query`},
		{`x /(ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv){1000}/`, 2, `too large`},
		{`""`, 0, `empty search term`},
		{strings.Repeat("a", MaxQueryLen+1), MaxQueryLen, `longer than`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.query)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want *ParseError", tt.query, err)
			continue
		}
		if pe.Pos != tt.pos || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %v, want position %d and %q", tt.query, pe, tt.pos, tt.msg)
		}
	}
}

func TestParseErrorFormat(t *testing.T) {
	_, err := Parse(`foo (bar`)
	if got, want := err.Error(), `parse error at 4: unclosed "("`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseFiltersOnly(t *testing.T) {
	q, err := Parse(`file:pom.xml repo:api`)
	if err != nil {
		t.Fatal(err)
	}
	if q.HasContent() {
		t.Error("filters-only query reports content terms")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`foo`, `"a\"b"`, `/a\/b/`, `a or (b -c)`, `repo:x lang:"Maven POM"`, `case:no X`, `((`, `-`, `/`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T %v, want *ParseError", query, err, err)
			}
			if pe.Pos < 0 || pe.Pos > len(query) {
				t.Fatalf("Parse(%q) error position %d outside [0, %d]", query, pe.Pos, len(query))
			}
			return
		}
		if q.Root == nil {
			t.Fatalf("Parse(%q) returned no tree", query)
		}
		q.Plan()
	})
}
