package change

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/trawl-dev/trawl/indicators/parser"
)

// XML actions edit elements that an XPath of the indicators' subset
// selects, in place: only the bytes of the removed or added elements
// change, the rest of the document keeps its formatting.

// checkFragment reports whether s is well-formed XML content.
func checkFragment(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("the XML to add is empty")
	}
	d := xml.NewDecoder(strings.NewReader("<trawl-fragment>" + s + "</trawl-fragment>"))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the XML to add is not well-formed: %w", err)
		}
	}
}

// xmlRemove removes every element xpath selects; an element alone on its
// line takes its line with it.
func xmlRemove(b []byte, xpath string) ([]byte, error) {
	x, err := parser.ParseXPath(xpath)
	if err != nil {
		return nil, err
	}
	spans, err := x.Select(b)
	if err != nil {
		return nil, err
	}
	var cut []span
	last := -1
	for _, s := range spans {
		if s.Start < last {
			continue // inside an element already removed
		}
		start, end := s.Start, s.End
		ls := start
		for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
			ls--
		}
		le := end
		for le < len(b) && (b[le] == ' ' || b[le] == '\t' || b[le] == '\r') {
			le++
		}
		if (ls == 0 || b[ls-1] == '\n') && (le == len(b) || b[le] == '\n') {
			start, end = ls, min(le+1, len(b))
		}
		cut = append(cut, span{start, end})
		last = s.End
	}
	return splice(b, cut, ""), nil
}

// xmlAdd adds fragment as the last child of every element xpath selects,
// indented as that element's children are. An element that already holds
// the fragment (whitespace aside) is left alone, so a rerun adds nothing.
func xmlAdd(b []byte, xpath, fragment string) ([]byte, error) {
	x, err := parser.ParseXPath(xpath)
	if err != nil {
		return nil, err
	}
	if err := checkFragment(fragment); err != nil {
		return nil, err
	}
	spans, err := x.Select(b)
	if err != nil {
		return nil, err
	}
	frag := dedent(fragment)
	var out bytes.Buffer
	last := 0
	for _, s := range spans {
		if s.SelfClosing {
			return nil, fmt.Errorf("XPath %s selects a self-closing element at byte %d: give it an end tag first", xpath, s.Start)
		}
		if s.InnerEnd < last {
			continue
		}
		if strings.Contains(collapse(string(b[s.Start:s.InnerEnd])), collapse(frag)) {
			continue
		}
		parentIndent := lineIndent(b, s.Start)
		childIndent := parentIndent + indentUnit(b, parentIndent)
		for _, ci := range s.ChildIndents {
			if ci != "" {
				childIndent = ci
				break
			}
		}
		at := s.InnerEnd
		closeIndent := lineIndent(b, at)
		if closeIndent != "" || at > 0 && b[at-1] == '\n' {
			// The end tag has its own line: add whole lines before it.
			at -= len(closeIndent)
			out.Write(b[last:at])
			for _, line := range strings.Split(frag, "\n") {
				if line != "" {
					out.WriteString(childIndent)
				}
				out.WriteString(line)
				out.WriteString("\n")
			}
		} else {
			out.Write(b[last:at])
			out.WriteString(strings.ReplaceAll(frag, "\n", ""))
		}
		last = at
	}
	out.Write(b[last:])
	return out.Bytes(), nil
}

// indentUnit guesses one level of indentation: a tab where the document
// indents with tabs, else four or two spaces as it does.
func indentUnit(b []byte, parentIndent string) string {
	if strings.Contains(parentIndent, "\t") || bytes.Contains(b, []byte("\n\t<")) {
		return "\t"
	}
	for _, w := range []string{"    ", "  "} {
		if bytes.Contains(b, []byte("\n"+w+"<")) {
			return w
		}
	}
	return "  "
}

// lineIndent is the run of spaces and tabs before offset on its line, or
// "" when something else precedes it there.
func lineIndent(b []byte, offset int) string {
	i := offset
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	if i > 0 && b[i-1] != '\n' {
		return ""
	}
	return string(b[i:offset])
}

// dedent trims the fragment's blank edges and the indentation its lines
// share.
func dedent(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	for {
		first, rest, ok := strings.Cut(s, "\n")
		if !ok || strings.TrimSpace(first) != "" {
			break
		}
		s = rest
	}
	lines := strings.Split(s, "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if len(l) >= common && common > 0 {
			l = l[common:]
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

func collapse(s string) string { return strings.Join(strings.Fields(s), "") }
