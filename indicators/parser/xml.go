package parser

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// node is one XML element. Names are local names: a pom.xml declares the
// Maven namespace as its default, and matching names within it is what
// users mean.
type node struct {
	name     string
	space    string // namespace URI ("" when none): github-crawler's XPath matches unprefixed names only in no namespace
	attrs    []xml.Attr
	children []*node
	text     strings.Builder // the element's own character data
	order    int             // position in document order
}

// maxDepth bounds nesting so that a hostile file cannot exhaust the stack
// of the recursive XPath evaluation.
const maxDepth = 1000

// parseXML reads text into a tree whose root is a document node holding
// the root element.
func parseXML(text []byte) (*node, error) { return buildTree(text, nil) }

// buildTree is parseXML that also records, when spans is not nil, where
// each element stands in text (Select edits documents in place).
func buildTree(text []byte, spans map[*node]*Span) (*node, error) {
	doc := &node{}
	stack := []*node{doc}
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	// Character sets other than UTF-8 are read as is: the names and values
	// indicators look for are ASCII.
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
			if spans != nil {
				if s := spans[top]; s != nil {
					s.ChildIndents = append(s.ChildIndents, lineIndent(text, before))
				}
				after := int(d.InputOffset())
				spans[e] = &Span{Start: before, SelfClosing: after >= 2 && text[after-2] == '/'}
			}
			stack = append(stack, e)
		case xml.EndElement:
			if s := spans[stack[len(stack)-1]]; s != nil {
				s.End = int(d.InputOffset())
				if s.SelfClosing {
					s.InnerEnd = s.End
				} else {
					s.InnerEnd = before
				}
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
	return doc, nil
}

// dependencyVersion finds the version declared next to <artifactId>want
// (in the same parent element), resolving a ${property} from the
// <properties> section as github-crawler does.
func dependencyVersion(text []byte, want string) string {
	root, err := parseXML(text)
	if err != nil {
		return XMLErrorPrefix + err.Error()
	}
	seen := false
	var found string
	var walk func(n *node) bool
	walk = func(n *node) bool {
		var artifact, version *node
		for _, c := range n.children {
			switch {
			case strings.EqualFold(c.name, "artifactId"):
				artifact = c
			case strings.EqualFold(c.name, "version"):
				version = c
			}
		}
		if artifact != nil && strings.TrimSpace(artifact.text.String()) == want {
			seen = true
			if version != nil {
				found = strings.TrimSpace(version.text.String())
				return true
			}
		}
		for _, c := range n.children {
			if walk(c) {
				return true
			}
		}
		return false
	}
	switch {
	case walk(root):
		if strings.HasPrefix(found, "${") && strings.HasSuffix(found, "}") {
			return property(root, found)
		}
		return found
	case seen:
		return VersionNotFound
	}
	return NotFound
}

// property resolves ref (${name}) from the <properties> sections.
func property(root *node, ref string) string {
	name := ref[2 : len(ref)-1]
	var value string
	ok := false
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			if ok {
				return
			}
			if strings.EqualFold(c.name, "properties") {
				for _, p := range c.children {
					if strings.EqualFold(p.name, name) {
						value, ok = strings.TrimSpace(p.text.String()), true
						return
					}
				}
			}
			walk(c)
		}
	}
	walk(root)
	if !ok {
		return ref + PropertyNotFoundIn
	}
	return value
}
