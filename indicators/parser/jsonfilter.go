package parser

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// filter is a Jayway filter expression [?(...)]: a disjunction of
// conjunctions of comparisons of a path below @ with a literal.
type filter [][]cmp

type cmp struct {
	path *JSONPath // below @
	op   string    // "" (exists), ==, !=, <, <=, >, >=
	lit  any       // string, float64, bool or nil
}

// maxFilterTerms bounds a filter's comparisons: real ones hold one or two.
const maxFilterTerms = 64

func parseFilter(s string) (filter, error) {
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return nil, errors.New("want [?(...)]")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	var f filter
	n := 0
	for _, alt := range splitOutsideQuotes(s, "||") {
		var and []cmp
		for _, term := range splitOutsideQuotes(alt, "&&") {
			if n++; n > maxFilterTerms {
				return nil, fmt.Errorf("more than %d comparisons", maxFilterTerms)
			}
			c, err := parseCmp(strings.TrimSpace(term))
			if err != nil {
				return nil, err
			}
			and = append(and, c)
		}
		f = append(f, and)
	}
	return f, nil
}

// splitOutsideQuotes splits s at sep where sep is not inside quotes.
func splitOutsideQuotes(s, sep string) []string {
	var out []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			i += len(sep) - 1
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func parseCmp(s string) (cmp, error) {
	var c cmp
	if !strings.HasPrefix(s, "@") {
		return c, fmt.Errorf("%q: a comparison starts with @", s)
	}
	opAt, op := -1, ""
	var quote byte
	for i := 1; i < len(s) && opAt < 0; i++ {
		ch := s[i]
		if quote != 0 {
			if ch == quote {
				quote = 0
			}
			continue
		}
		if ch == '\'' || ch == '"' {
			quote = ch
			continue
		}
		for _, o := range []string{"==", "!=", "<=", ">=", "<", ">"} {
			if strings.HasPrefix(s[i:], o) {
				opAt, op = i, o
				break
			}
		}
	}
	left := s
	if opAt >= 0 {
		left = strings.TrimSpace(s[:opAt])
	}
	var err error
	if left == "@" {
		c.path = &JSONPath{definite: true}
	} else if c.path, err = ParseJSONPath("$" + left[1:]); err != nil {
		return c, err
	}
	if opAt < 0 {
		return c, nil
	}
	c.op = op
	lit := strings.TrimSpace(s[opAt+len(op):])
	switch {
	case len(lit) >= 2 && (lit[0] == '\'' || lit[0] == '"') && lit[len(lit)-1] == lit[0]:
		c.lit = lit[1 : len(lit)-1]
	case lit == "true" || lit == "false":
		c.lit = lit == "true"
	case lit == "null":
		c.lit = nil
	default:
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return c, fmt.Errorf("%q is not a string, number, true, false or null", lit)
		}
		c.lit = f
	}
	return c, nil
}

// apply returns the elements of an array, or the object itself, that the
// filter accepts.
func (f filter) apply(v any) []any {
	var cands []any
	switch t := v.(type) {
	case []any:
		cands = t
	case orderedObject:
		cands = []any{t}
	}
	var out []any
	for _, c := range cands {
		if f.match(c) {
			out = append(out, c)
		}
	}
	return out
}

func (f filter) match(v any) bool {
	for _, and := range f {
		ok := true
		for _, c := range and {
			if !c.match(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c cmp) match(v any) bool {
	got := c.path.eval(v)
	if c.op == "" {
		return len(got) > 0
	}
	if len(got) == 0 {
		return c.op == "!="
	}
	x := got[0]
	switch lit := c.lit.(type) {
	case string:
		s, ok := x.(string)
		if !ok {
			return c.op == "!="
		}
		return order(strings.Compare(s, lit), c.op)
	case float64:
		n, ok := x.(json.Number)
		if !ok {
			return c.op == "!="
		}
		f, err := n.Float64()
		if err != nil {
			return c.op == "!="
		}
		switch {
		case f < lit:
			return order(-1, c.op)
		case f > lit:
			return order(1, c.op)
		}
		return order(0, c.op)
	case bool:
		b, ok := x.(bool)
		return (ok && b == lit) == (c.op == "==")
	case nil:
		return (x == nil) == (c.op == "==")
	}
	return false
}

func order(c int, op string) bool {
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}
