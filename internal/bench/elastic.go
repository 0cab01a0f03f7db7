package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/elastic"
)

// esPrefix names the benchmark's Elasticsearch indices.
const esPrefix = "trawlbench"

// esBackend measures the Elasticsearch backend on the node at url.
type esBackend struct {
	url    string
	prefix string
}

func (esBackend) Name() string { return "elasticsearch" }

func (b esBackend) IndexYAML(dataDir string) string {
	return fmt.Sprintf("index:\n  backend: elasticsearch\n  path: %s\n  elasticsearch:\n    addresses: [%s]\n    index_prefix: %s\n",
		quoteYAML(dataDir), b.url, b.prefix)
}

func (b esBackend) indices() string {
	names := []string{}
	for _, s := range []string{"blobs", "locations", "branches", "deps", "lease"} {
		names = append(names, b.prefix+"-"+s)
	}
	return strings.Join(names, ",")
}

// Reset deletes the benchmark's indices by name: Elasticsearch refuses
// wildcard deletes by default.
func (b esBackend) Reset(ctx context.Context, _ *config.Config) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, b.url+"/"+b.indices()+"?ignore_unavailable=true", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset elasticsearch indices: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("reset elasticsearch indices: %s", resp.Status)
	}
	return nil
}

func (b esBackend) Open(ctx context.Context, cfg *config.Config) (indexer.Index, error) {
	return elastic.Open(ctx, elastic.Options{Addresses: cfg.Index.Elasticsearch.Addresses, IndexPrefix: cfg.Index.Elasticsearch.IndexPrefix})
}

// Disk merges the indices to one segment each first, as a settled index
// would be, then reads their primary store size. The stored text is not
// told apart.
func (b esBackend) Disk(ctx context.Context, _ *config.Config) (DiskUsage, error) {
	var u DiskUsage
	merge, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url+"/"+b.indices()+"/_forcemerge?max_num_segments=1&ignore_unavailable=true", nil)
	if err != nil {
		return u, err
	}
	if resp, err := http.DefaultClient.Do(merge); err == nil {
		resp.Body.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.url+"/"+b.indices()+"/_stats/store?ignore_unavailable=true", nil)
	if err != nil {
		return u, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return u, fmt.Errorf("elasticsearch store size: %w", err)
	}
	defer resp.Body.Close()
	var stats struct {
		All struct {
			Primaries struct {
				Store struct {
					Size int64 `json:"size_in_bytes"`
				} `json:"store"`
			} `json:"primaries"`
		} `json:"_all"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return u, fmt.Errorf("elasticsearch store size: %w", err)
	}
	u.Total = stats.All.Primaries.Store.Size
	return u, nil
}
