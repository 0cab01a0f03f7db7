// Package indexertest is a conformance suite for indexer.Index backends:
// every backend runs Run from its own tests and must pass all of it.
package indexertest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// Opener returns the index under test for t.
//
// The first call for a t returns a new, empty index. A later call for the
// same t, made after the suite closed the previous one, returns an index
// over the same storage, so that the suite can check persistence: keep a
// map from t to the storage location (a directory, an index prefix). open
// must also close what it opened with t.Cleanup, ignoring the error of
// closing an index the suite has already closed.
type Opener func(t *testing.T) indexer.Index

// Run runs every conformance test against the indexes open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"Blobs", testBlobs},
		{"ScanBlobs", testScanBlobs},
		{"Locations", testLocations},
		{"LocationsLargeFilters", testLocationsLargeFilters},
		{"LocationsStop", testLocationsStop},
		{"LocationsPaths", testLocationsPaths},
		{"Paths", testPaths},
		{"PathsMany", testPathsMany},
		{"MatchBlobs", testMatchBlobs},
		{"DeleteLocs", testDeleteLocs},
		{"DeleteBranches", testDeleteBranches},
		{"BranchStates", testBranchStates},
		{"CollectGarbage", testCollectGarbage},
		{"Dirty", testDirty},
		{"Stats", testStats},
		{"Deps", testDeps},
		{"DepsReplace", testDepsReplace},
		{"DepsDeleteBranches", testDepsDeleteBranches},
		{"DepsStop", testDepsStop},
		{"Reopen", testReopen},
		{"ConcurrentReads", testConcurrentReads},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func commit(t *testing.T, idx indexer.Index, c indexer.Changes) {
	t.Helper()
	must(t, idx.Commit(context.Background(), &c))
}

// blob makes a Blob of text with a fake but well-formed id.
func blob(text string) indexer.Blob {
	lines := 0
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			lines++
		}
	}
	if len(text) > 0 && text[len(text)-1] != '\n' {
		lines++
	}
	return indexer.Blob{ID: blobID(text), Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: lines}
}

// blobID is a stable 40-hex id for text (FNV-1a, repeated), not git's.
func blobID(text string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(text); i++ {
		h = (h ^ uint64(text[i])) * 1099511628211
	}
	return fmt.Sprintf("%016x%016x%08x", h, h*31+7, uint32(h>>7))
}

// collect gathers what a visiting read (Locations, Deps) gives.
func collect[Q, T any](t *testing.T, read func(context.Context, Q, func(T) error) error, q Q) []T {
	t.Helper()
	var out []T
	must(t, read(context.Background(), q, func(v T) error {
		out = append(out, v)
		return nil
	}))
	return out
}

func locations(t *testing.T, idx indexer.Index, q indexer.LocationQuery) []indexer.Location {
	t.Helper()
	return collect(t, idx.Locations, q)
}

func compareLocations(a, b indexer.Location) int {
	return cmp.Or(cmp.Compare(a.Blob, b.Blob), cmp.Compare(a.Repo, b.Repo),
		cmp.Compare(a.Branch, b.Branch), cmp.Compare(a.Path, b.Path))
}

// want filters and sorts all as q should.
func want(all []indexer.Location, q indexer.LocationQuery) []indexer.Location {
	var out []indexer.Location
	for _, l := range all {
		if q.Blobs != nil && !slices.Contains(q.Blobs, l.Blob) {
			continue
		}
		if q.Branches != nil && !slices.Contains(q.Branches, indexer.BranchKey{Repo: l.Repo, Name: l.Branch}) {
			continue
		}
		if q.Paths != nil && !slices.Contains(q.Paths, l.Path) {
			continue
		}
		if (q.Skipped == indexer.IndexedOnly && l.Skip != "") || (q.Skipped == indexer.SkippedOnly && l.Skip == "") {
			continue
		}
		out = append(out, l)
	}
	slices.SortFunc(out, compareLocations)
	return out
}

func checkLocations(t *testing.T, idx indexer.Index, all []indexer.Location, q indexer.LocationQuery) {
	t.Helper()
	got, exp := locations(t, idx, q), want(all, q)
	if !slices.Equal(got, exp) {
		t.Errorf("Locations(%+v):\n got %d %v\nwant %d %v", q, len(got), got, len(exp), exp)
	}
}

// corpus commits blobs and locations on repos a/x and a/y, branches main
// and dev, some of them skipped, and returns them.
func corpus(t *testing.T, idx indexer.Index) ([]indexer.Blob, []indexer.Location) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var blobs []indexer.Blob
	for i := range 12 {
		blobs = append(blobs, blob(fmt.Sprintf("package p%d\nfunc F() {}\n", i)))
	}
	var locs []indexer.Location
	langs := []string{"Go", "", "Java"}
	for _, repo := range []string{"a/x", "a/y"} {
		for _, branch := range []string{"main", "dev", "release/1.0"} {
			for i := range 8 {
				l := indexer.Location{
					Repo: repo, Branch: branch, Path: fmt.Sprintf("dir/f%d.go", i),
					Blob: blobs[r.IntN(len(blobs))].ID, Language: langs[i%3], Size: int64(r.IntN(1000)),
				}
				if i == 7 {
					l.Skip = indexer.SkipTooLarge
				}
				locs = append(locs, l)
			}
		}
	}
	commit(t, idx, indexer.Changes{Blobs: blobs, PutLocs: locs})
	return blobs, locs
}

func testBlobs(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	blobs := []indexer.Blob{blob("hello, world\n"), blob(""), blob("ünïcödé ❤ text\nno newline"), blob("ab")}
	commit(t, idx, indexer.Changes{Blobs: blobs})
	// A blob written again is harmless.
	commit(t, idx, indexer.Changes{Blobs: blobs[:1]})

	missing := blobID("never stored")
	ids := []string{missing}
	for _, b := range blobs {
		ids = append(ids, b.ID)
	}
	has, err := idx.HasBlobs(ctx, ids)
	must(t, err)
	for _, b := range blobs {
		if !has[b.ID] {
			t.Errorf("HasBlobs misses stored blob %s", b.ID)
		}
	}
	if has[missing] || len(has) != len(blobs) {
		t.Errorf("HasBlobs = %v, want exactly the %d stored blobs", has, len(blobs))
	}
	if has, err := idx.HasBlobs(ctx, nil); err != nil || len(has) != 0 {
		t.Errorf("HasBlobs(nil) = %v, %v", has, err)
	}

	for _, b := range blobs {
		text, err := idx.BlobText(ctx, b.ID)
		must(t, err)
		if string(text) != string(b.Text) {
			t.Errorf("BlobText(%s) = %q, want %q", b.ID, text, b.Text)
		}
	}
	if _, err := idx.BlobText(ctx, missing); !errors.Is(err, indexer.ErrNotFound) {
		t.Errorf("BlobText(missing) error = %v, want ErrNotFound", err)
	}
}

// testScanBlobs checks that ScanBlobs yields every stored blob once with
// its text as written, across more than one page of any backend, that a
// collected blob is gone from it, and that fn's error stops it.
func testScanBlobs(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	scan := func() map[string]string {
		t.Helper()
		got := map[string]string{}
		must(t, idx.ScanBlobs(ctx, func(id string, text []byte) error {
			if _, dup := got[id]; dup {
				t.Errorf("ScanBlobs yields %s twice", id)
			}
			got[id] = string(text)
			return nil
		}))
		return got
	}
	if got := scan(); len(got) != 0 {
		t.Errorf("ScanBlobs of an empty index = %v", got)
	}
	want := map[string]string{}
	var blobs []indexer.Blob
	var locs []indexer.Location
	for i := range 150 {
		b := blob(fmt.Sprintf("text %d\nünïcödé ❤\n", i))
		if i == 0 {
			b = blob("")
		}
		blobs = append(blobs, b)
		want[b.ID] = string(b.Text)
		if i > 0 {
			locs = append(locs, indexer.Location{Repo: "r", Branch: "main", Path: fmt.Sprintf("f%d", i), Blob: b.ID})
		}
	}
	// A text that does not hash to its id is stored as given: checking is
	// trawl verify's job, and it needs to see such a blob.
	odd := indexer.Blob{ID: blobs[1].ID[:39] + "0", Text: []byte("not what the id says\n"), Lines: 1}
	if odd.ID == blobs[1].ID {
		odd.ID = blobs[1].ID[:39] + "1"
	}
	odd.Trigrams = trigram.Extract(odd.Text)
	blobs = append(blobs, odd)
	want[odd.ID] = string(odd.Text)
	commit(t, idx, indexer.Changes{Blobs: blobs, PutLocs: locs})
	if got := scan(); !maps.Equal(got, want) {
		t.Errorf("ScanBlobs yields %d blobs, want %d; texts equal: %v", len(got), len(want), maps.Equal(got, want))
	}
	// Collecting garbage removes the unreferenced empty blob and odd.
	n, err := idx.CollectGarbage(ctx)
	must(t, err)
	delete(want, blobs[0].ID)
	delete(want, odd.ID)
	if got := scan(); n != 2 || !maps.Equal(got, want) {
		t.Errorf("after CollectGarbage() = %d: ScanBlobs yields %d blobs, want 2 and %d", n, len(got), len(want))
	}
	stop := errors.New("stop here")
	calls := 0
	err = idx.ScanBlobs(ctx, func(string, []byte) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanBlobs with fn failing: %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func testLocations(t *testing.T, open Opener) {
	idx := open(t)
	blobs, all := corpus(t, idx)
	xmain := indexer.BranchKey{Repo: "a/x", Name: "main"}
	rel := indexer.BranchKey{Repo: "a/y", Name: "release/1.0"}
	for _, q := range []indexer.LocationQuery{
		{},
		{Skipped: indexer.SkippedOnly},
		{Skipped: indexer.AnySkipped},
		{Blobs: []string{blobs[0].ID, blobs[3].ID, blobs[3].ID}},
		{Blobs: []string{blobs[5].ID}, Skipped: indexer.AnySkipped},
		{Blobs: []string{blobID("nothing")}},
		{Blobs: []string{}},
		{Branches: []indexer.BranchKey{xmain}},
		{Branches: []indexer.BranchKey{xmain, rel}, Skipped: indexer.SkippedOnly},
		{Branches: []indexer.BranchKey{{Repo: "a/x", Name: "nope"}}},
		{Branches: []indexer.BranchKey{}},
		{Blobs: []string{blobs[1].ID, blobs[2].ID}, Branches: []indexer.BranchKey{rel, xmain}, Skipped: indexer.AnySkipped},
	} {
		checkLocations(t, idx, all, q)
	}
}

// testLocationsLargeFilters passes thousands of blobs and branches, beyond
// the clause limits of search engines.
func testLocationsLargeFilters(t *testing.T, open Opener) {
	idx := open(t)
	blobs, all := corpus(t, idx)
	var ids []string
	var branches []indexer.BranchKey
	for i := range 3000 {
		ids = append(ids, blobID(fmt.Sprint("absent", i)))
		branches = append(branches, indexer.BranchKey{Repo: "a/x", Name: fmt.Sprint("b", i)})
	}
	ids = append(ids, blobs[2].ID, blobs[7].ID)
	branches = append(branches, indexer.BranchKey{Repo: "a/y", Name: "dev"})
	checkLocations(t, idx, all, indexer.LocationQuery{Blobs: ids, Skipped: indexer.AnySkipped})
	checkLocations(t, idx, all, indexer.LocationQuery{Branches: branches})
	checkLocations(t, idx, all, indexer.LocationQuery{Blobs: ids, Branches: branches})
	// More paths than one terms query of a remote backend takes.
	var paths []string
	for i := range 12_000 {
		paths = append(paths, fmt.Sprint("absent/", i))
	}
	paths = append(paths, "dir/f6.go", "dir/f2.go")
	checkLocations(t, idx, all, indexer.LocationQuery{Paths: paths})
}

func testLocationsPaths(t *testing.T, open Opener) {
	idx := open(t)
	blobs, all := corpus(t, idx)
	// A path that is a prefix of another, or holds one, selects only itself.
	odd := []indexer.Location{
		{Repo: "a/x", Branch: "main", Path: "dir", Blob: blobs[0].ID, Size: 1},
		{Repo: "a/x", Branch: "main", Path: "dir/f1.go/x", Blob: blobs[0].ID, Size: 1},
		{Repo: "a/x", Branch: "main", Path: "dir/F1.go", Blob: blobs[0].ID, Size: 1},
		{Repo: "a/y", Branch: "dev", Path: "ünï code/pom.xml", Blob: blobs[1].ID, Size: 1},
	}
	commit(t, idx, indexer.Changes{PutLocs: odd})
	all = append(all, odd...)
	dev := indexer.BranchKey{Repo: "a/y", Name: "dev"}
	xmain := indexer.BranchKey{Repo: "a/x", Name: "main"}
	for _, q := range []indexer.LocationQuery{
		{Paths: []string{"dir/f1.go"}},
		{Paths: []string{"dir/f1.go", "dir/f7.go", "dir/f1.go"}, Skipped: indexer.AnySkipped},
		{Paths: []string{"dir/f7.go"}, Skipped: indexer.SkippedOnly},
		{Paths: []string{"dir/f7.go"}},
		{Paths: []string{"ünï code/pom.xml", "dir"}},
		{Paths: []string{"nowhere"}},
		{Paths: []string{}},
		{Paths: []string{"dir/f2.go", "dir/f3.go"}, Branches: []indexer.BranchKey{dev, xmain}},
		{Paths: []string{"dir/f2.go", "dir/f3.go", "dir/f4.go"}, Blobs: []string{blobs[2].ID, blobs[5].ID, blobs[9].ID}},
		{Paths: []string{"dir/f1.go", "dir/f7.go", "dir/f5.go"}, Blobs: []string{blobs[3].ID, blobs[4].ID, blobs[8].ID},
			Branches: []indexer.BranchKey{dev, xmain}, Skipped: indexer.AnySkipped},
	} {
		checkLocations(t, idx, all, q)
	}
	// The corpus is random: make sure the combined filters select something.
	if got := want(all, indexer.LocationQuery{Paths: []string{"dir/f2.go", "dir/f3.go"}, Branches: []indexer.BranchKey{dev, xmain}}); len(got) != 4 {
		t.Fatalf("corpus gives %d locations for 2 paths on 2 branches, want 4", len(got))
	}
}

// paths returns what idx.Paths reports, failing on a path reported twice.
func paths(t *testing.T, idx indexer.Index) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	must(t, idx.Paths(context.Background(), func(p string) error {
		if out[p] {
			t.Errorf("Paths reports %q twice", p)
		}
		out[p] = true
		return nil
	}))
	return out
}

func distinctPaths(locs []indexer.Location) map[string]bool {
	out := map[string]bool{}
	for _, l := range locs {
		out[l.Path] = true
	}
	return out
}

func testPaths(t *testing.T, open Opener) {
	idx := open(t)
	if got := paths(t, idx); len(got) != 0 {
		t.Errorf("Paths of an empty index = %v", got)
	}
	blobs, all := corpus(t, idx)
	odd := []indexer.Location{
		{Repo: "a/x", Branch: "main", Path: "dir", Blob: blobs[0].ID, Size: 1},
		{Repo: "a/x", Branch: "main", Path: "ünï code/pom.xml", Blob: blobs[1].ID, Size: 1, Skip: indexer.SkipBinary},
		{Repo: "a/y", Branch: "gone", Path: "only/on/gone", Blob: blobs[1].ID, Size: 1},
	}
	commit(t, idx, indexer.Changes{PutLocs: odd})
	all = append(all, odd...)
	ever := distinctPaths(all)
	if got := paths(t, idx); !maps.Equal(got, ever) {
		t.Errorf("Paths() = %v\nwant %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(ever)))
	}

	// Remove every location of some paths. Paths may keep reporting them
	// (a term dictionary holds deleted terms until a merge) but must report
	// every path still stored and nothing never stored.
	var dels []indexer.LocationKey
	var rest []indexer.Location
	for _, l := range all {
		if l.Path == "dir" || l.Path == "dir/f3.go" {
			dels = append(dels, l.Key())
			continue
		}
		if l.Branch != "gone" {
			rest = append(rest, l)
		}
	}
	commit(t, idx, indexer.Changes{DeleteLocs: dels, DeleteBranches: []indexer.BranchKey{{Repo: "a/y", Name: "gone"}}})
	got := paths(t, idx)
	for p := range distinctPaths(rest) {
		if !got[p] {
			t.Errorf("Paths() after deletes misses stored path %q", p)
		}
	}
	for p := range got {
		if !ever[p] {
			t.Errorf("Paths() after deletes reports %q, never stored", p)
		}
	}

	stop := errors.New("enough")
	n := 0
	err := idx.Paths(context.Background(), func(string) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("Paths after fn error: err %v after %d calls, want %v after 2", err, n, stop)
	}
}

// testPathsMany stores more distinct paths than a remote backend returns
// in one page.
func testPathsMany(t *testing.T, open Opener) {
	idx := open(t)
	b := blob("many\n")
	var locs []indexer.Location
	for i := range 10_050 {
		locs = append(locs, indexer.Location{Repo: "a/x", Branch: "main", Path: fmt.Sprintf("d%d/f%d.txt", i%7, i), Blob: b.ID, Size: 5})
	}
	commit(t, idx, indexer.Changes{Blobs: []indexer.Blob{b}, PutLocs: locs})
	if got, want := paths(t, idx), distinctPaths(locs); !maps.Equal(got, want) {
		t.Errorf("Paths() reports %d paths, want the %d stored", len(got), len(want))
	}
}

func testLocationsStop(t *testing.T, open Opener) {
	idx := open(t)
	corpus(t, idx)
	stop := errors.New("enough")
	n := 0
	err := idx.Locations(context.Background(), indexer.LocationQuery{}, func(indexer.Location) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Locations after fn error: err %v after %d calls, want %v after 3", err, n, stop)
	}
}

// matchCorpus makes n blobs over a small alphabet, so trigrams are shared
// between many blobs and absent from many others.
func matchCorpus(r *rand.Rand, n int) []indexer.Blob {
	const alphabet = "abcdeXY \n"
	seen := map[string]bool{}
	var blobs []indexer.Blob
	for len(blobs) < n {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			blobs = append(blobs, blob(string(b)))
		}
	}
	return blobs
}

// randomQuery builds a tree of depth at most depth, without simplifying it,
// over trigrams of the alphabet (folded, as the planner would).
func randomQuery(r *rand.Rand, depth int) *trigram.Query {
	const folded = "ABCDEXY \n"
	if depth == 0 || r.IntN(3) == 0 {
		if r.IntN(20) == 0 {
			return trigram.None()
		}
		t := []byte{folded[r.IntN(len(folded))], folded[r.IntN(len(folded))], folded[r.IntN(len(folded))]}
		return trigram.Tri(string(t))
	}
	op := trigram.OpAnd
	if r.IntN(2) == 0 {
		op = trigram.OpOr
	}
	q := &trigram.Query{Op: op}
	for range 1 + r.IntN(3) {
		q.Sub = append(q.Sub, randomQuery(r, depth-1))
	}
	return q
}

func matchBlobs(t *testing.T, idx indexer.Index, q *trigram.Query) []string {
	t.Helper()
	var ids []string
	must(t, idx.MatchBlobs(context.Background(), q, func(id string) error {
		ids = append(ids, id)
		return nil
	}))
	slices.Sort(ids)
	return ids
}

func testMatchBlobs(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	r := rand.New(rand.NewPCG(7, 11))
	blobs := matchCorpus(r, 300)
	// The blobs go in over several commits, as a crawl writes them.
	for part := range slices.Chunk(blobs, 70) {
		commit(t, idx, indexer.Changes{Blobs: part})
	}
	eval := func(q *trigram.Query) []string {
		var ids []string
		for _, b := range blobs {
			if q.Eval(func(tri string) bool { _, ok := slices.BinarySearch(b.Trigrams, tri); return ok }) {
				ids = append(ids, b.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	queries := []*trigram.Query{
		trigram.Tri("ABC"),
		trigram.Tri("ZZZ"),
		trigram.None(),
		trigram.And(trigram.Tri("ABC"), trigram.Tri("BCD")),
		trigram.Or(trigram.Tri("ABC"), trigram.Tri("XY ")),
		trigram.And(trigram.Tri("A B"), trigram.Or(trigram.Tri("CDE"), trigram.Tri("EEE"))),
		{Op: trigram.OpOr, Sub: []*trigram.Query{trigram.None(), trigram.Tri("DDD")}},
		{Op: trigram.OpAnd, Sub: []*trigram.Query{trigram.None(), trigram.Tri("DDD")}},
	}
	for range 150 {
		queries = append(queries, randomQuery(r, 3))
	}
	nonEmpty := 0
	for _, q := range queries {
		got, exp := matchBlobs(t, idx, q), eval(q)
		if !slices.Equal(got, exp) {
			t.Errorf("MatchBlobs(%s): got %d blobs, want %d", q, len(got), len(exp))
		}
		if len(exp) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(queries)/4 {
		t.Fatalf("only %d of %d queries match anything: the corpus tests little", nonEmpty, len(queries))
	}

	if err := idx.MatchBlobs(ctx, trigram.All(), func(string) error { return nil }); err == nil {
		t.Error("MatchBlobs(all) succeeded, want an error")
	}
	stop := errors.New("enough")
	n := 0
	err := idx.MatchBlobs(ctx, trigram.Tri("ABC"), func(string) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("MatchBlobs after fn error: err %v after %d calls, want %v after 1", err, n, stop)
	}
}

func testDeleteLocs(t *testing.T, open Opener) {
	idx := open(t)
	_, all := corpus(t, idx)
	gone := []indexer.LocationKey{all[0].Key(), all[5].Key(), all[7].Key(), {Repo: "a/x", Branch: "main", Path: "never/there"}}
	// A location deleted and put in the same Changes stays: puts come after
	// deletes.
	kept := all[9]
	kept.Size = 4242
	commit(t, idx, indexer.Changes{DeleteLocs: append(gone, kept.Key()), PutLocs: []indexer.Location{kept}})
	var rest []indexer.Location
	for _, l := range all {
		if slices.Contains(gone, l.Key()) {
			continue
		}
		if l.Key() == kept.Key() {
			l = kept
		}
		rest = append(rest, l)
	}
	checkLocations(t, idx, rest, indexer.LocationQuery{Skipped: indexer.AnySkipped})
}

func branchState(repo, name, commit string) indexer.Branch {
	return indexer.Branch{
		Repo: repo, Name: name, Commit: commit, Settings: "s1",
		CrawledAt: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		Meta: indexer.Repo{
			Name: repo, URL: "https://example.com/" + repo, DefaultBranch: "main",
			Archived: true, Fork: true, Topics: []string{"go", "search"}, Visibility: "internal",
			PushedAt: time.Date(2024, 5, 6, 1, 2, 3, 0, time.UTC),
		},
	}
}

func branches(t *testing.T, idx indexer.Index) []indexer.Branch {
	t.Helper()
	bs, err := idx.Branches(context.Background())
	must(t, err)
	slices.SortFunc(bs, func(a, b indexer.Branch) int {
		return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Name, b.Name))
	})
	return bs
}

// sameBranches compares branch states, times by instant.
func sameBranches(got, want []indexer.Branch) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.CrawledAt.Equal(w.CrawledAt) || !g.Meta.PushedAt.Equal(w.Meta.PushedAt) {
			return false
		}
		g.CrawledAt, w.CrawledAt, g.Meta.PushedAt, w.Meta.PushedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

func testDeleteBranches(t *testing.T, open Opener) {
	idx := open(t)
	_, all := corpus(t, idx)
	var states []indexer.Branch
	for _, repo := range []string{"a/x", "a/y"} {
		for _, name := range []string{"dev", "main", "release/1.0"} {
			states = append(states, branchState(repo, name, "c1"))
		}
	}
	commit(t, idx, indexer.Changes{PutBranches: states})

	dev := indexer.BranchKey{Repo: "a/x", Name: "dev"}
	ymain := indexer.BranchKey{Repo: "a/y", Name: "main"}
	// A location put on a branch deleted in the same Changes goes: branch
	// deletes come after location puts. A branch deleted and put again
	// keeps only its new state.
	late := indexer.Location{Repo: "a/x", Branch: "dev", Path: "late.go", Blob: all[0].Blob, Size: 1}
	commit(t, idx, indexer.Changes{
		PutLocs:        []indexer.Location{late},
		DeleteBranches: []indexer.BranchKey{dev, ymain},
		PutBranches:    []indexer.Branch{branchState("a/y", "main", "c2")},
	})

	var rest []indexer.Location
	for _, l := range all {
		if k := (indexer.BranchKey{Repo: l.Repo, Name: l.Branch}); k != dev && k != ymain {
			rest = append(rest, l)
		}
	}
	checkLocations(t, idx, rest, indexer.LocationQuery{Skipped: indexer.AnySkipped})
	checkLocations(t, idx, rest, indexer.LocationQuery{Branches: []indexer.BranchKey{dev, ymain}, Skipped: indexer.AnySkipped})

	var wantStates []indexer.Branch
	for _, s := range states {
		switch s.Key() {
		case dev:
			continue
		case ymain:
			s.Commit = "c2"
		}
		wantStates = append(wantStates, s)
	}
	if got := branches(t, idx); !sameBranches(got, wantStates) {
		t.Errorf("Branches() after deletes =\n%+v\nwant\n%+v", got, wantStates)
	}
}

func testBranchStates(t *testing.T, open Opener) {
	idx := open(t)
	if got := branches(t, idx); len(got) != 0 {
		t.Fatalf("new index has branches %v", got)
	}
	a := branchState("a/x", "main", "c1")
	b := branchState("a/x", "feature/ü", "c1")
	b.Meta = indexer.Repo{Name: "a/x"}
	b.CrawledAt = time.Date(2023, 1, 1, 0, 0, 0, 123456789, time.FixedZone("X", 3600))
	commit(t, idx, indexer.Changes{PutBranches: []indexer.Branch{a, b}})
	if got := branches(t, idx); !sameBranches(got, []indexer.Branch{b, a}) {
		t.Errorf("Branches() = %+v, want %+v", got, []indexer.Branch{b, a})
	}
	// A put replaces the state of the same branch.
	a.Commit, a.Settings = "c2", "s2"
	commit(t, idx, indexer.Changes{PutBranches: []indexer.Branch{a}})
	if got := branches(t, idx); !sameBranches(got, []indexer.Branch{b, a}) {
		t.Errorf("Branches() after update = %+v, want %+v", got, []indexer.Branch{b, a})
	}
}

func testCollectGarbage(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	used, shared, skipped, orphan1, orphan2 := blob("used"), blob("shared"), blob("skipped"), blob("orphan 1"), blob("orphan 2")
	commit(t, idx, indexer.Changes{
		Blobs: []indexer.Blob{used, shared, skipped, orphan1, orphan2},
		PutLocs: []indexer.Location{
			{Repo: "r", Branch: "main", Path: "a", Blob: used.ID},
			{Repo: "r", Branch: "main", Path: "b", Blob: shared.ID},
			{Repo: "r", Branch: "dev", Path: "b", Blob: shared.ID},
			{Repo: "r", Branch: "dev", Path: "c", Blob: skipped.ID, Skip: indexer.SkipBinary},
		},
	})
	n, err := idx.CollectGarbage(ctx)
	must(t, err)
	if n != 2 {
		t.Errorf("CollectGarbage() = %d, want 2", n)
	}
	has, err := idx.HasBlobs(ctx, []string{used.ID, shared.ID, skipped.ID, orphan1.ID, orphan2.ID})
	must(t, err)
	if !has[used.ID] || !has[shared.ID] || !has[skipped.ID] || has[orphan1.ID] || has[orphan2.ID] {
		t.Errorf("after CollectGarbage HasBlobs = %v, want used, shared and skipped only", has)
	}
	if _, err := idx.BlobText(ctx, orphan1.ID); !errors.Is(err, indexer.ErrNotFound) {
		t.Errorf("BlobText(collected) error = %v, want ErrNotFound", err)
	}

	// A blob stays while any branch still points to it.
	commit(t, idx, indexer.Changes{DeleteBranches: []indexer.BranchKey{{Repo: "r", Name: "main"}}})
	n, err = idx.CollectGarbage(ctx)
	must(t, err)
	has, err = idx.HasBlobs(ctx, []string{used.ID, shared.ID})
	must(t, err)
	if n != 1 || has[used.ID] || !has[shared.ID] {
		t.Errorf("after deleting main: CollectGarbage() = %d and HasBlobs = %v, want 1 and shared only", n, has)
	}
	if n, err := idx.CollectGarbage(ctx); err != nil || n != 0 {
		t.Errorf("second CollectGarbage() = %d, %v, want 0", n, err)
	}
}

func testDirty(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	check := func(want bool) {
		t.Helper()
		got, err := idx.Dirty(ctx)
		must(t, err)
		if got != want {
			t.Errorf("Dirty() = %v, want %v", got, want)
		}
	}
	check(false)
	must(t, idx.SetDirty(ctx, true))
	check(true)
	must(t, idx.SetDirty(ctx, true))
	check(true)
	must(t, idx.SetDirty(ctx, false))
	check(false)
	must(t, idx.SetDirty(ctx, false))
	check(false)
}

func testStats(t *testing.T, open Opener) {
	idx := open(t)
	blobs, locs := corpus(t, idx)
	commit(t, idx, indexer.Changes{PutBranches: []indexer.Branch{branchState("a/x", "main", "c"), branchState("a/y", "main", "c")}})
	st, err := idx.Stats(context.Background())
	must(t, err)
	if st.Blobs != len(blobs) || st.Locations != len(locs) || st.Branches != 2 {
		t.Errorf("Stats() = %+v, want %d blobs, %d locations, 2 branches", st, len(blobs), len(locs))
	}
	if st.DiskBytes < 0 {
		t.Errorf("Stats().DiskBytes = %d", st.DiskBytes)
	}
}

func testReopen(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	blobs, locs := corpus(t, idx)
	state := branchState("a/x", "main", "c9")
	records := depCorpus(state.Key(), "9")
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: state.Key(), Deps: records}}, PutBranches: []indexer.Branch{state}})
	must(t, idx.SetDirty(ctx, true))
	must(t, idx.Close())

	idx = open(t)
	text, err := idx.BlobText(ctx, blobs[4].ID)
	must(t, err)
	if string(text) != string(blobs[4].Text) {
		t.Errorf("BlobText after reopen = %q, want %q", text, blobs[4].Text)
	}
	checkLocations(t, idx, locs, indexer.LocationQuery{Skipped: indexer.AnySkipped})
	checkDeps(t, idx, records, indexer.DepQuery{})
	checkDeps(t, idx, records, indexer.DepQuery{Names: []string{"junit:junit"}, Ecosystem: "maven", Branches: []indexer.BranchKey{state.Key()}})
	if got := branches(t, idx); !sameBranches(got, []indexer.Branch{state}) {
		t.Errorf("Branches() after reopen = %+v, want %+v", got, state)
	}
	if dirty, err := idx.Dirty(ctx); err != nil || !dirty {
		t.Errorf("Dirty() after reopen = %v, %v, want true", dirty, err)
	}
	if got := matchBlobs(t, idx, trigram.Tri("PAC")); len(got) != len(blobs) {
		t.Errorf("MatchBlobs after reopen found %d blobs, want %d", len(got), len(blobs))
	}
}

// testConcurrentReads reads while one writer commits; with -race it also
// checks the backend's locking.
func testConcurrentReads(t *testing.T, open Opener) {
	ctx := context.Background()
	idx := open(t)
	blobs, _ := corpus(t, idx)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 10 {
			b := blob(fmt.Sprint("package extra", i))
			c := indexer.Changes{
				Blobs:       []indexer.Blob{b},
				PutLocs:     []indexer.Location{{Repo: "a/z", Branch: "main", Path: fmt.Sprint("f", i), Blob: b.ID}},
				PutBranches: []indexer.Branch{branchState("a/z", "main", fmt.Sprint("c", i))},
			}
			if err := idx.Commit(ctx, &c); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				n := 0
				err := idx.MatchBlobs(ctx, trigram.Tri("PAC"), func(id string) error {
					_, err := idx.BlobText(ctx, id)
					n++
					return err
				})
				if err == nil && n < len(blobs) {
					err = fmt.Errorf("MatchBlobs found %d blobs during writes, want at least %d", n, len(blobs))
				}
				if err == nil {
					err = idx.Locations(ctx, indexer.LocationQuery{}, func(indexer.Location) error { return nil })
				}
				if err == nil {
					_, err = idx.Branches(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := branches(t, idx); len(got) != 1 || got[0].Commit != "c9" {
		t.Errorf("Branches() after writes = %+v, want a/z main at c9", got)
	}
}

func deps(t *testing.T, idx indexer.Index, q indexer.DepQuery) []indexer.Dependency {
	t.Helper()
	return collect(t, idx.Deps, q)
}

func compareDeps(a, b indexer.Dependency) int {
	return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Branch, b.Branch),
		cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Name, b.Name))
}

// wantDeps filters and sorts all as q should.
func wantDeps(all []indexer.Dependency, q indexer.DepQuery) []indexer.Dependency {
	var out []indexer.Dependency
	for _, d := range all {
		if len(q.Names) > 0 && !slices.Contains(q.Names, d.Name) {
			continue
		}
		if q.Ecosystem != "" && d.Ecosystem != q.Ecosystem {
			continue
		}
		if len(q.Branches) > 0 && !slices.Contains(q.Branches, indexer.BranchKey{Repo: d.Repo, Name: d.Branch}) {
			continue
		}
		out = append(out, d)
	}
	slices.SortFunc(out, compareDeps)
	return out
}

// checkDeps checks that Deps(q) lists the records wantDeps selects, in
// the promised order; the order of records equal in it is free.
func checkDeps(t *testing.T, idx indexer.Index, all []indexer.Dependency, q indexer.DepQuery) {
	t.Helper()
	got, exp := deps(t, idx, q), wantDeps(all, q)
	for i := 1; i < len(got); i++ {
		if compareDeps(got[i-1], got[i]) > 0 {
			t.Errorf("Deps(%+v) out of order at %d: %+v then %+v", q, i, got[i-1], got[i])
		}
	}
	byAll := func(a, b indexer.Dependency) int {
		return cmp.Or(compareDeps(a, b), cmp.Compare(fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b)))
	}
	got, exp = slices.SortedFunc(slices.Values(got), byAll), slices.SortedFunc(slices.Values(exp), byAll)
	if !slices.Equal(got, exp) {
		t.Errorf("Deps(%+v):\n got %d %+v\nwant %d %+v", q, len(got), got, len(exp), exp)
	}
}

// depCorpus makes the dependency records of one branch, each field set so
// that a lost field shows, listed out of order. The records of different
// branches differ in commit and version.
func depCorpus(k indexer.BranchKey, version string) []indexer.Dependency {
	dep := func(path string, line int, eco, name, ver string) indexer.Dependency {
		return indexer.Dependency{
			Repo: k.Repo, Branch: k.Name, Commit: "c-" + k.Name + "-" + version, Path: path, Line: line,
			Ecosystem: eco, Name: name, PURL: "pkg:" + eco + "/" + name + "@" + ver, Version: ver,
		}
	}
	log4j := dep("pom.xml", 10, "maven", "org.apache.logging.log4j:log4j-core", "2.17."+version)
	log4j.ResolvedVersion, log4j.VersionSource, log4j.Scope, log4j.Direct = "2.17."+version, "property", "compile", true
	junit := dep("pom.xml", 9, "maven", "junit:junit", "[4.12,5)")
	junit.Scope, junit.VersionSource = "test", "literal"
	// Line 9 sorts before line 10 and names break ties on one line.
	return []indexer.Dependency{
		log4j,
		dep("go.mod", 7, "golang", "github.com/blevesearch/bleve/v2", "v2.6."+version),
		junit,
		dep("pom.xml", 10, "maven", "com.example:a-lib", "1."+version),
		dep("web/package.json", 3, "npm", "@scope/ui", "^1."+version),
		dep("web/package.json", 4, "npm", "left-pad", "1.3.0"),
		dep("ünï code/Dockerfile", 1, "docker", "eclipse-temurin", "21"),
		dep(".github/workflows/ci.yml", 12, "github", "actions/checkout", "v4"),
		dep("sub/go.mod", 0, "golang", "github.com/blevesearch/bleve/v2", ""),
	}
}

func testDeps(t *testing.T, open Opener) {
	idx := open(t)
	if got := deps(t, idx, indexer.DepQuery{}); len(got) != 0 {
		t.Fatalf("new index has dependencies %v", got)
	}
	var (
		all  []indexer.Dependency
		puts []indexer.BranchDeps
	)
	// Branch names chosen so that comparing repo and branch joined by
	// another separator would misorder them.
	keys := []indexer.BranchKey{
		{Repo: "a/y", Name: "main"}, {Repo: "a/x", Name: "main"}, {Repo: "a/x", Name: "dev"},
		{Repo: "a/x-2", Name: "a"}, {Repo: "a/x", Name: "release/1.0"},
	}
	for i, k := range keys {
		d := depCorpus(k, fmt.Sprint(i))
		all = append(all, d...)
		puts = append(puts, indexer.BranchDeps{Branch: k, Deps: d})
	}
	commit(t, idx, indexer.Changes{PutDeps: puts})
	// A branch without records is fine, and so is one listed with none.
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: indexer.BranchKey{Repo: "a/z", Name: "main"}}}})

	bleve := "github.com/blevesearch/bleve/v2"
	for _, q := range []indexer.DepQuery{
		{},
		{Names: []string{bleve}},
		{Names: []string{"org.apache.logging.log4j:log4j-core", "junit:junit", "nothing"}},
		{Names: []string{"log4j-core"}}, // exact names only
		{Names: []string{"nothing"}},
		{Ecosystem: "npm"},
		{Ecosystem: "Maven"}, // exact, as purl types are lower case
		{Branches: []indexer.BranchKey{keys[1]}},
		{Branches: []indexer.BranchKey{keys[3], keys[0], {Repo: "a/x", Name: "nope"}}},
		{Branches: []indexer.BranchKey{{Repo: "a/z", Name: "main"}}},
		{Names: []string{bleve, "left-pad"}, Ecosystem: "golang"},
		{Names: []string{bleve, "left-pad", "actions/checkout"}, Ecosystem: "npm", Branches: []indexer.BranchKey{keys[2], keys[4]}},
		{Names: []string{}, Branches: []indexer.BranchKey{}},
	} {
		checkDeps(t, idx, all, q)
	}
	if n := len(wantDeps(all, indexer.DepQuery{Names: []string{bleve}})); n != 2*len(keys) {
		t.Fatalf("corpus has %d records of %s, want %d", n, bleve, 2*len(keys))
	}

	// Many branches in one filter, beyond the clause limits of search
	// engines.
	var many []indexer.BranchKey
	for i := range 3000 {
		many = append(many, indexer.BranchKey{Repo: "a/x", Name: fmt.Sprint("b", i)})
	}
	many = append(many, keys[2])
	checkDeps(t, idx, all, indexer.DepQuery{Branches: many})

	// Records that leave their repo and branch empty take them from the
	// branch they are put on.
	k := indexer.BranchKey{Repo: "a/w", Name: "main"}
	d := indexer.Dependency{Path: "go.mod", Line: 3, Ecosystem: "golang", Name: "golang.org/x/sync", Version: "v0.1.0"}
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: k, Deps: []indexer.Dependency{d}}}})
	d.Repo, d.Branch = k.Repo, k.Name
	checkDeps(t, idx, []indexer.Dependency{d}, indexer.DepQuery{Branches: []indexer.BranchKey{k}})
}

func testDepsReplace(t *testing.T, open Opener) {
	idx := open(t)
	a := indexer.BranchKey{Repo: "a/x", Name: "main"}
	b := indexer.BranchKey{Repo: "a/x", Name: "dev"}
	da, db := depCorpus(a, "1"), depCorpus(b, "2")
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: a, Deps: da}, {Branch: b, Deps: db}}})

	// Fewer records than before: the surplus goes; the others of b stay.
	newA := depCorpus(a, "3")[2:5]
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: a, Deps: newA}}})
	checkDeps(t, idx, append(slices.Clone(newA), db...), indexer.DepQuery{})

	// More records than before.
	newA = append(depCorpus(a, "4"), depCorpus(a, "5")...)
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: a, Deps: newA}}})
	checkDeps(t, idx, append(slices.Clone(newA), db...), indexer.DepQuery{})

	// Of two replacements of one branch in one Changes, the last wins.
	first, last := depCorpus(b, "6"), depCorpus(b, "7")[:3]
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: b, Deps: first}, {Branch: b, Deps: last}}})
	checkDeps(t, idx, append(slices.Clone(newA), last...), indexer.DepQuery{})

	// An empty replacement removes every record of the branch.
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: a}}})
	checkDeps(t, idx, last, indexer.DepQuery{})
}

func testDepsDeleteBranches(t *testing.T, open Opener) {
	idx := open(t)
	_, locs := corpus(t, idx)
	a := indexer.BranchKey{Repo: "a/x", Name: "main"}
	b := indexer.BranchKey{Repo: "a/x", Name: "dev"}
	c := indexer.BranchKey{Repo: "a/y", Name: "main"}
	da, db, dc := depCorpus(a, "1"), depCorpus(b, "2"), depCorpus(c, "3")
	commit(t, idx, indexer.Changes{
		PutDeps:     []indexer.BranchDeps{{Branch: a, Deps: da}, {Branch: b, Deps: db}, {Branch: c, Deps: dc}},
		PutBranches: []indexer.Branch{branchState(a.Repo, a.Name, "c1"), branchState(b.Repo, b.Name, "c1"), branchState(c.Repo, c.Name, "c1")},
	})

	// Deleting a branch deletes its records. A branch deleted and given
	// records in the same Changes keeps the new ones: dependency
	// replacements come after branch deletes.
	newC := depCorpus(c, "4")[:2]
	commit(t, idx, indexer.Changes{
		DeleteBranches: []indexer.BranchKey{a, c},
		PutDeps:        []indexer.BranchDeps{{Branch: c, Deps: newC}},
		PutBranches:    []indexer.Branch{branchState(c.Repo, c.Name, "c2")},
	})
	checkDeps(t, idx, append(slices.Clone(db), newC...), indexer.DepQuery{})
	checkDeps(t, idx, nil, indexer.DepQuery{Branches: []indexer.BranchKey{a}})

	// Locations of the untouched branches stay.
	var rest []indexer.Location
	for _, l := range locs {
		if k := (indexer.BranchKey{Repo: l.Repo, Name: l.Branch}); k != a && k != c {
			rest = append(rest, l)
		}
	}
	checkLocations(t, idx, rest, indexer.LocationQuery{Skipped: indexer.AnySkipped})
	if got := branches(t, idx); !sameBranches(got, []indexer.Branch{branchState(b.Repo, b.Name, "c1"), branchState(c.Repo, c.Name, "c2")}) {
		t.Errorf("Branches() = %+v, want a/x dev at c1 and a/y main at c2", got)
	}
}

func testDepsStop(t *testing.T, open Opener) {
	idx := open(t)
	k := indexer.BranchKey{Repo: "a/x", Name: "main"}
	commit(t, idx, indexer.Changes{PutDeps: []indexer.BranchDeps{{Branch: k, Deps: depCorpus(k, "1")}}})
	stop := errors.New("enough")
	n := 0
	err := idx.Deps(context.Background(), indexer.DepQuery{}, func(indexer.Dependency) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Deps after fn error: err %v after %d calls, want %v after 3", err, n, stop)
	}
}
