package parser

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
	spans := map[*node]*Span{}
	doc, err := buildTree(text, spans)
	if err != nil {
		return nil, err
	}
	var out []Span
	for _, e := range x.selectNodes(doc, false) { // local names, as trawl's own indicators match
		if x.attr != "" && !hasAttr(e, x.attr) {
			continue
		}
		out = append(out, *spans[e])
	}
	return out, nil
}

func hasAttr(n *node, name string) bool {
	for _, a := range n.attrs {
		if attrMatches(a, name) {
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
