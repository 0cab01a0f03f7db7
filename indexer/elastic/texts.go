package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// BlobTexts reads the texts of many blobs in one _mget round trip. The
// searcher uses it, when a backend offers it, to verify a batch of
// candidates: against a remote cluster one request per candidate costs more
// than the verification itself. Missing blobs are absent from the map.
func (x *Index) BlobTexts(ctx context.Context, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	body, err := json.Marshal(map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	res, err := x.es.Mget(bytes.NewReader(body), x.es.Mget.WithContext(ctx), x.es.Mget.WithIndex(x.blobs),
		x.es.Mget.WithSourceIncludes("text"))
	var resp struct {
		Docs []struct {
			ID     string `json:"_id"`
			Found  bool   `json:"found"`
			Source struct {
				Text string `json:"text"`
			} `json:"_source"`
		} `json:"docs"`
	}
	if err := decode(res, err, &resp); err != nil {
		return nil, fmt.Errorf("read %d blobs from %s: %w", len(ids), x.blobs, err)
	}
	for _, d := range resp.Docs {
		if d.Found {
			out[d.ID] = []byte(d.Source.Text)
		}
	}
	return out, nil
}
