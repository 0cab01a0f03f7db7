package crawler_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/indexer/elastic"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/estest"
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

// dirConfig is a configuration crawling every repository below root into
// a Bleve index in data.
func dirConfig(t *testing.T, root, data string, extra string) *config.Config {
	t.Helper()
	return loadConfig(t, t.TempDir(), fmt.Sprintf("sources:\n  - dir: %s\nindex:\n  path: %s\n%s", root, data, extra))
}

// backends lists the index backends the tests run on: Bleve always,
// Elasticsearch when TRAWL_ES_URL names a node (scripts/elasticsearch.sh).
func backends(t *testing.T) []string {
	if os.Getenv("TRAWL_ES_URL") == "" {
		t.Log("Elasticsearch runs skipped: set TRAWL_ES_URL (bash scripts/elasticsearch.sh start) to run them too")
		return []string{"bleve"}
	}
	return []string{"bleve", "elasticsearch"}
}

// dirConfigOn is dirConfig on the named backend, with a fresh index.
func dirConfigOn(t *testing.T, backend, root string) *config.Config {
	t.Helper()
	if backend == "bleve" {
		return dirConfig(t, root, t.TempDir(), "")
	}
	return dirConfig(t, root, t.TempDir(), fmt.Sprintf(
		"  backend: elasticsearch\n  elasticsearch:\n    addresses: [%s]\n    index_prefix: %s\n", estest.URL(), estest.Prefix(t)))
}

// openIndex opens the index cfg configures.
func openIndex(t *testing.T, cfg *config.Config) indexer.Index {
	t.Helper()
	ctx := context.Background()
	var (
		idx indexer.Index
		err error
	)
	switch cfg.Index.Backend {
	case "elasticsearch":
		idx, err = elastic.Open(ctx, elastic.Options{Addresses: cfg.Index.Elasticsearch.Addresses, IndexPrefix: cfg.Index.Elasticsearch.IndexPrefix})
	default:
		idx, err = bleve.Open(ctx, filepath.Join(cfg.Index.Path, "index"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return idx
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
	idx := openIndex(t, cfg)
	defer idx.Close()
	sum, err := crawltest.New(t, cfg, idx, opt).Run(ctx)
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	return sum
}

func takeSnapshot(t *testing.T, cfg *config.Config) indexdump.Snapshot {
	t.Helper()
	ctx := context.Background()
	idx := openIndex(t, cfg)
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

func head(l []string) []string { return l[:min(len(l), 10)] }

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}
