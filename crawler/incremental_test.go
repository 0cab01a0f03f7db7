package crawler_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// TestIncrementalEqualsFreshCrawl changes repositories in every way a
// crawl must follow and checks after each step that the incrementally
// updated index equals the one a fresh crawl builds.
func TestIncrementalEqualsFreshCrawl(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) { testIncremental(t, backend) })
	}
}

func testIncremental(t *testing.T, backend string) {
	root := t.TempDir()
	repos := makeOrg(t, root, 2, 11)
	cfg := dirConfigOn(t, backend, root)
	first := crawlOnce(t, cfg)
	if first.BlobsWritten == 0 || first.FilesWritten == 0 {
		t.Fatalf("first crawl wrote nothing: %+v", first)
	}

	// Only the embedded index compacts, and only after a crawl that wrote.
	if compacts := backend == "bleve"; (first.Compaction != nil) != compacts {
		t.Errorf("first crawl on %s: compaction %+v, want one reported: %t", backend, first.Compaction, compacts)
	}
	again := crawlOnce(t, cfg)
	if again.FilesWritten != 0 || again.BlobsWritten != 0 || again.BranchesChanged != 0 || again.FilesDeleted != 0 || again.Compaction != nil {
		t.Fatalf("a crawl with nothing changed did indexing work: %+v", again)
	}

	a, b := repos["team0/svc0"], repos["team1/svc1"]
	steps := []struct {
		name   string
		change func()
	}{
		{"new commit", func() {
			a.Commit("edit", map[string]string{"config/app.yaml": "timeout: 99\n", "new/file.txt": "brand new\n"})
		}},
		{"rename and delete", func() {
			a.Git("mv", "pom.xml", "src/pom.xml")
			a.Commit("move", map[string]string{"nofinal.txt!": ""})
		}},
		{"new branch", func() {
			a.Checkout("feature/new")
			a.Commit("feature", map[string]string{"feature.txt": "only here\n"})
			a.Checkout("main")
		}},
		{"deleted branch", func() {
			a.Git("branch", "-D", "hotfix")
		}},
		{"force push", func() {
			a.Checkout("develop")
			a.Git("reset", "-q", "--hard", "main~1")
			a.Commit("rewritten", map[string]string{"rewritten.txt": "history changed\n"})
			a.Checkout("main")
		}},
		{"same blob on a new path in another repo", func() {
			b.Commit("copy", map[string]string{"copied/app.yaml": "timeout: 99\n"})
		}},
		{"deleted repository", func() {
			if err := os.RemoveAll(b.Dir); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, step := range steps {
		step.change()
		sum := crawlOnce(t, cfg)
		got := takeSnapshot(t, cfg)
		fresh := dirConfigOn(t, backend, root)
		crawlOnce(t, fresh)
		want := takeSnapshot(t, fresh)
		if d := got.Diff(want); d != "" {
			t.Fatalf("after %s the incremental index differs from a fresh crawl (- incremental, + fresh):\n%s", step.name, d)
		}
		if sum.BranchesChanged == 0 && sum.BranchesDeleted == 0 && sum.ReposDeleted == 0 {
			t.Errorf("after %s the crawl saw no change: %+v", step.name, sum)
		}
	}
	final := takeSnapshot(t, cfg)
	if strings.Contains(strings.Join(final.Branches, "\n"), "team1/svc1") {
		t.Error("the deleted repository still has branches")
	}
	if !strings.Contains(strings.Join(final.Branches, "\n"), "team0/svc0@feature/new") {
		t.Error("the new branch is missing")
	}
}

// TestShardsFillOneIndex crawls the repositories in two shards into one
// index and checks the result equals a single full crawl's, and that a
// shard's crawl never deletes the other shard's repositories.
func TestShardsFillOneIndex(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) { testShards(t, backend) })
	}
}

func testShards(t *testing.T, backend string) {
	root := t.TempDir()
	makeOrg(t, root, 5, 21)

	whole := dirConfigOn(t, backend, root)
	crawlOnce(t, whole)
	want := takeSnapshot(t, whole)

	shared := dirConfigOn(t, backend, root)
	repos := map[int]int{}
	for i := range 2 {
		sum := crawlWith(t, shared, crawler.Options{Shard: crawler.Shard{I: i, N: 2}})
		repos[i] = sum.Repos
		if sum.ReposDeleted != 0 {
			t.Errorf("shard %d deleted %d repositories of the other shard", i, sum.ReposDeleted)
		}
	}
	if repos[0] == 0 || repos[1] == 0 || repos[0]+repos[1] != 5 {
		t.Fatalf("shards took %v repositories, want a split of 5", repos)
	}
	if d := takeSnapshot(t, shared).Diff(want); d != "" {
		t.Fatalf("two shards differ from one crawl (- shards, + whole):\n%s", d)
	}
}

// TestKilledNewBranchThenDeleted fabricates what a crawl killed midway
// through a new branch leaves (documents, no branch state, the dirty mark),
// deletes that branch from the repository, and checks the next crawl
// leaves exactly a clean crawl's index.
func TestKilledNewBranchThenDeleted(t *testing.T) {
	root := t.TempDir()
	makeOrg(t, root, 1, 5)
	cfg := dirConfig(t, root, t.TempDir(), "")
	crawlOnce(t, cfg)

	ctx := context.Background()
	idx := openIndex(t, cfg)
	text := []byte("half written\n")
	err := idx.Commit(ctx, &indexer.Changes{
		Blobs:   []indexer.Blob{{ID: "0123456789abcdef0123456789abcdef01234567", Text: text, Trigrams: trigram.Extract(text), Lines: 1}},
		PutLocs: []indexer.Location{{Repo: "team0/svc0", Branch: "ghost", Path: "a.txt", Blob: "0123456789abcdef0123456789abcdef01234567", Size: int64(len(text))}},
		PutDeps: []indexer.BranchDeps{{Branch: indexer.BranchKey{Repo: "team0/svc0", Name: "ghost"}, Deps: []indexer.Dependency{{Path: "go.mod", Line: 1, Ecosystem: "golang", Name: "x"}}}},
	})
	if err == nil {
		err = idx.SetDirty(ctx, true)
	}
	idx.Close()
	if err != nil {
		t.Fatal(err)
	}

	sum := crawlOnce(t, cfg)
	fresh := dirConfig(t, root, t.TempDir(), "")
	crawlOnce(t, fresh)
	if d := takeSnapshot(t, cfg).Diff(takeSnapshot(t, fresh)); d != "" {
		t.Fatalf("a killed branch's leftovers survive (- after, + fresh):\n%s", d)
	}
	if sum.BranchesDeleted != 1 || sum.BlobsCollected != 1 {
		t.Errorf("want 1 stray branch removed and 1 blob collected, got %+v", sum)
	}
}
