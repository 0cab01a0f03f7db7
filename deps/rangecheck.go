package deps

import (
	"fmt"
	"strings"
)

// RangeError is a version range that does not parse, with the place of
// the fault so a form can point at it.
type RangeError struct {
	Pos int    // byte offset in the range as given
	Msg string // what is wrong there
}

func (e *RangeError) Error() string { return fmt.Sprintf("at character %d: %s", e.Pos+1, e.Msg) }

// wildcards are the ecosystems whose own range syntax has "*"; the others'
// parsers take "2.6.*" for something it is not (Maven: a soft requirement
// that every version meets).
var wildcards = map[string]bool{"npm": true, "cargo": true, "composer": true, "pypi": true, "nuget": true, "gem": true, "rubygems": true}

// checkRange rejects what the comparator and native parsers would accept
// but misread: doubled operators (">>2", "<=<1", "=>2"), an operator with
// no version, and "*" where the ecosystem has no wildcard.
func checkRange(ecosystem, s string) error {
	if strings.HasPrefix(strings.TrimSpace(s), "vers:") {
		return nil
	}
	eco := strings.ToLower(ecosystem)
	if i := strings.IndexByte(s, '*'); i >= 0 && !wildcards[eco] {
		name := eco
		if name == "" {
			name = "this ecosystem"
		}
		return &RangeError{Pos: i, Msg: fmt.Sprintf(`"*" is not range syntax for %s: write a range such as [2.6,2.7) or >=2.6 <2.7`, name)}
	}
	if t := strings.TrimSpace(s); t != "" && strings.ContainsAny(t[:1], "[(^~") {
		return nil // the ecosystem's own syntax, checked by its parser
	}
	isOp := func(c byte) bool { return c == '<' || c == '>' || c == '=' || c == '!' }
	for i := 0; i < len(s); {
		if !isOp(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isOp(s[j]) {
			j++
		}
		op := s[i:j]
		switch op {
		case "<", "<=", ">", ">=", "=", "==", "===", "!=":
		default:
			return &RangeError{Pos: i, Msg: fmt.Sprintf("%q is not an operator: use < <= > >= = or !=", op)}
		}
		k := j
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		if k == len(s) || s[k] == ',' || s[k] == '|' {
			return &RangeError{Pos: i, Msg: fmt.Sprintf("%q needs a version after it", op)}
		}
		i = j
	}
	return nil
}
