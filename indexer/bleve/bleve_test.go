package bleve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/document"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/indexertest"
	"github.com/trawl-dev/trawl/trigram"
)

// opener opens the index of each test in a directory of its own, the same
// one every time for the same t, as indexertest.Run requires. Each tweak is
// applied to every index it opens.
func opener(tweaks ...func(*Index)) indexertest.Opener {
	var (
		mu   sync.Mutex
		dirs = map[*testing.T]string{}
	)
	return func(t *testing.T) indexer.Index {
		mu.Lock()
		dir, ok := dirs[t]
		if !ok {
			dir = filepath.Join(t.TempDir(), "index")
			dirs[t] = dir
		}
		mu.Unlock()
		idx, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, tweak := range tweaks {
			tweak(idx)
		}
		// Whatever the test did, the record of branch states must
		// still match the documents.
		t.Cleanup(func() {
			checkRecord(t, idx)
			idx.Close()
		})
		return idx
	}
}

func TestConformance(t *testing.T) {
	indexertest.Run(t, opener())
}

// TestConformanceParallelBlobs runs the suite with every commit of two or
// more blobs written as parallel batches, which real crawls do only past a
// megabyte of new text.
func TestConformanceParallelBlobs(t *testing.T) {
	indexertest.Run(t, opener(func(x *Index) { x.parallelBlobBytes = 1 }))
}

func TestOpenInUse(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "deep", "index")
	first, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	second, err := Open(ctx, dir)
	if err == nil {
		second.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
	want := fmt.Sprintf("open index %s: in use by another trawl process", dir)
	if err.Error() != want {
		t.Errorf("second Open error = %q, want %q", err, want)
	}

	// Closing releases the directory.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	third.Close()
}

// TestOpenReadOnly checks that readers share an index with each other and
// not with a writer, that their writes fail, and that opening and reading
// changes no file: a writer's scorch persists a new snapshot at every open.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	w, err := Open(ctx, dir)
	must(t, err)
	a := testBlob("alpha text")
	must(t, w.Commit(ctx, &indexer.Changes{
		Blobs:       []indexer.Blob{a},
		PutLocs:     []indexer.Location{{Repo: "r", Branch: "main", Path: "a.txt", Blob: a.ID, Size: 10}},
		PutBranches: []indexer.Branch{{Repo: "r", Name: "main", Commit: "c1"}},
	}))
	if _, err := OpenReadOnly(ctx, dir); err == nil || !strings.Contains(err.Error(), errInUse.Error()) {
		t.Fatalf("OpenReadOnly beside a writer: error %v, want %q", err, errInUse)
	}
	must(t, w.Close())
	before := dirFiles(t, dir)

	r1, err := OpenReadOnly(ctx, dir)
	must(t, err)
	defer r1.Close()
	r2, err := OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatalf("second OpenReadOnly: %v", err)
	}
	defer r2.Close()
	for i, r := range []*Index{r1, r2} {
		text, err := r.BlobText(ctx, a.ID)
		if err != nil || string(text) != "alpha text" {
			t.Errorf("reader %d: BlobText = %q, %v", i+1, text, err)
		}
		bs, err := r.Branches(ctx)
		if err != nil || len(bs) != 1 || bs[0].Commit != "c1" {
			t.Errorf("reader %d: Branches = %+v, %v", i+1, bs, err)
		}
		var n int
		must(t, r.Locations(ctx, indexer.LocationQuery{}, func(indexer.Location) error { n++; return nil }))
		if n != 1 {
			t.Errorf("reader %d: %d locations, want 1", i+1, n)
		}
	}
	if _, err := Open(ctx, dir); err == nil || !strings.Contains(err.Error(), errInUse.Error()) {
		t.Fatalf("Open beside readers: error %v, want %q", err, errInUse)
	}

	writes := map[string]error{
		"Commit":   r1.Commit(ctx, &indexer.Changes{PutBranches: []indexer.Branch{{Repo: "r", Name: "x"}}}),
		"SetDirty": r1.SetDirty(ctx, true),
		"PutCompliance": r1.PutCompliance(ctx, &indexer.ComplianceChanges{
			Put: []indexer.ComplianceResult{{Rule: "r", Repo: "r", Branch: "main"}}}),
	}
	_, writes["CollectGarbage"] = r1.CollectGarbage(ctx)
	_, writes["Compact"] = r1.Compact(ctx, true)
	for op, err := range writes {
		if !errors.Is(err, errReadOnly) {
			t.Errorf("%s on a reader: error %v, want errReadOnly", op, err)
		}
	}
	must(t, r1.Close())
	must(t, r2.Close())
	if after := dirFiles(t, dir); !maps.Equal(before, after) {
		t.Errorf("readers changed the index directory:\nbefore %v\nafter  %v", before, after)
	}

	// A directory with no index yet opens as an empty one.
	empty, err := OpenReadOnly(ctx, filepath.Join(t.TempDir(), "new"))
	must(t, err)
	defer empty.Close()
	if bs, err := empty.Branches(ctx); err != nil || len(bs) != 0 {
		t.Errorf("new index: Branches = %+v, %v", bs, err)
	}
}

// dirFiles maps each file under dir to its size and modification time.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files[path] = fmt.Sprintf("%d bytes, %s", info.Size(), info.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	must(t, err)
	return files
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	idx, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := idx.HasBlobs(ctx, []string{"a"}); !errors.Is(err, errClosed) {
		t.Errorf("HasBlobs on a closed index: error %v, want errClosed", err)
	}
}

// TestPersistence checks that what Commit returned from survives Close and
// Open, including deletions and collected garbage.
func TestPersistence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	idx, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := testBlob("alpha text"), testBlob("beta text")
	c := indexer.Changes{
		Blobs: []indexer.Blob{a, b},
		PutLocs: []indexer.Location{
			{Repo: "r", Branch: "main", Path: "a.txt", Blob: a.ID, Size: 10},
			{Repo: "r", Branch: "old", Path: "b.txt", Blob: b.ID, Size: 9},
		},
		PutBranches: []indexer.Branch{{Repo: "r", Name: "main", Commit: "c1"}, {Repo: "r", Name: "old", Commit: "c1"}},
	}
	must(t, idx.Commit(ctx, &c))
	must(t, idx.Commit(ctx, &indexer.Changes{DeleteBranches: []indexer.BranchKey{{Repo: "r", Name: "old"}}}))
	if n, err := idx.CollectGarbage(ctx); err != nil || n != 1 {
		t.Fatalf("CollectGarbage() = %d, %v, want 1", n, err)
	}
	must(t, idx.Close())

	idx, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	st, err := idx.Stats(ctx)
	must(t, err)
	if st.Blobs != 1 || st.Locations != 1 || st.Branches != 1 || st.DiskBytes == 0 {
		t.Errorf("Stats() after reopen = %+v, want 1 blob, 1 location, 1 branch, some bytes", st)
	}
	if _, err := idx.BlobText(ctx, b.ID); !errors.Is(err, indexer.ErrNotFound) {
		t.Errorf("collected blob readable after reopen: %v", err)
	}
	bs, err := idx.Branches(ctx)
	must(t, err)
	if len(bs) != 1 || bs[0].Name != "main" {
		t.Errorf("Branches() after reopen = %+v, want main only", bs)
	}
}

// TestLocationsBeyondMemorySort lists more locations than are sorted in one
// piece, so the walk over the blob term dictionary is used.
func TestLocationsBeyondMemorySort(t *testing.T) {
	ctx := context.Background()
	idx, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var c indexer.Changes
	for i := range 2500 {
		b := testBlob(fmt.Sprint("text ", i))
		c.Blobs = append(c.Blobs, b)
		for _, br := range []string{"main", "dev"} {
			c.PutLocs = append(c.PutLocs, indexer.Location{Repo: "r", Branch: br, Path: fmt.Sprint("f", i), Blob: b.ID})
		}
	}
	must(t, idx.Commit(ctx, &c))

	list := func() []indexer.Location {
		var out []indexer.Location
		must(t, idx.Locations(ctx, indexer.LocationQuery{}, func(l indexer.Location) error {
			out = append(out, l)
			return nil
		}))
		return out
	}
	want := list() // under the limit: sorted in memory
	if len(want) != len(c.PutLocs) {
		t.Fatalf("Locations listed %d, want %d", len(want), len(c.PutLocs))
	}
	idx.sortInMemory = 100
	got := list()
	if len(got) != len(want) {
		t.Fatalf("chunked Locations listed %d, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("chunked Locations[%d] = %+v, want %+v", i, got[i], want[i])
		}
		if i > 0 && compareLocations(got[i-1], got[i]) >= 0 {
			t.Fatalf("Locations out of order at %d: %+v then %+v", i, got[i-1], got[i])
		}
	}
}

func TestMappingHasNoDynamicFields(t *testing.T) {
	m := newMapping()
	if m.DefaultMapping.Enabled || m.IndexDynamic || m.StoreDynamic || m.DocValuesDynamic {
		t.Errorf("mapping is dynamic: default enabled %v, index %v, store %v, doc values %v",
			m.DefaultMapping.Enabled, m.IndexDynamic, m.StoreDynamic, m.DocValuesDynamic)
	}
	o := optionsOf(m)
	if !o.tri.IsIndexed() || !o.tri.SkipFreqNorm() || o.tri.IncludeTermVectors() || o.tri.IsStored() || o.tri.IncludeDocValues() {
		t.Errorf("trigram field options = %s, want indexed with no freq/norm, vectors, store or doc values", o.tri)
	}
	if o.stored.IsIndexed() || !o.stored.IsStored() {
		t.Errorf("stored field options = %s, want stored only", o.stored)
	}
	if !o.keywordDV.IncludeDocValues() || o.keyword.IncludeDocValues() {
		t.Errorf("keyword options %s / %s: doc values wrong", o.keyword, o.keywordDV)
	}
}

func testBlob(text string) indexer.Blob {
	id := fmt.Sprintf("%040x", []byte(text))
	if len(id) > 40 {
		id = id[:40]
	}
	return indexer.Blob{ID: id, Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: 1}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// benchCorpus makes n blobs of generated Go-like code.
func benchCorpus(n int) []indexer.Blob {
	r := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("func return if err nil package import type struct string int for range go defer ctx context error fmt Println value index blob trigram query")
	blobs := make([]indexer.Blob, n)
	for i := range blobs {
		var sb strings.Builder
		fmt.Fprintf(&sb, "package p%d\n", i)
		for range 200 {
			for range 8 {
				sb.WriteString(words[r.IntN(len(words))])
				sb.WriteByte(" (){}.=\n"[r.IntN(8)])
			}
		}
		text := []byte(sb.String())
		blobs[i] = indexer.Blob{ID: fmt.Sprintf("%040x", i), Text: text, Trigrams: trigram.Extract(text), Lines: 200}
	}
	return blobs
}

func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	blobs := benchCorpus(200)
	var bytes int64
	for _, bl := range blobs {
		bytes += int64(len(bl.Text))
	}
	b.SetBytes(bytes)
	for b.Loop() {
		b.StopTimer()
		idx, err := Open(ctx, b.TempDir())
		must(b, err)
		b.StartTimer()
		c := indexer.Changes{Blobs: blobs}
		for _, bl := range blobs {
			c.PutLocs = append(c.PutLocs, indexer.Location{Repo: "r", Branch: "main", Path: bl.ID, Blob: bl.ID})
		}
		must(b, idx.Commit(ctx, &c))
		b.StopTimer()
		must(b, idx.Close())
		b.StartTimer()
	}
}

func BenchmarkMatchBlobs(b *testing.B) {
	ctx := context.Background()
	idx, err := Open(ctx, b.TempDir())
	must(b, err)
	defer idx.Close()
	must(b, idx.Commit(ctx, &indexer.Changes{Blobs: benchCorpus(1000)}))
	queries := map[string]*trigram.Query{
		"selective": trigram.And(trigram.Tri("TRI"), trigram.Tri("RIG"), trigram.Tri("GRA"), trigram.Tri("P99")),
		"common":    trigram.And(trigram.Tri("ERR"), trigram.Tri("NIL")),
		"or":        trigram.Or(trigram.And(trigram.Tri("BLO"), trigram.Tri("LOB")), trigram.Tri("P12")),
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				must(b, idx.MatchBlobs(ctx, q, func(string) error { return nil }))
			}
		})
	}
}

// TestDepsManyBranches lists the records of more branches than Deps sorts
// in one group, so the order must hold across groups.
func TestDepsManyBranches(t *testing.T) {
	ctx := context.Background()
	idx, err := Open(ctx, t.TempDir())
	must(t, err)
	defer idx.Close()
	var c indexer.Changes
	n := 0
	for i := range 3 * depBranches {
		k := indexer.BranchKey{Repo: fmt.Sprint("r", i%7), Name: fmt.Sprint("b", i)}
		var ds []indexer.Dependency
		for line := 12; line > 8; line-- {
			ds = append(ds, indexer.Dependency{Repo: k.Repo, Branch: k.Name, Path: "go.mod", Line: line, Ecosystem: "golang", Name: "m"})
		}
		c.PutDeps = append(c.PutDeps, indexer.BranchDeps{Branch: k, Deps: ds})
		n += len(ds)
	}
	must(t, idx.Commit(ctx, &c))
	var got []indexer.Dependency
	must(t, idx.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		got = append(got, d)
		return nil
	}))
	if len(got) != n {
		t.Fatalf("Deps listed %d records, want %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if compareDeps(got[i-1], got[i]) >= 0 {
			t.Fatalf("Deps out of order at %d: %+v then %+v", i, got[i-1], got[i])
		}
	}
}

// TestLocIDRoundTrip: locReader takes repo, branch and path back from the
// id, so parseLocID must invert locID for every key a crawl stores,
// escaped paths included, and refuse what is no location id.
func TestLocIDRoundTrip(t *testing.T) {
	for _, k := range []indexer.LocationKey{
		{Repo: "acme/api", Branch: "main", Path: "pom.xml"},
		{Repo: "acme/api", Branch: "release/1.2", Path: "src/main/resources/application.yml"},
		{Repo: "a", Branch: "feature/ünï", Path: indexer.EscapePath("caf\xe9 \\ dir/x\ny.txt")},
	} {
		if got, ok := parseLocID(locID(k)); !ok || got != k {
			t.Errorf("parseLocID(locID(%q)) = %q, %v", k, got, ok)
		}
	}
	for _, id := range []string{"", "l", "l\x00repo", "l\x00repo\x00branch", "b\x00repo\x00branch\x00path", "d\x00r\x00b\x003"} {
		if k, ok := parseLocID(id); ok {
			t.Errorf("parseLocID(%q) = %q, want refused", id, k)
		}
	}
}

// TestLocationsSplit lists the locations of many blobs, which goroutines
// list range by range (emitSplit): the list must be the one sorted list,
// complete, whatever the number of cores.
func TestLocationsSplit(t *testing.T) {
	ctx := context.Background()
	idx, err := Open(ctx, t.TempDir())
	must(t, err)
	defer idx.Close()
	var (
		c    indexer.Changes
		ids  []string
		want []indexer.Location
	)
	for i := range 300 {
		b := testBlob(fmt.Sprintf("%06d split text", i))
		c.Blobs = append(c.Blobs, b)
		ids = append(ids, b.ID)
		for _, br := range []string{"main", "dev", "release/1"} {
			l := indexer.Location{Repo: fmt.Sprintf("r%d", i%7), Branch: br, Path: fmt.Sprintf("p/%d.txt", i), Blob: b.ID, Size: 17}
			c.PutLocs = append(c.PutLocs, l)
			want = append(want, l)
		}
	}
	must(t, idx.Commit(ctx, &c))
	slices.SortFunc(want, func(a, b indexer.Location) int {
		return cmp.Or(cmp.Compare(a.Blob, b.Blob), cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Branch, b.Branch), cmp.Compare(a.Path, b.Path))
	})
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		var got []indexer.Location
		must(t, idx.Locations(ctx, indexer.LocationQuery{Blobs: ids}, func(l indexer.Location) error {
			got = append(got, l)
			return nil
		}))
		if !slices.Equal(got, want) {
			t.Errorf("%d cores: %d locations, want %d, in blob, repo, branch, path order", procs, len(got), len(want))
		}
	}
}

// TestEarlierLocationLayouts reads locations written as earlier trawls
// wrote them, beside ones written now, in one index: with every value in
// doc values (before repo, branch and path came from the id), with size,
// language and skip reason as doc-value fields of their own (before
// fieldValues), and as one doc-value field (layout 2, before
// fieldStoredLV). Both listings must give them back whole: by blob (the
// blob from its postings) and all at once (the blob from doc values).
func TestEarlierLocationLayouts(t *testing.T) {
	ctx := context.Background()
	x := openT(t, t.TempDir())
	blob := testBlob("shared text of three layouts")
	now := indexer.Location{Repo: "acme/api", Branch: "main", Path: "now.go", Blob: blob.ID, Language: "Go", Size: 28}
	must(t, x.Commit(ctx, &indexer.Changes{Blobs: []indexer.Blob{blob}, PutLocs: []indexer.Location{now},
		PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main"}}}))
	oldest := indexer.Location{Repo: "acme/api", Branch: "main", Path: "big.bin", Blob: blob.ID, Size: 9000, Skip: indexer.SkipBinary}
	older := indexer.Location{Repo: "acme/api", Branch: "main", Path: "pom.xml", Blob: blob.ID, Language: "Maven POM", Size: 28}
	b := x.idx.NewBatch()
	for i, l := range []indexer.Location{oldest, older} {
		d := document.NewDocument(locID(l.Key()))
		d.AddField(x.keyword(fieldKind, kindLoc, false))
		d.AddField(x.keyword(fieldRepo, l.Repo, i == 0))
		d.AddField(x.keyword(fieldBranch, l.Branch, i == 0))
		d.AddField(x.keyword(fieldPath, l.Path, i == 0))
		d.AddField(x.keyword(fieldBlob, l.Blob, true))
		d.AddField(x.keyword(fieldSize, strconv.FormatInt(l.Size, 10), true))
		d.AddField(x.keyword(fieldRB, rb(l.Repo, l.Branch), false))
		if l.Language != "" {
			d.AddField(x.keyword(fieldLanguage, l.Language, true))
		}
		skipped := "n"
		if l.Skip != "" {
			d.AddField(x.keyword(fieldSkip, l.Skip, true))
			skipped = "y"
		}
		d.AddField(x.keyword(fieldSkipped, skipped, false))
		must(t, b.IndexAdvanced(d))
	}
	layout2 := indexer.Location{Repo: "acme/api", Branch: "main", Path: "values.yml", Blob: blob.ID, Language: "YAML", Size: 28, Skip: indexer.SkipUnreadable}
	d := document.NewDocument(locID(layout2.Key()))
	d.AddField(x.keyword(fieldKind, kindLoc, false))
	d.AddField(x.keyword(fieldRepo, layout2.Repo, false))
	d.AddField(x.keyword(fieldBranch, layout2.Branch, false))
	d.AddField(x.keyword(fieldPath, layout2.Path, false))
	d.AddField(x.keyword(fieldBlob, layout2.Blob, true))
	d.AddField(x.keyword(fieldValues, lvValue(&layout2), true))
	d.AddField(x.keyword(fieldRB, rb(layout2.Repo, layout2.Branch), false))
	d.AddField(x.keyword(fieldSkipped, "y", false))
	must(t, b.IndexAdvanced(d))
	must(t, x.idx.Batch(b))
	want := []indexer.Location{oldest, now, older, layout2} // by path within the blob
	check := func(when string) {
		t.Helper()
		for _, q := range []indexer.LocationQuery{{Blobs: []string{blob.ID}, Skipped: indexer.AnySkipped}, {Skipped: indexer.AnySkipped}} {
			var got []indexer.Location
			must(t, x.Locations(ctx, q, func(l indexer.Location) error {
				got = append(got, l)
				return nil
			}))
			if !slices.Equal(got, want) {
				t.Errorf("%s: Locations(%+v) =\n%+v\nwant\n%+v", when, q, got, want)
			}
		}
	}
	check("in segments of their own")
	// A merge combines the layouts' fields in one segment.
	c, err := x.Compact(ctx, true)
	must(t, err)
	if !c.Merged || c.SegmentsAfter != 1 {
		t.Fatalf("Compact() = %+v, want one segment", c)
	}
	check("merged into one segment")
}
