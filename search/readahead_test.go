package search

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

// TestReadAheadKeepsOrder: texts read on several goroutines give the
// answer one reader gives, limits included, although readers finish out of
// order (the texts' sizes differ a hundredfold), on both query paths.
func TestReadAheadKeepsOrder(t *testing.T) {
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ch := &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main", Commit: strings.Repeat("c", 40), Meta: indexer.Repo{Name: "acme/api"}}}}
	for i := range 300 {
		// Every third text holds the needle on a line the regex refuses.
		needle := "needle = %d\n"
		if i%3 == 0 {
			needle = "needle %d\n"
		}
		text := fmt.Sprintf(needle, i) + strings.Repeat("filler line\n", 1+(i*37)%100*20)
		sum := sha1.Sum([]byte(text))
		id := hex.EncodeToString(sum[:])
		ch.Blobs = append(ch.Blobs, indexer.Blob{ID: id, Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: strings.Count(text, "\n")})
		ch.PutLocs = append(ch.PutLocs, indexer.Location{Repo: "acme/api", Branch: "main", Path: fmt.Sprintf("f%03d.txt", i), Blob: id, Size: int64(len(text))})
	}
	if err := idx.Commit(ctx, ch); err != nil {
		t.Fatal(err)
	}
	s := New(idx)
	search := func(q string, opt Options) *Result {
		t.Helper()
		res, err := s.Search(ctx, q, opt)
		if err != nil {
			t.Fatal(err)
		}
		res.Stats.DurationMS = 0
		return res
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	// The file: filters take the locations-first path (grouper), the
	// others the text-first one.
	for _, q := range []string{"needle", `/needle = \d+/`, `file:\.txt needle`, `file:f[12] /needle = \d+/`} {
		for _, limit := range []int{0, 1, 7, 150} {
			opt := Options{MaxFiles: limit}
			runtime.GOMAXPROCS(1)
			want := search(q, opt)
			if limit == 0 && q == "needle" && len(want.Files) != 300 {
				t.Fatalf("%s: %d files, want 300", q, len(want.Files))
			}
			runtime.GOMAXPROCS(4)
			for range 5 {
				if got := search(q, opt); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, limit %d: four readers answer %d files (%+v), one answers %d (%+v)",
						q, limit, len(got.Files), got.Stats, len(want.Files), want.Stats)
				}
			}
		}
	}
}
