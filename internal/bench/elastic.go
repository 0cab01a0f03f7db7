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
	resp, err := b.do(ctx, http.MethodDelete, "?ignore_unavailable=true")
	if err != nil {
		return fmt.Errorf("reset elasticsearch indices: %w", err)
	}
	resp.Body.Close()
	return nil
}

func (b esBackend) Open(ctx context.Context, cfg *config.Config) (indexer.Index, error) {
	return elastic.Open(ctx, elastic.Options{Addresses: cfg.Index.Elasticsearch.Addresses, IndexPrefix: cfg.Index.Elasticsearch.IndexPrefix})
}

// Disk merges the indices to one segment each first, as a settled index
// would be, then reads their primary store size and, from the disk usage
// analysis, how much of it is _recovery_source: the original source of
// each document (text and trigrams) that Elasticsearch keeps beside the
// filtered _source until a merge after its peer-recovery retention lease
// has moved past the document. The stored text is not told apart.
func (b esBackend) Disk(ctx context.Context, _ *config.Config) (DiskUsage, error) {
	var u DiskUsage
	if resp, err := b.do(ctx, http.MethodPost, "/_forcemerge?max_num_segments=1&ignore_unavailable=true"); err == nil {
		resp.Body.Close()
	}
	resp, err := b.do(ctx, http.MethodGet, "/_stats/store?ignore_unavailable=true")
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

	usage, err := b.do(ctx, http.MethodPost, "/_disk_usage?run_expensive_tasks=true&ignore_unavailable=true")
	if err != nil {
		return u, fmt.Errorf("elasticsearch disk usage: %w", err)
	}
	defer usage.Body.Close()
	var indices map[string]json.RawMessage
	if err := json.NewDecoder(usage.Body).Decode(&indices); err != nil {
		return u, fmt.Errorf("elasticsearch disk usage: %w", err)
	}
	for name, raw := range indices {
		if name == "_shards" {
			continue
		}
		var ix struct {
			Fields map[string]struct {
				Total int64 `json:"total_in_bytes"`
			} `json:"fields"`
		}
		if err := json.Unmarshal(raw, &ix); err != nil {
			return u, fmt.Errorf("elasticsearch disk usage of %s: %w", name, err)
		}
		u.RecoverySource += ix.Fields["_recovery_source"].Total
	}
	return u, nil
}

// do sends a request without a body to the benchmark's indices; path
// follows their names.
func (b esBackend) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.url+"/"+b.indices()+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return resp, nil
}
