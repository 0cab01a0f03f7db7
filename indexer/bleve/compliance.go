package bleve

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	document "github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
)

// Compliance state is kept as two more kinds of document, each a stored
// JSON value under fieldState like a branch state:
//
//   - cres (id: "c" NUL rule NUL repo NUL branch): one rule's result on one
//     branch.
//   - chist (id: "h" NUL time, RFC 3339 with nanoseconds, UTC): the counts
//     of one evaluation, with the time also as the keyword "at", which
//     sorts as the times do, for range queries.
//   - clast (id: "h" NUL "latest"): a copy of the newest chist, so that
//     reading the rules of the last evaluation is one document.
//
// A Bleve batch is atomic, so an evaluation's results and its history
// point become durable together.
const (
	kindCResult = "cres"
	kindCHist   = "chist"
	kindCLast   = "clast"
	fieldAt     = "at"
	clastID     = "h\x00latest"
)

var _ indexer.ComplianceStore = (*Index)(nil)

func cresID(k indexer.ComplianceKey) string {
	return "c\x00" + k.Rule + "\x00" + k.Repo + "\x00" + k.Branch
}

const histLayout = "2006-01-02T15:04:05.000000000Z"

func chistID(at time.Time) string { return "h\x00" + histTerm(at) }

func histTerm(at time.Time) string { return at.UTC().Format(histLayout) }

func (x *Index) stateDoc(id, kind string, v any) (*document.Document, error) {
	state, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", strings.ReplaceAll(id, "\x00", " "), err)
	}
	d := document.NewDocument(id)
	d.AddField(x.keyword(fieldKind, kind, false))
	d.AddField(x.stored(fieldState, state))
	return d, nil
}

var inclusive = true

// streamStates reads the stored state of every document of kind.
func (x *Index) streamStates(ctx context.Context, kind string, fn func(id string, state []byte) error) error {
	return x.streamStatesOf(ctx, term(fieldKind, kind), fn)
}

// streamStatesOf reads the stored state of every document q selects.
func (x *Index) streamStatesOf(ctx context.Context, q query.Query, fn func(id string, state []byte) error) error {
	return x.read(func(r bindex.IndexReader) error {
		return x.streamIDs(ctx, r, q, func(id string) error {
			doc, err := r.Document(id)
			if err != nil || doc == nil {
				return fmt.Errorf("read %q: %v", id, err)
			}
			var state []byte
			doc.VisitFields(func(f bindex.Field) {
				if f.Name() == fieldState {
					state = append([]byte(nil), f.Value()...)
				}
			})
			return fn(id, state)
		})
	})
}

// ComplianceResults streams every stored compliance result.
func (x *Index) ComplianceResults(ctx context.Context, fn func(indexer.ComplianceResult) error) error {
	if err := x.check(ctx, "read compliance results of index"); err != nil {
		return err
	}
	var fnErr error
	err := x.streamStates(ctx, kindCResult, func(id string, state []byte) error {
		var r indexer.ComplianceResult
		if err := json.Unmarshal(state, &r); err != nil {
			return fmt.Errorf("decode compliance result %q: %w", strings.ReplaceAll(id, "\x00", " "), err)
		}
		if err := fn(r); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("read compliance results of index %s: %w", x.dir, err)
	}
	return nil
}

// ComplianceHistory streams the history points at or after since, oldest
// first.
func (x *Index) ComplianceHistory(ctx context.Context, since time.Time, fn func(indexer.ComplianceEvaluation) error) error {
	if err := x.check(ctx, "read compliance history of index"); err != nil {
		return err
	}
	var points []indexer.ComplianceEvaluation
	var q query.Query = term(fieldKind, kindCHist)
	if !since.IsZero() {
		from := query.NewTermRangeInclusiveQuery(histTerm(since), "", &inclusive, nil)
		from.SetField(fieldAt)
		q = query.NewConjunctionQuery([]query.Query{q, from})
	}
	err := x.streamStatesOf(ctx, q, func(id string, state []byte) error {
		var p indexer.ComplianceEvaluation
		if err := json.Unmarshal(state, &p); err != nil {
			return fmt.Errorf("decode compliance history %q: %w", strings.ReplaceAll(id, "\x00", " "), err)
		}
		if !p.At.Before(since) {
			points = append(points, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read compliance history of index %s: %w", x.dir, err)
	}
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
	if err := x.check(ctx, "read compliance history of index"); err != nil {
		return nil, err
	}
	var p *indexer.ComplianceEvaluation
	err := x.streamStates(ctx, kindCLast, func(id string, state []byte) error {
		p = &indexer.ComplianceEvaluation{}
		return json.Unmarshal(state, p)
	})
	if err != nil {
		return nil, fmt.Errorf("read compliance history of index %s: %w", x.dir, err)
	}
	return p, nil
}

// PutCompliance writes c in one batch.
func (x *Index) PutCompliance(ctx context.Context, c *indexer.ComplianceChanges) error {
	if err := x.checkWrite(ctx, "write compliance results to index"); err != nil {
		return err
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if err := x.putCompliance(ctx, c); err != nil {
		return fmt.Errorf("write compliance results to index %s: %w", x.dir, err)
	}
	return nil
}

func (x *Index) putCompliance(ctx context.Context, c *indexer.ComplianceChanges) error {
	b := x.idx.NewBatch()
	if !c.PruneBefore.IsZero() {
		cut := chistID(c.PruneBefore)
		err := x.read(func(r bindex.IndexReader) error {
			return x.streamIDs(ctx, r, term(fieldKind, kindCHist), func(id string) error {
				// The ids sort as their times do.
				if id < cut {
					b.Delete(id)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	for _, k := range c.Delete {
		b.Delete(cresID(k))
	}
	for i := range c.Put {
		r := &c.Put[i]
		if r.Rule == "" || r.Repo == "" || r.Branch == "" {
			return fmt.Errorf("compliance result %q %q %q is incomplete", r.Rule, r.Repo, r.Branch)
		}
		d, err := x.stateDoc(cresID(r.Key()), kindCResult, r)
		if err != nil {
			return err
		}
		if err := b.IndexAdvanced(d); err != nil {
			return err
		}
	}
	if c.History != nil {
		d, err := x.stateDoc(chistID(c.History.At), kindCHist, c.History)
		if err != nil {
			return err
		}
		d.AddField(x.keyword(fieldAt, histTerm(c.History.At), false))
		if err := b.IndexAdvanced(d); err != nil {
			return err
		}
		last, err := x.stateDoc(clastID, kindCLast, c.History)
		if err != nil {
			return err
		}
		if err := b.IndexAdvanced(last); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return x.idx.Batch(b)
}
