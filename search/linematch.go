package search

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// Go's regexp cannot be interrupted: one FindAllIndex over a 1 MB line
// with a 2,000-instruction program (/[a-j]{1000}[0-9]/) runs for tens of
// seconds, about 20 ns per byte and instruction. The verifier therefore
// measures each line's cost as its length times the program's size. A
// line under stepBudget is matched in one call and the context is checked
// between such calls; a longer line is matched through an io.RuneReader
// that checks the context every checkBudget/cost runes and ends the input
// once it is done, so the deadline holds inside a line.

// stepBudget is the cost (bytes × instructions) matched in one call,
// without a context check: a few milliseconds at worst.
const stepBudget = 1 << 18

// checkBudget is the cost matched between two checks of a long line: about
// a millisecond.
const checkBudget = 1 << 16

// lineRe is one content term's regexp, prepared for bounded matching.
type lineRe struct {
	re *regexp.Regexp
	// after finds the leftmost match at or after the second rune of its
	// input: "\A(?s:.)(?s:.*?)(re)". Run on the input from the rune before
	// a position, it sees that rune as context (for \b and ^), which a
	// search started at the position could not.
	after *regexp.Regexp
	cost  int // instructions of the program
}

func newLineRe(re *regexp.Regexp, syn *syntax.Regexp) *lineRe {
	l := &lineRe{re: re, cost: 1}
	if syn != nil {
		if prog, err := syntax.Compile(syn.Simplify()); err == nil {
			l.cost = max(1, len(prog.Inst))
		}
	}
	return l
}

// budget tracks the cost matched since the context was last checked.
type budget struct {
	ctx   context.Context
	spent int
}

// charge adds cost and checks the context once a budget's worth is spent.
func (b *budget) charge(cost int) error {
	b.spent += cost
	if b.spent < stepBudget {
		return nil
	}
	b.spent = 0
	return b.ctx.Err()
}

// findAll returns what l.re.FindAllIndex(line, -1) returns, or the
// context's error once it is done.
func (l *lineRe) findAll(b *budget, line []byte) ([][]int, error) {
	if len(line)*l.cost < stepBudget {
		if err := b.charge(len(line) * l.cost); err != nil {
			return nil, err
		}
		return l.re.FindAllIndex(line, -1), nil
	}
	if err := b.ctx.Err(); err != nil {
		return nil, err
	}
	// The loop is regexp's own allMatches: after an empty match the search
	// moves on one rune, and an empty match right where the previous match
	// ended does not count.
	var out [][]int
	prevEnd := -1
	for pos := 0; pos <= len(line); {
		loc, err := l.findFrom(b.ctx, line, pos)
		if err != nil {
			return nil, err
		}
		if loc == nil {
			break
		}
		accept := true
		if loc[1] == pos {
			if loc[0] == prevEnd {
				accept = false
			}
			if pos < len(line) {
				_, w := utf8.DecodeRune(line[pos:])
				pos += w
			} else {
				pos++
			}
		} else {
			pos = loc[1]
		}
		prevEnd = loc[1]
		if accept {
			out = append(out, loc)
		}
	}
	return out, nil
}

// findFrom returns the leftmost match starting at or after pos.
func (l *lineRe) findFrom(ctx context.Context, line []byte, pos int) ([]int, error) {
	if pos == 0 {
		loc := l.re.FindReaderIndex(l.reader(ctx, line))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return loc, nil
	}
	if l.after == nil {
		l.after = regexp.MustCompile(`\A(?s:.)(?s:.*?)(` + l.re.String() + `)`)
	}
	_, w := utf8.DecodeLastRune(line[:pos])
	from := pos - w
	m := l.after.FindReaderSubmatchIndex(l.reader(ctx, line[from:]))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, nil
	}
	return []int{from + m[2], from + m[3]}, nil
}

func (l *lineRe) reader(ctx context.Context, text []byte) *ctxReader {
	return &ctxReader{ctx: ctx, r: bytes.NewReader(text), every: max(64, checkBudget/l.cost)}
}

// ctxReader reads runes until its context is done, then reports the end of
// the input: the regexp stops soon after, and its answer is discarded.
type ctxReader struct {
	ctx   context.Context
	r     io.RuneReader
	every int // runes between checks
	n     int
}

func (c *ctxReader) ReadRune() (rune, int, error) {
	c.n++
	if c.n%c.every == 0 && c.ctx.Err() != nil {
		return 0, 0, io.EOF
	}
	return c.r.ReadRune()
}
