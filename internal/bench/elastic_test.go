package bench

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// TestElasticDisk measures a small index the way the report does: its
// size, the part of it that is _recovery_source, and nothing left once
// Reset deleted it.
func TestElasticDisk(t *testing.T) {
	url := os.Getenv("TRAWL_ES_URL")
	if url == "" {
		t.Skip("set TRAWL_ES_URL (scripts/elasticsearch.sh start) to run the Elasticsearch tests")
	}
	ctx := t.Context()
	var b [6]byte
	rand.Read(b[:])
	be := esBackend{url: url, prefix: "trawlbenchtest-" + hex.EncodeToString(b[:])}
	cfg := &config.Config{}
	cfg.Index.Elasticsearch.Addresses = []string{url}
	cfg.Index.Elasticsearch.IndexPrefix = be.prefix
	t.Cleanup(func() { be.Reset(ctx, cfg) })
	idx, err := be.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(strings.Repeat("func main() { return nil }\n", 200))
	err = idx.Commit(ctx, &indexer.Changes{Blobs: []indexer.Blob{{ID: strings.Repeat("a", 40), Text: text, Trigrams: trigram.Extract(text), Lines: 200}}})
	idx.Close()
	if err != nil {
		t.Fatal(err)
	}
	u, err := be.Disk(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("disk usage %+v", u)
	if u.Total <= 0 || u.RecoverySource < 0 || u.RecoverySource >= u.Total {
		t.Errorf("disk usage %+v", u)
	}
	if err := be.Reset(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if after, err := be.Disk(ctx, cfg); err == nil {
		t.Errorf("Disk after Reset = %+v, want an error: the indices are gone", after)
	} else {
		t.Logf("after Reset: %v", err)
	}
}
