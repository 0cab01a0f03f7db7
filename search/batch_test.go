package search

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

// batchingIndex is a Bleve index that also reads texts in batches, as a
// remote backend does, and records each batch.
type batchingIndex struct {
	*bleve.Index
	batches [][]string
	bytes   []int
}

func (b *batchingIndex) BlobTexts(ctx context.Context, ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	n := 0
	for _, id := range ids {
		t, err := b.BlobText(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id], n = t, n+len(t)
	}
	b.batches = append(b.batches, ids)
	b.bytes = append(b.bytes, n)
	return out, nil
}

// indexTexts is a new Bleve index, closed with the test, holding text i
// of texts at acme/api main fNNN.txt.
func indexTexts(t *testing.T, texts []string) *bleve.Index {
	t.Helper()
	ctx := context.Background()
	idx := tempIndex(t)
	ch := &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main", Commit: strings.Repeat("c", 40), Meta: indexer.Repo{Name: "acme/api"}}}}
	for i, text := range texts {
		sum := sha1.Sum([]byte(text))
		id := hex.EncodeToString(sum[:])
		ch.Blobs = append(ch.Blobs, indexer.Blob{ID: id, Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: strings.Count(text, "\n")})
		ch.PutLocs = append(ch.PutLocs, indexer.Location{Repo: "acme/api", Branch: "main", Path: fmt.Sprintf("f%03d.txt", i), Blob: id, Size: int64(len(text))})
	}
	if err := idx.Commit(ctx, ch); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestTextBatchesByBytes: a remote backend is asked for the texts of many
// small candidates in one request, not one per few dozen, and large
// candidates are split so that no request holds much more than
// textBatchBytes; every match is still found.
func TestTextBatchesByBytes(t *testing.T) {
	for _, c := range []struct {
		name      string
		blobs     int
		size      int
		minBatch  int // fewest requests expected
		maxBatch  int
		wantFiles int
	}{
		{"200 small files", 200, 2 << 10, 1, 1, 200},
		{"40 files of 600 KiB", 40, 600 << 10, 3, 4, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			var texts []string
			for i := range c.blobs {
				texts = append(texts, fmt.Sprintf("needle %d\n%s\n", i, strings.Repeat("x", c.size)))
			}
			idx := &batchingIndex{Index: indexTexts(t, texts)}
			res, err := New(idx).Search(ctx, "needle", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != c.wantFiles {
				t.Errorf("%d files, want %d", len(res.Files), c.wantFiles)
			}
			if n := len(idx.batches); n < c.minBatch || n > c.maxBatch {
				t.Errorf("%d text requests (sizes %v), want %d to %d", n, idx.bytes, c.minBatch, c.maxBatch)
			}
			for _, n := range idx.bytes {
				if n > textBatchBytes+c.size+64 {
					t.Errorf("a request read %d bytes, over the batch bound %d by more than one file", n, textBatchBytes)
				}
			}
		})
	}
}

// failingLocations fails every Locations call after the first ok ones.
type failingLocations struct {
	*batchingIndex
	ok int
}

var errListing = errors.New("listing failed")

func (f *failingLocations) Locations(ctx context.Context, q indexer.LocationQuery, fn func(indexer.Location) error) error {
	if f.ok == 0 {
		return errListing
	}
	f.ok--
	return f.batchingIndex.Locations(ctx, q, fn)
}

// TestPipelinedRemote: on a remote backend the locations of one batch of
// candidates are listed while the batch before is verified; the answers,
// limits and errors are those of the local order, batch after batch.
func TestPipelinedRemote(t *testing.T) {
	ctx := context.Background()
	var texts []string
	for i := range 3*batchSize + 50 {
		word := "hay"
		if i%4 != 0 {
			word = "needle"
		}
		texts = append(texts, fmt.Sprintf("%s %d\n", word, i))
	}
	local := indexTexts(t, texts)
	remote := &batchingIndex{Index: local}
	want, err := New(local).Search(ctx, "needle", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := New(remote).Search(ctx, "needle", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Files, want.Files) || len(got.Files) != len(texts)*3/4 {
		t.Errorf("remote answer has %d files, the local one %d, want %d and the same", len(got.Files), len(want.Files), len(texts)*3/4)
	}
	// Under a limit the index's order decides which files come first (the
	// local order is another one): the answer is part of the whole one,
	// and the same every time.
	limit := batchSize + 10
	var first []File
	for range 3 {
		res, err := New(remote).Search(ctx, "needle", Options{MaxFiles: limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Files) != limit || !res.Stats.LimitHit {
			t.Fatalf("limit %d: %d files, limit hit %v", limit, len(res.Files), res.Stats.LimitHit)
		}
		if first != nil && !reflect.DeepEqual(res.Files, first) {
			t.Fatalf("limit %d: the answer changed between runs", limit)
		}
		first = res.Files
	}
	whole := map[string]bool{}
	for _, f := range want.Files {
		whole[f.Path+" "+f.Blob] = true
	}
	for _, f := range first {
		if !whole[f.Path+" "+f.Blob] {
			t.Errorf("limit %d: %s (blob %s) is not in the whole answer", limit, f.Path, f.Blob)
		}
	}
	// A listing that fails after the first batch ends the search with its
	// error, and nothing waits for the lister.
	_, err = New(&failingLocations{batchingIndex: remote, ok: 1}).Search(ctx, "needle", Options{})
	if !errors.Is(err, errListing) {
		t.Errorf("search with a failing listing: error %v, want %v", err, errListing)
	}
}
