package deps

import (
	"strconv"
	"strings"
)

// tval is a TOML value: a scalar (Str; IsStr for strings), an array (IsArr,
// Arr) or a table (Tab, for both [tables] and inline tables). This reader
// covers what manifests use: tables, arrays of tables, dotted and quoted
// keys, all four string forms, arrays and inline tables; other scalars
// (numbers, booleans, dates) are kept as their raw text.
type tval struct {
	Line  int
	Str   string
	IsStr bool
	IsArr bool
	Arr   []*tval
	Tab   *ttable
}

type ttable struct {
	Keys []string
	Vals map[string]*tval
}

func newTable() *ttable { return &ttable{Vals: map[string]*tval{}} }

func (t *ttable) get(key string) *tval {
	if t == nil {
		return nil
	}
	return t.Vals[key]
}

// table returns the sub-table at a dotted path of keys, or nil.
func (t *ttable) table(keys ...string) *ttable {
	for _, k := range keys {
		v := t.get(k)
		if v == nil || v.Tab == nil {
			return nil
		}
		t = v.Tab
	}
	return t
}

func (t *ttable) str(key string) string {
	if v := t.get(key); v != nil && !v.IsArr && v.Tab == nil {
		return v.Str
	}
	return ""
}

func (t *ttable) set(key string, v *tval, line int) error {
	if _, dup := t.Vals[key]; dup {
		return errorf(line, "duplicate key %q", key)
	}
	t.Keys = append(t.Keys, key)
	t.Vals[key] = v
	return nil
}

type tomlParser struct {
	s    string
	pos  int
	line int
}

func parseTOML(b []byte) (*ttable, error) {
	p := &tomlParser{s: string(b), line: 1}
	root := newTable()
	cur := root
	for {
		p.skipBlank(true)
		if p.pos >= len(p.s) {
			return root, nil
		}
		if p.s[p.pos] == '[' {
			array := strings.HasPrefix(p.s[p.pos:], "[[")
			if array {
				p.pos += 2
			} else {
				p.pos++
			}
			line := p.line
			keys, err := p.key()
			if err != nil {
				return nil, err
			}
			p.skipBlank(false)
			closing := "]"
			if array {
				closing = "]]"
			}
			if !strings.HasPrefix(p.s[p.pos:], closing) {
				return nil, errorf(p.line, "expected %s", closing)
			}
			p.pos += len(closing)
			if cur, err = p.open(root, keys, array, line); err != nil {
				return nil, err
			}
		} else {
			line := p.line
			keys, err := p.key()
			if err != nil {
				return nil, err
			}
			p.skipBlank(false)
			if p.pos >= len(p.s) || p.s[p.pos] != '=' {
				return nil, errorf(p.line, "expected = after key")
			}
			p.pos++
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			v.Line = line
			if err := assign(cur, keys, v, line); err != nil {
				return nil, err
			}
		}
		p.skipBlank(false)
		if p.pos < len(p.s) && p.s[p.pos] != '\n' && p.s[p.pos] != '\r' {
			return nil, errorf(p.line, "unexpected %q after value", p.s[p.pos])
		}
	}
}

// open finds or creates the table a [header] or [[header]] names.
func (p *tomlParser) open(root *ttable, keys []string, array bool, line int) (*ttable, error) {
	t := root
	for i, k := range keys {
		last := i == len(keys)-1
		v := t.Vals[k]
		switch {
		case v == nil && last && array:
			nt := newTable()
			_ = t.set(k, &tval{Line: line, IsArr: true, Arr: []*tval{{Line: line, Tab: nt}}}, line)
			return nt, nil
		case v == nil:
			v = &tval{Line: line, Tab: newTable()}
			_ = t.set(k, v, line)
		case last && array:
			if !v.IsArr {
				return nil, errorf(line, "%q is not an array of tables", k)
			}
			nt := newTable()
			v.Arr = append(v.Arr, &tval{Line: line, Tab: nt})
			return nt, nil
		case v.IsArr:
			if len(v.Arr) == 0 || v.Arr[len(v.Arr)-1].Tab == nil {
				return nil, errorf(line, "%q is not a table", k)
			}
			v = v.Arr[len(v.Arr)-1]
		case v.Tab == nil:
			return nil, errorf(line, "%q is not a table", k)
		}
		t = v.Tab
	}
	return t, nil
}

// assign sets a dotted key, creating the intermediate tables.
func assign(t *ttable, keys []string, v *tval, line int) error {
	for _, k := range keys[:len(keys)-1] {
		sub := t.Vals[k]
		if sub == nil {
			sub = &tval{Line: line, Tab: newTable()}
			_ = t.set(k, sub, line)
		}
		if sub.Tab == nil {
			return errorf(line, "%q is not a table", k)
		}
		t = sub.Tab
	}
	return t.set(keys[len(keys)-1], v, line)
}

// skipBlank skips spaces, tabs and comments, and newlines too if nl.
func (p *tomlParser) skipBlank(nl bool) {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == ' ' || c == '\t':
			p.pos++
		case c == '#':
			for p.pos < len(p.s) && p.s[p.pos] != '\n' {
				p.pos++
			}
		case nl && (c == '\n' || c == '\r'):
			if c == '\n' {
				p.line++
			}
			p.pos++
		default:
			return
		}
	}
}

func (p *tomlParser) key() ([]string, error) {
	var keys []string
	for {
		p.skipBlank(false)
		if p.pos >= len(p.s) {
			return nil, errorf(p.line, "expected a key")
		}
		var k string
		switch p.s[p.pos] {
		case '"', '\'':
			v, err := p.str()
			if err != nil {
				return nil, err
			}
			k = v.Str
		default:
			start := p.pos
			for p.pos < len(p.s) && isBareKey(p.s[p.pos]) {
				p.pos++
			}
			if start == p.pos {
				return nil, errorf(p.line, "expected a key, found %q", p.s[p.pos])
			}
			k = p.s[start:p.pos]
		}
		keys = append(keys, k)
		p.skipBlank(false)
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			p.pos++
			continue
		}
		return keys, nil
	}
}

func isBareKey(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func (p *tomlParser) value(depth int) (*tval, error) {
	if depth > maxDepth {
		return nil, errorf(p.line, "nested too deep")
	}
	p.skipBlank(false)
	if p.pos >= len(p.s) {
		return nil, errorf(p.line, "expected a value")
	}
	line := p.line
	switch p.s[p.pos] {
	case '"', '\'':
		return p.str()
	case '[':
		p.pos++
		v := &tval{Line: line, IsArr: true}
		for {
			p.skipBlank(true)
			if p.pos >= len(p.s) {
				return nil, errorf(line, "unterminated array")
			}
			if p.s[p.pos] == ']' {
				p.pos++
				return v, nil
			}
			e, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v.Arr = append(v.Arr, e)
			p.skipBlank(true)
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
			} else if p.pos < len(p.s) && p.s[p.pos] != ']' {
				return nil, errorf(p.line, "expected , or ] in array")
			}
		}
	case '{':
		p.pos++
		v := &tval{Line: line, Tab: newTable()}
		for {
			p.skipBlank(true)
			if p.pos >= len(p.s) {
				return nil, errorf(line, "unterminated inline table")
			}
			if p.s[p.pos] == '}' {
				p.pos++
				return v, nil
			}
			kl := p.line
			keys, err := p.key()
			if err != nil {
				return nil, err
			}
			p.skipBlank(false)
			if p.pos >= len(p.s) || p.s[p.pos] != '=' {
				return nil, errorf(p.line, "expected = in inline table")
			}
			p.pos++
			e, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			e.Line = kl
			if err := assign(v.Tab, keys, e, kl); err != nil {
				return nil, err
			}
			p.skipBlank(true)
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
			} else if p.pos < len(p.s) && p.s[p.pos] != '}' {
				return nil, errorf(p.line, "expected , or } in inline table")
			}
		}
	}
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(" \t\r\n,]}#", rune(p.s[p.pos])) {
		p.pos++
	}
	// Dates may hold one space ("1979-05-27 07:32:00").
	if p.pos+1 < len(p.s) && p.s[p.pos] == ' ' && p.pos-start == 10 && p.s[p.pos+1] >= '0' && p.s[p.pos+1] <= '9' {
		p.pos++
		for p.pos < len(p.s) && !strings.ContainsRune(" \t\r\n,]}#", rune(p.s[p.pos])) {
			p.pos++
		}
	}
	raw := p.s[start:p.pos]
	switch {
	case raw == "true" || raw == "false" || strings.TrimLeft(raw, "+-") == "inf" || strings.TrimLeft(raw, "+-") == "nan":
	case raw != "" && strings.IndexByte("0123456789+-", raw[0]) >= 0:
	default:
		return nil, errorf(line, "expected a value, found %q", strings.SplitN(p.s[start:], "\n", 2)[0])
	}
	return &tval{Line: line, Str: raw}, nil
}

// str reads any of TOML's four string forms.
func (p *tomlParser) str() (*tval, error) {
	line := p.line
	q := p.s[p.pos]
	multi := strings.HasPrefix(p.s[p.pos:], strings.Repeat(string(q), 3))
	if multi {
		p.pos += 3
		// A newline right after the opening delimiter is trimmed.
		if strings.HasPrefix(p.s[p.pos:], "\r\n") {
			p.pos += 2
			p.line++
		} else if strings.HasPrefix(p.s[p.pos:], "\n") {
			p.pos++
			p.line++
		}
	} else {
		p.pos++
	}
	var b strings.Builder
	for {
		if p.pos >= len(p.s) {
			return nil, errorf(line, "unterminated string")
		}
		c := p.s[p.pos]
		switch {
		case multi && strings.HasPrefix(p.s[p.pos:], strings.Repeat(string(q), 3)):
			p.pos += 3
			// Up to two more quotes belong to the content.
			for i := 0; i < 2 && p.pos < len(p.s) && p.s[p.pos] == q; i++ {
				b.WriteByte(q)
				p.pos++
			}
			return &tval{Line: line, Str: b.String(), IsStr: true}, nil
		case !multi && c == q:
			p.pos++
			return &tval{Line: line, Str: b.String(), IsStr: true}, nil
		case c == '\n':
			if !multi {
				return nil, errorf(line, "newline in string")
			}
			p.line++
			b.WriteByte(c)
			p.pos++
		case c == '\\' && q == '"':
			if err := p.escape(&b, multi); err != nil {
				return nil, err
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

func (p *tomlParser) escape(b *strings.Builder, multi bool) error {
	p.pos++
	if p.pos >= len(p.s) {
		return errorf(p.line, "unterminated escape")
	}
	c := p.s[p.pos]
	p.pos++
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'e':
		b.WriteByte(0x1b)
	case '"', '\\':
		b.WriteByte(c)
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if p.pos+n > len(p.s) {
			return errorf(p.line, "short unicode escape")
		}
		r, err := strconv.ParseUint(p.s[p.pos:p.pos+n], 16, 32)
		if err != nil {
			return errorf(p.line, "bad unicode escape %q", p.s[p.pos:p.pos+n])
		}
		b.WriteRune(rune(r))
		p.pos += n
	case ' ', '\t', '\r', '\n':
		if !multi {
			return errorf(p.line, "bad escape")
		}
		// A line-ending backslash trims the following whitespace.
		p.pos--
		for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
			if p.s[p.pos] == '\n' {
				p.line++
			}
			p.pos++
		}
	default:
		return errorf(p.line, "bad escape \\%c", c)
	}
	return nil
}
