package search

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// TestLargeTextParts searches a text large enough for the Bleve index to
// store in parts, read only where a part's trigram mask admits a term, and
// checks every answer against the text's own lines: each matching line,
// and the context lines around it, is found, and the file-level AND and
// NOT see terms in parts where the other terms are not.
func TestLargeTextParts(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 7))
	var lines []string
	for i := range 6000 {
		line := fmt.Sprintf("\tvalue%d := compute(%d, %q)", i, r.IntN(1000), strings.Repeat("x", r.IntN(40)))
		if r.IntN(20) == 0 {
			line = ""
		}
		lines = append(lines, line)
	}
	// The needles lie in a few of the text's 17 or so parts, so that most
	// are left out; the marker lies far from every needle.
	for _, i := range []int{700, 701, 2500, 4200} {
		lines[i] = fmt.Sprintf("\tneedle %d", i)
	}
	lines[3100] = "// Needle(3100) upper"
	lines[0], lines[len(lines)-1] = "needle first", "needle last"
	lines[3600] = "loner marker"
	text := strings.Join(lines, "\n") // no final newline
	sum := sha1.Sum([]byte(text))
	id := hex.EncodeToString(sum[:])
	idx := tempIndex(t)
	err := idx.Commit(ctx, &indexer.Changes{
		Blobs:       []indexer.Blob{{ID: id, Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: len(lines)}},
		PutLocs:     []indexer.Location{{Repo: "acme/api", Branch: "main", Path: "big.go", Blob: id, Size: int64(len(text))}},
		PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main", Commit: commitOf("acme/api", "main")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(text) < 256<<10 {
		t.Fatalf("the text is %d bytes, too small to be stored in parts", len(text))
	}
	s := New(idx)
	for _, tc := range []struct {
		query   string
		context int
		match   func(line string) bool // nil: the file must not match
	}{
		{"needle", 0, func(l string) bool { return strings.Contains(strings.ToLower(l), "needle") }},
		{"case:yes Needle", 0, func(l string) bool { return strings.Contains(l, "Needle") }},
		{"needle", 2, func(l string) bool { return strings.Contains(strings.ToLower(l), "needle") }},
		{"case:yes /needle [0-9]+$/", 3, regexp.MustCompile(`needle [0-9]+$`).MatchString},
		{"needle -marker", 0, nil},
		{"needle -absentword", 0, func(l string) bool { return strings.Contains(strings.ToLower(l), "needle") }},
		{"loner needle", 1, func(l string) bool {
			return strings.Contains(strings.ToLower(l), "needle") || strings.Contains(l, "loner")
		}},
		{"/^$/", 0, func(l string) bool { return l == "" }},
	} {
		res, err := s.Search(ctx, tc.query, Options{Context: tc.context})
		if err != nil {
			t.Fatal(err)
		}
		if tc.match == nil {
			if len(res.Files) != 0 {
				t.Errorf("%q: %d files, want none", tc.query, len(res.Files))
			}
			continue
		}
		var want []int
		for i, l := range lines {
			if tc.match(l) {
				want = append(want, i+1)
			}
		}
		if len(res.Files) != 1 {
			t.Fatalf("%q: %d files, want 1", tc.query, len(res.Files))
		}
		var got []int
		for _, m := range res.Files[0].Matches {
			got = append(got, m.Line)
			if m.Text != lines[m.Line-1] {
				t.Errorf("%q: line %d reads %q, want %q", tc.query, m.Line, m.Text, lines[m.Line-1])
			}
			wantBefore := lines[max(0, m.Line-1-tc.context) : m.Line-1]
			wantAfter := lines[m.Line:min(len(lines), m.Line+tc.context)]
			if !slices.Equal(m.Before, wantBefore) || !slices.Equal(m.After, wantAfter) {
				t.Errorf("%q: context of line %d is %q / %q, want %q / %q", tc.query, m.Line, m.Before, m.After, wantBefore, wantAfter)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: lines %v, want %v", tc.query, firstLines(got), firstLines(want))
		}
	}
}

func firstLines(l []int) []int { return l[:min(len(l), 12)] }
