package search

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trawl-dev/trawl/lang"
)

// Limits on what a query may ask of the engine. Both guard the server
// against a single request that would plan or match for a very long time.
const (
	MaxQueryLen  = 4096  // bytes
	MaxRegexSize = 10000 // regexp/syntax nodes, repetitions expanded
)

// ParseError reports a query that does not parse.
type ParseError struct {
	Pos int    // byte offset in the query, 0 <= Pos <= len(query)
	Msg string // what is wrong
}

func (e *ParseError) Error() string { return fmt.Sprintf("parse error at %d: %s", e.Pos, e.Msg) }

// Field says what a term matches.
type Field uint8

const (
	FieldContent Field = iota // file text, line by line
	FieldRepo                 // repository full name (regexp)
	FieldBranch               // branch name (regexp)
	FieldPath                 // file path (regexp)
	FieldLang                 // go-enry language name (exact, case-insensitive)
)

// CaseMode is the query's case:yes|no|auto setting.
type CaseMode uint8

const (
	CaseAuto CaseMode = iota // sensitive only if the pattern holds an upper-case letter
	CaseYes
	CaseNo
)

// Term is one leaf of a query.
type Term struct {
	Field   Field
	Value   string // as written, unquoted; for FieldLang the canonical language name
	Regex   bool   // content given as /re/
	Fold    bool   // content matched case-insensitively
	Pos     int    // byte offset of the term in the query
	Negated bool   // under an odd number of negations
	// Re matches the term: the content pattern (with (?i) when Fold), or
	// the repo/branch/path regexp; nil for FieldLang.
	Re *regexp.Regexp
	// syn is the parsed content pattern, for the planner and verifier.
	syn *syntax.Regexp
}

// nodeOp is the kind of a Node.
type nodeOp uint8

const (
	opTerm nodeOp = iota
	opAnd
	opOr
	opNot
)

// Node is the boolean structure of a query.
type Node struct {
	op   nodeOp
	term *Term
	subs []*Node
}

// Query is a parsed query.
type Query struct {
	Source string
	Root   *Node
	Case   CaseMode
	Terms  []*Term // every leaf, in query order
}

// ContentTerms returns the content terms; positive ones (not under a
// negation) are those whose matches are shown.
func (q *Query) ContentTerms() []*Term {
	var out []*Term
	for _, t := range q.Terms {
		if t.Field == FieldContent {
			out = append(out, t)
		}
	}
	return out
}

// HasContent reports whether the query matches file text at all; a query
// with filters only lists files.
func (q *Query) HasContent() bool { return len(q.ContentTerms()) > 0 }

// String renders n for tests and debugging, e.g. (and "foo" (not repo:x)).
func (n *Node) String() string {
	switch n.op {
	case opTerm:
		t := n.term
		prefix := map[Field]string{FieldRepo: "repo:", FieldBranch: "branch:", FieldPath: "file:", FieldLang: "lang:"}[t.Field]
		v := fmt.Sprintf("%q", t.Value)
		if t.Regex {
			v = "/" + t.Value + "/"
		}
		if t.Fold {
			v += "i"
		}
		return prefix + v
	case opNot:
		return "(not " + n.subs[0].String() + ")"
	}
	parts := make([]string, len(n.subs))
	for i, s := range n.subs {
		parts[i] = s.String()
	}
	name := "and"
	if n.op == opOr {
		name = "or"
	}
	return "(" + name + " " + strings.Join(parts, " ") + ")"
}

// Parse parses query (docs/design.md §3). Errors are *ParseError.
func Parse(query string) (*Query, error) {
	if len(query) > MaxQueryLen {
		return nil, &ParseError{Pos: MaxQueryLen, Msg: fmt.Sprintf("query longer than %d bytes", MaxQueryLen)}
	}
	p := &parser{src: query, q: &Query{Source: query}}
	root, err := p.parseOr(0)
	if p.err != nil {
		return nil, p.err
	}
	if err != nil {
		return nil, err
	}
	if tok := p.peek(); tok.kind == tokClose {
		return nil, &ParseError{Pos: tok.pos, Msg: `unmatched ")"`}
	}
	if root == nil {
		return nil, &ParseError{Pos: len(query), Msg: "empty query"}
	}
	p.q.Root = root
	if err := p.finish(root, false); err != nil {
		return nil, err
	}
	return p.q, nil
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokOpen
	tokClose
	tokOr
	tokNot   // a '-' directly before a term or group
	tokWord  // bare word, possibly field:value
	tokQuote // "..." content literal
	tokRegex // /.../ content regex
)

type token struct {
	kind  tokKind
	pos   int
	field string // for tokWord: a known field name, or ""
	value string // unquoted / unescaped value
	regex bool   // the field value was written /re/
}

type parser struct {
	src   string
	pos   int
	q     *Query
	ahead *token
	err   *ParseError // the first lexing error; it wins over what the parser concludes from it
	caseP int         // position of the case: term, for errors
}

func (p *parser) peek() token {
	if p.ahead == nil {
		t := p.lex()
		p.ahead = &t
	}
	return *p.ahead
}

func (p *parser) next() token {
	t := p.peek()
	p.ahead = nil
	return t
}

func (p *parser) lex() token {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		return token{kind: tokEOF, pos: start}
	}
	switch c := p.src[p.pos]; {
	case c == '(':
		p.pos++
		return token{kind: tokOpen, pos: start}
	case c == ')':
		p.pos++
		return token{kind: tokClose, pos: start}
	case c == '-' && p.pos+1 < len(p.src) && !isSpace(p.src[p.pos+1]) && p.src[p.pos+1] != ')':
		p.pos++
		return token{kind: tokNot, pos: start}
	case c == '"':
		v, err := p.quoted()
		if err != nil {
			return p.fail(err)
		}
		return token{kind: tokQuote, pos: start, value: v}
	case c == '/':
		v, err := p.regex()
		if err != nil {
			return p.fail(err)
		}
		return token{kind: tokRegex, pos: start, value: v}
	}
	if field := p.field(); field != "" {
		if p.pos < len(p.src) {
			switch p.src[p.pos] {
			case '"':
				v, err := p.quoted()
				if err != nil {
					return p.fail(err)
				}
				return token{kind: tokWord, pos: start, field: field, value: v}
			case '/':
				v, err := p.regex()
				if err != nil {
					return p.fail(err)
				}
				return token{kind: tokWord, pos: start, field: field, value: v, regex: true}
			}
		}
		return token{kind: tokWord, pos: start, field: field, value: p.word()}
	}
	w := p.word()
	if w == "or" {
		return token{kind: tokOr, pos: start}
	}
	return token{kind: tokWord, pos: start, value: w}
}

// field consumes a known field name and its colon, returning the name in
// lower case, or consumes nothing and returns "". Unknown names are part
// of a literal (std::vector, http://).
func (p *parser) field() string {
	i := p.pos
	for i < len(p.src) && ('a' <= p.src[i]|0x20 && p.src[i]|0x20 <= 'z') {
		i++
	}
	if i == len(p.src) || p.src[i] != ':' {
		return ""
	}
	name := strings.ToLower(p.src[p.pos:i])
	switch name {
	case "repo", "branch", "file", "path", "lang", "case":
		p.pos = i + 1
		return name
	}
	return ""
}

// fail records a lexing error and ends the token stream, so the parser
// unwinds; Parse then reports err rather than what the parser made of the
// early end.
func (p *parser) fail(err *ParseError) token {
	if p.err == nil {
		p.err = err
	}
	p.pos = len(p.src)
	return token{kind: tokEOF, pos: err.Pos}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// word scans a bare word. Parentheses inside a word belong to it when they
// balance (so `f(x)` is one word), which keeps code searchable without
// quotes; an unbalanced ')' ends the word and closes a group.
func (p *parser) word() string {
	start, depth := p.pos, 0
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if isSpace(c) {
			break
		}
		if c == '(' {
			depth++
		} else if c == ')' {
			if depth == 0 {
				break
			}
			depth--
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

// quoted scans "..." with \" and \\ escapes; any other backslash stays as
// written, so "a\nb" searches for a backslash and an n.
func (p *parser) quoted() (string, *ParseError) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '"' || p.src[p.pos+1] == '\\'):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", &ParseError{Pos: start, Msg: `unclosed quote "`}
}

// regex scans /.../; inside, \/ is a slash and every other escape is left
// for the regexp parser.
func (p *parser) regex() (string, *ParseError) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '/':
			p.pos++
			if p.pos < len(p.src) && !isSpace(p.src[p.pos]) && p.src[p.pos] != ')' {
				return "", &ParseError{Pos: p.pos, Msg: `a /regex/ must be followed by a space or ")" (write \/ for a slash inside it)`}
			}
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			if p.src[p.pos+1] == '/' {
				b.WriteByte('/')
			} else {
				b.WriteString(p.src[p.pos : p.pos+2])
			}
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", &ParseError{Pos: start, Msg: "unclosed /regex/"}
}

// parseOr parses `and {or and}`; it returns nil for an empty expression.
func (p *parser) parseOr(depth int) (*Node, error) {
	if depth > 100 {
		return nil, &ParseError{Pos: p.pos, Msg: "groups nested too deeply"}
	}
	var alts []*Node
	for {
		orPos := p.peek().pos
		and, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		tok := p.peek()
		if tok.kind != tokOr {
			if and == nil && len(alts) > 0 {
				return nil, &ParseError{Pos: tok.pos, Msg: `missing term after "or"`}
			}
			if and != nil {
				alts = append(alts, and)
			}
			break
		}
		if and == nil {
			return nil, &ParseError{Pos: orPos, Msg: `missing term before "or"`}
		}
		alts = append(alts, and)
		p.next()
	}
	switch len(alts) {
	case 0:
		return nil, nil
	case 1:
		return alts[0], nil
	}
	return &Node{op: opOr, subs: alts}, nil
}

// parseAnd parses a run of unary terms up to "or", ")" or the end.
func (p *parser) parseAnd(depth int) (*Node, error) {
	var subs []*Node
	sawCase := false
	for {
		switch p.peek().kind {
		case tokEOF, tokClose, tokOr:
			if len(subs) == 0 {
				if sawCase {
					return nil, &ParseError{Pos: p.caseP, Msg: "case: applies to the whole query; it cannot stand alone in a group or beside \"or\""}
				}
				return nil, nil
			}
			if len(subs) == 1 {
				return subs[0], nil
			}
			return &Node{op: opAnd, subs: subs}, nil
		}
		n, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		if n == nil {
			sawCase = true
			continue
		}
		subs = append(subs, n)
	}
}

// parseUnary parses [-] (group | term). A case: setting yields nil.
func (p *parser) parseUnary(depth int) (*Node, error) {
	tok := p.next()
	switch tok.kind {
	case tokNot:
		if p.peek().kind == tokWord && p.peek().field == "case" {
			return nil, &ParseError{Pos: tok.pos, Msg: "case: cannot be negated"}
		}
		n, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Node{op: opNot, subs: []*Node{n}}, nil
	case tokOpen:
		n, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if cl := p.next(); cl.kind != tokClose {
			return nil, &ParseError{Pos: tok.pos, Msg: `unclosed "("`}
		}
		if n == nil {
			return nil, &ParseError{Pos: tok.pos, Msg: "empty group ()"}
		}
		return n, nil
	case tokQuote:
		return p.term(&Term{Field: FieldContent, Value: tok.value, Pos: tok.pos}), nil
	case tokRegex:
		return p.term(&Term{Field: FieldContent, Value: tok.value, Regex: true, Pos: tok.pos}), nil
	case tokWord:
		return p.fieldTerm(tok)
	}
	// tokEOF, tokClose and tokOr are handled by the callers; a lone '-'
	// before a space is a literal.
	return nil, &ParseError{Pos: tok.pos, Msg: "unexpected token"}
}

func (p *parser) fieldTerm(tok token) (*Node, error) {
	t := &Term{Value: tok.value, Pos: tok.pos, Regex: tok.regex}
	switch tok.field {
	case "":
		t.Field = FieldContent
		return p.term(t), nil
	case "case":
		switch strings.ToLower(tok.value) {
		case "yes":
			p.q.Case = CaseYes
		case "no":
			p.q.Case = CaseNo
		case "auto":
			p.q.Case = CaseAuto
		default:
			return nil, &ParseError{Pos: tok.pos, Msg: fmt.Sprintf("case: wants yes, no or auto, not %q", tok.value)}
		}
		p.caseP = tok.pos
		return nil, nil
	case "lang":
		name, ok := lang.ByAlias(tok.value)
		if !ok {
			return nil, &ParseError{Pos: tok.pos, Msg: fmt.Sprintf("unknown language %q", tok.value)}
		}
		t.Field, t.Value, t.Regex = FieldLang, name, false
		return p.term(t), nil
	case "repo":
		t.Field = FieldRepo
	case "branch":
		t.Field = FieldBranch
	default: // file, path
		t.Field = FieldPath
	}
	if t.Value == "" {
		return nil, &ParseError{Pos: tok.pos, Msg: tok.field + ": needs a value"}
	}
	return p.term(t), nil
}

func (p *parser) term(t *Term) *Node {
	p.q.Terms = append(p.q.Terms, t)
	return &Node{op: opTerm, term: t}
}

// finish compiles every term once the case setting is known, and marks
// the negated ones.
func (p *parser) finish(n *Node, negated bool) error {
	switch n.op {
	case opNot:
		return p.finish(n.subs[0], !negated)
	case opAnd, opOr:
		for _, s := range n.subs {
			if err := p.finish(s, negated); err != nil {
				return err
			}
		}
		return nil
	}
	t := n.term
	t.Negated = negated
	switch t.Field {
	case FieldLang:
		return nil
	case FieldContent:
		return p.compileContent(t)
	}
	if err := checkRegex(t.Value, syntax.Perl); err != nil {
		return &ParseError{Pos: p.errPos(t, err), Msg: err.Error()}
	}
	re, err := regexp.Compile(t.Value)
	if err != nil {
		return &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("bad regexp %q: %v", t.Value, err)}
	}
	t.Re = re
	return nil
}

func (p *parser) compileContent(t *Term) error {
	if t.Value == "" {
		return &ParseError{Pos: t.Pos, Msg: "empty search term"}
	}
	pattern := t.Value
	if !t.Regex {
		pattern = regexp.QuoteMeta(t.Value)
	}
	switch p.q.Case {
	case CaseNo:
		t.Fold = true
	case CaseAuto:
		t.Fold = !hasUpper(t.Value, t.Regex)
	}
	// The user's pattern is checked as written, so that an error quotes
	// it without the (?i) added below and points into it.
	if err := checkRegex(pattern, syntax.Perl); err != nil {
		return &ParseError{Pos: p.errPos(t, err), Msg: fmt.Sprintf("term %s: %v", termText(t), err)}
	}
	if t.Fold {
		pattern = "(?i)" + pattern
	}
	if err := checkRegex(pattern, syntax.Perl); err != nil {
		return &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("term %s: %v", termText(t), err)}
	}
	syn, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("term %s: %v", termText(t), err)}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("term %s: %v", termText(t), err)}
	}
	t.syn, t.Re = syn, re
	return nil
}

// errPos is where in the query the regexp error err of t lies: the
// offending part, when the parser names one found in the term's source,
// else the term's start.
func (p *parser) errPos(t *Term, err error) int {
	var se *syntax.Error
	if errors.As(err, &se) && se.Expr != "" && t.Pos < len(p.src) {
		if i := strings.Index(p.src[t.Pos:], se.Expr); i >= 0 {
			return t.Pos + i
		}
	}
	return t.Pos
}

func termText(t *Term) string {
	if t.Regex {
		return "/" + t.Value + "/"
	}
	return fmt.Sprintf("%q", t.Value)
}

// checkRegex parses pattern and rejects it when its size, with every
// counted repetition expanded, exceeds MaxRegexSize.
func checkRegex(pattern string, flags syntax.Flags) error {
	re, err := syntax.Parse(pattern, flags)
	if err != nil {
		return fmt.Errorf("bad regexp: %w", err)
	}
	if n := regexSize(re); n > MaxRegexSize {
		return fmt.Errorf("regexp too large (%d nodes with repetitions expanded, limit %d)", n, MaxRegexSize)
	}
	return nil
}

// regexSize counts nodes, multiplying by repetition counts and saturating
// above the limit so nested repetitions cannot overflow.
func regexSize(re *syntax.Regexp) int {
	n := 1
	for _, s := range re.Sub {
		n += regexSize(s)
		if n > MaxRegexSize {
			return MaxRegexSize + 1
		}
	}
	if re.Op == syntax.OpRepeat {
		times := re.Max
		if times < 0 {
			times = re.Min + 1
		}
		n *= max(times, 1)
	}
	return min(n, MaxRegexSize+1)
}

// hasUpper reports whether a pattern asks for case: an upper-case letter in
// a literal, or in a regexp outside escapes (\S, \pL), Unicode class names
// (\p{Greek}) and group names ((?P<Name>...)).
func hasUpper(s string, regex bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if regex && r == '\\' && i+1 < len(s) {
			i++
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
			if (r == 'p' || r == 'P') && i < len(s) {
				if s[i] == '{' {
					if j := strings.IndexByte(s[i:], '}'); j >= 0 {
						i += j + 1
						continue
					}
				}
				_, size = utf8.DecodeRuneInString(s[i:])
				i += size
			}
			continue
		}
		if regex && strings.HasPrefix(s[i:], "(?P<") {
			if j := strings.IndexByte(s[i:], '>'); j >= 0 {
				i += j + 1
				continue
			}
		}
		if unicode.IsUpper(r) {
			return true
		}
		i += size
	}
	return false
}
