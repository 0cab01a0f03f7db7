package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestCrawlRefusedWhileAnotherWrites runs trawl crawl against Elasticsearch
// indices another writer holds: the crawl fails at once with the holder
// named, before crawling anything; searches still answer; once the holder closes, the crawl
// succeeds.
func TestCrawlRefusedWhileAnotherWrites(t *testing.T) {
	be := verifyBackends()[1]
	ctx := context.Background()
	root := t.TempDir()
	gittest.Init(t, filepath.Join(root, "api")).Commit("first", map[string]string{"a.go": "package a\n"})
	work := t.TempDir()
	data := filepath.Join(work, "data")
	cfgPath := filepath.Join(work, "trawl.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("sources:\n  - dir: %s\n", root)+be.yaml(t, data)), 0o644); err != nil {
		t.Fatal(err)
	}
	trawl := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append(args, "-c", cfgPath), &out, &errb)
		return code, out.String() + errb.String()
	}

	holder := be.open(t, data)
	must(t, holder.SetDirty(ctx, false)) // any write takes the lease
	code, out := trawl("crawl")
	if code != 1 || strings.Contains(out, "crawled") || !strings.Contains(out, "holds the writer lease") || !strings.Contains(out, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("crawl while another process writes: exit %d, want 1 naming the holder\n%s", code, out)
	}
	if code, out := trawl("search", "package"); code != 0 {
		t.Fatalf("search while another process writes: exit %d\n%s", code, out)
	}
	branches, err := holder.Branches(ctx)
	must(t, err)
	if len(branches) != 0 {
		t.Fatalf("the refused crawl wrote %d branch states", len(branches))
	}
	must(t, holder.Close())
	if code, out := trawl("crawl"); code != 0 {
		t.Fatalf("crawl after the holder closed: exit %d\n%s", code, out)
	}
	// A search keeps the branch states in the data folder for the next.
	if code, out := trawl("search", "package"); code != 0 || !strings.Contains(out, "a.go") {
		t.Fatalf("search after the crawl: exit %d\n%s", code, out)
	}
	kept, err := os.ReadFile(filepath.Join(data, "elasticsearch-states.gob"))
	if err != nil || !bytes.Contains(kept, []byte("api")) {
		t.Errorf("branch states kept after a search: %q, %v", kept, err)
	}
}
