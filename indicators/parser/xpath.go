package parser

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// XPath is the subset of XPath 1.0 that countMatchingXmlElements
// configurations use: location paths with / and //, name tests (a prefix
// is ignored), *, a final @attribute step, and predicates
// [N], [last()], [local-name()='x'], [name()='x'], [@a], [@a='v'],
// [text()='v'], [child], [child='v'], joined with "and".
type XPath struct {
	steps []step
	attr  string // final @attribute step: "" none, "*" any
}

type step struct {
	deep     bool   // reached with // rather than /
	name     string // local name or "*"
	prefixed bool   // the name test had a prefix
	preds    []pred
}

type pred struct {
	index int    // [N] (1-based); -1 for last(); 0: not positional
	kind  string // "local-name", "attr", "text", "child"
	name  string // attribute or child name
	value string
	eq    bool // compare with value; else existence
}

// ParseXPath compiles expr.
func ParseXPath(expr string) (*XPath, error) {
	s := strings.TrimSpace(expr)
	if s == "" {
		return nil, fmt.Errorf("empty XPath")
	}
	x := &XPath{}
	deep := false
	switch {
	case strings.HasPrefix(s, "//"):
		deep, s = true, s[2:]
	case strings.HasPrefix(s, "/"):
		s = s[1:]
	}
	for {
		if s == "" {
			return nil, fmt.Errorf("XPath %q: a step is missing", expr)
		}
		if s[0] == '@' {
			name, rest := splitName(s[1:])
			if name == "" || rest != "" {
				return nil, fmt.Errorf("XPath %q: an @attribute step must be last and named", expr)
			}
			x.attr = localName(name)
			if deep {
				x.steps = append(x.steps, step{deep: true, name: "*"})
			}
			return x, nil
		}
		name, rest := splitName(s)
		if name == "" {
			return nil, fmt.Errorf("XPath %q: unsupported step at %q (supported: names, *, @attr, predicates)", expr, s)
		}
		st := step{deep: deep, name: localName(name), prefixed: strings.Contains(name, ":")}
		for strings.HasPrefix(rest, "[") {
			end := closingBracket(rest)
			if end < 0 {
				return nil, fmt.Errorf("XPath %q: unclosed [", expr)
			}
			for _, part := range splitAnd(rest[1:end]) {
				p, err := parsePred(part)
				if err != nil {
					return nil, fmt.Errorf("XPath %q: %v", expr, err)
				}
				st.preds = append(st.preds, p)
			}
			rest = rest[end+1:]
		}
		x.steps = append(x.steps, st)
		switch {
		case rest == "":
			return x, nil
		case strings.HasPrefix(rest, "//"):
			deep, s = true, rest[2:]
		case strings.HasPrefix(rest, "/"):
			deep, s = false, rest[1:]
		default:
			return nil, fmt.Errorf("XPath %q: unexpected %q", expr, rest)
		}
	}
}

// splitName cuts a name test (QName or *) off the front of s.
func splitName(s string) (name, rest string) {
	if strings.HasPrefix(s, "*") {
		return "*", s[1:]
	}
	i := 0
	for i < len(s) && (isNameByte(s[i]) || s[i] == ':') {
		i++
	}
	return s[:i], s[i:]
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func localName(q string) string {
	if i := strings.LastIndexByte(q, ':'); i >= 0 {
		return q[i+1:]
	}
	return q
}

// closingBracket returns the index of the ] closing s[0], skipping quoted
// literals, or -1.
func closingBracket(s string) int {
	var quote byte
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ']':
			return i
		}
	}
	return -1
}

// splitAnd splits a predicate on " and " outside quotes.
func splitAnd(s string) []string {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(s[i:], " and "):
			parts = append(parts, s[start:i])
			start = i + len(" and ")
			i += len(" and ") - 1
		}
	}
	return append(parts, s[start:])
}

func parsePred(s string) (pred, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return pred{}, fmt.Errorf("position [%d] must be at least 1", n)
		}
		return pred{index: n}, nil
	}
	if s == "last()" {
		return pred{index: -1}, nil
	}
	lhs, rhs, eq := strings.Cut(s, "=")
	lhs = strings.TrimSpace(lhs)
	p := pred{eq: eq}
	if eq {
		v := strings.TrimSpace(rhs)
		if len(v) < 2 || (v[0] != '\'' && v[0] != '"') || v[len(v)-1] != v[0] {
			return pred{}, fmt.Errorf("predicate [%s]: compare with a quoted string", s)
		}
		p.value = v[1 : len(v)-1]
	}
	switch {
	case lhs == "local-name()" || lhs == "name()":
		if !eq {
			return pred{}, fmt.Errorf("predicate [%s]: compare %s with a string", s, lhs)
		}
		p.kind = "local-name"
	case lhs == "text()" || lhs == ".":
		p.kind = "text"
	case strings.HasPrefix(lhs, "@"):
		name, rest := splitName(lhs[1:])
		if name == "" || rest != "" {
			return pred{}, fmt.Errorf("predicate [%s]: bad attribute name", s)
		}
		p.kind, p.name = "attr", localName(name)
	default:
		name, rest := splitName(lhs)
		if name == "" || name == "*" || rest != "" {
			return pred{}, fmt.Errorf("unsupported predicate [%s]", s)
		}
		p.kind, p.name = "child", localName(name)
	}
	return p, nil
}

// Count returns how many nodes x selects in the document doc; a name
// test matches the local name whatever the namespace.
func (x *XPath) Count(doc *node) int { return x.count(doc, false) }

// countNS counts as a namespace-aware XPath 1.0 engine does (dom4j's, in
// github-crawler) without namespace bindings: an unprefixed name test
// matches only elements in no namespace, so //dependency finds nothing in
// a pom.xml that declares the Maven namespace; local-name() still does.
// ok is false for a prefixed name test, which such an engine refuses.
func (x *XPath) countNS(doc *node) (n int, ok bool) {
	for _, st := range x.steps {
		if st.prefixed {
			return 0, false
		}
	}
	return x.count(doc, true), true
}

func (x *XPath) count(doc *node, ns bool) int {
	ctx := x.selectNodes(doc, ns)
	if x.attr == "" {
		return len(ctx)
	}
	count := 0
	for _, n := range ctx {
		for _, a := range n.attrs {
			if attrMatches(a, x.attr) {
				count++
			}
		}
	}
	return count
}

// selectNodes returns the elements x's steps select from doc, in document
// order; ns is as in countNS.
func (x *XPath) selectNodes(doc *node, ns bool) []*node {
	ctx := []*node{doc}
	for _, st := range x.steps {
		seen := map[*node]bool{}
		var next []*node
		for _, c := range ctx {
			for _, n := range st.apply(c, ns) {
				if !seen[n] {
					seen[n] = true
					next = append(next, n)
				}
			}
		}
		sort.Slice(next, func(i, j int) bool { return next[i].order < next[j].order })
		ctx = next
	}
	return ctx
}

// attrMatches reports whether a is the attribute an @name step names (any
// attribute for @*); namespace declarations are not attributes in XPath.
func attrMatches(a xml.Attr, name string) bool {
	return a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") && (name == "*" || a.Name.Local == name)
}

// apply returns the nodes st selects from context node c. Positions are
// counted among the candidates of each parent, as XPath does for child
// steps (//x[1] is every x that is the first x of its parent).
func (st step) apply(c *node, ns bool) []*node {
	var out []*node
	var visit func(parent *node)
	visit = func(parent *node) {
		var cands []*node
		for _, ch := range parent.children {
			if st.name == "*" || ch.name == st.name && (!ns || ch.space == "") {
				cands = append(cands, ch)
			}
		}
		out = append(out, st.filter(cands)...)
		if st.deep {
			for _, ch := range parent.children {
				visit(ch)
			}
		}
	}
	visit(c)
	return out
}

func (st step) filter(cands []*node) []*node {
	for _, p := range st.preds {
		var kept []*node
		for i, n := range cands {
			if p.match(n, i+1, len(cands)) {
				kept = append(kept, n)
			}
		}
		cands = kept
	}
	return cands
}

func (p pred) match(n *node, pos, size int) bool {
	switch {
	case p.index > 0:
		return pos == p.index
	case p.index < 0:
		return pos == size
	}
	switch p.kind {
	case "local-name":
		return n.name == p.value
	case "text":
		return !p.eq || strings.TrimSpace(n.text.String()) == p.value
	case "attr":
		for _, a := range n.attrs {
			if a.Name.Local == p.name && (!p.eq || a.Value == p.value) {
				return true
			}
		}
	case "child":
		for _, c := range n.children {
			if c.name == p.name && (!p.eq || strings.TrimSpace(c.text.String()) == p.value) {
				return true
			}
		}
	}
	return false
}
