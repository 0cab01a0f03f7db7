package deps

import (
	"fmt"
	"sort"
	"strings"

	"deps.dev/util/semver"
)

// Range is a set of versions of one ecosystem, compared by that ecosystem's
// rules (deps.dev/util/semver: Maven, npm, PyPI, Go...).
type Range struct {
	text string
	sys  semver.System
	// One of: or-of-and comparators, a vers: list, or the ecosystem's own
	// constraint syntax (Maven [1.0,2.0), npm ^1.2, PyPI ~=1.2).
	groups [][]comparator
	vers   []comparator
	all    bool
	native *semver.Constraint
}

type comparator struct {
	op string // <, <=, >, >=, =, !=
	v  *semver.Version
}

// systemOf maps a purl type to the version rules it follows. Ecosystems
// without rules of their own (docker tags, action refs, charts) compare as
// semantic versions.
func systemOf(ecosystem string) semver.System {
	switch strings.ToLower(ecosystem) {
	case "maven", "gradle":
		return semver.Maven
	case "npm":
		return semver.NPM
	case "golang", "go":
		return semver.Go
	case "pypi":
		return semver.PyPI
	case "cargo":
		return semver.Cargo
	case "nuget":
		return semver.NuGet
	case "gem", "rubygems":
		return semver.RubyGems
	case "composer":
		return semver.Composer
	}
	return semver.DefaultSystem
}

// ParseRange parses a version range of an ecosystem (a purl type). Accepted:
//
//	<2.17.1            comparators: < <= > >= = == != (a bare version is =)
//	>=2.0 <2.17.1      spaces or commas join comparators (AND)
//	>=2.0,<2.17.1
//	<1.0 || >=2.0      || separates alternatives (OR)
//	vers:maven/>=2.0|<2.17.1   the purl-spec vers syntax; its type names the ecosystem
//	[2.0,2.17.1)  ^1.2  ~=1.4  the ecosystem's own syntax, where it has one
func ParseRange(ecosystem, s string) (Range, error) {
	s = strings.TrimSpace(s)
	r := Range{text: s, sys: systemOf(ecosystem)}
	if s == "" {
		return r, fmt.Errorf("parse range %q: empty", s)
	}
	if err := checkRange(ecosystem, s); err != nil {
		return r, fmt.Errorf("parse range %q: %w", s, err)
	}
	if rest, ok := strings.CutPrefix(s, "vers:"); ok {
		typ, list, ok := strings.Cut(rest, "/")
		if !ok {
			return r, fmt.Errorf("parse range %q: vers needs a type and constraints", s)
		}
		if ecosystem == "" {
			r.sys = systemOf(typ)
		}
		if strings.TrimSpace(list) == "*" {
			r.all = true
			return r, nil
		}
		for _, c := range strings.Split(list, "|") {
			cmp, err := r.comparator(strings.TrimSpace(c))
			if err != nil {
				return r, fmt.Errorf("parse range %q: %w", s, err)
			}
			r.vers = append(r.vers, cmp)
		}
		sort.SliceStable(r.vers, func(i, j int) bool { return r.vers[i].v.Compare(r.vers[j].v) < 0 })
		return r, nil
	}
	if strings.ContainsAny(s[:1], "[(") || strings.ContainsAny(s, "^~*") {
		c, err := r.sys.ParseConstraint(s)
		if err != nil {
			return r, fmt.Errorf("parse range %q: %w", s, err)
		}
		r.native = c
		return r, nil
	}
	for _, alt := range strings.Split(s, "||") {
		var group []comparator
		fields := strings.FieldsFunc(alt, func(c rune) bool { return c == ' ' || c == ',' || c == '\t' })
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			// ">= 2.0": an operator standing alone takes the next field.
			if strings.Trim(f, "<>=!") == "" && i+1 < len(fields) {
				i++
				f += fields[i]
			}
			cmp, err := r.comparator(f)
			if err != nil {
				return r, fmt.Errorf("parse range %q: %w", s, err)
			}
			group = append(group, cmp)
		}
		if len(group) == 0 {
			return r, fmt.Errorf("parse range %q: empty alternative", s)
		}
		r.groups = append(r.groups, group)
	}
	return r, nil
}

func (r Range) comparator(s string) (comparator, error) {
	op := "="
	for _, o := range []string{"===", "==", ">=", "<=", "!=", "<", ">", "="} {
		if rest, ok := strings.CutPrefix(s, o); ok {
			op, s = o, strings.TrimSpace(rest)
			break
		}
	}
	if op == "==" || op == "===" {
		op = "="
	}
	v, err := r.parse(s)
	if err != nil {
		return comparator{}, err
	}
	return comparator{op: op, v: v}, nil
}

// parse reads a version, letting Go versions omit their "v".
func (r Range) parse(s string) (*semver.Version, error) {
	// Maven's rules accept nearly any word; a version has a digit.
	if !strings.ContainsAny(s, "0123456789") {
		return nil, fmt.Errorf("version %q: no digit", s)
	}
	// An unresolved property (${slf4j.version}) is no version, digits or not.
	if strings.Contains(s, "${") {
		return nil, fmt.Errorf("version %q: unresolved property", s)
	}
	if r.sys == semver.Go && !strings.HasPrefix(s, "v") {
		s = "v" + s
	}
	v, err := r.sys.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", s, err)
	}
	return v, nil
}

// String returns the range as written.
func (r Range) String() string { return r.text }

// Contains reports whether version lies in the range. A version that does
// not parse in the ecosystem (a range itself, "latest", an unexpanded
// property) is not contained: use Match to tell it apart.
func (r Range) Contains(version string) bool {
	v, err := r.parse(strings.TrimSpace(version))
	if err != nil {
		return false
	}
	switch {
	case r.all:
		return true
	case r.native != nil:
		return r.native.MatchVersion(v)
	case r.vers != nil:
		return versContains(r.vers, v)
	}
	for _, group := range r.groups {
		ok := true
		for _, c := range group {
			if !c.holds(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Match reports whether a dependency's version lies in the range. It uses
// ResolvedVersion when set, else the declared Version if that is one exact
// version. known is false when neither gives an exact version (an npm "^1.2"
// without a lockfile, a Maven version from a parent outside the tree): the
// caller should list such records as undecided rather than drop them.
func (r Range) Match(d Dependency) (in, known bool) {
	v := d.ResolvedVersion
	if v == "" {
		v = d.Version
	}
	if _, err := r.parse(v); err != nil || v == "" {
		return false, false
	}
	return r.Contains(v), true
}

func (c comparator) holds(v *semver.Version) bool {
	cmp := v.Compare(c.v)
	switch c.op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	case "!=":
		return cmp != 0
	}
	return cmp == 0
}

// versContains is the containment algorithm of the purl-spec vers
// specification, over comparators sorted by version.
func versContains(cs []comparator, v *semver.Version) bool {
	var rest []comparator
	for _, c := range cs {
		eq := v.Compare(c.v) == 0
		switch c.op {
		case "=":
			if eq {
				return true
			}
			continue
		case "!=":
			if eq {
				return false
			}
			continue
		case ">=", "<=":
			if eq {
				return true
			}
		}
		rest = append(rest, c)
	}
	if len(rest) == 0 {
		return false
	}
	if len(rest) == 1 {
		return rest[0].holds(v)
	}
	less := func(op string) bool { return op == "<" || op == "<=" }
	for i := 0; i+1 < len(rest); i++ {
		cur, next := rest[i], rest[i+1]
		if i == 0 && less(cur.op) && v.Compare(cur.v) < 0 {
			return true
		}
		if i+1 == len(rest)-1 && !less(next.op) && v.Compare(next.v) > 0 {
			return true
		}
		if !less(cur.op) && less(next.op) && v.Compare(cur.v) > 0 && v.Compare(next.v) < 0 {
			return true
		}
	}
	return false
}
