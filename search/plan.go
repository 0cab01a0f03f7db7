package search

import (
	"regexp/syntax"
	"slices"
	"unicode/utf8"

	"github.com/trawl-dev/trawl/trigram"
)

// The planner follows Russ Cox, "Regular Expression Matching with a Trigram
// Index": for each regexp node it computes whether the node can match the
// empty string, and either the exact set of strings it matches or sets of
// prefixes and suffixes of its matches, plus trigram queries every match
// satisfies. Sets that grow too large are folded into those queries and
// dropped, which loses selectivity but never a match.
//
// Every string here is case-folded with trigram.Fold, because the index
// holds trigrams of folded text; case is enforced by the verifier.
const (
	maxExact     = 16 // strings in an exact set
	maxAffix     = 32 // strings in a prefix or suffix set
	maxClass     = 8  // folded runes a character class may expand to
	maxClassScan = 128
)

// Plan returns the trigram query that every blob matching q satisfies: the
// content terms combined by q's boolean structure; negated terms and
// filters contribute All.
func (q *Query) Plan() *trigram.Query { return planNode(q.Root) }

func planNode(n *Node) *trigram.Query {
	switch n.op {
	case opNot:
		return trigram.All()
	case opAnd, opOr:
		qs := make([]*trigram.Query, len(n.subs))
		for i, s := range n.subs {
			qs[i] = planNode(s)
		}
		if n.op == opAnd {
			return trigram.And(qs...)
		}
		return trigram.Or(qs...)
	}
	if n.term.Field != FieldContent {
		return trigram.All()
	}
	return planRegexp(n.term.syn)
}

// planRegexp returns the trigram query for one regexp.
func planRegexp(re *syntax.Regexp) *trigram.Query {
	return analyze(re).query()
}

// info describes the strings a regexp node matches.
type info struct {
	canEmpty bool
	// exact, when exactOK, is every string the node matches (folded).
	exact   []string
	exactOK bool
	// Otherwise every match begins with a string in prefix and ends with one
	// in suffix ("" in a set means no information).
	prefix, suffix []string
	// must holds queries every match satisfies (a conjunction), kept as a
	// list so that long concatenations build one AND at the end.
	must []*trigram.Query
}

// query is what the node's matches are known to contain.
func (in info) query() *trigram.Query {
	if in.exactOK {
		return trigram.And(append(slices.Clip(in.must), anyOf(in.exact))...)
	}
	return trigram.And(append(slices.Clip(in.must), anyOf(in.prefix), anyOf(in.suffix))...)
}

// and adds the conjuncts qs to in, skipping All.
func (in *info) and(qs ...*trigram.Query) {
	for _, q := range qs {
		if q.Op != trigram.OpAll {
			in.must = append(slices.Clip(in.must), q)
		}
	}
}

// anyOf is the query for "the text contains one of ss".
func anyOf(ss []string) *trigram.Query {
	qs := make([]*trigram.Query, 0, len(ss))
	for _, s := range ss {
		var tris []*trigram.Query
		for _, t := range trigram.Of(s) {
			tris = append(tris, trigram.Tri(t))
		}
		qs = append(qs, trigram.And(tris...))
	}
	return trigram.Or(qs...)
}

func exactInfo(ss ...string) info {
	set := normalize(ss)
	return info{canEmpty: slices.Contains(set, ""), exact: set, exactOK: true}
}

// anyInfo describes a node about which nothing is known but whether it
// can match the empty string.
func anyInfo(canEmpty bool) info {
	return info{canEmpty: canEmpty, prefix: []string{""}, suffix: []string{""}}
}

func analyze(re *syntax.Regexp) info {
	switch re.Op {
	case syntax.OpNoMatch:
		return exactInfo()
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactInfo("")
	case syntax.OpLiteral:
		return exactInfo(trigram.FoldString(string(re.Rune)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return anyInfo(false)
	case syntax.OpCharClass:
		return classInfo(re.Rune)
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpStar:
		return anyInfo(true)
	case syntax.OpQuest:
		in := analyze(re.Sub[0])
		if in.exactOK {
			return exactInfo(append(in.exact, "")...)
		}
		return anyInfo(true)
	case syntax.OpPlus:
		return repeatInfo(analyze(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min == 0 {
			return anyInfo(true)
		}
		in := analyze(re.Sub[0])
		if re.Min == 1 && re.Max == 1 {
			return in
		}
		return repeatInfo(in)
	case syntax.OpConcat:
		in := exactInfo("")
		for _, s := range re.Sub {
			in = concat(in, analyze(s))
		}
		return in
	case syntax.OpAlternate:
		in := exactInfo()
		for _, s := range re.Sub {
			in = alternate(in, analyze(s))
		}
		return in
	}
	return anyInfo(true)
}

// repeatInfo describes one or more repetitions of a node: every match
// starts with a match of the node and ends with one.
func repeatInfo(in info) info {
	if in.exactOK {
		in = toAffixes(in)
	}
	return simplify(info{canEmpty: in.canEmpty, prefix: in.prefix, suffix: in.suffix, must: in.must})
}

// classInfo expands a small character class into its folded runes.
func classInfo(ranges []rune) info {
	n := 0
	for i := 0; i+1 < len(ranges); i += 2 {
		n += int(ranges[i+1]-ranges[i]) + 1
		if n > maxClassScan {
			return anyInfo(false)
		}
	}
	var set []string
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			set = append(set, string(trigram.Fold(r)))
		}
	}
	set = normalize(set)
	if len(set) > maxClass {
		return anyInfo(false)
	}
	return exactInfo(set...)
}

func concat(a, b info) info {
	out := info{canEmpty: a.canEmpty && b.canEmpty, must: slices.Concat(a.must, b.must)}
	if a.exactOK && b.exactOK && len(a.exact)*len(b.exact) <= maxExact {
		out.exact, out.exactOK = cross(a.exact, b.exact), true
		return out
	}
	// Strings that span the boundary: a match of ab holds some suffix of a
	// followed by some prefix of b.
	aSuf, bPre := a.suffix, b.prefix
	if a.exactOK {
		aSuf = a.exact
	}
	if b.exactOK {
		bPre = b.exact
	}
	if len(aSuf)*len(bPre) <= maxAffix*maxAffix {
		out.and(anyOf(cross(aSuf, bPre)))
	}
	if a.exactOK {
		out.and(anyOf(a.exact))
		if len(a.exact)*len(bPre) <= maxAffix {
			out.prefix = cross(a.exact, bPre)
		} else {
			out.prefix = a.exact
		}
	} else {
		out.prefix = a.prefix
	}
	if b.exactOK {
		out.and(anyOf(b.exact))
		if len(aSuf)*len(b.exact) <= maxAffix {
			out.suffix = cross(aSuf, b.exact)
		} else {
			out.suffix = b.exact
		}
	} else {
		out.suffix = b.suffix
	}
	return simplify(out)
}

func alternate(a, b info) info {
	if a.exactOK && b.exactOK {
		out := exactInfo(append(slices.Clone(a.exact), b.exact...)...)
		switch {
		case len(a.exact) == 0:
			out.must = b.must
		case len(b.exact) == 0:
			out.must = a.must
		default:
			out.and(trigram.Or(trigram.And(a.must...), trigram.And(b.must...)))
		}
		return simplify(out)
	}
	if a.exactOK && len(a.exact) == 0 { // the starting point of an alternation
		return b
	}
	a, b = toAffixes(a), toAffixes(b)
	out := info{
		canEmpty: a.canEmpty || b.canEmpty,
		prefix:   normalize(append(slices.Clone(a.prefix), b.prefix...)),
		suffix:   normalize(append(slices.Clone(a.suffix), b.suffix...)),
	}
	// Each side's conjuncts hold together with its own affixes, so the
	// affixes are folded in before the sides are ORed.
	out.and(trigram.Or(a.query(), b.query()))
	return simplify(out)
}

// toAffixes turns an exact set into prefix and suffix sets, saving its
// trigrams in must.
func toAffixes(in info) info {
	if !in.exactOK {
		return in
	}
	out := info{canEmpty: in.canEmpty, prefix: in.exact, suffix: in.exact, must: in.must}
	out.and(anyOf(in.exact))
	return out
}

// simplify keeps sets within their limits. Trigrams of dropped or
// shortened strings go into must first. Affixes are cut to two runes: the
// inner trigrams are then in must, and two runes are all a neighbour
// needs to form the trigrams across the boundary.
func simplify(in info) info {
	if in.exactOK {
		if len(in.exact) <= maxExact {
			return in
		}
		in = toAffixes(in)
	}
	in.and(anyOf(in.prefix), anyOf(in.suffix))
	in.prefix = trimSet(in.prefix, func(s string) string { return firstRunes(s, 2) })
	in.suffix = trimSet(in.suffix, func(s string) string { return lastRunes(s, 2) })
	return in
}

func trimSet(ss []string, trim func(string) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = trim(s)
	}
	out = normalize(out)
	if len(out) > maxAffix {
		return []string{""}
	}
	return out
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func lastRunes(s string, n int) string {
	i := len(s)
	for ; i > 0 && n > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

func cross(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return normalize(out)
}

// normalize sorts and deduplicates a set.
func normalize(ss []string) []string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return slices.Compact(ss)
}
