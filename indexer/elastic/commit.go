package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

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
	Kind      string                `json:"kind"` // "branch"; the dirty flag's document is "meta"
	Repo      string                `json:"repo"`
	Name      string                `json:"name"`
	Commit    string                `json:"commit"`
	Settings  string                `json:"settings"`
	CrawledAt time.Time             `json:"crawled_at"`
	Meta      indexer.Repo          `json:"meta"`
	Counts    *indexer.BranchCounts `json:"counts,omitempty"`
}

// depDoc is a dependency record. Every field is always sent, empty or not,
// so that sorting never meets a missing value.
type depDoc struct {
	Repo            string `json:"repo"`
	Branch          string `json:"branch"`
	RB              string `json:"rb"`
	Seq             int    `json:"seq"`
	Commit          string `json:"commit"`
	Path            string `json:"path"`
	Line            int    `json:"line"`
	Ecosystem       string `json:"ecosystem"`
	Name            string `json:"name"`
	PURL            string `json:"purl"`
	Version         string `json:"version"`
	ResolvedVersion string `json:"resolved_version"`
	VersionSource   string `json:"version_source"`
	Scope           string `json:"scope"`
	Direct          bool   `json:"direct"`
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
// dependency replacements, then branch states, each step only after the
// previous one succeeded, and refreshes so that the commit is searchable
// when Commit returns.
func (x *Index) Commit(ctx context.Context, c *indexer.Changes) error {
	if c.Empty() {
		return nil
	}
	if err := x.lockForWrite(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
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
	if err := x.bulk(ctx, "write blobs", ops, http.StatusConflict, anyOrder); err != nil {
		return err
	}

	ops = ops[:0]
	for _, k := range c.DeleteLocs {
		ops = append(ops, op{action: "delete", index: x.locations, id: locationID(k), routing: k.Repo, what: "location " + locName(k)})
	}
	if err := x.bulk(ctx, "delete locations", ops, http.StatusNotFound, inOrder); err != nil {
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
	if err := x.bulk(ctx, "write locations", ops, 0, inOrder); err != nil {
		return err
	}

	if len(c.DeleteBranches) > 0 {
		if err := x.deleteBranches(ctx, c.DeleteBranches); err != nil {
			return err
		}
	}
	if len(c.PutDeps) > 0 {
		if err := x.putDeps(ctx, c.PutDeps); err != nil {
			return err
		}
	}

	ops = ops[:0]
	for _, b := range c.PutBranches {
		body, err := json.Marshal(branchDoc{Kind: kindBranch, Repo: b.Repo, Name: b.Name, Commit: b.Commit,
			Settings: b.Settings, CrawledAt: b.CrawledAt, Meta: b.Meta, Counts: b.Counts})
		if err != nil {
			return fmt.Errorf("commit: encode branch %s@%s: %w", b.Repo, b.Name, err)
		}
		ops = append(ops, op{action: "index", index: x.branches, id: branchID(b.Key()), body: body, what: "branch " + b.Repo + "@" + b.Name})
	}
	if err := x.bulk(ctx, "write branch states", ops, 0, inOrder); err != nil {
		return err
	}
	if err := x.refresh(ctx, x.blobs, x.locations, x.branches, x.deps); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if len(c.PutBranches) > 0 || len(c.DeleteBranches) > 0 {
		if err := x.newGeneration(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	return nil
}

// deleteBranches deletes the state, every location and every dependency
// record of each branch. There is no _delete_by_query in every
// distribution (the integration-test one lacks the reindex module), so ids
// are listed and bulk-deleted.
func (x *Index) deleteBranches(ctx context.Context, keys []indexer.BranchKey) error {
	// The listing searches, and a search sees only refreshed documents:
	// locations put earlier in this commit must be visible to be deleted.
	if err := x.refresh(ctx, x.locations, x.deps); err != nil {
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
		if ops, err = x.deleteDepsOps(ctx, k, 0, ops); err != nil {
			return err
		}
	}
	return x.bulk(ctx, "delete branches", ops, http.StatusNotFound, inOrder)
}

// deleteDepsOps appends to ops the deletion of every stored dependency
// record of branch k but the first keep, whose ids the caller overwrites.
// The caller refreshes the deps index first.
func (x *Index) deleteDepsOps(ctx context.Context, k indexer.BranchKey, keep int, ops []op) ([]op, error) {
	query := map[string]any{"bool": map[string]any{
		"filter": []any{
			map[string]any{"term": map[string]any{"rb": rb(k.Repo, k.Name)}},
			map[string]any{"range": map[string]any{"seq": map[string]any{"gte": keep}}},
		},
	}}
	err := x.scan(ctx, x.deps, query, []string{"seq"}, false, func(h hit) error {
		ops = append(ops, op{action: "delete", index: x.deps, id: h.ID, routing: k.Repo,
			what: "dependency record of branch " + k.Repo + "@" + k.Name})
		return nil
	})
	if err != nil {
		return ops, fmt.Errorf("commit: list dependencies of branch %s@%s: %w", k.Repo, k.Name, err)
	}
	return ops, nil
}

// putDeps replaces the dependency records of each branch: the new ones
// overwrite the stored ones with the same seq (hence id), and the stored
// ones beyond are listed and deleted. No id is both deleted and written, so
// the order in which a retried bulk item lands does not matter. Of several
// replacements of one branch, the last wins.
func (x *Index) putDeps(ctx context.Context, puts []indexer.BranchDeps) error {
	// Stored records must be visible to the listing; records of a branch
	// deleted in this commit are already gone.
	if err := x.refresh(ctx, x.deps); err != nil {
		return fmt.Errorf("commit: replace dependencies: %w", err)
	}
	last := make(map[indexer.BranchKey]int, len(puts))
	for i, p := range puts {
		last[p.Branch] = i
	}
	var ops []op
	for i, p := range puts {
		if last[p.Branch] != i {
			continue
		}
		k := p.Branch
		if k.Repo == "" || k.Name == "" {
			return fmt.Errorf("commit: dependencies of branch %q of repo %q: branch is incomplete", k.Name, k.Repo)
		}
		var err error
		if ops, err = x.deleteDepsOps(ctx, k, len(p.Deps), ops); err != nil {
			return err
		}
		for seq, d := range p.Deps {
			if (d.Repo != "" && d.Repo != k.Repo) || (d.Branch != "" && d.Branch != k.Name) {
				return fmt.Errorf("commit: dependency %s in %s of %s@%s: it names branch %s@%s",
					d.Name, d.Path, k.Repo, k.Name, d.Repo, d.Branch)
			}
			body, err := json.Marshal(depDoc{Repo: k.Repo, Branch: k.Name, RB: rb(k.Repo, k.Name), Seq: seq,
				Commit: d.Commit, Path: d.Path, Line: d.Line, Ecosystem: d.Ecosystem, Name: d.Name, PURL: d.PURL,
				Version: d.Version, ResolvedVersion: d.ResolvedVersion, VersionSource: d.VersionSource,
				Scope: d.Scope, Direct: d.Direct})
			if err != nil {
				return fmt.Errorf("commit: encode dependency %s of %s@%s: %w", d.Name, k.Repo, k.Name, err)
			}
			ops = append(ops, op{action: "index", index: x.deps, id: depID(k, seq), routing: k.Repo, body: body,
				what: fmt.Sprintf("dependency %s in %s@%s:%s:%d", d.Name, k.Repo, k.Name, d.Path, d.Line)})
		}
	}
	return x.bulk(ctx, "replace dependencies", ops, http.StatusNotFound, inOrder)
}

func (x *Index) refresh(ctx context.Context, indices ...string) error {
	res, err := x.client.do(ctx, refreshIndices(indices...))
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

// order says whether the items of a bulk step must be applied in order,
// as when one step may touch a document twice, or may be applied in any.
type order int

const (
	inOrder order = iota
	anyOrder
)

// bulk applies ops and returns an error naming every failed item and its
// reason. An item answered with status ok (besides success) is not a
// failure: 409 for creating a blob that exists, 404 for deleting what is
// already gone.
func (x *Index) bulk(ctx context.Context, step string, ops []op, ok int, ord order) error {
	var failures []string
	for attempt := 0; len(ops) > 0; attempt++ {
		failed, retry, err := x.bulkOnce(ctx, ops, ok, ord)
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

// bulkBytes bounds the bytes of one bulk request, which the cluster holds
// in memory whole (http.max_content_length is 100 MB by default).
const bulkBytes = 8 << 20

// bulkItem is one item of a bulk answer.
type bulkItem struct {
	Status int `json:"status"`
	Error  struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// bulkOnce sends ops in bulk requests of about bulkBytes. In order, the
// requests go one after the other, which keeps the items in order: a key
// deleted then put in one step must end up put. In any order (the new
// blobs of a commit, each created once), requests of a quarter of that
// size go bulkRequests at a time: a shard applies one bulk request on one
// thread, so a single-shard index took one of the cluster's cores however
// many it had (measured on the bench org, with one node on the same two
// cores as the crawl: the full crawl took 89 s in order, 67 and 75 s in
// any order).
func (x *Index) bulkOnce(ctx context.Context, ops []op, ok int, ord order) (failed []string, retry []retryItem, err error) {
	size := bulkBytes
	if ord == anyOrder {
		size = bulkBytes / 4
	}
	type part struct {
		start, end int
		failed     []string
		retry      []retryItem
		err        error
	}
	var parts []*part
	for start := 0; start < len(ops); {
		end, n := start, 0
		for end < len(ops) && (end == start || n < size) {
			n += len(ops[end].body) + bulkMetaBytes
			end++
		}
		parts = append(parts, &part{start: start, end: end})
		start = end
	}
	send := func(p *part) { p.failed, p.retry, p.err = x.bulkRequest(ctx, ops[p.start:p.end], ok) }
	if ord == inOrder {
		for _, p := range parts {
			if send(p); p.err != nil {
				break
			}
		}
	} else {
		var (
			wg    sync.WaitGroup
			slots = make(chan struct{}, bulkRequests)
		)
		for _, p := range parts {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				send(p)
			})
		}
		wg.Wait()
	}
	for _, p := range parts {
		if p.err != nil {
			return nil, nil, p.err
		}
		failed = append(failed, p.failed...)
		retry = append(retry, p.retry...)
	}
	return failed, retry, nil
}

// bulkRequests is how many bulk requests of new blobs are in flight.
const bulkRequests = 4

// bulkMetaBytes is about the size of an item's action line.
const bulkMetaBytes = 100

// bulkRequest sends ops in one bulk request and sorts the answer's items
// into failures and items to retry.
func (x *Index) bulkRequest(ctx context.Context, ops []op, ok int) (failed []string, retry []retryItem, err error) {
	var buf bytes.Buffer
	for _, o := range ops {
		writeBulkOp(&buf, o)
	}
	res, err := x.client.do(ctx, bulkWrite(&buf))
	var answer struct {
		Items []map[string]bulkItem `json:"items"`
	}
	if err := decode(res, err, &answer); err != nil {
		return nil, nil, fmt.Errorf("bulk request of %d items: %w", len(ops), err)
	}
	if len(answer.Items) != len(ops) {
		return nil, nil, fmt.Errorf("bulk request of %d items: answer has %d", len(ops), len(answer.Items))
	}
	for i, item := range answer.Items {
		o := ops[i]
		var r bulkItem
		for _, v := range item { // one key: the action
			r = v
		}
		switch {
		case r.Status >= 200 && r.Status < 300, r.Status == ok:
		case r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable:
			retry = append(retry, retryItem{o, itemError(o, r)})
		default:
			failed = append(failed, itemError(o, r))
		}
	}
	return failed, retry, nil
}

// writeBulkOp appends o to a bulk body: the action line, then the document
// line for create and index.
func writeBulkOp(buf *bytes.Buffer, o op) {
	meta := map[string]string{"_index": o.index, "_id": o.id}
	if o.routing != "" {
		meta["routing"] = o.routing
	}
	line, err := json.Marshal(map[string]any{o.action: meta})
	if err != nil {
		panic(err) // strings only
	}
	buf.Write(line)
	buf.WriteByte('\n')
	if o.action != "delete" {
		buf.Write(o.body) // json.Marshal output: one line
		buf.WriteByte('\n')
	}
}

func itemError(o op, res bulkItem) string {
	return fmt.Sprintf("%s (%s/%s): status %d: %s: %s", o.what, o.index, o.id, res.Status, res.Error.Type, res.Error.Reason)
}

func locName(k indexer.LocationKey) string {
	return k.Repo + "@" + k.Branch + ":" + k.Path
}

// SetDirty records (true) or clears (false) that a crawl is writing.
func (x *Index) SetDirty(ctx context.Context, dirty bool) error {
	if err := x.lockForWrite(ctx); err != nil {
		return fmt.Errorf("set dirty flag in %s: %w", x.branches, err)
	}
	res, err := x.client.do(ctx, putDoc(x.branches, dirtyID,
		jsonBody(map[string]any{"kind": kindMeta, "dirty": dirty}), nil))
	if err := check(res, err); err != nil {
		return fmt.Errorf("set dirty flag in %s: %w", x.branches, err)
	}
	res.Body.Close()
	return nil
}

// Dirty reports whether a crawl was writing and did not finish. A get is
// real-time: it sees the last SetDirty without a refresh.
func (x *Index) Dirty(ctx context.Context) (bool, error) {
	res, err := x.client.do(ctx, getDoc(x.branches, dirtyID, nil))
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
