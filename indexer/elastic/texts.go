package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// BlobTexts reads the texts of many blobs, in _mget requests of
// textsPerRequest ids run textRequests at a time. The searcher uses it,
// when a backend offers it, to verify a batch of candidates: against a
// remote cluster one request per candidate costs more than the
// verification itself. Missing blobs are absent from the map.
//
// A shard answers one _mget on one thread of its get pool, reading and
// decompressing each source in turn, and the answer is decoded here in
// turn too: split, the reads run on several of the cluster's threads and
// the decoding on several of ours. On the bench org, with one node on the
// same two cores, "err != nil" read 54 batches of 256 texts (3.8 MB), each
// about 100 ms waiting for the answer and 50 ms decoding it, in 9.4 s;
// split in four, in 7.0 s.
func (x *Index) BlobTexts(ctx context.Context, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		slots    = make(chan struct{}, textRequests)
		mu       sync.Mutex // guards out and firstErr
		firstErr error
	)
	// A batch of few candidates is split too, into up to textRequests
	// requests of at least minTextsPerRequest: the few are often large.
	per := min(textsPerRequest, max(minTextsPerRequest, (len(ids)+textRequests-1)/textRequests))
	for chunk := range slices.Chunk(ids, per) {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			texts, err := x.blobTexts(ctx, chunk)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && firstErr == nil:
				firstErr = err
				cancel()
			case err == nil:
				maps.Copy(out, texts)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// textsPerRequest and textRequests shape BlobTexts' requests: the ids of
// one _mget, and how many are in flight at once.
const (
	textsPerRequest    = 64
	minTextsPerRequest = 8
	textRequests       = 4
)

// blobTexts reads the texts of ids in one _mget round trip.
func (x *Index) blobTexts(ctx context.Context, ids []string) (map[string][]byte, error) {
	body, err := json.Marshal(map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	// The whole source is asked for, not a filter of it: it is the text,
	// the id and the line count (the trigrams are excluded when indexed),
	// and a filter makes Elasticsearch parse each source to rebuild it
	// (measured on the bench org: 83-90 ms against 32-42 ms for 27 texts,
	// 5.3 MB).
	res, err := x.client.do(ctx, multiGet(x.blobs, bytes.NewReader(body), nil))
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
	out := make(map[string][]byte, len(resp.Docs))
	for _, d := range resp.Docs {
		if d.Found {
			out[d.ID] = []byte(d.Source.Text)
		}
	}
	return out, nil
}

// scanTextsPage is the blobs per page of ScanBlobs: texts are up to
// files.max_size each, and a page is held in memory whole.
const scanTextsPage = 64

// ScanBlobs calls fn with the id and text of every stored blob, paging by
// id with search_after. Like every search, it sees the index as of the last
// refresh, which each Commit makes.
func (x *Index) ScanBlobs(ctx context.Context, fn func(id string, text []byte) error) error {
	body := map[string]any{
		"query":            map[string]any{"match_all": map[string]any{}},
		"sort":             []any{map[string]any{"id": "asc"}},
		"size":             scanTextsPage,
		"track_total_hits": false,
		"_source":          true, // the text; see BlobTexts
	}
	for {
		res, err := x.client.do(ctx, searchIndex(x.blobs, jsonBody(body)))
		var page struct {
			Hits struct {
				Hits []struct {
					ID     string `json:"_id"`
					Source struct {
						Text string `json:"text"`
					} `json:"_source"`
					Sort []any `json:"sort"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := decode(res, err, &page); err != nil {
			return fmt.Errorf("scan blobs in %s: %w", x.blobs, err)
		}
		hits := page.Hits.Hits
		for _, h := range hits {
			if err := fn(h.ID, []byte(h.Source.Text)); err != nil {
				return err
			}
		}
		if len(hits) < scanTextsPage {
			return nil
		}
		body["search_after"] = hits[len(hits)-1].Sort
	}
}
