package verify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

// BlobID must be git's own id, in both object formats.
func TestBlobIDMatchesGit(t *testing.T) {
	for _, text := range []string{"", "hello\n", "no newline", strings.Repeat("ünïcödé ❤\n", 1000)} {
		for _, format := range []string{"sha1", "sha256"} {
			dir := t.TempDir()
			if out, err := exec.Command("git", "init", "-q", "--object-format="+format, dir).CombinedOutput(); err != nil {
				t.Fatalf("git init: %v\n%s", err, out)
			}
			f := filepath.Join(dir, "f")
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("git", "-C", dir, "hash-object", f).Output()
			if err != nil {
				t.Fatalf("git hash-object: %v", err)
			}
			if got, want := BlobID([]byte(text), format == "sha256"), strings.TrimSpace(string(out)); got != want {
				t.Errorf("BlobID(%.20q, %s) = %s, git says %s", text, format, got, want)
			}
		}
	}
}

func blob(text string) indexer.Blob {
	return indexer.Blob{ID: BlobID([]byte(text), false), Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: indexer.CountLines([]byte(text))}
}

// Check on a real index: stray locations are problems unless a crawl is
// marked as writing, a bad branch state and a badly named blob are
// reported, and a clean index has no problems.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	a, b := blob("a\n"), blob("b\n")
	commit := func(c indexer.Changes) {
		t.Helper()
		if err := idx.Commit(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	commit(indexer.Changes{
		Blobs: []indexer.Blob{a, b},
		PutLocs: []indexer.Location{
			{Repo: "r", Branch: "main", Path: "a", Blob: a.ID},
			{Repo: "r", Branch: "main", Path: "big", Blob: strings.Repeat("c", 40), Skip: indexer.SkipTooLarge},
		},
		PutBranches: []indexer.Branch{{Repo: "r", Name: "main", Commit: strings.Repeat("1", 40)}},
	})
	rep, err := Check(ctx, idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Blobs != 2 || rep.Locations != 2 || rep.Branches != 1 || rep.Unreferenced != 1 {
		t.Fatalf("clean index: %+v", rep)
	}

	commit(indexer.Changes{
		Blobs:       []indexer.Blob{{ID: "not-an-id", Text: []byte("x")}},
		PutLocs:     []indexer.Location{{Repo: "r", Branch: "gone", Path: "a", Blob: a.ID}},
		PutBranches: []indexer.Branch{{Repo: "r", Name: "bad", Commit: "HEAD"}},
		PutDeps: []indexer.BranchDeps{{Branch: indexer.BranchKey{Repo: "r", Name: "nodeps"},
			Deps: []indexer.Dependency{{Path: "go.mod", Line: 3, Ecosystem: "golang", Name: "example.com/m"}}}},
	})
	kinds := func(ps []Problem) map[string]int {
		m := map[string]int{}
		for _, p := range ps {
			m[p.Kind]++
		}
		return m
	}
	rep, err = Check(ctx, idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep.Problems); len(rep.Problems) != 4 || k[KindStray] != 2 || k[KindBadBranch] != 1 || k[KindBadID] != 1 {
		t.Errorf("problems = %v, want two strays (locations, dependencies), one bad branch state, one bad blob id", rep.Problems)
	}
	if err := idx.SetDirty(ctx, true); err != nil {
		t.Fatal(err)
	}
	rep, err = Check(ctx, idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep.Problems); k[KindStray] != 0 || kinds(rep.Notes)[KindStray] != 2 || !rep.Dirty {
		t.Errorf("with a crawl marked as writing: problems %v, notes %v; want the stray as a note", rep.Problems, rep.Notes)
	}

	// Repair deletes the stray branch and the bad state, collects the
	// badly named and the unreferenced blob, and re-crawls r, which the
	// index still knows (its main branch has a good state).
	var crawled []string
	fixed, err := Repair(ctx, idx, rep, func(_ context.Context, repos []string) error {
		crawled = repos
		return idx.SetDirty(ctx, false) // what a finished crawl does
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Branches) != 3 || strings.Join(crawled, ",") != "r" || fixed.BlobsCollected != 2 {
		t.Errorf("repair = %+v, re-crawled %v; want 3 branches reset, 2 blobs collected, r re-crawled", fixed, crawled)
	}
	rep, err = Check(ctx, idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Notes) != 0 || rep.Branches != 1 {
		t.Errorf("after repair: %+v", rep)
	}
}

// MaxProblems keeps that many problems of each kind, then one summary per
// kind over the limit, in order of kind; a kept corrupt blob lists the
// branches that hold it.
func TestCheckMaxProblems(t *testing.T) {
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	tampered := func(text string) indexer.Blob {
		b := blob(text)
		b.Text = []byte("tampered " + text)
		return b
	}
	x, y := tampered("x\n"), tampered("y\n")
	good := strings.Repeat("1", 40)
	err = idx.Commit(ctx, &indexer.Changes{
		Blobs: []indexer.Blob{x, y},
		PutLocs: []indexer.Location{
			{Repo: "r", Branch: "main", Path: "x", Blob: x.ID},
			{Repo: "r", Branch: "main", Path: "y", Blob: y.ID},
			{Repo: "r", Branch: "dev", Path: "x", Blob: x.ID},
			{Repo: "r", Branch: "dev", Path: "y", Blob: y.ID},
		},
		PutBranches: []indexer.Branch{
			{Repo: "r", Name: "main", Commit: good}, {Repo: "r", Name: "dev", Commit: good},
			{Repo: "r", Name: "bad1", Commit: "HEAD"}, {Repo: "r", Name: "bad2", Commit: "HEAD"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(ctx, idx, Options{MaxProblems: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.Kind+": "+p.Detail)
	}
	want := []string{
		KindBadBranch, KindCorrupt,
		KindBadBranch + ": 1 more not listed (limit 1 per kind)",
		KindCorrupt + ": 1 more not listed (limit 1 per kind)",
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant kinds %v", strings.Join(got, "\n"), want)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %d = %q, want %q", i, got[i], w)
		}
	}
	if bs := rep.Problems[1].Branches; len(bs) != 2 {
		t.Errorf("corrupt blob on branches %v, want main and dev", bs)
	}
}
