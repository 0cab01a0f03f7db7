package bleve

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
)

// Every Open reads every branch state, and a CLI query opens the index
// each time. Read from the branch documents (a search, then a stored
// document lookup and a JSON decode per state) that took about 20 ms for
// 1000 branches, most of a query's fixed cost. So the states are kept
// twice: as one document per branch, as earlier trawls read and write
// them, and all together in one Bleve internal record under branchesKey,
// which Open reads with one lookup and decodes in about a millisecond.
//
// The record is set in the same batch as the documents it mirrors, and
// scorch applies and persists a batch's internal values with its segment,
// in one snapshot and one bolt transaction: after a crash both are there
// or neither is.
//
// An earlier trawl writes the documents and not the record. So that a
// record it left behind is not taken for the truth, every branch document
// written with the record carries the keyword recorded=y, which an
// earlier trawl does not write: each of its puts adds a document without
// the marker and each of its deletions removes one with it. Open trusts
// the record only when the number of branch documents, of marked ones and
// of states in the record are the same; otherwise (and when the record is
// missing, unreadable, or of another shape of indexer.Branch) it reads the
// documents, and rewrites all of them, marked, with a new record.
//
// The record is in a binary format of its own (recordcodec.go), decoded
// in a fraction of the 0.87 ms gob took for the bench org's 1000 states
// (JSON: 3 ms); earlier trawls wrote gob, which is still read, and the
// first writer rewrites it. It is never the only copy of a state, so its
// format can change freely: a record of another schema, or one that
// cannot be decoded, is ignored and rewritten. An earlier trawl cannot
// decode this format, so it reads the documents and writes its own.
var branchesKey = []byte("trawl.branches")

const (
	fieldRecorded = "recorded"
	recordedYes   = "y"
)

// branchRecord is the record as trawls before the binary format wrote it
// (gob; recordcodec.go has the format written now), read still.
type branchRecord struct {
	Schema string // branchSchema of the writer
	States []indexer.Branch
}

// branchSchema describes indexer.Branch as gob sees it (field names,
// types and the JSON tags the documents use), so that a record written
// with another shape of the type is ignored rather than decoded wrongly:
// gob matches fields by name and would drop a renamed one.
var branchSchema = schemaOf(reflect.TypeFor[indexer.Branch]())

func schemaOf(t reflect.Type) string {
	var b strings.Builder
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		switch {
		case t == reflect.TypeFor[time.Time]():
			b.WriteString("time")
		case t.Kind() == reflect.Struct:
			b.WriteString("{")
			for i := range t.NumField() {
				f := t.Field(i)
				fmt.Fprintf(&b, "%s %q ", f.Name, f.Tag)
				walk(f.Type)
				b.WriteString(";")
			}
			b.WriteString("}")
		case t.Kind() == reflect.Pointer:
			b.WriteString("*")
			walk(t.Elem())
		case t.Kind() == reflect.Slice:
			b.WriteString("[]")
			walk(t.Elem())
		case t.Kind() == reflect.Map:
			b.WriteString("map[")
			walk(t.Key())
			b.WriteString("]")
			walk(t.Elem())
		default:
			b.WriteString(t.Kind().String())
		}
	}
	walk(t)
	return b.String()
}

func encodeRecord(states map[indexer.BranchKey]indexer.Branch) ([]byte, error) {
	v, err := encodeStates(sortStates(states))
	if err != nil {
		return nil, fmt.Errorf("encode branch states: %w", err)
	}
	return v, nil
}

// decodeRecord decodes a record of n states, and lists them sorted by
// repository and name, or not (sorted is nil) when it is an earlier
// trawl's gob; ok is false when it is of another schema, damaged, or does
// not hold n distinct states. The states of a repository share its
// metadata, Topics included: callers read states, never change them.
func decodeRecord(v []byte, n uint64) (states map[indexer.BranchKey]indexer.Branch, sorted []indexer.Branch, ok bool) {
	list, binary, err := decodeStates(v)
	switch {
	case err != nil:
		return nil, nil, false
	case binary:
		if !slices.IsSortedFunc(list, compareStates) {
			return nil, nil, false
		}
		sorted = list
	default:
		var rec branchRecord
		if err := gob.NewDecoder(bytes.NewReader(v)).Decode(&rec); err != nil || rec.Schema != branchSchema {
			return nil, nil, false
		}
		list = rec.States
	}
	if uint64(len(list)) != n {
		return nil, nil, false
	}
	states = make(map[indexer.BranchKey]indexer.Branch, len(list))
	for _, b := range list {
		states[b.Key()] = b
	}
	if uint64(len(states)) != n {
		return nil, nil, false
	}
	return states, sorted, true
}

// loadStates reads the branch states, from the record when it can be
// trusted, else from the documents; stale is true in the second case
// when there is anything to rewrite.
func (x *Index) loadStates(ctx context.Context) (states map[indexer.BranchKey]indexer.Branch, stale bool, err error) {
	err = x.read(func(r bindex.IndexReader) error {
		v, err := r.GetInternal(branchesKey)
		if err != nil {
			return fmt.Errorf("read branch record: %w", err)
		}
		docs, err := countTerm(ctx, r, fieldKind, kindBranch)
		if err != nil {
			return err
		}
		recorded, err := countTerm(ctx, r, fieldRecorded, recordedYes)
		if err != nil {
			return err
		}
		if v == nil && docs == 0 {
			states = map[indexer.BranchKey]indexer.Branch{}
			return nil
		}
		if v != nil && recorded == docs {
			if rec, sorted, ok := decodeRecord(v, docs); ok {
				// A writer rewrites a record of the earlier shape.
				states, x.sorted, x.reshape = rec, sorted, sorted == nil && len(rec) > 0
			}
		}
		return nil
	})
	if err != nil || states != nil {
		return states, false, err
	}
	states, err = x.loadBranches(ctx)
	return states, true, err
}

// countTerm is how many live documents of r hold value in field.
func countTerm(ctx context.Context, r bindex.IndexReader, field, value string) (uint64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(value), field, false, false, false)
	if err != nil {
		return 0, fmt.Errorf("count %s=%s: %w", field, value, err)
	}
	n := tfr.Count()
	if err := tfr.Close(); err != nil {
		return 0, fmt.Errorf("count %s=%s: %w", field, value, err)
	}
	return n, nil
}

// putRecord adds to b the record of states; when x.stale, it also puts
// again, marked, every branch document the batch does not put anyway.
func (x *Index) putRecord(b *bv.Batch, states map[indexer.BranchKey]indexer.Branch, put map[indexer.BranchKey]bool) error {
	if x.stale {
		for k, s := range states {
			if put[k] {
				continue
			}
			d, err := x.branchDoc(&s)
			if err != nil {
				return err
			}
			if err := b.IndexAdvanced(d); err != nil {
				return err
			}
		}
	}
	v, err := encodeRecord(states)
	if err != nil {
		return err
	}
	b.SetInternal(branchesKey, v)
	return nil
}

// rewriteStates writes the record and the marked documents of the states
// read from the documents at Open.
func (x *Index) rewriteStates(ctx context.Context) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if !x.stale && !x.reshape {
		return nil
	}
	if err := x.commit(ctx, &indexer.Changes{}); err != nil {
		return fmt.Errorf("rewrite branch states: %w", err)
	}
	return nil
}
