package search

import (
	"context"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/trigram"
)

func planOf(t *testing.T, query string) *trigram.Query {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	return q.Plan()
}

func TestPlanExamples(t *testing.T) {
	tests := []struct{ query, want string }{
		{`ab`, `all`},
		{`abcd`, `(and "ABC" "BCD")`},
		{`Abcd`, `(and "ABC" "BCD")`}, // case-sensitive search still uses folded trigrams
		{`/ab[cd]e/`, `(or (and "ABC" "BCE") (and "ABD" "BDE"))`},
		{`/abc|xyz/`, `(or "ABC" "XYZ")`},
		{`/abc.*def/`, `(and "ABC" "DEF")`},
		{`/(abc)+d/`, `(and "ABC" "BCD")`},
		{`/a.c/`, `all`},
		{`/[a-z]+/`, `all`},
		{`/x?abcd/`, `(or (and "ABC" "BCD" "XAB") (and "ABC" "BCD"))`},
		{`/(?i)kelvin/`, `(and "ELV" "KEL" "LVI" "VIN")`},
		{`/\x{212A}elvin/`, `(and "ELV" "KEL" "LVI" "VIN")`},
		{`foo bar1`, `(and "AR1" "BAR" "FOO")`},
		{`foo or bar`, `(or "BAR" "FOO")`},
		{`foo -bar`, `"FOO"`},
		{`foo or -bar`, `all`},
		{`foo file:x`, `"FOO"`},
		{`foo or file:x`, `all`},
		{`file:x`, `all`},
		{`/[^\x00-\x{10FFFF}]/`, `none`},
	}
	for _, tt := range tests {
		if got := planOf(t, tt.query).String(); got != tt.want {
			t.Errorf("plan(%q) = %s, want %s", tt.query, got, tt.want)
		}
	}
}

// runes the generators draw from: ASCII, the k/K/KELVIN SIGN and
// s/S/LONG S orbits, ß/ẞ, the three sigmas, and accented letters.
var planRunes = []string{"a", "b", "c", "k", "K", "\u212a", "s", "S", "\u017f", "ß", "ẞ", "Σ", "σ", "ς", "é", "É", "x", "y", "1", " ", ".", "-"}

func genText(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(40) {
		switch r.IntN(12) {
		case 0:
			b.WriteString("\n")
		case 1:
			b.WriteString("\r\n")
		default:
			b.WriteString(planRunes[r.IntN(len(planRunes))])
		}
	}
	return b.String()
}

// genRegexp builds a regexp from a small grammar: literals, classes,
// alternation, repetition, (?i), anchors and '.'.
func genRegexp(r *rand.Rand, depth int) string {
	lit := func() string {
		var b strings.Builder
		for range 1 + r.IntN(4) {
			b.WriteString(regexp.QuoteMeta(planRunes[r.IntN(len(planRunes))]))
		}
		return b.String()
	}
	if depth <= 0 {
		return lit()
	}
	switch r.IntN(12) {
	case 0, 1, 2:
		return lit()
	case 3:
		var b strings.Builder
		b.WriteString("[")
		if r.IntN(4) == 0 {
			b.WriteString("^")
		}
		for range 1 + r.IntN(3) {
			b.WriteString(regexp.QuoteMeta(planRunes[r.IntN(len(planRunes))]))
		}
		if r.IntN(3) == 0 {
			b.WriteString("a-z")
		}
		return b.String() + "]"
	case 4:
		return "."
	case 5:
		return "(?:" + genRegexp(r, depth-1) + "|" + genRegexp(r, depth-1) + ")"
	case 6:
		return "(?:" + genRegexp(r, depth-1) + ")" + []string{"*", "+", "?", "{2}", "{1,3}", "{0,2}"}[r.IntN(6)]
	case 7:
		return "(?i:" + genRegexp(r, depth-1) + ")"
	case 8:
		return []string{"^", "$", `\b`, `\B`}[r.IntN(4)]
	}
	return genRegexp(r, depth-1) + genRegexp(r, depth-1)
}

// checkPlanComplete checks, for one text and one query, that the plan
// selects the text whenever some line of it matches, and that the verifier
// finds exactly the lines Go's regexp finds line by line. It reports
// whether the plan rejected the text.
func checkPlanComplete(t *testing.T, query, text string) (rejected bool) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		return false
	}
	terms := q.ContentTerms()
	if len(terms) != 1 {
		return false
	}
	re := terms[0].Re
	var want []int
	for i, line := range strings.Split(text, "\n") {
		if i == strings.Count(text, "\n") && line == "" {
			break // the text ends with a newline: no final line
		}
		if re.MatchString(line) {
			want = append(want, i+1)
		}
	}
	tris := trigram.Extract([]byte(text))
	selected := q.Plan().Eval(func(tri string) bool {
		_, ok := slices.BinarySearch(tris, tri)
		return ok
	})
	if len(want) > 0 && !selected {
		t.Fatalf("plan %s of %q rejects text %q, whose lines %v match", q.Plan(), query, text, want)
	}
	var got []int
	tm, err := newVerifier(terms).match(context.Background(), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ms, _, _ := tm.matches(0, 0, 0)
	for _, m := range ms {
		got = append(got, m.Line)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("verifier of %q on %q found lines %v, want %v", query, text, got, want)
	}
	return !selected
}

func TestPlanNeverMissesMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var matched, rejected int
	for range 3000 {
		pattern := genRegexp(r, 3)
		if r.IntN(4) == 0 {
			pattern = "(?i)" + pattern
		}
		query := "/" + pattern + "/"
		if r.IntN(4) == 0 {
			query = "case:" + []string{"yes", "no", "auto"}[r.IntN(3)] + " " + query
		}
		for range 10 {
			text := genText(r)
			// Plant a match half of the time, so matching texts are common.
			if r.IntN(2) == 0 {
				if re, err := regexp.Compile(pattern); err == nil {
					if m := re.FindString(genText(r) + text); m != "" {
						text += m
					}
				}
			}
			if checkPlanComplete(t, query, text) {
				rejected++
			} else {
				matched++
			}
		}
	}
	// A planner answering "all" for everything would pass the check above;
	// a useful one rejects many texts.
	if rejected < 1000 {
		t.Errorf("plans rejected only %d of %d texts: the planner is not selective", rejected, rejected+matched)
	}
}

func FuzzPlanComplete(f *testing.F) {
	f.Add("kelvin", "x\u212aelvin y")
	f.Add("(?i)straße", "STRASSE\nSTRAẞE")
	f.Add("Σσς", "σσσ\r\nςΣσ")
	f.Add("ab[cd]e", "abde\n")
	f.Add("a.c$", "abc\r\nabc")
	f.Add("(?:ab|cd)+ef", "abcdef")
	f.Add("^\\bfoo", "\nfoo")
	f.Fuzz(func(t *testing.T, pattern, text string) {
		if !utf8Valid(text) || strings.Contains(pattern, "/") {
			return
		}
		checkPlanComplete(t, "/"+pattern+"/", text)
	})
}

func utf8Valid(s string) bool {
	return strings.ToValidUTF8(s, "\uFFFD") == s && !strings.ContainsRune(s, '\uFFFD')
}
