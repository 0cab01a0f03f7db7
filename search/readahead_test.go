package search

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestReadAheadKeepsOrder: texts read on several goroutines give the
// answer one reader gives, limits included, although readers finish out of
// order (the texts' sizes differ a hundredfold), on both query paths.
func TestReadAheadKeepsOrder(t *testing.T) {
	ctx := context.Background()
	var texts []string
	for i := range 300 {
		// Every third text holds the needle on a line the regex refuses.
		needle := "needle = %d\n"
		if i%3 == 0 {
			needle = "needle %d\n"
		}
		texts = append(texts, fmt.Sprintf(needle, i)+strings.Repeat("filler line\n", 1+(i*37)%100*20))
	}
	idx := indexTexts(t, texts)
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
