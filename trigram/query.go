package trigram

import (
	"slices"
	"strconv"
	"strings"
)

// Op is the kind of a Query node.
type Op uint8

const (
	OpAll  Op = iota // every document: no usable trigram
	OpNone           // no document
	OpTri            // documents holding Tri
	OpAnd            // documents matching every Sub
	OpOr             // documents matching some Sub
)

// Query is an AND/OR tree of trigrams over case-folded text. A plan built
// from a search query may select too many documents, never too few.
type Query struct {
	Op  Op
	Tri string   // OpTri: one folded trigram
	Sub []*Query // OpAnd, OpOr
}

var (
	all  = &Query{Op: OpAll}
	none = &Query{Op: OpNone}
)

// All matches every document.
func All() *Query { return all }

// None matches no document.
func None() *Query { return none }

// Tri matches documents holding trigram t (already folded).
func Tri(t string) *Query { return &Query{Op: OpTri, Tri: t} }

// And combines qs, simplifying: All operands vanish, a None operand wins,
// nested ANDs are flattened and duplicates dropped.
func And(qs ...*Query) *Query { return combine(OpAnd, qs) }

// Or combines qs, simplifying: None operands vanish, an All operand wins,
// nested ORs are flattened and duplicates dropped.
func Or(qs ...*Query) *Query { return combine(OpOr, qs) }

func combine(op Op, qs []*Query) *Query {
	identity, absorbing := OpAll, OpNone
	if op == OpOr {
		identity, absorbing = OpNone, OpAll
	}
	var subs []*Query
	seen := map[string]bool{}
	add := func(q *Query) {
		k := q.String()
		if !seen[k] {
			seen[k] = true
			subs = append(subs, q)
		}
	}
	for _, q := range qs {
		switch {
		case q.Op == absorbing:
			return q
		case q.Op == identity:
		case q.Op == op:
			for _, s := range q.Sub {
				add(s)
			}
		default:
			add(q)
		}
	}
	switch len(subs) {
	case 0:
		return &Query{Op: identity}
	case 1:
		return subs[0]
	}
	slices.SortFunc(subs, func(a, b *Query) int { return strings.Compare(a.String(), b.String()) })
	return &Query{Op: op, Sub: subs}
}

// Eval reports whether a document whose trigram set answers has matches q.
func (q *Query) Eval(has func(tri string) bool) bool {
	switch q.Op {
	case OpAll:
		return true
	case OpNone:
		return false
	case OpTri:
		return has(q.Tri)
	case OpAnd:
		for _, s := range q.Sub {
			if !s.Eval(has) {
				return false
			}
		}
		return true
	case OpOr:
		for _, s := range q.Sub {
			if s.Eval(has) {
				return true
			}
		}
		return false
	}
	return false
}

// String renders q readably, e.g. (and "abc" (or "bcd" "bce")).
func (q *Query) String() string {
	switch q.Op {
	case OpAll:
		return "all"
	case OpNone:
		return "none"
	case OpTri:
		return strconv.Quote(q.Tri)
	}
	parts := make([]string, len(q.Sub))
	for i, s := range q.Sub {
		parts[i] = s.String()
	}
	name := "and"
	if q.Op == OpOr {
		name = "or"
	}
	return "(" + name + " " + strings.Join(parts, " ") + ")"
}
