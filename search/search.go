// Package search owns trawl's query language, the planner that turns a
// query into a trigram prefilter, and the verifier that matches candidate
// blobs line by line with Go's regexp, so results are exact: never a missed
// match, never an invented one.
package search

import (
	"context"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// Options bound a search. Zero values mean no limit.
type Options struct {
	MaxFiles   int           // files in the answer
	MaxMatches int           // matching lines in the answer
	Context    int           // context lines before and after each match
	Timeout    time.Duration // wall time; the answer so far is returned with LimitHit
}

// Searcher runs queries against an index.
type Searcher struct {
	idx indexer.Index
}

// New returns a Searcher over idx.
func New(idx indexer.Index) *Searcher { return &Searcher{idx: idx} }

// Search runs query and returns every file it matches, within opt's limits,
// sorted by repo then path. A query that does not parse returns a
// *ParseError.
func (s *Searcher) Search(ctx context.Context, query string, opt Options) (*Result, error) {
	panic("TODO(search helper)")
}

// Stream runs query and calls fn for each matching file as it is verified,
// in no particular order, for exhaustive exports. fn returning an error
// stops the search with that error.
func (s *Searcher) Stream(ctx context.Context, query string, opt Options, fn func(File) error) (Stats, error) {
	panic("TODO(search helper)")
}
