package bleve

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"

	"github.com/trawl-dev/trawl/indexer"
)

// fullState sets every field of a state, so that a field the record
// lost would show.
func fullState(repo, name, commit string) indexer.Branch {
	at := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.FixedZone("X", 3600))
	return indexer.Branch{
		Repo: repo, Name: name, Commit: commit, Settings: "s1+deps1",
		CrawledAt: at,
		Meta: indexer.Repo{
			Name: repo, URL: "https://example.com/" + repo, Link: "https://example.com/{commit}/{path}",
			LineLink: "#L{line}", DefaultBranch: "main", Archived: true, Fork: true,
			Topics: []string{"go", "search"}, Visibility: "internal",
			PushedAt: at.Add(-time.Hour), CreatedAt: at.Add(-48 * time.Hour), UpdatedAt: at.Add(-time.Minute),
		},
		Counts: &indexer.BranchCounts{Files: 3, Bytes: 120, Skipped: map[string]int{"binary": 2}},
	}
}

// TestFullStateSetsEveryField keeps fullState complete as the types grow.
func TestFullStateSetsEveryField(t *testing.T) {
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("fullState leaves %s zero: set it, so the record tests cover it", path)
			return
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[time.Time]() {
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
	walk("Branch", reflect.ValueOf(fullState("a/x", "main", "c1")))
}

// sameState compares two states as callers see them: every field equal,
// times by instant and offset (their JSON).
func sameState(a, b indexer.Branch) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	for _, s := range []*indexer.Branch{&a, &b} {
		s.CrawledAt, s.Meta.PushedAt, s.Meta.CreatedAt, s.Meta.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	return string(ja) == string(jb) && reflect.DeepEqual(a, b)
}

func sameStates(t *testing.T, what string, got, want map[indexer.BranchKey]indexer.Branch) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d states, want %d:\n%+v\nwant\n%+v", what, len(got), len(want), got, want)
		return
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !sameState(g, w) {
			t.Errorf("%s: state of %v = %+v, want %+v", what, k, g, w)
		}
	}
}

// checkRecord fails unless x's record, its branch documents and its
// states in memory agree, and the record is trusted by Open's counts.
func checkRecord(t *testing.T, x *Index) {
	t.Helper()
	if x.closed.Load() {
		return
	}
	ctx := context.Background()
	docs, err := x.loadBranches(ctx)
	must(t, err)
	rec, stale, err := x.loadStates(ctx)
	must(t, err)
	if stale {
		t.Errorf("record of %d states not trusted (missing, stale or undecodable)", len(docs))
	}
	sameStates(t, "record against documents", rec, docs)
	x.bmu.RLock()
	mem := x.branches
	x.bmu.RUnlock()
	sameStates(t, "memory against documents", mem, docs)
}

// stateMap is states by key.
func stateMap(states ...indexer.Branch) map[indexer.BranchKey]indexer.Branch {
	m := map[indexer.BranchKey]indexer.Branch{}
	for _, s := range states {
		m[s.Key()] = s
	}
	return m
}

func branchesOf(t *testing.T, x *Index) map[indexer.BranchKey]indexer.Branch {
	t.Helper()
	bs, err := x.Branches(context.Background())
	must(t, err)
	if !slices.IsSortedFunc(bs, func(a, b indexer.Branch) int {
		return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Name, b.Name))
	}) {
		t.Errorf("Branches() out of order: %+v", bs)
	}
	m := stateMap(bs...)
	if len(m) != len(bs) {
		t.Errorf("Branches() lists a branch twice: %+v", bs)
	}
	return m
}

// earlier writes as a trawl from before the record did: branch documents
// without the marker, the record untouched.
func earlier(t *testing.T, x *Index, put []indexer.Branch, del []indexer.BranchKey, dropRecord bool) {
	t.Helper()
	b := x.idx.NewBatch()
	for _, k := range del {
		b.Delete(branchID(k))
	}
	for _, s := range put {
		state, err := json.Marshal(s)
		must(t, err)
		d := document.NewDocument(branchID(s.Key()))
		d.AddField(x.keyword(fieldKind, kindBranch, false))
		d.AddField(x.stored(fieldState, state))
		must(t, b.IndexAdvanced(d))
	}
	if dropRecord {
		b.DeleteInternal(branchesKey)
	}
	must(t, x.idx.Batch(b))
}

func openT(t *testing.T, dir string) *Index {
	t.Helper()
	x, err := Open(context.Background(), dir)
	must(t, err)
	t.Cleanup(func() { x.Close() })
	return x
}

// peek reads the states as Open would, without the rewrite Open then
// does, and says whether they came from the documents.
func peek(t *testing.T, dir string) (map[indexer.BranchKey]indexer.Branch, bool) {
	t.Helper()
	m := newMapping()
	x := &Index{dir: dir, m: m, opts: optionsOf(m)}
	var err error
	x.idx, err = bv.Open(filepath.Join(dir, "bleve"))
	must(t, err)
	defer x.idx.Close()
	x.adv, err = x.idx.Advanced()
	must(t, err)
	states, stale, err := x.loadStates(context.Background())
	must(t, err)
	return states, stale
}

// TestOpenWithoutRecord opens an index an earlier trawl wrote: no record,
// unmarked documents. It answers from the documents, then has a record.
func TestOpenWithoutRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x := openT(t, dir)
	blob := testBlob("some text")
	want := []indexer.Branch{fullState("a/x", "main", "c1"), fullState("a/x", "dev", "c2"), fullState("a/y", "main", "c3")}
	want[1].Counts = nil // a state from before counts
	must(t, x.Commit(ctx, &indexer.Changes{
		Blobs:       []indexer.Blob{blob},
		PutLocs:     []indexer.Location{{Repo: "a/x", Branch: "main", Path: "f", Blob: blob.ID, Size: 9}},
		PutBranches: want,
	}))
	earlier(t, x, want, nil, true)
	must(t, x.Close())

	if states, stale := peek(t, dir); !stale {
		t.Fatalf("index without a record read from a record: %+v", states)
	}
	x = openT(t, dir)
	sameStates(t, "Branches() of an index without record", branchesOf(t, x), stateMap(want...))
	checkRecord(t, x)
	st, err := x.Stats(ctx)
	must(t, err)
	if st.Branches != len(want) || st.Locations != 1 || st.Blobs != 1 {
		t.Errorf("Stats() after the record was written = %+v, want %d branches, 1 location, 1 blob", st, len(want))
	}
	must(t, x.Close())
	states, stale := peek(t, dir)
	if stale {
		t.Error("Open did not write the record of an index without one")
	}
	sameStates(t, "record written at Open", states, stateMap(want...))
}

// TestEarlierTrawlAfterRecord changes branch documents as an earlier trawl
// would, leaving a record that no longer matches; Open must notice and
// answer from the documents.
func TestEarlierTrawlAfterRecord(t *testing.T) {
	ctx := context.Background()
	base := []indexer.Branch{fullState("a/x", "main", "c1"), fullState("a/x", "dev", "c1"), fullState("a/y", "main", "c1")}
	newer := fullState("a/x", "main", "c2")
	added := fullState("a/z", "main", "c1")
	for _, tc := range []struct {
		name string
		put  []indexer.Branch
		del  []indexer.BranchKey
		want []indexer.Branch
	}{
		{"update", []indexer.Branch{newer}, nil, []indexer.Branch{newer, base[1], base[2]}},
		{"delete", nil, []indexer.BranchKey{base[1].Key()}, []indexer.Branch{base[0], base[2]}},
		{"add", []indexer.Branch{added}, nil, append(slices.Clone(base), added)},
		// Same count of documents as the record, and of unmarked ones as
		// marked ones lost.
		{"delete and add", []indexer.Branch{added}, []indexer.BranchKey{base[1].Key()}, []indexer.Branch{base[0], base[2], added}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			x := openT(t, dir)
			must(t, x.Commit(ctx, &indexer.Changes{PutBranches: base}))
			checkRecord(t, x)
			earlier(t, x, tc.put, tc.del, false)
			must(t, x.Close())

			if states, stale := peek(t, dir); !stale {
				t.Fatalf("stale record trusted: %+v", states)
			}
			x = openT(t, dir)
			sameStates(t, "Branches()", branchesOf(t, x), stateMap(tc.want...))
			checkRecord(t, x)

			// The rebuilt record goes on with the index.
			next := fullState("a/y", "main", "c9")
			must(t, x.Commit(ctx, &indexer.Changes{PutBranches: []indexer.Branch{next}}))
			want := stateMap(tc.want...)
			want[next.Key()] = next
			must(t, x.Close())
			x = openT(t, dir)
			sameStates(t, "Branches() after a commit", branchesOf(t, x), want)
			checkRecord(t, x)
		})
	}
}

// TestUnreadableRecord replaces the record with one of another schema and
// with bytes that are no record: Open answers from the documents.
func TestUnreadableRecord(t *testing.T) {
	ctx := context.Background()
	want := []indexer.Branch{fullState("a/x", "main", "c1"), fullState("a/x", "dev", "c1")}
	other, err := encodeRecord(stateMap(want...))
	must(t, err)
	rec, _, _ := decodeRecord(other, 2)
	if len(rec) != 2 {
		t.Fatalf("decodeRecord of a fresh record = %+v", rec)
	}
	for _, tc := range []struct {
		name  string
		value func() []byte
	}{
		{"other schema", func() []byte {
			v, err := encodeRecord(stateMap(want...))
			must(t, err)
			// The schema string is the record's first field; change one
			// byte of it.
			i := slices.Index(v, '{')
			v = slices.Clone(v)
			v[i+1] ^= 0x20
			return v
		}},
		{"garbage", func() []byte { return []byte("not a record") }},
		{"truncated", func() []byte { return other[:len(other)/2] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			x := openT(t, dir)
			must(t, x.Commit(ctx, &indexer.Changes{PutBranches: want}))
			must(t, x.idx.SetInternal(branchesKey, tc.value()))
			must(t, x.Close())
			if states, stale := peek(t, dir); !stale {
				t.Fatalf("unreadable record trusted: %+v", states)
			}
			x = openT(t, dir)
			sameStates(t, "Branches()", branchesOf(t, x), stateMap(want...))
			checkRecord(t, x)
		})
	}
}

func TestSchemaOf(t *testing.T) {
	type a struct {
		Name string `json:"name"`
	}
	type b struct {
		Title string `json:"name"`
	}
	type c struct {
		Name string `json:"title"`
	}
	type d struct {
		Name []string `json:"name"`
	}
	seen := map[string]string{}
	for name, s := range map[string]string{
		"a": schemaOf(reflect.TypeFor[a]()), "b": schemaOf(reflect.TypeFor[b]()),
		"c": schemaOf(reflect.TypeFor[c]()), "d": schemaOf(reflect.TypeFor[d]()),
	} {
		if other, ok := seen[s]; ok {
			t.Errorf("types %s and %s have the same schema %q", name, other, s)
		}
		seen[s] = name
	}
}

// TestRecordAfterCrash kills a process in the middle of commits that put
// and delete branches, then checks that the record it left is trusted and
// matches the documents.
func TestRecordAfterCrash(t *testing.T) {
	if dir := os.Getenv("TRAWL_BLEVE_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRecordAfterCrash$")
	cmd.Env = append(os.Environ(), "TRAWL_BLEVE_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	lines := bufio.NewScanner(out)
	n := 0
	for n < 25 && lines.Scan() {
		if _, err := strconv.Atoi(lines.Text()); err == nil {
			n++
		}
	}
	// Commits go on while the process dies, at a moment that varies.
	time.Sleep(time.Duration(time.Now().UnixNano()%7) * time.Millisecond)
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	if n < 25 {
		t.Fatalf("the writing process stopped after %d commits", n)
	}
	states, stale := peek(t, dir)
	if stale {
		t.Fatalf("after a crash the record does not match the documents; documents hold %d states", len(states))
	}
	x := openT(t, dir)
	checkRecord(t, x)
	if len(branchesOf(t, x)) == 0 {
		t.Error("no branch states after the crash")
	}
}

// crashChild commits until killed, printing the number of each commit
// once it returned.
func crashChild(dir string) {
	ctx := context.Background()
	x, err := Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		c := &indexer.Changes{
			PutBranches:    []indexer.Branch{fullState("a/x", fmt.Sprint("b", i%7), fmt.Sprint("c", i))},
			DeleteBranches: []indexer.BranchKey{{Repo: "a/x", Name: fmt.Sprint("b", (i+3)%7)}},
		}
		if err := x.Commit(ctx, c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	v, err := encodeRecord(stateMap(fullState("a/x", "main", "c1"), fullState("a/y", "dev", "c2")))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v, uint64(2))
	empty, err := encodeRecord(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(empty, uint64(0))
	f.Fuzz(func(t *testing.T, v []byte, n uint64) {
		states, sorted, ok := decodeRecord(v, n)
		if !ok {
			return
		}
		if uint64(len(states)) != n {
			t.Fatalf("decodeRecord(_, %d) accepted %d states", n, len(states))
		}
		for k, s := range states {
			if s.Key() != k {
				t.Fatalf("state %+v under key %v", s, k)
			}
		}
		if sorted != nil && (len(sorted) != len(states) || !slices.IsSortedFunc(sorted, compareStates)) {
			t.Fatalf("decodeRecord(_, %d) listed %d states, sorted %v", n, len(sorted), slices.IsSortedFunc(sorted, compareStates))
		}
	})
}

// TestRecordSharesRepos: the record keeps each repository's metadata
// once while it is the same, and each state gets back exactly its own,
// in order; a record of the earlier shape (gob, metadata in every state)
// is still read, and damaged ones are refused.
func TestRecordSharesRepos(t *testing.T) {
	states := stateMap(
		fullState("a/x", "main", "c1"), fullState("a/x", "dev", "c2"), fullState("a/x", "old", "c3"),
		fullState("a/y", "main", "c4"),
	)
	odd := states[indexer.BranchKey{Repo: "a/x", Name: "old"}]
	odd.Meta.Topics = []string{"other"} // crawled when the topics differed
	odd.Meta.UpdatedAt = odd.Meta.UpdatedAt.Add(-time.Hour)
	odd.Counts = nil
	states[odd.Key()] = odd
	v, err := encodeRecord(states)
	must(t, err)

	r := recordReader{s: string(v[len(recordMagic):])}
	if r.str() != branchSchema {
		t.Fatal("record does not start with the schema")
	}
	if n := r.count(minRepo); n != 3 {
		t.Errorf("record keeps %d repository metadata for 2 repositories, one of which changed; want 3", n)
	}
	got, sorted, ok := decodeRecord(v, 4)
	if !ok {
		t.Fatal("decodeRecord refused its own record")
	}
	sameStates(t, "decodeRecord", got, states)
	sameStates(t, "decodeRecord's sorted list", stateMap(sorted...), states)
	if !slices.IsSortedFunc(sorted, compareStates) {
		t.Errorf("decodeRecord listed states out of order: %v", sorted)
	}
	// What a trawl of the gob record decodes: nothing, so it reads the
	// documents instead.
	var earlier branchRecord
	if err := gob.NewDecoder(bytes.NewReader(v)).Decode(&earlier); err == nil && len(earlier.States) > 0 {
		t.Errorf("an earlier trawl would read %d states from this record", len(earlier.States))
	}

	// The gob record of earlier trawls.
	old := branchRecord{Schema: branchSchema, States: slices.Collect(maps.Values(states))}
	var buf bytes.Buffer
	must(t, gob.NewEncoder(&buf).Encode(&old))
	got, sorted, ok = decodeRecord(buf.Bytes(), 4)
	if !ok || sorted != nil {
		t.Errorf("gob record: ok %v, sorted %v", ok, sorted != nil)
	}
	sameStates(t, "gob record", got, states)

	// Damage: a repository index out of range, trailing bytes, every
	// truncation, and states out of order.
	w := recordWriter{b: []byte(recordMagic)}
	w.str(branchSchema)
	w.uvarint(0) // no repositories
	w.uvarint(1) // one state, of repository 0
	w.uvarint(0)
	s0 := fullState("a/x", "main", "c1")
	must(t, w.state(&s0))
	if _, _, ok := decodeRecord(w.b, 1); ok {
		t.Error("a state of a repository the record does not hold was accepted")
	}
	huge := recordWriter{b: []byte(recordMagic)}
	huge.str(branchSchema)
	huge.uvarint(0)
	huge.uvarint(1 << 40) // states: more than the record could hold
	if _, _, ok := decodeRecord(huge.b, 1<<40); ok {
		t.Error("a count of 2^40 states was accepted")
	}
	if _, _, ok := decodeRecord(append(slices.Clone(v), 0), 4); ok {
		t.Error("a record with trailing bytes was accepted")
	}
	for i := len(recordMagic); i < len(v); i++ {
		if _, _, ok := decodeRecord(v[:i], 4); ok {
			t.Fatalf("a record cut at %d of %d bytes was accepted", i, len(v))
		}
	}
	unsorted, err := encodeStates([]indexer.Branch{fullState("a/y", "main", "c1"), fullState("a/x", "main", "c1")})
	must(t, err)
	if _, _, ok := decodeRecord(unsorted, 2); ok {
		t.Error("states out of order were accepted")
	}
}

// TestRecordOfEarlierShape: an earlier trawl's gob record is read as it
// is by a reader, and rewritten in the binary format by the next
// writer's Open.
func TestRecordOfEarlierShape(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	want := stateMap(fullState("a/x", "main", "c1"), fullState("a/x", "dev", "c2"), fullState("a/y", "main", "c3"))
	x := openT(t, dir)
	must(t, x.Commit(ctx, &indexer.Changes{PutBranches: slices.Collect(maps.Values(want))}))
	var buf bytes.Buffer
	must(t, gob.NewEncoder(&buf).Encode(&branchRecord{Schema: branchSchema, States: slices.Collect(maps.Values(want))}))
	must(t, x.idx.SetInternal(branchesKey, buf.Bytes()))
	must(t, x.Close())

	binary := func(x *Index) bool {
		t.Helper()
		v, err := x.idx.GetInternal(branchesKey)
		must(t, err)
		_, ok, err := decodeStates(v)
		must(t, err)
		return ok
	}
	r, err := OpenReadOnly(ctx, dir)
	must(t, err)
	sameStates(t, "reader of an earlier record", branchesOf(t, r), want)
	if binary(r) {
		t.Error("a reader rewrote the gob record")
	}
	must(t, r.Close())

	w := openT(t, dir)
	sameStates(t, "writer of an earlier record", branchesOf(t, w), want)
	if !binary(w) {
		t.Error("a writer's Open left the gob record")
	}
	checkRecord(t, w)
}
