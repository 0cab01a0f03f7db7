package elastic

import (
	"context"
	"sync"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/indexertest"
)

func TestComplianceStore(t *testing.T) {
	var (
		mu   sync.Mutex
		cfgs = map[*testing.T]Options{}
	)
	indexertest.RunCompliance(t, func(t *testing.T) indexer.Index {
		mu.Lock()
		cfg, ok := cfgs[t]
		if !ok {
			cfg = esConfig(t)
			cfgs[t] = cfg
			t.Cleanup(func() {
				es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: cfg.Addresses})
				if err != nil {
					return
				}
				defer es.Close(context.Background())
				if res, err := es.Indices.Delete([]string{cfg.IndexPrefix + "-compliance"}, es.Indices.Delete.WithIgnoreUnavailable(true)); err == nil {
					res.Body.Close()
				}
			})
		}
		mu.Unlock()
		return open(t, cfg)
	})
}
