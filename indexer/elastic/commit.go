package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/trawl-dev/trawl/indexer"
)

type blobDoc struct {
	ID    string   `json:"id"`
	Tri   []string `json:"tri"`
	Text  string   `json:"text"`
	Lines int      `json:"lines"`
}

type locationDoc struct {
	Repo     string `json:"repo"`
	Branch   string `json:"branch"`
	Path     string `json:"path"`
	Blob     string `json:"blob"`
	Language string `json:"language,omitempty"`
	Skip     string `json:"skip,omitempty"` // absent when indexed, so "exists" selects skips
	RB       string `json:"rb"`
	Size     int64  `json:"size"`
}

type branchDoc struct {
	Kind      string       `json:"kind"` // "branch"; the dirty flag's document is "meta"
	Repo      string       `json:"repo"`
	Name      string       `json:"name"`
	Commit    string       `json:"commit"`
	Settings  string       `json:"settings"`
	CrawledAt time.Time    `json:"crawled_at"`
	Meta      indexer.Repo `json:"meta"`
}

const (
	kindBranch = "branch"
	kindMeta   = "meta"
	dirtyID    = "meta:dirty"
)

// op is one bulk action, kept as bytes so a rejected item can be resent.
type op struct {
	action  string // create, index or delete
	index   string
	id      string
	routing string
	body    []byte
	what    string // names the object in errors: blob 9fce..., location acme/api@main:pom.xml
}

// Commit writes c: blobs, location deletes, location puts, branch deletes,
// then branch states, each step only after the previous one succeeded, and
// refreshes so that the commit is searchable when Commit returns.
func (x *Index) Commit(ctx context.Context, c *indexer.Changes) error {
	if c.Empty() {
		return nil
	}
	var ops []op
	for _, b := range c.Blobs {
		body, err := json.Marshal(blobDoc{ID: b.ID, Tri: b.Trigrams, Text: string(b.Text), Lines: b.Lines})
		if err != nil {
			return fmt.Errorf("commit: encode blob %s: %w", b.ID, err)
		}
		// create, not index: a blob is never rewritten, and a blob already
		// stored (409) is success.
		ops = append(ops, op{action: "create", index: x.blobs, id: b.ID, body: body, what: "blob " + b.ID})
	}
	if err := x.bulk(ctx, "write blobs", ops, http.StatusConflict); err != nil {
		return err
	}

	ops = ops[:0]
	for _, k := range c.DeleteLocs {
		ops = append(ops, op{action: "delete", index: x.locations, id: locationID(k), routing: k.Repo, what: "location " + locName(k)})
	}
	if err := x.bulk(ctx, "delete locations", ops, http.StatusNotFound); err != nil {
		return err
	}

	ops = ops[:0]
	for _, l := range c.PutLocs {
		body, err := json.Marshal(locationDoc{Repo: l.Repo, Branch: l.Branch, Path: l.Path, Blob: l.Blob,
			Language: l.Language, Skip: l.Skip, RB: rb(l.Repo, l.Branch), Size: l.Size})
		if err != nil {
			return fmt.Errorf("commit: encode location %s: %w", locName(l.Key()), err)
		}
		ops = append(ops, op{action: "index", index: x.locations, id: locationID(l.Key()), routing: l.Repo, body: body, what: "location " + locName(l.Key())})
	}
	if err := x.bulk(ctx, "write locations", ops, 0); err != nil {
		return err
	}

	if len(c.DeleteBranches) > 0 {
		if err := x.deleteBranches(ctx, c.DeleteBranches); err != nil {
			return err
		}
	}

	ops = ops[:0]
	for _, b := range c.PutBranches {
		body, err := json.Marshal(branchDoc{Kind: kindBranch, Repo: b.Repo, Name: b.Name, Commit: b.Commit,
			Settings: b.Settings, CrawledAt: b.CrawledAt, Meta: b.Meta})
		if err != nil {
			return fmt.Errorf("commit: encode branch %s@%s: %w", b.Repo, b.Name, err)
		}
		ops = append(ops, op{action: "index", index: x.branches, id: branchID(b.Key()), body: body, what: "branch " + b.Repo + "@" + b.Name})
	}
	if err := x.bulk(ctx, "write branch states", ops, 0); err != nil {
		return err
	}
	if err := x.refresh(ctx, x.blobs, x.locations, x.branches); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// deleteBranches deletes the state and every location of each branch.
// There is no _delete_by_query in every distribution (the integration-test
// one lacks the reindex module), so ids are listed and bulk-deleted.
func (x *Index) deleteBranches(ctx context.Context, keys []indexer.BranchKey) error {
	// The listing searches, and a search sees only refreshed documents:
	// locations put earlier in this commit must be visible to be deleted.
	if err := x.refresh(ctx, x.locations); err != nil {
		return fmt.Errorf("commit: delete branches: %w", err)
	}
	var ops []op
	for _, k := range keys {
		ops = append(ops, op{action: "delete", index: x.branches, id: branchID(k), what: "branch " + k.Repo + "@" + k.Name})
		query := map[string]any{"term": map[string]any{"rb": rb(k.Repo, k.Name)}}
		err := x.scan(ctx, x.locations, query, []string{"path"}, false, func(h hit) error {
			ops = append(ops, op{action: "delete", index: x.locations, id: h.ID, routing: k.Repo,
				what: "location " + locName(indexer.LocationKey{Repo: k.Repo, Branch: k.Name, Path: h.sortString(0)})})
			return nil
		})
		if err != nil {
			return fmt.Errorf("commit: list locations of branch %s@%s: %w", k.Repo, k.Name, err)
		}
	}
	return x.bulk(ctx, "delete branches", ops, http.StatusNotFound)
}

func (x *Index) refresh(ctx context.Context, indices ...string) error {
	res, err := x.es.Indices.Refresh(x.es.Indices.Refresh.WithContext(ctx), x.es.Indices.Refresh.WithIndex(indices...))
	if err := check(res, err); err != nil {
		return fmt.Errorf("refresh %s: %w", strings.Join(indices, ", "), err)
	}
	res.Body.Close()
	return nil
}

// Items the cluster rejected for load (429) or while a shard was briefly
// unavailable (503) are resent this many times; the transport's own
// retries cover whole requests only.
const itemRetries = 4

// bulk applies ops and returns an error naming every failed item and its
// reason. An item answered with status ok (besides success) is not a
// failure: 409 for creating a blob that exists, 404 for deleting what is
// already gone.
func (x *Index) bulk(ctx context.Context, step string, ops []op, ok int) error {
	var failures []string
	for attempt := 0; len(ops) > 0; attempt++ {
		failed, retry, err := x.bulkOnce(ctx, ops, ok)
		if err != nil {
			return fmt.Errorf("commit: %s: %w", step, err)
		}
		failures = append(failures, failed...)
		if len(retry) == 0 {
			break
		}
		if attempt == itemRetries {
			for _, r := range retry {
				failures = append(failures, r.msg)
			}
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("commit: %s: %w", step, ctx.Err())
		case <-time.After(backoff(attempt + 1)):
		}
		ops = ops[:0:0]
		for _, r := range retry {
			ops = append(ops, r.op)
		}
	}
	if len(failures) == 0 {
		return nil
	}
	const show = 10
	msg := strings.Join(failures[:min(len(failures), show)], "; ")
	if len(failures) > show {
		msg += fmt.Sprintf("; and %d more", len(failures)-show)
	}
	return fmt.Errorf("commit: %s: %d of the items failed: %s", step, len(failures), msg)
}

type retryItem struct {
	op  op
	msg string
}

func (x *Index) bulkOnce(ctx context.Context, ops []op, ok int) (failed []string, retry []retryItem, err error) {
	var (
		mu      sync.Mutex
		flushed error
	)
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client: x.es,
		// One worker keeps the items in order: a key deleted then put in
		// one step must end up put. Elasticsearch parallelises a bulk
		// request across shards itself.
		NumWorkers:    1,
		FlushBytes:    8 << 20,
		FlushInterval: time.Hour, // flushes happen by size and at Close
		OnError: func(_ context.Context, err error) {
			mu.Lock()
			defer mu.Unlock()
			flushed = errors.Join(flushed, err)
		},
	})
	if err != nil {
		return nil, nil, err
	}
	for _, o := range ops {
		item := esutil.BulkIndexerItem{
			Action:     o.action,
			Index:      o.index,
			DocumentID: o.id,
			Routing:    o.routing,
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				if err == nil && res.Status == ok {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					failed = append(failed, fmt.Sprintf("%s: %v", o.what, err))
				case res.Status == http.StatusTooManyRequests || res.Status == http.StatusServiceUnavailable:
					retry = append(retry, retryItem{o, itemError(o, res)})
				default:
					failed = append(failed, itemError(o, res))
				}
			},
		}
		if o.body != nil {
			item.Body = bytes.NewReader(o.body)
		}
		if err := bi.Add(ctx, item); err != nil {
			bi.Close(context.WithoutCancel(ctx))
			return nil, nil, fmt.Errorf("queue %s: %w", o.what, err)
		}
	}
	if err := bi.Close(ctx); err != nil {
		return nil, nil, err
	}
	if flushed != nil && len(failed) == 0 && len(retry) == 0 {
		// Every item reports a failed flush too; this covers one that was
		// not tied to an item.
		return nil, nil, flushed
	}
	return failed, retry, nil
}

func itemError(o op, res esutil.BulkIndexerResponseItem) string {
	return fmt.Sprintf("%s (%s/%s): status %d: %s: %s", o.what, o.index, o.id, res.Status, res.Error.Type, res.Error.Reason)
}

func locName(k indexer.LocationKey) string {
	return k.Repo + "@" + k.Branch + ":" + k.Path
}

// SetDirty records (true) or clears (false) that a crawl is writing.
func (x *Index) SetDirty(ctx context.Context, dirty bool) error {
	res, err := x.es.Index(x.branches, jsonBody(map[string]any{"kind": kindMeta, "dirty": dirty}),
		x.es.Index.WithContext(ctx), x.es.Index.WithDocumentID(dirtyID))
	if err := check(res, err); err != nil {
		return fmt.Errorf("set dirty flag in %s: %w", x.branches, err)
	}
	res.Body.Close()
	return nil
}

// Dirty reports whether a crawl was writing and did not finish. A get is
// real-time: it sees the last SetDirty without a refresh.
func (x *Index) Dirty(ctx context.Context) (bool, error) {
	res, err := x.es.Get(x.branches, dirtyID, x.es.Get.WithContext(ctx))
	if err == nil && res.StatusCode == http.StatusNotFound {
		res.Body.Close()
		return false, nil
	}
	var doc struct {
		Source struct {
			Dirty bool `json:"dirty"`
		} `json:"_source"`
	}
	if err := decode(res, err, &doc); err != nil {
		return false, fmt.Errorf("read dirty flag in %s: %w", x.branches, err)
	}
	return doc.Source.Dirty, nil
}
