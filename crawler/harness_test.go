package crawler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/internal/indexdump"
)

// loadConfig writes yaml to a trawl.yaml in dir and loads it.
func loadConfig(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "trawl.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("load config: %v\n%s", err, yaml)
	}
	return cfg
}

// dirConfig is a configuration crawling every repository below root into data.
func dirConfig(t *testing.T, root, data string, extra string) *config.Config {
	t.Helper()
	return loadConfig(t, t.TempDir(), fmt.Sprintf("sources:\n  - dir: %s\nindex:\n  path: %s\n%s", root, data, extra))
}

// crawlOnce opens the index of cfg, crawls, and closes it.
func crawlOnce(t *testing.T, cfg *config.Config) *crawler.Summary {
	t.Helper()
	return crawlWith(t, cfg, crawler.Options{})
}

// crawlWith crawls with opt.
func crawlWith(t *testing.T, cfg *config.Config, opt crawler.Options) *crawler.Summary {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, filepath.Join(cfg.Index.Path, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	c, err := crawler.New(cfg, idx, opt)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := c.Run(ctx)
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	return sum
}

func takeSnapshot(t *testing.T, dataDir string) indexdump.Snapshot {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, filepath.Join(dataDir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	snap, err := indexdump.Take(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func makeOrg(t *testing.T, root string, n int, seed uint64) map[string]*gittest.Repo {
	t.Helper()
	return gittest.MakeOrg(t, root, n, seed)
}
