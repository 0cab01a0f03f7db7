package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Verification matches text line by line, as git grep does: a line
// excludes its '\n' but keeps a '\r' before it, a final line without a
// newline counts, and an empty text has no lines.

// lines indexes the lines of one text, on first use: most candidates
// hold no match, and the scan for a required literal tells so without an
// index (measured: building it for every candidate was 12-16% of a
// selective query's time).
type lines struct {
	text   []byte
	starts []int // byte offset of each line; nil until indexed
}

func newLines(text []byte) *lines { return &lines{text: text} }

func (l *lines) index() {
	if l.starts != nil {
		return
	}
	// Counting first (a vectorised scan) sizes the offsets at once: grown
	// by append they were a fifth of a common query's allocations.
	l.starts = make([]int, 0, bytes.Count(l.text, []byte{'\n'})+1)
	for off := 0; off < len(l.text); {
		l.starts = append(l.starts, off)
		i := bytes.IndexByte(l.text[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
}

func (l *lines) count() int {
	l.index()
	return len(l.starts)
}

// bounds returns line i's [start, end), without its '\n'.
func (l *lines) bounds(i int) (int, int) {
	l.index()
	start, end := l.starts[i], len(l.text)
	if i+1 < len(l.starts) {
		end = l.starts[i+1] - 1
	} else if end > start && l.text[end-1] == '\n' {
		end--
	}
	return start, end
}

func (l *lines) line(i int) []byte {
	start, end := l.bounds(i)
	return l.text[start:end]
}

// lineAround returns the bounds of the line holding byte offset off, found
// from the text itself rather than the index.
func lineAround(text []byte, off int) (int, int) {
	start := bytes.LastIndexByte(text[:off], '\n') + 1
	end := bytes.IndexByte(text[off:], '\n')
	if end < 0 {
		return start, len(text)
	}
	return start, off + end
}

// matcher matches one content term against lines.
type matcher struct {
	re *lineRe
	// lit, when set, occurs in every line the term matches: only lines
	// holding it are given to re. With fold it is ASCII lower case and is
	// looked up in the text lowered the same way (see asciiExact).
	lit   []byte
	fold  bool
	never bool // the required literal holds '\n', which no line does
}

func newMatcher(t *Term) *matcher {
	m := &matcher{re: newLineRe(t.Re, t.syn)}
	best := 0
	for _, l := range requiredLiterals(t.syn) {
		s := string(l.runes)
		if bytes.ContainsRune([]byte(s), '\n') {
			m.never = true
			return m
		}
		if !l.fold {
			if len(s) > best {
				best, m.lit, m.fold = len(s), []byte(s), false
			}
			continue
		}
		if seg := longestASCIIExact(l.runes); len(seg) > best {
			best, m.lit, m.fold = len(seg), seg, true
		}
	}
	return m
}

type literal struct {
	runes []rune
	fold  bool
}

// requiredLiterals returns literals every match of re contains.
func requiredLiterals(re *syntax.Regexp) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		return []literal{{re.Rune, re.Flags&syntax.FoldCase != 0}}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var out []literal
		for _, s := range re.Sub {
			out = append(out, requiredLiterals(s)...)
		}
		return out
	}
	return nil
}

// asciiExact reports whether (?i) matching of r is plain ASCII case
// folding: true for ASCII runes whose fold orbit stays in ASCII, false for
// k and s (which also match U+212A KELVIN SIGN and U+017F LONG S).
func asciiExact(r rune) bool {
	if r >= utf8.RuneSelf {
		return false
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// longestASCIIExact returns, lowered, the longest run of runes that
// asciiExact accepts.
func longestASCIIExact(runes []rune) []byte {
	var best, cur []byte
	for _, r := range runes {
		if !asciiExact(r) {
			cur = nil
			continue
		}
		cur = append(cur, byte(unicode.ToLower(r)))
		if len(cur) > len(best) {
			best = slices.Clone(cur)
		}
	}
	return best
}

// lowerASCII writes text with ASCII letters in lower case into dst's
// storage (grown as needed), eight bytes at a time: a case-insensitive
// literal search lowers every candidate text, and a byte at a time this
// was a tenth of a common query's time. Bytes of 0x80 and above (UTF-8
// sequences) are left as they are.
func lowerASCII(dst, text []byte) []byte {
	if cap(dst) < len(text) {
		dst = make([]byte, len(text))
	}
	dst = dst[:len(text)]
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(text); i += 8 {
		w := binary.LittleEndian.Uint64(text[i:])
		low := w &^ high               // each byte's low seven bits: the sums below never carry
		geA := low + (0x80-'A')*ones   // bit 7 set where byte >= 'A'
		gtZ := low + (0x80-'Z'-1)*ones // bit 7 set where byte > 'Z'
		upper := (geA &^ gtZ) &^ w & high
		binary.LittleEndian.PutUint64(dst[i:], w|upper>>2) // 0x80 >> 2 is the case bit 0x20
	}
	for ; i < len(text); i++ {
		c := text[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst
}

// doc is one text being verified; the lowered copy is made on demand, in
// scratch's storage.
type doc struct {
	*lines
	lowered []byte
	scratch []byte
}

func (d *doc) lower() []byte {
	if d.lowered == nil {
		d.lowered = lowerASCII(d.scratch, d.text)
	}
	return d.lowered
}

// scan calls fn with each line the term matches and the match offsets in
// it, in line order, until fn returns false or b's context is done.
func (m *matcher) scan(b *budget, d *doc, fn func(line, start int, locs [][]int) bool) error {
	if m.never {
		return nil
	}
	if m.lit == nil {
		for i, off := 0, 0; off < len(d.text); i++ {
			_, end := lineAround(d.text, off)
			locs, err := m.re.findAll(b, d.text[off:end])
			if err != nil {
				return err
			}
			if locs != nil && !fn(i, off, locs) {
				return nil
			}
			off = end + 1
		}
		return nil
	}
	hay := d.text
	if m.fold {
		hay = d.lower() // the same length and the same newlines as the text
	}
	// line is the number of the line starting at offset counted.
	line, counted := 0, 0
	for pos := 0; pos < len(hay); {
		j := bytes.Index(hay[pos:], m.lit)
		if j < 0 {
			return nil
		}
		if err := b.charge(j); err != nil {
			return err
		}
		start, end := lineAround(hay, pos+j)
		line += bytes.Count(hay[counted:start], []byte{'\n'})
		counted = start
		locs, err := m.re.findAll(b, d.text[start:end])
		if err != nil {
			return err
		}
		if locs != nil && !fn(line, start, locs) {
			return nil
		}
		pos = end + 1
	}
	return nil
}

// verifier matches the content terms of a query against one text.
type verifier struct {
	terms    []*Term
	matchers []*matcher
	scratch  []byte // storage of lowered texts, reused from one text to the next
}

func newVerifier(terms []*Term) *verifier {
	v := &verifier{terms: terms}
	for _, t := range terms {
		v.matchers = append(v.matchers, newMatcher(t))
	}
	return v
}

// textMatch is what the content terms found in one text.
type textMatch struct {
	doc    *doc
	found  map[*Term]bool
	ranges map[int][][2]int // line -> match ranges of positive terms
	starts map[int]int      // line -> its byte offset, for the lines in ranges
}

// line returns line i of the text: from its offset for a matching line,
// which spares indexing every line of a text to render a few, or from the
// index for a line of context.
func (tm *textMatch) line(i int) []byte {
	if s, ok := tm.starts[i]; ok {
		_, end := lineAround(tm.doc.text, s)
		return tm.doc.text[s:end]
	}
	return tm.doc.line(i)
}

// match finds which terms match text and, for positive terms, every
// matching line and range. Once ctx is done it returns what it found so
// far with ctx's error.
func (v *verifier) match(ctx context.Context, text []byte) (*textMatch, error) {
	tm := &textMatch{doc: &doc{lines: newLines(text), scratch: v.scratch}, found: map[*Term]bool{}, ranges: map[int][][2]int{}, starts: map[int]int{}}
	defer func() {
		// The lowered copy served the scan only; its storage serves the
		// next text.
		if tm.doc.lowered != nil {
			v.scratch, tm.doc.lowered = tm.doc.lowered[:0], nil
		}
		tm.doc.scratch = nil
	}()
	b := &budget{ctx: ctx}
	for i, t := range v.terms {
		err := v.matchers[i].scan(b, tm.doc, func(line, start int, locs [][]int) bool {
			tm.found[t] = true
			if t.Negated {
				return false
			}
			tm.starts[line] = start
			rs := tm.ranges[line]
			for _, loc := range locs {
				if loc[0] < loc[1] {
					rs = append(rs, [2]int{loc[0], loc[1]})
				}
			}
			if rs == nil {
				rs = [][2]int{}
			}
			tm.ranges[line] = rs
			return true
		})
		if err != nil {
			return tm, err
		}
	}
	return tm, nil
}

// jsonSize is the size of line as a JSON string with the escapes
// encoding/json writes by default (HTML characters as \u003c), which can
// make a line of markup six times longer; invalid UTF-8 is counted as is.
func jsonSize(line []byte) int {
	n := len(line) + 2
	for _, c := range line {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n++
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			n += 5
		}
	}
	return n
}

// matchOverhead is what a match costs in an answer besides its text: the
// JSON keys, line number and brackets.
const matchOverhead = 64

// matches renders the matching lines with n lines of context, at most
// maxCount of them and about maxBytes of text (zero: no bound). It returns
// the size it counted for each match and whether a bound left matches out.
func (tm *textMatch) matches(n, maxCount, maxBytes int) (out []Match, sizes []int, cut bool) {
	nums := make([]int, 0, len(tm.ranges))
	for i := range tm.ranges {
		nums = append(nums, i)
	}
	slices.Sort(nums)
	capacity := len(nums)
	if maxCount > 0 {
		capacity = min(capacity, maxCount)
	}
	out = make([]Match, 0, capacity)
	size := 0
	for _, i := range nums {
		if maxCount > 0 && len(out) >= maxCount {
			return out, sizes, true
		}
		// Measure before copying anything: a bound must keep the memory
		// low, not just the answer.
		first, last := i, i
		if n > 0 {
			first, last = max(0, i-n), min(i+n, tm.doc.count()-1)
		}
		rs := mergeRanges(tm.ranges[i])
		cost := matchOverhead + 16*len(rs)
		for j := first; j <= last; j++ {
			cost += jsonSize(tm.line(j)) + 4
		}
		if maxBytes > 0 && size+cost > maxBytes {
			return out, sizes, true
		}
		size += cost
		sizes = append(sizes, cost)
		m := Match{Line: i + 1, Text: string(tm.line(i)), Ranges: rs, Before: []string{}, After: []string{}}
		for j := first; j < i; j++ {
			m.Before = append(m.Before, string(tm.line(j)))
		}
		for j := i + 1; j <= last; j++ {
			m.After = append(m.After, string(tm.line(j)))
		}
		out = append(out, m)
	}
	return out, sizes, false
}

// mergeRanges sorts ranges and merges those that overlap or touch.
func mergeRanges(rs [][2]int) [][2]int {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b [2]int) int { return a[0] - b[0] })
	out := [][2]int{}
	for _, r := range rs {
		if k := len(out) - 1; k >= 0 && r[0] <= out[k][1] {
			out[k][1] = max(out[k][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// Highlight returns the lines of text that the positive content terms of
// query match, with their ranges and no context, for a file view. Filters
// in the query are ignored. Once ctx is done it returns the lines found so
// far with ctx's error.
func Highlight(ctx context.Context, query string, text []byte) ([]Match, error) {
	q, err := Parse(query)
	if err != nil {
		return nil, err
	}
	var pos []*Term
	for _, t := range q.ContentTerms() {
		if !t.Negated {
			pos = append(pos, t)
		}
	}
	tm, err := newVerifier(pos).match(ctx, text)
	out, _, _ := tm.matches(0, 0, 0)
	return out, err
}
