package deps

import (
	"errors"

	"github.com/pelletier/go-toml/v2/unstable"
)

// TOML manifests (pyproject.toml, poetry.lock, Gradle version catalogs) are
// read with go-toml's unstable parser rather than decoded into structs,
// because the records need the line of every key and array element, which
// only the parser's byte ranges give. The document is rebuilt here as a
// small tree of tables; go-toml's parser checks syntax only, so this file
// also rejects what TOML forbids across lines (a key defined twice, a
// header naming a value that is not a table).

// tval is a TOML value: a scalar (Str; IsStr for strings), an array (IsArr,
// Arr) or a table (Tab, for both [tables] and inline tables). Scalars other
// than strings (numbers, booleans, dates) are kept as their raw text.
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

// parseTOML reads a TOML document into tables whose values know their line:
// the line of their key, or of the element itself inside an array.
func parseTOML(b []byte) (*ttable, error) {
	lines := newLineIndex(b)
	p := &unstable.Parser{}
	p.Reset(b)
	root := newTable()
	cur := root
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys, line := tomlKey(e.Key(), lines)
			t, err := openTable(root, keys, e.Kind == unstable.ArrayTable, line)
			if err != nil {
				return nil, err
			}
			cur = t
		case unstable.KeyValue:
			if err := tomlAssign(p, cur, e, lines); err != nil {
				return nil, err
			}
		}
	}
	if err := p.Error(); err != nil {
		return nil, tomlError(b, lines, err)
	}
	return root, nil
}

// tomlKey returns a dotted key's parts and the line of its first part.
func tomlKey(it unstable.Iterator, lines lineIndex) ([]string, int) {
	var keys []string
	line := 0
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = lines.line(int(k.Raw.Offset))
		}
		keys = append(keys, string(k.Data))
	}
	return keys, line
}

// tomlAssign sets key = value of a KeyValue node in t.
func tomlAssign(p *unstable.Parser, t *ttable, kv *unstable.Node, lines lineIndex) error {
	keys, line := tomlKey(kv.Key(), lines)
	v, err := tomlValue(p, kv.Value(), line, lines)
	if err != nil {
		return err
	}
	return assign(t, keys, v, line)
}

// tomlValue converts a value node; line is where it starts (its key's line
// for a key's value).
func tomlValue(p *unstable.Parser, n *unstable.Node, line int, lines lineIndex) (*tval, error) {
	switch n.Kind {
	case unstable.String:
		return &tval{Line: line, Str: string(n.Data), IsStr: true}, nil
	case unstable.Array:
		v := &tval{Line: line, IsArr: true}
		for it := n.Children(); it.Next(); {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			e, err := tomlValue(p, c, tomlLine(c, line, lines), lines)
			if err != nil {
				return nil, err
			}
			v.Arr = append(v.Arr, e)
		}
		return v, nil
	case unstable.InlineTable:
		v := &tval{Line: line, Tab: newTable()}
		for it := n.Children(); it.Next(); {
			c := it.Node()
			if c.Kind != unstable.KeyValue {
				continue
			}
			if err := tomlAssign(p, v.Tab, c, lines); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	return &tval{Line: line, Str: string(p.Raw(n.Raw))}, nil
}

// tomlLine is the line an array element starts on. go-toml records no
// range for a nested array, so it takes the line of its first element
// (or, empty, that of the enclosing array).
func tomlLine(n *unstable.Node, outer int, lines lineIndex) int {
	switch n.Kind {
	case unstable.Array:
		for it := n.Children(); it.Next(); {
			if c := it.Node(); c.Kind != unstable.Comment {
				return tomlLine(c, outer, lines)
			}
		}
		return outer
	case unstable.InlineTable:
		return lines.line(int(n.Raw.Offset))
	}
	return lines.line(int(n.Raw.Offset))
}

// tomlError gives a go-toml syntax error the line of the text it points at.
func tomlError(b []byte, lines lineIndex, err error) error {
	var pe *unstable.ParserError
	if !errors.As(err, &pe) {
		return err
	}
	off := cap(b) - cap(pe.Highlight)
	if pe.Highlight == nil || off < 0 || off > len(b) {
		off = len(b)
	}
	return errorf(lines.line(off), "%s", pe.Message)
}

// open finds or creates the table a [header] or [[header]] names.
func openTable(root *ttable, keys []string, array bool, line int) (*ttable, error) {
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
