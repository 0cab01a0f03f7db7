package parser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JSONPath is the subset of Jayway JsonPath that findValueForJsonPath
// configurations use: $ (optional, as in Jayway), .name, ['name'],
// [N] (negative counts from the end), [*], .* and ..name, and filters
// [?(@.name == 'x')] (==, !=, <, <=, >, >=, &&, || and @.path alone
// for "exists"). Names in dot
// notation run to the next . or [, so dependencies.@angular/core works.
type JSONPath struct {
	segs     []seg
	definite bool // no wildcard nor deep scan: selects at most one value
}

type seg struct {
	deep   bool   // ..
	name   string // member name; "*" any member or element
	index  *int   // array index
	filter filter // [?(...)]: the elements (or the object) it accepts
}

// ParseJSONPath compiles expr.
func ParseJSONPath(expr string) (*JSONPath, error) {
	s := strings.TrimSpace(expr)
	switch {
	case s == "":
		return nil, fmt.Errorf("empty JSON path")
	case s == "$":
		return &JSONPath{definite: true}, nil
	case strings.HasPrefix(s, "$"):
		s = s[1:]
	case !strings.HasPrefix(s, "["):
		s = "." + s
	}
	p := &JSONPath{definite: true}
	for s != "" {
		var sg seg
		switch {
		case strings.HasPrefix(s, ".."):
			sg.deep, s = true, s[2:]
			p.definite = false
			if strings.HasPrefix(s, "[") {
				break
			}
			fallthrough
		case s[0] == '.':
			s = strings.TrimPrefix(s, ".")
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				return nil, fmt.Errorf("JSON path %q: empty name", expr)
			}
			sg.name, s = s[:end], s[end:]
			if sg.name == "*" {
				p.definite = false
			}
			p.segs = append(p.segs, sg)
			continue
		}
		if !strings.HasPrefix(s, "[") {
			return nil, fmt.Errorf("JSON path %q: unexpected %q", expr, s)
		}
		end := closingBracket(s)
		if end < 0 {
			return nil, fmt.Errorf("JSON path %q: unclosed [", expr)
		}
		in := strings.TrimSpace(s[1:end])
		s = s[end+1:]
		switch {
		case strings.HasPrefix(in, "?"):
			f, err := parseFilter(strings.TrimSpace(in[1:]))
			if err != nil {
				return nil, fmt.Errorf("JSON path %q: filter: %w", expr, err)
			}
			sg.filter = f
			p.definite = false
		case in == "*":
			sg.name = "*"
			p.definite = false
		case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0]:
			sg.name = in[1 : len(in)-1]
		default:
			n, err := strconv.Atoi(in)
			if err != nil {
				return nil, fmt.Errorf("JSON path %q: unsupported [%s] (supported: ['name'], [N], [*])", expr, in)
			}
			sg.index = &n
		}
		p.segs = append(p.segs, sg)
	}
	return p, nil
}

// eval returns the values p selects in v, in document order.
func (p *JSONPath) eval(v any) []any {
	cur := []any{v}
	for _, sg := range p.segs {
		var next []any
		for _, c := range cur {
			if sg.deep {
				walkJSON(c, func(x any) { next = append(next, sg.step(x)...) })
			} else {
				next = append(next, sg.step(c)...)
			}
		}
		cur = next
	}
	return cur
}

func (sg seg) step(v any) []any {
	if sg.filter != nil {
		return sg.filter.apply(v)
	}
	switch t := v.(type) {
	case orderedObject:
		if sg.index != nil {
			return nil
		}
		var out []any
		for _, m := range t {
			if sg.name == "*" || m.key == sg.name {
				out = append(out, m.value)
			}
		}
		return out
	case []any:
		switch {
		case sg.name == "*":
			return t
		case sg.index != nil:
			i := *sg.index
			if i < 0 {
				i += len(t)
			}
			if i >= 0 && i < len(t) {
				return []any{t[i]}
			}
		}
	}
	return nil
}

// walkJSON calls fn for v and every value below it.
func walkJSON(v any, fn func(any)) {
	fn(v)
	switch t := v.(type) {
	case orderedObject:
		for _, m := range t {
			walkJSON(m.value, fn)
		}
	case []any:
		for _, x := range t {
			walkJSON(x, fn)
		}
	}
}

// orderedObject keeps members in file order, so that "first match" means
// what the file says first.
type orderedObject []member

type member struct {
	key   string
	value any
}

// jsonValue returns what p selects in text: a string as is, the first
// element of a list, numbers and booleans as written; NotFound otherwise.
func jsonValue(text []byte, p *JSONPath) string {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	v, err := decodeJSON(d, 0)
	if err == nil {
		if _, extra := d.Token(); extra != io.EOF {
			err = fmt.Errorf("unexpected data after the top-level value")
		}
	}
	if err != nil {
		return ParseIssuePrefix + err.Error()
	}
	got := p.eval(v)
	if len(got) == 0 {
		return NotFound
	}
	first := got[0]
	if p.definite {
		if list, ok := first.([]any); ok {
			if len(list) == 0 {
				return NotFound
			}
			first = list[0]
		}
	}
	switch t := first.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return NotFound
}

func decodeJSON(d *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := orderedObject{}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{key: k.(string), value: v})
			}
			_, err := d.Token()
			return obj, err
		case '[':
			list := []any{}
			for d.More() {
				v, err := decodeJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := d.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}
