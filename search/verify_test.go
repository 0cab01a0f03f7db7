package search

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func verify(t *testing.T, query, text string, context int) []Match {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	tm, err := newVerifier(q.ContentTerms()).match(t.Context(), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ms, _, _ := tm.matches(context, 0, 0)
	return ms
}

func lineNums(ms []Match) []int {
	out := []int{}
	for _, m := range ms {
		out = append(out, m.Line)
	}
	return out
}

func TestVerifyLines(t *testing.T) {
	tests := []struct {
		name, query, text string
		want              []int
	}{
		{"empty text has no lines", `/^/`, "", []int{}},
		{"final line without newline", `/^x$/`, "a\nx", []int{2}},
		{"trailing newline adds no line", `/^$/`, "a\n", []int{}},
		{"empty lines", `/^$/`, "a\n\nb\n\n", []int{2, 4}},
		{"CR stays in the line", `/x$/`, "x\r\nx\n", []int{2}},
		{"CR matched explicitly", `/x\r$/`, "x\r\nx\n", []int{1}},
		{"no match across lines", `/a\sb/`, "a\nb\na b", []int{3}},
		{"literal with newline never matches", `/a\nb/`, "a\nb", []int{}},
		{"case auto insensitive", `hello`, "HeLLo\nhelo\nhello", []int{1, 3}},
		{"case auto sensitive", `Hello`, "hello\nHello", []int{2}},
		{"case yes", `case:yes hello`, "HELLO\nhello", []int{2}},
		{"case no", `case:no Hello`, "HELLO\nhello\nhelo", []int{1, 2}},
		{"kelvin sign folds", `kelvin`, "\u212aelvin\nKELVIN\nkelvin", []int{1, 2, 3}},
		{"long s folds", `case:no S`, "\u017f\nx", []int{1}},
		{"sigma orbit", `case:no σ`, "Σ\nς\nσ\ns", []int{1, 2, 3}},
		{"two terms, lines of either", `foo bar`, "foo\nbar\nbaz", []int{1, 2}},
		{"negated terms show no lines", `foo -bar`, "foo\nbaz", []int{1}},
		{"punctuation literal", `"err != nil {"`, "if err != nil {\nerr!=nil", []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lineNums(verify(t, tt.query, tt.text, 0)); !slices.Equal(got, tt.want) {
				t.Errorf("lines = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyRangesAndContext(t *testing.T) {
	text := "zero\none foo\ntwo foofoo bar\nthree\nfour\nfive foo"
	got := verify(t, `foo /o+ b/`, text, 1)
	want := []Match{
		{Line: 2, Text: "one foo", Ranges: [][2]int{{4, 7}}, Before: []string{"zero"}, After: []string{"two foofoo bar"}},
		{Line: 3, Text: "two foofoo bar", Ranges: [][2]int{{4, 12}}, Before: []string{"one foo"}, After: []string{"three"}},
		{Line: 6, Text: "five foo", Ranges: [][2]int{{5, 8}}, Before: []string{"four"}, After: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("matches =\n%+v\nwant\n%+v", got, want)
	}
}

func TestVerifyEmptyMatchHasNoRange(t *testing.T) {
	got := verify(t, `/x*/`, "ab\nxx", 0)
	want := []Match{
		{Line: 1, Text: "ab", Ranges: [][2]int{}, Before: []string{}, After: []string{}},
		{Line: 2, Text: "xx", Ranges: [][2]int{{0, 2}}, Before: []string{}, After: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("matches = %+v, want %+v", got, want)
	}
}

// TestVerifyFastPathExact compares the verifier, which looks for a
// required literal before running the regexp and finds a matching line's
// bounds without indexing the text's lines, with running the regexp on
// every line: the same line numbers, the same texts, and the same
// context.
func TestVerifyFastPathExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	queries := []string{`ab`, `Ab`, `case:no ks`, `case:no kaß`, `/a[bc]+k/`, `/(?i)sk.a/`, `/^ab|c$/`, `/ab(c|d)?ka/`, `case:yes ΣS`, `/x+y/`}
	for _, query := range queries {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		re := q.ContentTerms()[0].Re
		for range 300 {
			text := genText(r)
			var want []int
			lines := strings.Split(text, "\n")
			if lines[len(lines)-1] == "" {
				lines = lines[:len(lines)-1]
			}
			for i, line := range lines {
				if re.MatchString(line) {
					want = append(want, i+1)
				}
			}
			ms := verify(t, query, text, 0)
			got := lineNums(ms)
			if len(want) == 0 {
				want = []int{}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s on %q: lines %v, want %v", query, text, got, want)
			}
			for _, m := range ms {
				if m.Text != lines[m.Line-1] {
					t.Fatalf("%s on %q: line %d is %q, want %q", query, text, m.Line, m.Text, lines[m.Line-1])
				}
			}
			for _, m := range verify(t, query, text, 1) {
				before, after := lines[max(0, m.Line-2):m.Line-1], lines[m.Line:min(len(lines), m.Line+1)]
				if m.Text != lines[m.Line-1] || !slices.Equal(m.Before, before) || !slices.Equal(m.After, after) {
					t.Fatalf("%s on %q, context 1: line %d is %q %q %q, want %q %q %q", query, text, m.Line, m.Before, m.Text, m.After, before, lines[m.Line-1], after)
				}
			}
		}
	}
}

func TestHighlight(t *testing.T) {
	got, err := Highlight(t.Context(), `repo:x foo -bar /ba+z/`, []byte("foo bar\nbaaz foo\nnothing\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Match{
		{Line: 1, Text: "foo bar", Ranges: [][2]int{{0, 3}}, Before: []string{}, After: []string{}},
		{Line: 2, Text: "baaz foo", Ranges: [][2]int{{0, 4}, {5, 8}}, Before: []string{}, After: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Highlight = %+v, want %+v", got, want)
	}
	if _, err := Highlight(t.Context(), `(`, nil); err == nil {
		t.Error("Highlight of a bad query: no error")
	}
}
