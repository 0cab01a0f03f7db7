package bleve

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// chunk bounds the terms of one disjunction and the documents handled per
// step of a stream.
const chunk = 1024

// sortInMemory is how many locations Locations sorts in one piece; beyond
// it, it walks the blob ids in order and sorts each chunk of them.
const sortInMemory = 200_000

// stream calls fn with the internal id of every document of r matching q,
// in index order, without scoring. Unlike paging a sorted search, this
// visits each match once, however many there are.
func (x *Index) stream(ctx context.Context, r bindex.IndexReader, q query.Query, fn func(bindex.IndexInternalID) error) error {
	s, err := q.Searcher(ctx, r, x.m, search.SearcherOptions{Score: "none"})
	if err != nil {
		return err
	}
	defer s.Close()
	sctx := &search.SearchContext{
		DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       r,
	}
	for n := 0; ; n++ {
		if n%chunk == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		m, err := s.Next(sctx)
		if err != nil {
			return err
		}
		if m == nil {
			return nil
		}
		if err := fn(m.IndexInternalID); err != nil {
			return err
		}
		sctx.DocumentMatchPool.Put(m)
	}
}

// streamIDs is stream with external document ids.
func (x *Index) streamIDs(ctx context.Context, r bindex.IndexReader, q query.Query, fn func(string) error) error {
	return x.stream(ctx, r, q, func(iid bindex.IndexInternalID) error {
		id, err := r.ExternalID(iid)
		if err != nil {
			return err
		}
		return fn(id)
	})
}

// read runs fn on a reader, a consistent snapshot of the index.
func (x *Index) read(fn func(r bindex.IndexReader) error) error {
	r, err := x.adv.Reader()
	if err != nil {
		return err
	}
	err = fn(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

// HasBlobs returns the subset of ids already stored.
func (x *Index) HasBlobs(ctx context.Context, ids []string) (map[string]bool, error) {
	if err := x.check(ctx, "look up blobs in index"); err != nil {
		return nil, err
	}
	have := make(map[string]bool)
	err := x.read(func(r bindex.IndexReader) error {
		for ids := range slices.Chunk(ids, chunk) {
			q := query.NewConjunctionQuery([]query.Query{query.NewDocIDQuery(ids), term(fieldKind, kindBlob)})
			err := x.streamIDs(ctx, r, q, func(id string) error {
				have[id] = true
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up blobs in index %s: %w", x.dir, err)
	}
	return have, nil
}

// MatchBlobs streams the id of every blob whose trigram set satisfies q:
// MatchCandidates without the reads.
func (x *Index) MatchBlobs(ctx context.Context, q *trigram.Query, fn func(id string) error) error {
	return x.MatchCandidates(ctx, q, func(id string, _ func(func(trigram.Mask) bool, int) ([]byte, error)) error { return fn(id) },
		func(err error) error { return err })
}

// blobQuery translates q; nil means q matches nothing.
func blobQuery(q *trigram.Query) (query.Query, error) {
	switch q.Op {
	case trigram.OpNone:
		return nil, nil
	case trigram.OpTri:
		return term(fieldTri, q.Tri), nil
	case trigram.OpAnd:
		if len(q.Sub) == 0 {
			break
		}
		subs := make([]query.Query, 0, len(q.Sub))
		for _, s := range q.Sub {
			bs, err := blobQuery(s)
			if err != nil || bs == nil {
				return nil, err
			}
			subs = append(subs, bs)
		}
		return query.NewConjunctionQuery(subs), nil
	case trigram.OpOr:
		var subs []query.Query
		for _, s := range q.Sub {
			bs, err := blobQuery(s)
			if err != nil {
				return nil, err
			}
			if bs != nil {
				subs = append(subs, bs)
			}
		}
		if len(subs) == 0 {
			return nil, nil
		}
		return query.NewDisjunctionQuery(subs), nil
	}
	// All, alone or under an AND, would scan every blob; callers list
	// locations instead.
	return nil, fmt.Errorf("trigram query %s matches every blob", q)
}

// Locations streams the locations q selects, ordered by blob, repo, branch
// and path.
func (x *Index) Locations(ctx context.Context, q indexer.LocationQuery, fn func(indexer.Location) error) error {
	if err := x.check(ctx, "list locations in index"); err != nil {
		return err
	}
	if (q.Blobs != nil && len(q.Blobs) == 0) || (q.Branches != nil && len(q.Branches) == 0) ||
		(q.Paths != nil && len(q.Paths) == 0) {
		return nil
	}
	l := &lister{x: x, ctx: ctx, filter: locationFilter(q), fn: fn}
	err := x.read(func(r bindex.IndexReader) error {
		l.r = r
		if q.Blobs != nil {
			blobs := slices.Compact(slices.Sorted(slices.Values(q.Blobs)))
			for c := range slices.Chunk(blobs, chunk) {
				if err := l.emitSplit(c); err != nil {
					return err
				}
			}
			return nil
		}
		if err := l.emit(nil, x.sortInMemory); !errors.Is(err, errStop) || l.fnErr != nil {
			return err
		}
		// Too many to sort at once: walk the blob ids in order.
		return l.byBlob()
	})
	if l.fnErr != nil {
		return l.fnErr
	}
	if err != nil {
		return fmt.Errorf("list locations in index %s: %w", x.dir, err)
	}
	return nil
}

// locationFilter is the query for the locations q asks for, blobs aside.
func locationFilter(q indexer.LocationQuery) []query.Query {
	filter := []query.Query{term(fieldKind, kindLoc)}
	if q.Paths != nil {
		filter = append(filter, anyTerm(fieldPath, slices.Compact(slices.Sorted(slices.Values(q.Paths)))))
	}
	switch q.Skipped {
	case indexer.IndexedOnly:
		filter = append(filter, term(fieldSkipped, "n"))
	case indexer.SkippedOnly:
		filter = append(filter, term(fieldSkipped, "y"))
	}
	if q.Branches != nil {
		rbs := make([]string, len(q.Branches))
		for i, k := range q.Branches {
			rbs[i] = rb(k.Repo, k.Name)
		}
		slices.Sort(rbs)
		filter = append(filter, anyTerm(fieldRB, slices.Compact(rbs)))
	}
	return filter
}

// lister hands the locations of one Locations call to fn, sorted.
type lister struct {
	x      *Index
	ctx    context.Context
	r      bindex.IndexReader
	filter []query.Query
	fn     func(indexer.Location) error
	fnErr  error // fn's own error, which ends the listing
}

// emit lists the locations matching the filter and blobs (all when nil),
// sorted, up to max of them; it returns errStop beyond max.
func (l *lister) emit(blobs []string, max int) error {
	locs, err := l.collect(blobs, max)
	if err != nil {
		return err
	}
	return l.hand(locs)
}

// splitBlobs is the fewest blobs a goroutine of emitSplit lists: below
// it, starting one costs about what it saves.
const splitBlobs = 16

// emitSplit is emit(blobs, -1) on one goroutine per core, each listing a
// contiguous range of the sorted blobs with a location reader of its own
// (a reader is not safe for concurrent use). Reading a location is a
// stored-document lookup, in a new process mostly faulting in the index's
// pages, work that spreads over cores, and the ranges' sorted lists,
// handed on one after the other, are the sorted list of the whole.
func (l *lister) emitSplit(blobs []string) error {
	n := min(runtime.GOMAXPROCS(0), len(blobs)/splitBlobs)
	if n <= 1 {
		return l.emit(blobs, -1)
	}
	parts := make([][]indexer.Location, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		part := blobs[i*len(blobs)/n : (i+1)*len(blobs)/n]
		wg.Go(func() {
			parts[i], errs[i] = l.collect(part, -1)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, locs := range parts {
		if err := l.hand(locs); err != nil {
			return err
		}
	}
	return nil
}

// collect lists, sorted, the locations matching the filter and blobs (all
// when nil), up to max of them; it returns errStop beyond max. It reads
// them with a location reader of its own: a reader is not safe for
// concurrent use.
func (l *lister) collect(blobs []string, max int) ([]indexer.Location, error) {
	qs := l.filter
	if blobs != nil {
		qs = append(slices.Clip(l.filter), anyTerm(fieldBlob, blobs))
	}
	lr := newLocReader(l.r, blobs)
	var locs []indexer.Location
	err := l.x.stream(l.ctx, l.r, query.NewConjunctionQuery(qs), func(id bindex.IndexInternalID) error {
		if len(locs) == max {
			return errStop
		}
		loc, err := lr.read(l.ctx, id)
		locs = append(locs, loc)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(locs, compareLocations)
	return locs, nil
}

// blobsOf maps the internal id of each document whose blob field holds
// one of blobs to that blob, walking the blobs' postings: a few dictionary
// lookups where the doc values would decompress a chunk per location (of
// an earlier layout: see locReader).
func blobsOf(ctx context.Context, r bindex.IndexReader, blobs []string) (map[string]string, error) {
	m := make(map[string]string, 8*len(blobs))
	var d bindex.TermFieldDoc
	for _, b := range blobs {
		tfr, err := r.TermFieldReader(ctx, []byte(b), fieldBlob, false, false, false)
		if err != nil {
			return nil, err
		}
		for {
			td, err := tfr.Next(d.Reset())
			if err != nil {
				tfr.Close()
				return nil, err
			}
			if td == nil {
				break
			}
			m[string(td.ID)] = b
		}
		if err := tfr.Close(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// hand gives locs to fn; fn's error ends the listing (errStop).
func (l *lister) hand(locs []indexer.Location) error {
	for _, loc := range locs {
		if err := l.fn(loc); err != nil {
			l.fnErr = err
			return errStop
		}
	}
	return nil
}

// byBlob emits the locations chunk by chunk of blob ids, in id order,
// for listings too large to sort in memory. The term dictionary may still
// list blobs of deleted locations; they just match nothing.
func (l *lister) byBlob() error {
	dict, err := l.r.FieldDict(fieldBlob)
	if err != nil {
		return err
	}
	defer dict.Close()
	var blobs []string
	for {
		e, err := dict.Next()
		if err != nil {
			return err
		}
		if e != nil {
			blobs = append(blobs, e.Term)
		}
		if len(blobs) == chunk || (e == nil && len(blobs) > 0) {
			if err := l.emit(blobs, -1); err != nil {
				return err
			}
			blobs = blobs[:0]
		}
		if e == nil {
			return nil
		}
	}
}

// Paths calls fn with every term of the path field. The dictionary keeps
// the terms of deleted documents until their segment is merged, and holds
// the paths of dependency records too: both may name a path no location
// has, which the interface allows.
func (x *Index) Paths(ctx context.Context, fn func(path string) error) error {
	if err := x.check(ctx, "list paths in index"); err != nil {
		return err
	}
	var fnErr error
	err := x.read(func(r bindex.IndexReader) error {
		dict, err := r.FieldDict(fieldPath)
		if err != nil {
			return err
		}
		defer dict.Close()
		for n := 0; ; n++ {
			if n%chunk == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e, err := dict.Next()
			if err != nil || e == nil {
				return err
			}
			if fnErr = fn(e.Term); fnErr != nil {
				return errStop
			}
		}
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list paths in index %s: %w", x.dir, err)
	}
	return nil
}

// depBranches is how many branches' dependency records Deps sorts in one
// piece.
const depBranches = 64

// Deps streams the dependency records q selects, ordered by repo, branch,
// path, line and name. It visits the branches in order, in groups: those
// of q, or every rb term of the index (whose order, NUL being the
// separator, is that of repo then branch), and sorts each group's records.
func (x *Index) Deps(ctx context.Context, q indexer.DepQuery, fn func(indexer.Dependency) error) error {
	if err := x.check(ctx, "list dependencies in index"); err != nil {
		return err
	}
	filter := []query.Query{term(fieldKind, kindDep)}
	if len(q.Names) > 0 {
		filter = append(filter, anyTerm(fieldName, slices.Compact(slices.Sorted(slices.Values(q.Names)))))
	}
	if q.Ecosystem != "" {
		filter = append(filter, term(fieldEcosystem, q.Ecosystem))
	}
	var fnErr error
	err := x.read(func(r bindex.IndexReader) error {
		dv, err := r.DocValueReader(depFields)
		if err != nil {
			return err
		}
		emit := func(rbs []string) error {
			qs := append(slices.Clip(filter), anyTerm(fieldRB, rbs))
			var deps []indexer.Dependency
			err := x.stream(ctx, r, query.NewConjunctionQuery(qs), func(id bindex.IndexInternalID) error {
				d, err := readDep(dv, id)
				deps = append(deps, d)
				return err
			})
			if err != nil {
				return err
			}
			slices.SortFunc(deps, compareDeps)
			for _, d := range deps {
				if err := fn(d); err != nil {
					fnErr = err
					return errStop
				}
			}
			return nil
		}

		if len(q.Branches) > 0 {
			rbs := make([]string, len(q.Branches))
			for i, k := range q.Branches {
				rbs[i] = rb(k.Repo, k.Name)
			}
			slices.Sort(rbs)
			for c := range slices.Chunk(slices.Compact(rbs), depBranches) {
				if err := emit(c); err != nil {
					return err
				}
			}
			return nil
		}
		// The dictionary also holds the rb of locations and of deleted
		// documents; they just match nothing.
		dict, err := r.FieldDict(fieldRB)
		if err != nil {
			return err
		}
		defer dict.Close()
		var rbs []string
		for {
			e, err := dict.Next()
			if err != nil {
				return err
			}
			if e != nil {
				rbs = append(rbs, e.Term)
			}
			if len(rbs) == depBranches || (e == nil && len(rbs) > 0) {
				if err := emit(rbs); err != nil {
					return err
				}
				rbs = rbs[:0]
			}
			if e == nil {
				return nil
			}
		}
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list dependencies in index %s: %w", x.dir, err)
	}
	return nil
}

// compareDeps orders by repo, branch, path, line and name, as Deps
// promises, then by the other fields so that the order is deterministic.
func compareDeps(a, b indexer.Dependency) int {
	return cmp.Or(
		cmp.Compare(a.Repo, b.Repo),
		cmp.Compare(a.Branch, b.Branch),
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Ecosystem, b.Ecosystem),
		cmp.Compare(a.Version, b.Version),
		cmp.Compare(a.Scope, b.Scope),
	)
}

func compareLocations(a, b indexer.Location) int {
	return cmp.Or(
		cmp.Compare(a.Blob, b.Blob),
		cmp.Compare(a.Repo, b.Repo),
		cmp.Compare(a.Branch, b.Branch),
		cmp.Compare(a.Path, b.Path),
	)
}

// BlobText returns the text of a stored blob, or indexer.ErrNotFound.
func (x *Index) BlobText(ctx context.Context, id string) ([]byte, error) {
	return x.text(ctx, id, nil)
}

// Branches returns every branch state, from memory.
func (x *Index) Branches(ctx context.Context) ([]indexer.Branch, error) {
	if err := x.check(ctx, "list branches in index"); err != nil {
		return nil, err
	}
	x.bmu.RLock()
	sorted := x.sorted
	x.bmu.RUnlock()
	if sorted == nil {
		x.bmu.Lock()
		if x.sorted == nil {
			x.sorted = sortStates(x.branches)
		}
		sorted = x.sorted
		x.bmu.Unlock()
	}
	return slices.Clone(sorted), nil
}

// sortStates lists states by repo and name. Sorting the structs
// themselves took a millisecond or two for 1000 states, on every
// Branches call; they are sorted once per change of the states.
func sortStates(states map[indexer.BranchKey]indexer.Branch) []indexer.Branch {
	keys := slices.SortedFunc(maps.Keys(states), compareKeys)
	out := make([]indexer.Branch, len(keys))
	for i, k := range keys {
		out[i] = states[k]
	}
	return out
}

func compareKeys(a, b indexer.BranchKey) int {
	return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Name, b.Name))
}

func compareStates(a, b indexer.Branch) int { return compareKeys(a.Key(), b.Key()) }

func (x *Index) loadBranches(ctx context.Context) (map[indexer.BranchKey]indexer.Branch, error) {
	branches := make(map[indexer.BranchKey]indexer.Branch)
	err := x.read(func(r bindex.IndexReader) error {
		return x.streamIDs(ctx, r, term(fieldKind, kindBranch), func(id string) error {
			doc, err := r.Document(id)
			if err != nil || doc == nil {
				return fmt.Errorf("read branch state %q: %v", id, err)
			}
			var b indexer.Branch
			doc.VisitFields(func(f bindex.Field) {
				if f.Name() == fieldState {
					err = json.Unmarshal(f.Value(), &b)
				}
			})
			if err != nil {
				return fmt.Errorf("decode branch state %q: %w", id, err)
			}
			branches[b.Key()] = b
			return nil
		})
	})
	return branches, err
}

// Dirty reports whether a crawl was writing and did not finish.
func (x *Index) Dirty(ctx context.Context) (bool, error) {
	if err := x.check(ctx, "read dirty flag of index"); err != nil {
		return false, err
	}
	v, err := x.idx.GetInternal(dirtyKey)
	if err != nil {
		return false, fmt.Errorf("read dirty flag of index %s: %w", x.dir, err)
	}
	return len(v) > 0, nil
}

// ScanBlobs calls fn with the id and stored text of every blob, reading
// one snapshot of the index; a text stored in parts that cannot be read
// back whole comes as an empty text.
func (x *Index) ScanBlobs(ctx context.Context, fn func(id string, text []byte) error) error {
	if err := x.check(ctx, "scan blobs in index"); err != nil {
		return err
	}
	var fnErr error
	err := x.read(func(r bindex.IndexReader) error {
		sr := newStoredReader(r)
		return x.streamIDs(ctx, r, term(fieldKind, kindBlob), func(id string) error {
			sb, err := sr.readBlob(id)
			if errors.Is(err, indexer.ErrNotFound) {
				return nil // deleted since the search saw it
			}
			var text []byte
			if err == nil {
				text, err = sb.read(sr, id, nil)
			}
			if errors.Is(err, errBadParts) {
				// An empty text goes to fn, whose hash check reports the
				// blob (trawl verify; --repair writes it again), rather
				// than end the scan of every other blob.
				text, err = []byte{}, nil
			}
			if err != nil {
				return fmt.Errorf("read blob %s: %w", id, err)
			}
			if fnErr = fn(id, text); fnErr != nil {
				return errStop
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("scan blobs in index %s: %w", x.dir, err)
	}
	return nil
}
