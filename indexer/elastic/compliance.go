package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// Compliance state lives in a fifth index, {prefix}-compliance, created on
// the first write: one document per (rule, repo, branch) result (kind
// "result") and one per evaluation's counts (kind "history"). The result
// or history point itself is kept whole in "state", which is not indexed;
// the keyword fields are what reads and pruning select on.
const complianceMapping = `{
  "settings": {"index": {"auto_expand_replicas": "0-1"}},
  "mappings": {
    "dynamic": "strict",
    "_meta": {"trawl_schema": 2},
    "properties": {
      "kind":   {"type": "keyword"},
      "rule":   {"type": "keyword"},
      "repo":   {"type": "keyword"},
      "branch": {"type": "keyword"},
      "status": {"type": "keyword"},
      "at":     {"type": "date_nanos"},
      "state":  {"type": "object", "enabled": false}
    }
  }
}`

var _ indexer.ComplianceStore = (*Index)(nil)

type complianceDoc struct {
	Kind   string          `json:"kind"`
	Rule   string          `json:"rule,omitempty"`
	Repo   string          `json:"repo,omitempty"`
	Branch string          `json:"branch,omitempty"`
	Status string          `json:"status,omitempty"`
	At     time.Time       `json:"at"`
	State  json.RawMessage `json:"state"`
}

// complianceIndex is named after the others, which share the prefix.
func (x *Index) complianceIndex() string {
	return strings.TrimSuffix(x.blobs, "-blobs") + "-compliance"
}

func complianceID(k indexer.ComplianceKey) string { return hashID("result", k.Rule, k.Repo, k.Branch) }

func historyID(at time.Time) string {
	return "history-" + at.UTC().Format("20060102T150405.000000000Z")
}

// missing reports the answer for an index that was never written.
func missing(err error) bool {
	var ee *esError
	return errors.As(err, &ee) && (ee.Type == "index_not_found_exception" || ee.Status == http.StatusNotFound)
}

// ComplianceResults streams every stored result.
func (x *Index) ComplianceResults(ctx context.Context, fn func(indexer.ComplianceResult) error) error {
	var fnErr error
	err := x.scan(ctx, x.complianceIndex(), map[string]any{"term": map[string]any{"kind": "result"}},
		[]string{"rule", "repo", "branch"}, true, func(h hit) error {
			var d complianceDoc
			var r indexer.ComplianceResult
			if err := json.Unmarshal(h.Source, &d); err != nil {
				return fmt.Errorf("decode compliance result %s: %w", h.ID, err)
			}
			if err := json.Unmarshal(d.State, &r); err != nil {
				return fmt.Errorf("decode compliance result %s: %w", h.ID, err)
			}
			if err := fn(r); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil && missing(err):
		return nil
	case err != nil:
		return fmt.Errorf("read compliance results: %w", err)
	}
	return nil
}

// ComplianceHistory streams the history points at or after since, oldest
// first.
func (x *Index) ComplianceHistory(ctx context.Context, since time.Time, fn func(indexer.ComplianceEvaluation) error) error {
	var points []indexer.ComplianceEvaluation
	filter := []any{map[string]any{"term": map[string]any{"kind": "history"}}}
	// date_nanos holds nothing before 1970, nor may a query name it.
	if since.After(time.Unix(0, 0)) {
		filter = append(filter, map[string]any{"range": map[string]any{"at": map[string]any{"gte": since.UTC().Format(time.RFC3339Nano)}}})
	}
	q := map[string]any{"bool": map[string]any{"filter": filter}}
	err := x.scan(ctx, x.complianceIndex(), q, []string{"at"}, true, func(h hit) error {
		var d complianceDoc
		var p indexer.ComplianceEvaluation
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return fmt.Errorf("decode compliance history %s: %w", h.ID, err)
		}
		if err := json.Unmarshal(d.State, &p); err != nil {
			return fmt.Errorf("decode compliance history %s: %w", h.ID, err)
		}
		points = append(points, p)
		return nil
	})
	if err != nil && !missing(err) {
		return fmt.Errorf("read compliance history: %w", err)
	}
	// Pages come sorted already; sorting the states' exact times again
	// keeps the order independent of the index's resolution.
	sort.Slice(points, func(i, j int) bool { return points[i].At.Before(points[j].At) })
	for _, p := range points {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// ComplianceLatest returns the newest history point, or nil.
func (x *Index) ComplianceLatest(ctx context.Context) (*indexer.ComplianceEvaluation, error) {
	body := map[string]any{
		"query": map[string]any{"term": map[string]any{"kind": "history"}},
		"sort":  []any{map[string]any{"at": "desc"}},
		"size":  1,
	}
	res, err := x.client.do(ctx, searchIndex(x.complianceIndex(), jsonBody(body)))
	var page struct {
		Hits struct {
			Hits []hit `json:"hits"`
		} `json:"hits"`
	}
	if err := decode(res, err, &page); err != nil {
		if missing(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read compliance history: %w", err)
	}
	if len(page.Hits.Hits) == 0 {
		return nil, nil
	}
	var d complianceDoc
	p := &indexer.ComplianceEvaluation{}
	if err := json.Unmarshal(page.Hits.Hits[0].Source, &d); err != nil {
		return nil, fmt.Errorf("decode compliance history: %w", err)
	}
	if err := json.Unmarshal(d.State, p); err != nil {
		return nil, fmt.Errorf("decode compliance history: %w", err)
	}
	return p, nil
}

// PutCompliance applies c with one bulk request and refreshes, so that
// the next read sees it.
func (x *Index) PutCompliance(ctx context.Context, c *indexer.ComplianceChanges) error {
	index := x.complianceIndex()
	if err := x.ensureIndex(ctx, index, complianceMapping); err != nil {
		return fmt.Errorf("write compliance results: %w", err)
	}
	var ops []op
	if !c.PruneBefore.IsZero() {
		q := map[string]any{"bool": map[string]any{"filter": []any{
			map[string]any{"term": map[string]any{"kind": "history"}},
			map[string]any{"range": map[string]any{"at": map[string]any{"lt": c.PruneBefore.UTC().Format(time.RFC3339Nano)}}},
		}}}
		err := x.scan(ctx, index, q, []string{"at"}, false, func(h hit) error {
			ops = append(ops, op{action: "delete", index: index, id: h.ID, what: "compliance history " + h.ID})
			return nil
		})
		if err != nil {
			return fmt.Errorf("write compliance results: prune history: %w", err)
		}
	}
	for _, k := range c.Delete {
		ops = append(ops, op{action: "delete", index: index, id: complianceID(k), what: "compliance result " + k.Rule + " " + k.Repo + "@" + k.Branch})
	}
	for _, r := range c.Put {
		if r.Rule == "" || r.Repo == "" || r.Branch == "" {
			return fmt.Errorf("write compliance results: result %q %q %q is incomplete", r.Rule, r.Repo, r.Branch)
		}
		state, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("write compliance results: %w", err)
		}
		body, _ := json.Marshal(complianceDoc{Kind: "result", Rule: r.Rule, Repo: r.Repo, Branch: r.Branch, Status: string(r.Status), At: r.EvaluatedAt, State: state})
		ops = append(ops, op{action: "index", index: index, id: complianceID(r.Key()), body: body, what: "compliance result " + r.Rule + " " + r.Repo + "@" + r.Branch})
	}
	if c.History != nil {
		state, err := json.Marshal(c.History)
		if err != nil {
			return fmt.Errorf("write compliance results: %w", err)
		}
		body, _ := json.Marshal(complianceDoc{Kind: "history", At: c.History.At, State: state})
		ops = append(ops, op{action: "index", index: index, id: historyID(c.History.At), body: body, what: "compliance history"})
	}
	if len(ops) == 0 {
		return nil
	}
	if err := x.bulk(ctx, "compliance results", ops, http.StatusNotFound, inOrder); err != nil {
		return fmt.Errorf("write compliance results: %w", err)
	}
	return x.refresh(ctx, index)
}
