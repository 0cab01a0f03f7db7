package search

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteJSONMatchesEncoder checks that a result written a file at a
// time is byte for byte what json.Encoder with the CLI's indent writes,
// with the escapes the encoder makes (HTML characters, invalid UTF-8,
// U+2028) and empty and absent lists.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	file := func(repo string, matches ...Match) File {
		return File{Repo: repo, Path: "a/<b>&c.go", Blob: "0123", Language: "Go",
			Branches: []BranchRef{{Name: "main", Commit: "abc"}, {Name: "dev\u2028", Commit: "def"}},
			URL:      "https://x/?a=1&b=2", Matches: matches}
	}
	match := Match{Line: 3, Text: "if x < y && \xff {", Ranges: [][2]int{{3, 4}}, Before: []string{"\t// \"q\""}, After: []string{}}
	results := []*Result{
		{Query: "q", Files: nil},
		{Query: "q", Files: []File{}},
		{Query: `"a<b"`, Stats: Stats{Files: 1, Matches: 1, Candidates: 2, DurationMS: 1.25, LimitHit: true, LimitReason: LimitFiles}, Files: []File{file("r1", match)}},
		{Query: "file:x", Files: []File{file("r1"), file("r2", match, match), {Matches: []Match{}}}},
	}
	for _, r := range results {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := r.WriteJSON(&got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("WriteJSON of %q:\n%s\nwant\n%s", r.Query, got.String(), want.String())
		}
	}
}
