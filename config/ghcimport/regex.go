package ghcimport

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// javaOnly are constructs of java.util.regex that RE2 lacks, in the order
// they are looked for, with the name the refusal gives them.
var javaOnly = []struct{ token, name string }{
	{"(?<=", "lookbehind (?<=...)"},
	{"(?<!", "negative lookbehind (?<!...)"},
	{"(?=", "lookahead (?=...)"},
	{"(?!", "negative lookahead (?!...)"},
	{"(?>", "atomic group (?>...)"},
	{"*+", "possessive quantifier *+"},
	{"++", "possessive quantifier ++"},
	{"?+", "possessive quantifier ?+"},
	{"}+", "possessive quantifier {n}+"},
	{"&&", "character class intersection &&"},
	{`\k<`, `named backreference \k<...>`},
	{`\Z`, `\Z (end before a final line terminator)`},
	{`\G`, `\G (end of the previous match)`},
	{`\R`, `\R (any line break)`},
	{`\h`, `\h (horizontal white space)`},
	{`\p{java`, `\p{java...} class`},
}

var backref = regexp.MustCompile(`\\[1-9]`)

// RegexError is a repository pattern the import cannot translate.
type RegexError struct {
	Pattern   string
	Construct string // what RE2 lacks, or why the translation would differ
}

func (e *RegexError) Error() string {
	return fmt.Sprintf("pattern %q: %s", e.Pattern, e.Construct)
}

// javaConstruct names the first Java-only construct in p, or "".
func javaConstruct(p string) string {
	// Escaped backslashes first, so that `\\Z` is not taken for `\Z`.
	q := strings.ReplaceAll(p, `\\`, "")
	for _, j := range javaOnly {
		if strings.Contains(q, j.token) {
			return j.name
		}
	}
	if backref.MatchString(q) {
		return `backreference \1..\9`
	}
	return ""
}

// negatedName recognises github-crawler's idiom for "every name that does
// not match X": ^(?!X).* (X may end in $, the .* may be .+ or absent, and
// a $ may close it). It returns X as a pattern anchored at the start.
func negatedName(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "^(?!")
	if !ok {
		return "", false
	}
	// The lookahead's closing parenthesis: the one that balances it.
	depth, end := 1, -1
	for i := 0; i < len(rest) && end < 0; i++ {
		switch rest[i] {
		case '\\':
			i++
		case '[':
			// Parentheses in a class do not count.
			for i++; i < len(rest) && rest[i] != ']'; i++ {
				if rest[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				end = i
			}
		}
	}
	if end < 0 {
		return "", false
	}
	switch rest[end+1:] {
	case "", ".*", ".+", ".*$", ".+$", "$":
	default:
		return "", false
	}
	if rest[end+1:] == "$" {
		// ^(?!X)$ matches only the empty name, which no repository has.
		return "", false
	}
	return "^(?:" + rest[:end] + ")", true
}

// fullName translates a java.util.regex pattern that github-crawler finds
// (Matcher.find, unanchored) in a repository's short name into an RE2
// pattern over trawl's full name (org/name, group/sub/name) that matches
// exactly the same repositories: the match is confined to the last path
// segment, so a pattern can never match the organisation's part.
func fullName(p string) (string, error) {
	if c := javaConstruct(p); c != "" {
		return "", &RegexError{Pattern: p, Construct: c + " has no RE2 equivalent"}
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return "", &RegexError{Pattern: p, Construct: "not a regular expression RE2 reads: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	start, end := false, false
	if re.Op == syntax.OpConcat && len(re.Sub) > 0 {
		subs := re.Sub
		if isBegin(subs[0]) {
			start, subs = true, subs[1:]
		}
		if len(subs) > 0 && isEnd(subs[len(subs)-1]) {
			end, subs = true, subs[:len(subs)-1]
		}
		re.Sub = subs
	} else if isBegin(re) || isEnd(re) {
		// ^ or $ alone: every name.
		start, end = isBegin(re), isEnd(re)
		re = &syntax.Regexp{Op: syntax.OpEmptyMatch}
	}
	if err := confine(re); err != nil {
		return "", &RegexError{Pattern: p, Construct: err.Error()}
	}
	var b strings.Builder
	b.WriteString(`^(?:.*/)?`)
	if !start {
		b.WriteString(`[^/]*`)
	}
	b.WriteString("(?:")
	b.WriteString(re.String())
	b.WriteString(")")
	if !end {
		b.WriteString(`[^/]*`)
	}
	b.WriteString("$")
	out := b.String()
	if _, err := regexp.Compile(out); err != nil {
		return "", &RegexError{Pattern: p, Construct: "translation does not compile: " + err.Error()}
	}
	return out, nil
}

func isBegin(re *syntax.Regexp) bool {
	return re.Op == syntax.OpBeginText || re.Op == syntax.OpBeginLine
}

func isEnd(re *syntax.Regexp) bool {
	return re.Op == syntax.OpEndText || re.Op == syntax.OpEndLine
}

// confine rewrites re in place so that it can never match '/', which a
// short name never holds, and refuses what would change meaning: an
// anchor other than a leading ^ or trailing $, or a literal '/'.
func confine(re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpBeginText, syntax.OpBeginLine, syntax.OpEndText, syntax.OpEndLine:
		return fmt.Errorf("an anchor (^ or $) inside a group or an alternative cannot be translated; anchor the whole pattern or split it into several patterns")
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == '/' {
				return fmt.Errorf("a '/' can never match a repository's short name")
			}
		}
	case syntax.OpAnyChar:
		re.Op, re.Rune = syntax.OpCharClass, []rune{0, '/' - 1, '/' + 1, 0x10FFFF}
	case syntax.OpAnyCharNotNL:
		re.Op, re.Rune = syntax.OpCharClass, []rune{0, '\n' - 1, '\n' + 1, '/' - 1, '/' + 1, 0x10FFFF}
	case syntax.OpCharClass:
		re.Rune = withoutSlash(re.Rune)
		if len(re.Rune) == 0 {
			return fmt.Errorf("a class matching only '/' can never match a repository's short name")
		}
	}
	for _, s := range re.Sub {
		if err := confine(s); err != nil {
			return err
		}
	}
	return nil
}

// withoutSlash removes '/' from a class given as sorted [lo, hi] pairs.
func withoutSlash(r []rune) []rune {
	out := make([]rune, 0, len(r)+2)
	for i := 0; i+1 < len(r); i += 2 {
		lo, hi := r[i], r[i+1]
		if lo <= '/' && '/' <= hi {
			if lo < '/' {
				out = append(out, lo, '/'-1)
			}
			if hi > '/' {
				out = append(out, '/'+1, hi)
			}
			continue
		}
		out = append(out, lo, hi)
	}
	return out
}

// repoFilter translates github-crawler's repositoriesToExclude or
// repositoriesToInclude into trawl's repos.include and repos.exclude.
// how says, per pattern, what it became.
func repoFilter(excludes, includes []string) (include, exclude, how []string, err error) {
	for _, p := range excludes {
		if x, ok := negatedName(p); ok {
			// Excluding every name not matching X keeps only X: an include.
			// Two such excludes would keep the intersection, which a list
			// of includes (a union) cannot say.
			if len(include) > 0 {
				return nil, nil, nil, &RegexError{Pattern: p, Construct: "a second negative lookahead exclude (together they keep only names matching both, which trawl's include list, a union, cannot say)"}
			}
			t, err := fullName(x)
			if err != nil {
				return nil, nil, nil, err
			}
			include = append(include, t)
			how = append(how, fmt.Sprintf("%q excludes every name not matching %q: became repos.include %q", p, strings.TrimSuffix(strings.TrimPrefix(x, "^(?:"), ")"), t))
			continue
		}
		t, err := fullName(p)
		if err != nil {
			return nil, nil, nil, err
		}
		exclude = append(exclude, t)
		how = append(how, fmt.Sprintf("%q on the short name: became repos.exclude %q on the full name", p, t))
	}
	for _, p := range includes {
		if _, ok := negatedName(p); ok {
			return nil, nil, nil, &RegexError{Pattern: p, Construct: "negative lookahead (?!...) in an include (\"every name but X\" among other includes) has no RE2 equivalent; move it to repositoriesToExclude"}
		}
		t, err := fullName(p)
		if err != nil {
			return nil, nil, nil, err
		}
		include = append(include, t)
		how = append(how, fmt.Sprintf("%q on the short name: became repos.include %q on the full name", p, t))
	}
	return include, exclude, how, nil
}
