package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/trigram"
)

// verifyBackend is one index backend for the verify tests: the index
// section of trawl.yaml and a way to open the index directly.
type verifyBackend struct {
	name string
	yaml func(t *testing.T, data string) string
	open func(t *testing.T, data string) indexer.Index
}

func verifyBackends() []verifyBackend {
	return []verifyBackend{
		{
			name: "bleve",
			yaml: func(t *testing.T, data string) string { return fmt.Sprintf("index:\n  path: %s\n", data) },
			open: func(t *testing.T, data string) indexer.Index {
				idx, err := bleve.Open(context.Background(), filepath.Join(data, "index"))
				if err != nil {
					t.Fatal(err)
				}
				return idx
			},
		},
		{
			name: "elasticsearch",
			yaml: func(t *testing.T, data string) string {
				url := os.Getenv("TRAWL_ES_URL")
				if url == "" {
					t.Skip("set TRAWL_ES_URL to run the Elasticsearch tests")
				}
				prefix := esTestPrefix(t, url)
				return fmt.Sprintf("index:\n  backend: elasticsearch\n  path: %s\n  elasticsearch:\n    addresses: [%s]\n    index_prefix: %s\n", data, url, prefix)
			},
			open: func(t *testing.T, data string) indexer.Index {
				cfg, err := config.Load(filepath.Join(data, "..", "trawl.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				idx, err := openIndex(context.Background(), cfg, readWrite)
				if err != nil {
					t.Fatal(err)
				}
				return idx
			},
		},
	}
}

// esTestPrefix is an index prefix of the test's own, whose indices are
// deleted when t ends.
func esTestPrefix(t *testing.T, url string) string {
	var b [6]byte
	rand.Read(b[:])
	prefix := "trawltest-verify-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		var names []string
		for _, s := range []string{"blobs", "locations", "branches", "deps", "lease"} {
			names = append(names, prefix+"-"+s)
		}
		req, _ := http.NewRequest(http.MethodDelete, url+"/"+strings.Join(names, ",")+"?ignore_unavailable=true", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
	return prefix
}

// TestVerifyRepair crawls a real repository, then corrupts the index
// through the Index API as the go-git large-object bug did (a blob whose
// stored text is not what its id says) and adds a location pointing
// nowhere: verify must report both and exit 1, verify --repair must fix
// them from git, and a second verify must exit 0.
func TestVerifyRepair(t *testing.T) {
	for _, be := range verifyBackends() {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			repo := gittest.Init(t, filepath.Join(root, "api"))
			good := "package api\n\nfunc Version() string { return \"2.17.1\" }\n"
			repo.Commit("first", map[string]string{"version.go": good, "README": "api\n"})
			repo.Checkout("release")
			repo.Commit("release", map[string]string{"notes.txt": "release notes\n"})
			repo.Checkout("main")

			work := t.TempDir()
			data := filepath.Join(work, "data")
			cfgPath := filepath.Join(work, "trawl.yaml")
			yaml := fmt.Sprintf("sources:\n  - dir: %s\n", root) + be.yaml(t, data)
			if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			trawl := func(args ...string) (int, string) {
				t.Helper()
				var out, errb bytes.Buffer
				code := run(ctx, append(args, "-c", cfgPath), &out, &errb)
				return code, out.String() + errb.String()
			}
			if code, out := trawl("crawl"); code != 0 {
				t.Fatalf("crawl: exit %d\n%s", code, out)
			}
			if code, out := trawl("verify"); code != 0 || !strings.Contains(out, "clean") {
				t.Fatalf("verify of a fresh crawl: exit %d\n%s", code, out)
			}

			// Corrupt version.go's blob: drop its locations so that garbage
			// collection removes the blob, then write the same id with
			// other bytes of the same length and put the locations back.
			idx := be.open(t, data)
			var locs []indexer.Location
			must(t, idx.Locations(ctx, indexer.LocationQuery{Paths: []string{"version.go"}}, func(l indexer.Location) error {
				locs = append(locs, l)
				return nil
			}))
			if len(locs) != 2 {
				t.Fatalf("version.go has %d locations, want 2 (main and release)", len(locs))
			}
			id := locs[0].Blob
			var keys []indexer.LocationKey
			for _, l := range locs {
				keys = append(keys, l.Key())
			}
			must(t, idx.Commit(ctx, &indexer.Changes{DeleteLocs: keys}))
			if _, err := idx.CollectGarbage(ctx); err != nil {
				t.Fatal(err)
			}
			bad := []byte(strings.Replace(good, "2.17.1", "2.14.0", 1))
			ghost := indexer.Location{Repo: "api", Branch: "main", Path: "ghost.go", Blob: strings.Repeat("ab", 20), Size: 3}
			must(t, idx.Commit(ctx, &indexer.Changes{
				Blobs:   []indexer.Blob{{ID: id, Text: bad, Trigrams: trigram.Extract(bad), Lines: indexer.CountLines(bad)}},
				PutLocs: append(locs, ghost),
			}))
			if text, err := idx.BlobText(ctx, id); err != nil || !bytes.Equal(text, bad) {
				t.Fatalf("the corruption did not land: %q, %v", text, err)
			}
			must(t, idx.Close())

			code, out := trawl("verify")
			if code != 1 || !strings.Contains(out, "corrupt blob: blob "+id) ||
				!strings.Contains(out, "dangling location: blob "+ghost.Blob+" api@main:\"ghost.go\"") {
				t.Fatalf("verify of a corrupt index: exit %d, want 1 naming blob %s and ghost.go\n%s", code, id, out)
			}
			code, out = trawl("verify", "--json")
			var rep verifyOutput
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
				t.Fatalf("verify --json: exit %d, %v\n%s", code, err, out)
			}
			kinds := map[string]int{}
			for _, p := range rep.Found.Problems {
				kinds[p.Kind]++
				if p.Kind == "corrupt blob" && len(p.Branches) != 2 {
					t.Errorf("corrupt blob problem names branches %v, want main and release", p.Branches)
				}
			}
			if kinds["corrupt blob"] != 1 || kinds["dangling location"] != 1 || len(rep.Found.Problems) != 2 || rep.OK {
				t.Errorf("verify --json problems = %+v, want one corrupt blob and one dangling location", rep.Found.Problems)
			}

			if code, out := trawl("verify", "--repair"); code != 0 || !strings.Contains(out, "after repair: verified") {
				t.Fatalf("verify --repair: exit %d, want 0\n%s", code, out)
			}
			if code, out := trawl("verify"); code != 0 || !strings.Contains(out, "clean") {
				t.Fatalf("verify after repair: exit %d, want 0\n%s", code, out)
			}
			idx = be.open(t, data)
			defer idx.Close()
			if text, err := idx.BlobText(ctx, id); err != nil || string(text) != good {
				t.Errorf("after repair blob %s = %q, %v; want the bytes in git", id, text, err)
			}
			var paths []string
			must(t, idx.Locations(ctx, indexer.LocationQuery{}, func(l indexer.Location) error {
				paths = append(paths, l.Branch+":"+l.Path)
				return nil
			}))
			if got := strings.Join(slices.Sorted(slices.Values(paths)), " "); got != "main:README main:version.go release:README release:notes.txt release:version.go" {
				t.Errorf("after repair the locations are %s", got)
			}
			branches, err := idx.Branches(ctx)
			must(t, err)
			if len(branches) != 2 {
				t.Errorf("after repair %d branch states, want 2", len(branches))
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
