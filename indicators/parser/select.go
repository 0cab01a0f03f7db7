package parser

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"sort"
)

// Span locates one element in a document's bytes, so that a caller can
// edit the document in place: trawl change adds and removes elements by
// the same XPath subset that indicators count with.
type Span struct {
	Start int // offset of the '<' opening the start tag
	End   int // offset just after the element's last byte
	// InnerEnd is the offset of the '<' of the end tag; equal to End for a
	// self-closing element, which has no inside.
	InnerEnd     int
	SelfClosing  bool
	ChildIndents []string // the whitespace before each child element's start tag on its line
}

// Select returns the spans of the elements x selects in text, in document
// order. An expression ending in an @attribute step selects the elements
// holding that attribute.
func (x *XPath) Select(text []byte) ([]Span, error) {
	doc := &node{}
	spans := map[*node]*Span{}
	stack := []*node{doc}
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	n := 1
	for {
		before := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxDepth {
				return nil, errors.New("elements nested too deeply")
			}
			e := &node{name: t.Name.Local, space: t.Name.Space, attrs: t.Attr, order: n}
			n++
			top := stack[len(stack)-1]
			top.children = append(top.children, e)
			if s := spans[top]; s != nil {
				s.ChildIndents = append(s.ChildIndents, lineIndent(text, before))
			}
			after := int(d.InputOffset())
			spans[e] = &Span{Start: before, SelfClosing: after >= 2 && text[after-2] == '/'}
			stack = append(stack, e)
		case xml.EndElement:
			e := stack[len(stack)-1]
			s := spans[e]
			s.End = int(d.InputOffset())
			if s.SelfClosing {
				s.InnerEnd = s.End
			} else {
				s.InnerEnd = before
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 1 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if len(doc.children) == 0 {
		return nil, errors.New("no root element")
	}
	ctx := []*node{doc}
	for _, st := range x.steps {
		seen := map[*node]bool{}
		var next []*node
		for _, c := range ctx {
			for _, m := range st.apply(c, false) { // local names, as trawl's own indicators match
				if !seen[m] {
					seen[m] = true
					next = append(next, m)
				}
			}
		}
		ctx = next
	}
	sort.Slice(ctx, func(i, j int) bool { return ctx[i].order < ctx[j].order })
	var out []Span
	for _, e := range ctx {
		if x.attr != "" && !hasAttr(e, x.attr) {
			continue
		}
		out = append(out, *spans[e])
	}
	return out, nil
}

func hasAttr(n *node, name string) bool {
	for _, a := range n.attrs {
		if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") && (name == "*" || a.Name.Local == name) {
			return true
		}
	}
	return false
}

// lineIndent is the run of spaces and tabs before offset on its line, or
// "" when something else precedes it there.
func lineIndent(text []byte, offset int) string {
	i := offset
	for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
		i--
	}
	if i > 0 && text[i-1] != '\n' {
		return ""
	}
	return string(text[i:offset])
}
