package deps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jnode is a JSON value with the line it starts on, so that records can
// point at their declaration.
type jnode struct {
	Line int
	Kind byte // 'o' object, 'a' array, 's' string, 'x' other scalar
	Str  string
	Keys []string // object keys in file order
	Obj  map[string]*jnode
	Arr  []*jnode
}

func (n *jnode) get(key string) *jnode {
	if n == nil || n.Obj == nil {
		return nil
	}
	return n.Obj[key]
}

func (n *jnode) str() string {
	if n == nil || n.Kind != 's' {
		return ""
	}
	return n.Str
}

const maxDepth = 500

// parseJSON reads a JSON document into a jnode tree.
func parseJSON(b []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	lines := newLineIndex(b)
	p := &jparser{dec: dec, lines: lines}
	root, err := p.value(0)
	if err != nil {
		return nil, p.wrap(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(lines.line(int(dec.InputOffset())), "data after the top-level value")
	}
	return root, nil
}

type jparser struct {
	dec   *json.Decoder
	lines lineIndex
}

func (p *jparser) wrap(err error) error {
	var le *lineError
	if errors.As(err, &le) {
		return err
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errorf(p.lines.line(int(se.Offset)), "%v", err)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errorf(p.lines.line(int(p.dec.InputOffset())), "unexpected end of JSON")
	}
	return errorf(p.lines.line(int(p.dec.InputOffset())), "%v", err)
}

func (p *jparser) value(depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, errorf(p.lines.line(int(p.dec.InputOffset())), "nested too deep")
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &jnode{Line: p.lines.line(max(int(p.dec.InputOffset())-1, 0))}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind = 'o'
			n.Obj = map[string]*jnode{}
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errorf(p.lines.line(int(p.dec.InputOffset())), "object key is not a string")
				}
				keyLine := p.lines.line(max(int(p.dec.InputOffset())-1, 0))
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.Line = keyLine
				if _, dup := n.Obj[key]; !dup {
					n.Keys = append(n.Keys, key)
				}
				n.Obj[key] = v
			}
		case '[':
			n.Kind = 'a'
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Arr = append(n.Arr, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // closing delimiter
			return nil, err
		}
	case string:
		n.Kind, n.Str = 's', t
	default:
		n.Kind, n.Str = 'x', fmt.Sprint(t)
	}
	return n, nil
}
