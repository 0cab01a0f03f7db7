package crawler_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
)

// TestDeltaCompressedLargeFiles: large files stored as deltas are indexed
// with exactly git's bytes: parity with git grep over every branch, and
// every stored text hashes to its blob id. With go-git's large-object
// streaming (the LargeObjectThreshold trawl used to set) this failed.
func TestDeltaCompressedLargeFiles(t *testing.T) {
	root := t.TempDir()
	repo := gittest.DeltaRepo(t, filepath.Join(root, "acme", "gen"), 3, 8, 3)
	// The test means something only if the large blobs at the branch heads
	// really are deltas: verify-pack lists a delta with its depth and base.
	verify := gitOut(t, repo.Dir, "verify-pack", "-v", filepath.Join(repo.Dir, ".git", "objects", "pack", packName(t, repo.Dir)))
	isDelta := map[string]bool{}
	for _, line := range strings.Split(verify, "\n") {
		if f := strings.Fields(line); len(f) == 7 && f[1] == "blob" {
			isDelta[f[0]] = true
		}
	}
	largeDeltas := 0
	for _, b := range strings.Fields(gitOut(t, repo.Dir, "for-each-ref", "--format=%(refname:short)", "refs/heads")) {
		for _, p := range []string{"gen/bindata.go", "data/table.txt"} {
			id := gitOut(t, repo.Dir, "rev-parse", b+":"+p)
			if isDelta[strings.TrimSpace(id)] {
				largeDeltas++
			}
		}
	}
	if largeDeltas < 8 {
		t.Fatalf("only %d large head blobs are deltas; the repository does not exercise delta reads", largeDeltas)
	}
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			cfg := dirConfigOn(t, backend, root)
			cfg.Files.MaxSize = 4 << 20
			sum := crawlOnce(t, cfg)
			if len(sum.Errors) > 0 || sum.Skipped > 0 {
				t.Fatalf("crawl: %+v", sum)
			}
			idx := openIndex(t, cfg)
			defer idx.Close()
			checkStoredTexts(t, idx, 20)
			s := search.New(idx)
			for _, q := range []struct {
				trawl string
				grep  []string
			}{
				{`"edited timeout"`, []string{"-i", "-F", "-e", "edited timeout"}},
				{`/^0012[0-9]{2} /`, []string{"-E", "-e", `^0012[0-9]{2} `}},
				{`log4j-core`, []string{"-i", "-F", "-e", "log4j-core"}},
			} {
				got := hitSet(t, s, q.trawl)
				want := map[string]bool{}
				for _, hit := range gittest.Grep(t, repo.Dir, q.grep...) {
					want[fmt.Sprintf("acme/gen@%s:%s:%d", hit.Branch, hit.Path, hit.Line)] = true
				}
				if len(want) == 0 {
					t.Fatalf("git grep finds nothing for %v", q.grep)
				}
				if d := setDiff(want, got); d != "" {
					t.Errorf("query %q differs from git grep:\n%s", q.trawl, d)
				}
			}
		})
	}
}

func packName(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	if len(m) != 1 {
		t.Fatalf("want one pack after repack -a, got %v", m)
	}
	return filepath.Base(m[0])
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// checkStoredTexts reads back every blob the index holds a location for
// and checks that it hashes to its id; it fails if fewer than min blobs
// were checked.
func checkStoredTexts(t *testing.T, idx indexer.Index, min int) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]bool{}
	err := idx.Locations(ctx, indexer.LocationQuery{}, func(l indexer.Location) error {
		seen[l.Blob] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range seen {
		text, err := idx.BlobText(ctx, id)
		if err != nil {
			t.Fatalf("blob %s: %v", id, err)
		}
		if got := gitBlobID(text); got != id {
			t.Errorf("stored text of blob %s (%d bytes) hashes to %s", id, len(text), got)
		}
	}
	if len(seen) < min {
		t.Fatalf("only %d blobs stored, want at least %d", len(seen), min)
	}
}

func gitBlobID(text []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(text))
	h.Write(text)
	return hex.EncodeToString(h.Sum(nil))
}

func hitSet(t *testing.T, s *search.Searcher, q string) map[string]bool {
	t.Helper()
	res, err := s.Search(context.Background(), q, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Files {
		for _, b := range f.Branches {
			for _, m := range f.Matches {
				got[fmt.Sprintf("%s@%s:%s:%d", f.Repo, b.Name, f.Path, m.Line)] = true
			}
		}
	}
	return got
}

func setDiff(want, got map[string]bool) string {
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return fmt.Sprintf("missing %d: %v\nextra %d: %v", len(missing), head(missing), len(extra), head(extra))
}

// TestCorruptObjectSkipped replaces a loose object with a well-formed one
// of other content (same length): the file is skipped as corrupt, with a
// warning, and neither text is searchable; the rest is indexed.
func TestCorruptObjectSkipped(t *testing.T) {
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "acme", "api"))
	repo.Commit("first", map[string]string{"good.txt": "honest content\n", "bad.txt": "original secret\n"})
	id := repo.Git("rev-parse", "HEAD:bad.txt")
	lie := []byte("injected  words\n")
	if len(lie) != len("original secret\n") {
		t.Fatal("the lie must keep the length")
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	fmt.Fprintf(zw, "blob %d\x00%s", len(lie), lie)
	zw.Close()
	obj := filepath.Join(repo.Dir, ".git", "objects", id[:2], id[2:])
	os.Chmod(obj, 0o644)
	if err := os.WriteFile(obj, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			cfg := dirConfigOn(t, backend, root)
			var logs bytes.Buffer
			sum := crawlWith(t, cfg, crawlerOptionsLogging(&logs))
			if len(sum.Errors) > 0 {
				t.Fatalf("errors: %+v", sum.Errors)
			}
			skips := skipReasons(t, cfg)
			if got := skips["acme/api@main:bad.txt"]; got != indexer.SkipCorrupt {
				t.Errorf("bad.txt skipped as %q, want %q (all: %v)", got, indexer.SkipCorrupt, skips)
			}
			if !strings.Contains(logs.String(), "corrupt blob") || !strings.Contains(logs.String(), id) {
				t.Errorf("no warning naming the corrupt blob:\n%s", logs.String())
			}
			for _, q := range []string{"injected", "original"} {
				if hits := searchLines(t, cfg, q); len(hits) > 0 {
					t.Errorf("%q found in a corrupt object: %v", q, hits)
				}
			}
			if hits := searchLines(t, cfg, "honest"); len(hits) != 1 {
				t.Errorf("good.txt hits: %v", hits)
			}
		})
	}
}

// skipReasons lists skipped locations as repo@branch:path -> reason.
func skipReasons(t *testing.T, cfg *config.Config) map[string]string {
	t.Helper()
	idx := openIndex(t, cfg)
	defer idx.Close()
	out := map[string]string{}
	err := idx.Locations(context.Background(), indexer.LocationQuery{Skipped: indexer.SkippedOnly}, func(l indexer.Location) error {
		out[l.Repo+"@"+l.Branch+":"+l.Path] = l.Skip
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// crawlerOptionsLogging logs the crawl, as text, into w.
func crawlerOptionsLogging(w io.Writer) crawler.Options {
	return crawler.Options{Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}
