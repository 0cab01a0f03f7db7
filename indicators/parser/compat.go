package parser

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// Mode chooses between trawl's stricter reading and github-crawler's exact
// one (compatibility: github-crawler).
type Mode int

const (
	// Strict is trawl's behaviour: RE2 patterns checked when the
	// configuration loads, a <version> next to its <artifactId> in any
	// order, numbers and booleans read as written from JSON.
	Strict Mode = iota
	// GitHubCrawler reproduces github-crawler's parsers, quirks included:
	// Java regular expressions (lookarounds) with a match timeout, a
	// pattern without one capture group answered at run time, a SAX-style
	// pass that takes a <version> only after its <artifactId>, JSON
	// values other than strings "not found", and an XML file with an
	// undeclared namespace prefix an "issue while parsing the file" for
	// countMatchingXmlElements.
	GitHubCrawler
)

// ParseIssue is github-crawler's value for a file countMatchingXmlElements
// cannot read.
const ParseIssue = "issue while parsing the file"

// regexpTimeout bounds one backtracking match: Java patterns can take
// exponential time on a crafted file, and one file must not stall a run.
const regexpTimeout = time.Second

// RegexpTimedOut is the value of a GitHubCrawler-mode pattern that ran
// past regexpTimeout.
const RegexpTimedOut = "issue in config, check logs: pattern ran longer than 1s"

// compileJava compiles a java.util.regex pattern with regexp2, the
// backtracking engine that reads its syntax (lookarounds, possessive and
// lazy quantifiers, backreferences).
func compileJava(p string) (*regexp2.Regexp, int, error) {
	re, err := regexp2.Compile(p, regexp2.None)
	if err != nil {
		return nil, 0, err
	}
	re.MatchTimeout = regexpTimeout
	return re, len(re.GetGroupNumbers()) - 1, nil
}

// evalJava is Matcher.find() then group(1).
func evalJava(re *regexp2.Regexp, groups int, text []byte) string {
	if groups != 1 {
		return RegexpConfigIssue
	}
	m, err := re.FindStringMatch(string(text))
	if err != nil {
		return RegexpTimedOut
	}
	if m == nil {
		return NotFound
	}
	return m.GroupByNumber(1).String()
}

// saxVersion is github-crawler's findDependencyVersionInXml: one pass over
// the elements, not namespace aware (names compare with their prefix,
// ignoring case), taking the first <version> that starts after the text of
// an <artifactId> equal to want and before the next <artifactId>'s text.
// The artifactId's text is compared as written, surrounding spaces
// included.
func saxVersion(text []byte, want string) string {
	value := ""
	inAny, inExpected, inVersion, seen, found := false, false, false, false, false
	err := saxWalk(text, func(ev saxEvent) bool {
		switch ev.kind {
		case saxStart:
			if strings.EqualFold(ev.name, "artifactId") {
				inAny = true
			}
			if inExpected && strings.EqualFold(ev.name, "version") {
				inVersion = true
			}
		case saxEnd:
			if inAny && strings.EqualFold(ev.name, "artifactId") {
				inAny = false
				if !seen {
					value = NotFound
				} else if !found {
					value = VersionNotFound
				}
			}
			if inVersion && strings.EqualFold(ev.name, "version") {
				inVersion = false
			}
		case saxText:
			if inAny {
				inExpected = ev.text == want
				if inExpected {
					seen = true
				}
			}
			if inVersion {
				v := ev.text
				if strings.HasPrefix(v, "${") {
					v = saxProperty(text, v)
				}
				value, found = v, true
				return false
			}
		}
		return true
	})
	if err != nil && !found {
		return XMLErrorPrefix + err.Error()
	}
	if value == "" {
		return NotFound
	}
	return value
}

// saxProperty is github-crawler's lookup of ${name} in <properties>: the
// first text after an element named name starts, while in properties.
func saxProperty(text []byte, ref string) string {
	if len(ref) < 3 {
		return NotFound
	}
	name := ref[2 : len(ref)-1]
	inProps, inExpected := false, false
	value, ok := "", false
	err := saxWalk(text, func(ev saxEvent) bool {
		switch ev.kind {
		case saxStart:
			if strings.EqualFold(ev.name, "properties") {
				inProps = true
			}
			if inProps && strings.EqualFold(ev.name, name) {
				inExpected = true
			}
		case saxEnd:
			if inProps && strings.EqualFold(ev.name, "properties") {
				inProps = false
			}
		case saxText:
			if inProps && inExpected {
				value, ok = ev.text, true
				return false
			}
		}
		return true
	})
	if ok {
		return value
	}
	if err != nil {
		return XMLErrorPrefix + err.Error()
	}
	return ref + PropertyNotFoundIn
}

type saxKind int

const (
	saxStart saxKind = iota
	saxEnd
	saxText
)

type saxEvent struct {
	kind saxKind
	name string // qualified name as written: prefix:local
	text string
}

// saxWalk reports the document's elements and character data to fn in
// order, as a non-namespace-aware SAX parser does, until fn returns false.
// It checks that tags nest, which RawToken alone does not.
func saxWalk(text []byte, fn func(saxEvent) bool) error {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []string
	root := false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && root {
				return errors.New("content after the root element")
			}
			if len(stack) >= maxDepth {
				return errors.New("elements nested too deeply")
			}
			root = true
			q := qname(t.Name)
			stack = append(stack, q)
			if !fn(saxEvent{kind: saxStart, name: q}) {
				return nil
			}
		case xml.EndElement:
			q := qname(t.Name)
			if len(stack) == 0 || stack[len(stack)-1] != q {
				return fmt.Errorf("element </%s> closes nothing open", q)
			}
			stack = stack[:len(stack)-1]
			if !fn(saxEvent{kind: saxEnd, name: q}) {
				return nil
			}
		case xml.CharData:
			if len(stack) > 0 && !fn(saxEvent{kind: saxText, text: string(t)}) {
				return nil
			}
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("element <%s> is not closed", stack[len(stack)-1])
	}
	if !root {
		return errors.New("no root element")
	}
	return nil
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// undeclaredPrefix returns the first namespace prefix text uses without
// declaring it, or "": a namespace-aware parser (dom4j's, in
// github-crawler's countMatchingXmlElements) refuses such a file.
func undeclaredPrefix(text []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var scopes []map[string]bool
	declared := func(p string) bool {
		if p == "xml" || p == "xmlns" {
			return true
		}
		for i := len(scopes) - 1; i >= 0; i-- {
			if scopes[i][p] {
				return true
			}
		}
		return false
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(scopes) >= maxDepth {
				return "", errors.New("elements nested too deeply")
			}
			scope := map[string]bool{}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					scope[a.Name.Local] = true
				}
			}
			scopes = append(scopes, scope)
			if t.Name.Space != "" && !declared(t.Name.Space) {
				return t.Name.Space, nil
			}
			for _, a := range t.Attr {
				if a.Name.Space != "" && a.Name.Space != "xmlns" && !declared(a.Name.Space) {
					return a.Name.Space, nil
				}
			}
		case xml.EndElement:
			if len(scopes) > 0 {
				scopes = scopes[:len(scopes)-1]
			}
		}
	}
}

// countCompat is countMatchingXmlElements as github-crawler answers it:
// any problem reading the file is ParseIssue.
func countCompat(text []byte, x *XPath) string {
	if p, err := undeclaredPrefix(text); err != nil || p != "" {
		return ParseIssue
	}
	root, err := parseXML(text)
	if err != nil {
		return ParseIssue
	}
	n, ok := x.countNS(root)
	if !ok {
		return ParseIssue
	}
	return fmt.Sprint(n)
}

// jsonCompat is github-crawler's findValueForJsonPath: Jayway's read()
// gives a string (the value), a non-empty array (its first element, when
// a string), anything else "not found".
func jsonCompat(text []byte, p *JSONPath) string {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	v, err := decodeJSON(d, 0)
	if err != nil {
		return ParseIssuePrefix + err.Error()
	}
	got := p.eval(v)
	var result any
	switch {
	case len(got) == 0 && p.definite:
		return NotFound // PathNotFoundException
	case !p.definite:
		result = got // an indefinite path always reads as an array
	default:
		result = got[0]
	}
	switch t := result.(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			if s, ok := t[0].(string); ok {
				return s
			}
		}
	}
	return NotFound
}
