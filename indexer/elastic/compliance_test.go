package elastic

import (
	"sync"
	"testing"

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
		}
		mu.Unlock()
		return open(t, cfg)
	})
}
