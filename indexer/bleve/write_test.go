package bleve

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// tokensAnalyzer is how a trigram set was indexed before trigramField: the
// tokens of a TextField. The two must give Bleve the same frequencies.
type tokensAnalyzer []string

func (a tokensAnalyzer) Analyze([]byte) analysis.TokenStream {
	out := make(analysis.TokenStream, len(a))
	for i, t := range a {
		out[i] = &analysis.Token{Term: []byte(t), Start: 0, End: len(t), Position: i + 1, Type: analysis.AlphaNumeric}
	}
	return out
}

func TestTrigramFieldAsTextField(t *testing.T) {
	opts := optionsOf(newMapping()).tri
	for _, text := range []string{"", "ab", "func main() {}\n", "Ünïcödé ☃☃☃ and ASCII\r\n", strings.Repeat("err != nil\n", 50)} {
		terms := trigram.Extract([]byte(text))
		want := document.NewTextFieldCustom(fieldTri, nil, nil, opts, tokensAnalyzer(terms))
		got := &trigramField{opts: opts, terms: terms}
		want.Analyze()
		got.Analyze()
		if got.Name() != want.Name() || got.EncodedFieldType() != want.EncodedFieldType() ||
			got.AnalyzedLength() != want.AnalyzedLength() || got.Options() != want.Options() ||
			len(got.Value()) != len(want.Value()) || got.NumPlainTextBytes() != want.NumPlainTextBytes() {
			t.Errorf("%q: field differs from TextField", text)
		}
		if !reflect.DeepEqual(got.AnalyzedTokenFrequencies(), want.AnalyzedTokenFrequencies()) {
			t.Errorf("%q: frequencies\n got %v\nwant %v", text, got.AnalyzedTokenFrequencies(), want.AnalyzedTokenFrequencies())
		}
	}
}

func TestBlobParts(t *testing.T) {
	blob := func(id string, size int) indexer.Blob {
		return indexer.Blob{ID: id, Text: make([]byte, size)}
	}
	var blobs []indexer.Blob
	for i := range 40 {
		blobs = append(blobs, blob(fmt.Sprintf("%040x", i), 100+i*10))
	}
	blobs = append(blobs, blobs[3], blobs[7]) // the same blob from two branches

	if parts := blobParts(blobs, 1, 10); parts != nil {
		t.Errorf("one core: %d parts, want none", len(parts))
	}
	if parts := blobParts(blobs, 4, 1<<20); parts != nil {
		t.Errorf("below the threshold: %d parts, want none", len(parts))
	}
	if parts := blobParts(blobs[:1], 4, 1); parts != nil {
		t.Errorf("one blob: %d parts, want none", len(parts))
	}
	parts := blobParts(blobs, 3, 1000)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	seen := map[string]int{}
	total, smallest, largest := 0, 1<<30, 0
	for _, p := range parts {
		size := 0
		for _, b := range p {
			seen[b.ID]++
			size += len(b.Text)
		}
		total += size
		smallest, largest = min(smallest, size), max(largest, size)
	}
	if len(seen) != 40 {
		t.Errorf("parts hold %d distinct blobs, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("blob %s is in %d parts", id, n)
		}
	}
	// Greedy by size: no part is larger than another by more than the
	// largest blob (490 bytes).
	if largest-smallest > 490 {
		t.Errorf("parts of %d to %d bytes are unbalanced", smallest, largest)
	}
}

// TestParallelBlobsDuplicate commits the same blob twice, as two branches
// crawled into one batch may, through parallel batches: it is stored once
// and its text reads back.
func TestParallelBlobsDuplicate(t *testing.T) {
	ctx := context.Background()
	x, err := Open(ctx, filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.parallelBlobBytes = 1
	mk := func(id, text string) indexer.Blob {
		return indexer.Blob{ID: id, Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: indexer.CountLines([]byte(text))}
	}
	a := mk(strings.Repeat("a", 40), "alpha beta\n")
	b := mk(strings.Repeat("b", 40), "gamma delta\n")
	c := &indexer.Changes{
		Blobs:       []indexer.Blob{a, b, a},
		PutLocs:     []indexer.Location{{Repo: "r", Branch: "main", Path: "a.txt", Blob: a.ID}, {Repo: "r", Branch: "main", Path: "b.txt", Blob: b.ID}},
		PutBranches: []indexer.Branch{{Repo: "r", Name: "main", Commit: strings.Repeat("c", 40)}},
	}
	if err := x.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	st, err := x.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Blobs != 2 || st.Locations != 2 || st.Branches != 1 {
		t.Errorf("stats %+v, want 2 blobs, 2 locations, 1 branch", st)
	}
	for _, bl := range []indexer.Blob{a, b} {
		text, err := x.BlobText(ctx, bl.ID)
		if err != nil || string(text) != string(bl.Text) {
			t.Errorf("blob %s reads back %q, %v; want %q", bl.ID, text, err, bl.Text)
		}
	}
}
