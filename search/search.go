// Package search owns trawl's query language, the planner that turns a
// query into a trigram prefilter, and the verifier that matches candidate
// blobs line by line with Go's regexp, so results are exact: never a missed
// match, never an invented one.
package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// Options bound a search. Zero values mean no limit.
type Options struct {
	MaxFiles   int           // files in the answer
	MaxMatches int           // matching lines in the answer
	Context    int           // context lines before and after each match
	Timeout    time.Duration // wall time; the answer so far is returned with LimitHit
	// MaxBytes bounds the size of the answer, counted as the JSON size of
	// the lines returned (matches and context) plus a fixed cost per match
	// and per file: about the size of its JSON. It keeps a wide query with
	// context from building hundreds of megabytes in memory.
	MaxBytes int
}

// Searcher runs queries against an index.
type Searcher struct {
	idx indexer.Index
	// scanPaths and candidatePaths bound the paths a path filter may leave
	// for the search to pass them to the index (see run.pathScope), when it
	// lists every location and when it lists the locations of candidate
	// blobs; 0 turns the narrowing off.
	scanPaths, candidatePaths int
}

// New returns a Searcher over idx.
func New(idx indexer.Index) *Searcher {
	return &Searcher{idx: idx, scanPaths: maxScanPaths, candidatePaths: maxCandidatePaths}
}

// batchSize is how many candidate blobs one Locations call asks for.
const batchSize = 256

// maxScanPaths bounds the path list passed to the index instead of listing
// every location: a filter like file:pom\.xml keeps a few hundred of tens
// of thousands of paths, and looking those up costs far less than reading
// every location; a list this long costs about as much as the scan.
const maxScanPaths = 20_000

// maxCandidatePaths is the same bound for the locations of candidate
// blobs, which are already few: the path list is sent with every batch of
// batchSize blobs, so it must stay short to be worth it.
const maxCandidatePaths = 1024

// Search runs query and returns every file it matches, within opt's limits,
// sorted by repo then path. A query that does not parse returns a
// *ParseError.
func (s *Searcher) Search(ctx context.Context, query string, opt Options) (*Result, error) {
	files := []File{}
	stats, err := s.Stream(ctx, query, opt, func(f File) error {
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b File) int {
		return cmp.Or(strings.Compare(a.Repo, b.Repo), strings.Compare(a.Path, b.Path), strings.Compare(a.Blob, b.Blob))
	})
	return &Result{Query: query, Stats: stats, Files: files}, nil
}

// Stream runs query and calls fn for each matching file as it is verified,
// in no particular order, for exhaustive exports. fn returning an error
// stops the search with that error.
func (s *Searcher) Stream(ctx context.Context, query string, opt Options, fn func(File) error) (Stats, error) {
	start := time.Now()
	q, err := Parse(query)
	if err != nil {
		return Stats{}, err
	}
	runCtx := ctx
	if opt.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
	}
	r := &run{idx: s.idx, q: q, opt: opt, emit: fn, scanPaths: s.scanPaths, candidatePaths: s.candidatePaths}
	err = r.do(runCtx)
	r.stats.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	switch {
	case r.emitErr != nil:
		return r.stats, r.emitErr
	case errors.Is(err, errLimit):
		r.stats.LimitHit = true
	case err != nil && opt.Timeout > 0 && ctx.Err() == nil && errors.Is(runCtx.Err(), context.DeadlineExceeded):
		r.stats.LimitHit, r.stats.LimitReason = true, LimitTimeout
	case err != nil:
		return r.stats, err
	}
	return r.stats, nil
}

// errLimit stops a search that reached a limit.
var errLimit = errors.New("search limit reached")

// run is the state of one search.
type run struct {
	idx   indexer.Index
	q     *Query
	opt   Options
	emit  func(File) error
	stats Stats
	// branches in scope point into the listing: copying 1000 states into
	// a map cost 0.3 ms a query.
	branches map[indexer.BranchKey]*indexer.Branch
	verifier *verifier // nil for a query with filters only
	emitErr  error     // what the caller's fn returned, to hand back unwrapped
	bytes    int       // answer size so far, as Options.MaxBytes counts it

	scanPaths, candidatePaths int // see Searcher
}

func (r *run) do(ctx context.Context) error {
	all, err := r.idx.Branches(ctx)
	if err != nil {
		return fmt.Errorf("search %q: list branches: %w", r.q.Source, err)
	}
	r.branches = make(map[indexer.BranchKey]*indexer.Branch, len(all))
	var scope []indexer.BranchKey
	for i := range all {
		b := &all[i]
		v := eval(r.q.Root, func(t *Term) tri {
			switch t.Field {
			case FieldRepo:
				return triOf(t.Re.MatchString(b.Repo))
			case FieldBranch:
				return triOf(t.Re.MatchString(b.Name))
			}
			return unknown
		})
		if v != no {
			r.branches[b.Key()] = b
			scope = append(scope, b.Key())
		}
	}
	if len(scope) == 0 {
		return nil
	}
	if len(scope) == len(all) {
		scope = nil // every branch: no restriction
	}
	if terms := r.q.ContentTerms(); len(terms) > 0 {
		r.verifier = newVerifier(terms)
	}

	plan := r.q.Plan()
	if plan.Op == trigram.OpNone {
		return nil
	}
	maxPaths := r.candidatePaths
	if plan.Op == trigram.OpAll {
		maxPaths = r.scanPaths
	}
	paths, err := r.pathScope(ctx, maxPaths)
	if err != nil {
		return r.wrap("list paths", err)
	}
	if paths != nil && len(paths) == 0 {
		return nil
	}
	if plan.Op == trigram.OpAll {
		g := r.newGrouper(ctx)
		err := r.idx.Locations(ctx, indexer.LocationQuery{Branches: scope, Paths: paths}, g.add)
		if err == nil {
			err = g.flush()
		}
		return r.wrap("list locations", err)
	}
	_, remote := r.idx.(textBatcher)
	switch {
	case remote:
		return r.wrap("match blobs", r.pipelined(ctx, plan, scope, paths))
	case scope == nil && paths == nil && r.verifier != nil:
		return r.wrap("match blobs", r.textFirst(ctx, plan))
	}
	err = r.inBatches(ctx, plan, func(ids []string) error {
		g := r.newGrouper(ctx)
		err := r.idx.Locations(ctx, indexer.LocationQuery{Blobs: ids, Branches: scope, Paths: paths}, g.add)
		if err == nil {
			err = g.flush()
		}
		return err
	})
	return r.wrap("match blobs", err)
}

// inBatches calls fn with the blobs plan matches, batchSize at a time,
// each batch sorted. fn must not keep ids.
func (r *run) inBatches(ctx context.Context, plan *trigram.Query, fn func(ids []string) error) error {
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		slices.Sort(batch)
		err := fn(batch)
		batch = batch[:0]
		return err
	}
	err := r.idx.MatchBlobs(ctx, plan, func(id string) error {
		batch = append(batch, id)
		if len(batch) < batchSize {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	return err
}

// pipelined runs a query with candidates on a remote index in two stages,
// so that the cluster lists the locations of one batch of candidates while
// the texts of the batch before are read and verified: a goroutine matches
// blobs and lists their locations, batchSize blobs at a time, and hands
// each batch's groups on; this one verifies them in that order, so that
// answers and limits are those of one stage after the other. On the bench
// org, listing the locations was a third of "err != nil" on Elasticsearch;
// overlapped, the query took 4.5 and 4.2 s instead of 4.7 and 5.6 s, with
// the node on the same two cores (on a cluster of its own, more).
func (r *run) pipelined(ctx context.Context, plan *trigram.Query, scope []indexer.BranchKey, paths []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []group, 1)
	listed := make(chan error, 1)
	go func() {
		defer close(batches)
		listed <- r.inBatches(ctx, plan, func(ids []string) error {
			var groups []group
			runs := blobRuns{fn: func(id string, locs []indexer.Location) error {
				groups = append(groups, group{id, locs})
				return nil
			}}
			err := r.idx.Locations(ctx, indexer.LocationQuery{Blobs: ids, Branches: scope, Paths: paths}, runs.add)
			if err == nil {
				err = runs.end()
			}
			if err != nil {
				return err
			}
			select {
			case batches <- groups:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	verified := func() error {
		g := r.newGrouper(ctx)
		for groups := range batches {
			for _, gr := range groups {
				if err := g.runs.fn(gr.id, gr.locs); err != nil {
					return err
				}
			}
			if err := g.verify(); err != nil {
				return err
			}
		}
		return nil
	}()
	if verified != nil {
		// The lister stops at its next send or request.
		cancel()
		for range batches {
		}
		<-listed
		return verified
	}
	return <-listed
}

// errManyPaths stops listing paths once too many of them can match.
var errManyPaths = errors.New("too many paths")

// pathScope returns the paths of the index a match may have, when the
// query cannot match a file unless some path filter accepts it, and at most
// max paths, and at most three quarters of all, are left; nil means no
// restriction. Each path is evaluated with the path terms known and every
// other term unknown, so a path is dropped only when no repo, branch,
// language or content can make the query match it: file:pom narrows, while
// -file:pom or "file:pom or log4j" do not. The index may list paths no
// location has any more; they just match nothing.
func (r *run) pathScope(ctx context.Context, max int) ([]string, error) {
	if max <= 0 {
		return nil, nil
	}
	required := eval(r.q.Root, func(t *Term) tri {
		if t.Field == FieldPath {
			return no
		}
		return unknown
	}) == no
	if !required {
		return nil, nil
	}
	keep := []string{}
	total := 0
	err := r.idx.Paths(ctx, func(p string) error {
		total++
		v := eval(r.q.Root, func(t *Term) tri {
			if t.Field == FieldPath {
				return triOf(t.Re.MatchString(p))
			}
			return unknown
		})
		if v == no {
			return nil
		}
		if len(keep) == max {
			return errManyPaths
		}
		keep = append(keep, p)
		return nil
	})
	switch {
	case errors.Is(err, errManyPaths):
		return nil, nil
	case err != nil:
		return nil, err
	case 4*len(keep) > 3*total:
		// Looking up most paths one by one costs more than reading every
		// location (measured: file:\.java$ keeping 96% of the paths of a
		// 200k-location index ran 25% slower narrowed).
		return nil, nil
	}
	return keep, nil
}

// wrap names the operation in errors from the index, leaving the limit
// signal and the caller's own errors recognisable through errors.Is.
func (r *run) wrap(op string, err error) error {
	if err == nil || errors.Is(err, errLimit) {
		return err
	}
	return fmt.Errorf("search %q: %s: %w", r.q.Source, op, err)
}

// textBatcher is an index that reads many blobs' texts in one request,
// as a remote one does (indexer/elastic): verifying candidates one round
// trip each would cost more than the verification.
type textBatcher interface {
	BlobTexts(ctx context.Context, ids []string) (map[string][]byte, error)
}

// A text request reads candidates until their texts add up to
// textBatchBytes, or textBatchIDs of them: batching by bytes rather than
// by count keeps the round trips of a query near one when its candidates
// are small files, the usual case, and bounds the texts held in memory at
// once whatever their sizes (files are up to files.max_size each).
// An index that reads texts one by one (Bleve, local) gains nothing from
// large batches: it verifies localBatch candidates at a time, so that the
// first results and a limit come early.
const (
	textBatchBytes = 8 << 20
	textBatchIDs   = 1024
	localBatch     = 32
)

// blobRuns cuts a stream of locations ordered by blob into one run per
// blob, and hands each run to fn as it ends.
type blobRuns struct {
	id   string
	locs []indexer.Location
	fn   func(id string, locs []indexer.Location) error
}

func (b *blobRuns) add(l indexer.Location) error {
	if l.Blob != b.id {
		if err := b.end(); err != nil {
			return err
		}
		b.id = l.Blob
	}
	b.locs = append(b.locs, l)
	return nil
}

// end hands the run being collected, if any, to fn.
func (b *blobRuns) end() error {
	if len(b.locs) == 0 {
		return nil
	}
	locs := b.locs
	b.locs = nil
	return b.fn(b.id, locs)
}

// grouper collects a stream of locations ordered by blob into one group
// per blob, and verifies the pending groups a text batch at a time.
type grouper struct {
	r            *run
	ctx          context.Context
	runs         blobRuns
	pending      []group
	pendingBytes int64
}

type group struct {
	id   string
	locs []indexer.Location
}

func (r *run) newGrouper(ctx context.Context) *grouper {
	g := &grouper{r: r, ctx: ctx}
	g.runs.fn = func(id string, locs []indexer.Location) error {
		g.pending = append(g.pending, group{id, locs})
		g.pendingBytes += locs[0].Size
		if g.full() {
			return g.verify()
		}
		return nil
	}
	return g
}

func (g *grouper) add(l indexer.Location) error { return g.runs.add(l) }

// full reports whether the pending groups make a batch.
func (g *grouper) full() bool {
	if _, ok := g.r.idx.(textBatcher); !ok {
		return len(g.pending) >= localBatch
	}
	return g.pendingBytes >= textBatchBytes || len(g.pending) >= textBatchIDs
}

func (g *grouper) flush() error {
	if err := g.runs.end(); err != nil {
		return err
	}
	return g.verify()
}

// verify checks the pending groups, reading their texts in one request
// when the index can.
func (g *grouper) verify() error {
	groups := g.pending
	g.pending, g.pendingBytes = nil, 0
	var texts map[string][]byte
	if tb, ok := g.r.idx.(textBatcher); ok && g.r.verifier != nil {
		var ids []string
		for i := range groups {
			groups[i].locs = g.r.inScope(groups[i].locs)
			if len(groups[i].locs) > 0 {
				ids = append(ids, groups[i].id)
			}
		}
		if len(ids) > 0 {
			var err error
			if texts, err = tb.BlobTexts(g.ctx, ids); err != nil {
				return fmt.Errorf("read %d blobs: %w", len(ids), err)
			}
		}
	}
	if _, remote := g.r.idx.(textBatcher); !remote && g.r.verifier != nil {
		return g.verifyLocal(groups)
	}
	for _, gr := range groups {
		if err := g.r.blob(g.ctx, gr.id, gr.locs, texts); err != nil {
			return err
		}
	}
	return nil
}

// verifyLocal checks the pending groups of a local index, reading and
// matching their texts on one goroutine per core (textReads) and emitting
// them in their order.
func (g *grouper) verifyLocal(groups []group) error {
	r := g.r
	reads := newTextReads(g.ctx, r.idx, r.verifier.terms, r.opt.Context)
	defer reads.close()
	take := func(tr *textRead) error {
		if ok, err := r.candidate(tr); !ok || err != nil {
			return err
		}
		return r.emitBlob(tr.locs, tr.tm)
	}
	for _, gr := range groups {
		if err := g.ctx.Err(); err != nil {
			return err
		}
		locs := r.inScope(gr.locs)
		if len(locs) == 0 {
			continue
		}
		if tr, ok := reads.submit(gr.id, locs, nil); ok {
			if err := take(tr); err != nil {
				return err
			}
		}
	}
	return reads.drain(take)
}

// textFirst runs a query that the index cannot narrow (every branch, no
// path list) on a local index: it reads and matches each candidate's text
// before listing its locations, and lists only those of the blobs whose
// text can satisfy the query whatever their repo, branch, path or
// language. A regex's trigrams keep many blobs that do not match (measured:
// /log4j-core.*2\.1[0-6]/ keeps 1,039 candidates, of which about 20 match),
// and listing a location costs more than reading a text: its doc values
// are read chunk by chunk, a text in one piece. A remote index keeps the
// other order, which batches texts by the sizes the locations give: on
// Elasticsearch, reading candidates' texts first, 64 a request, was no
// faster (measured on the bench org: 1.0-1.6× the time). The texts are
// read and matched on one goroutine per core (textReads), since
// decompressing them is most of a query's time, and taken in the order the
// index gave them.
func (r *run) textFirst(ctx context.Context, plan *trigram.Query) error {
	type verified struct {
		id string
		tm *textMatch
	}
	var (
		pending []verified
		held    int // bytes of the pending texts
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		byID := make(map[string]*textMatch, len(pending))
		ids := make([]string, len(pending))
		for i, v := range pending {
			byID[v.id], ids[i] = v.tm, v.id
		}
		pending, held = pending[:0], 0
		slices.Sort(ids)
		runs := blobRuns{fn: func(id string, locs []indexer.Location) error {
			return r.emitBlob(r.inScope(locs), byID[id])
		}}
		err := r.idx.Locations(ctx, indexer.LocationQuery{Blobs: ids}, runs.add)
		if err == nil {
			err = runs.end()
		}
		return err
	}
	take := func(tr *textRead) error {
		if ok, err := r.candidate(tr); !ok || err != nil {
			return err
		}
		if eval(r.q.Root, contentLeaf(tr.tm)) == no {
			return nil
		}
		pending = append(pending, verified{tr.id, tr.tm})
		held += len(tr.text)
		// A limit is reached sooner when the first matches are listed
		// early; texts held waiting are bounded like a text batch.
		if len(pending) >= batchSize || held >= textBatchBytes ||
			(r.opt.MaxFiles > 0 && len(pending) >= r.opt.MaxFiles-r.stats.Files) {
			return flush()
		}
		return nil
	}
	reads := newTextReads(ctx, r.idx, r.verifier.terms, r.opt.Context)
	defer reads.close()
	each := func(id string, read textFunc) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tr, ok := reads.submit(id, nil, read); ok {
			return take(tr)
		}
		return nil
	}
	end := func(err error) error {
		if err == nil {
			err = reads.drain(take)
		}
		reads.close() // no read may outlive the candidates' snapshot
		return err
	}
	var err error
	if cr, ok := r.idx.(candidateReader); ok {
		err = cr.MatchCandidates(ctx, plan, each, end)
	} else {
		err = end(r.idx.MatchBlobs(ctx, plan, func(id string) error { return each(id, nil) }))
	}
	if err == nil {
		err = flush()
	}
	return err
}

// candidate counts a read candidate and reports whether its text was read
// and matched; a blob collected since it was listed is no candidate.
func (r *run) candidate(tr *textRead) (bool, error) {
	if errors.Is(tr.readErr, indexer.ErrNotFound) {
		return false, nil
	}
	if tr.readErr != nil {
		return false, fmt.Errorf("read blob %s: %w", tr.id, tr.readErr)
	}
	r.stats.Candidates++
	return tr.matchErr == nil, tr.matchErr
}

// state is the state of a branch in scope; inScope has dropped the
// locations of any other, so a zero state never reaches an answer.
func (r *run) state(repo, branch string) *indexer.Branch {
	if b := r.branches[indexer.BranchKey{Repo: repo, Name: branch}]; b != nil {
		return b
	}
	return &indexer.Branch{}
}

// inScope keeps the locations the query can still accept before reading
// the text. Locations of branches without a state belong to a crawl in
// progress (the state is written last); they are not searchable yet.
func (r *run) inScope(locs []indexer.Location) []indexer.Location {
	return slices.DeleteFunc(locs, func(l indexer.Location) bool {
		_, ok := r.branches[indexer.BranchKey{Repo: l.Repo, Name: l.Branch}]
		return !ok || eval(r.q.Root, r.locationLeaf(l, nil)) == no
	})
}

// blob verifies one candidate blob of a remote index and emits its
// matching files. texts holds the text read in the batch (a local index
// reads through verifyLocal); a query with filters only reads none.
func (r *run) blob(ctx context.Context, id string, locs []indexer.Location, texts map[string][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	locs = r.inScope(locs)
	if len(locs) == 0 {
		return nil
	}
	var tm *textMatch
	if r.verifier != nil {
		text, ok := texts[id]
		if !ok {
			return nil // collected since Locations answered
		}
		r.stats.Candidates++
		var err error
		if tm, err = r.verifier.match(ctx, text); err != nil {
			return err
		}
	}
	return r.emitBlob(locs, tm)
}

// emitBlob emits the files of one blob's in-scope locations that the
// query accepts, given what its text matched (tm nil: a query with filters
// only).
func (r *run) emitBlob(locs []indexer.Location, tm *textMatch) error {
	locs = slices.DeleteFunc(locs, func(l indexer.Location) bool {
		return eval(r.q.Root, r.locationLeaf(l, tm)) != yes
	})
	if len(locs) == 0 {
		return nil
	}
	if err := r.full(); err != nil {
		return err
	}
	// Rendering stops at the bounds, so that a limit keeps the memory low
	// and not just the answer; file applies them exactly.
	matches, sizes, cut := []Match{}, []int(nil), false
	if tm != nil {
		matches, sizes, cut = tm.matches(r.opt.Context, r.left(r.opt.MaxMatches, r.stats.Matches), r.left(r.opt.MaxBytes, r.bytes))
	}
	slices.SortFunc(locs, func(a, b indexer.Location) int {
		return cmp.Or(strings.Compare(a.Repo, b.Repo), strings.Compare(a.Path, b.Path))
	})
	for len(locs) > 0 {
		n := 1
		for n < len(locs) && locs[n].Repo == locs[0].Repo && locs[n].Path == locs[0].Path {
			n++
		}
		if err := r.file(locs[:n], matches, sizes); err != nil {
			return err
		}
		locs = locs[n:]
	}
	if cut {
		return r.limit(r.cutReason())
	}
	return nil
}

// left returns what is left of limit after used, or 0 (no bound) when
// limit is 0; at least 1 otherwise, as full stops a search that has none.
func (r *run) left(limit, used int) int {
	if limit <= 0 {
		return 0
	}
	return max(1, limit-used)
}

// limit records why the search stops and returns the signal to stop.
func (r *run) limit(reason string) error {
	r.stats.LimitHit, r.stats.LimitReason = true, reason
	return errLimit
}

// full stops the search once the answer has reached a limit.
func (r *run) full() error {
	switch {
	case r.opt.MaxFiles > 0 && r.stats.Files >= r.opt.MaxFiles:
		return r.limit(LimitFiles)
	case r.opt.MaxMatches > 0 && r.stats.Matches >= r.opt.MaxMatches:
		return r.limit(LimitMatches)
	case r.opt.MaxBytes > 0 && r.bytes >= r.opt.MaxBytes:
		return r.limit(LimitBytes)
	}
	return nil
}

// cutReason names the bound that cut a file's matches short.
func (r *run) cutReason() string {
	if r.opt.MaxMatches > 0 && r.stats.Matches >= r.opt.MaxMatches {
		return LimitMatches
	}
	return LimitBytes
}

// fileOverhead is what a file costs in an answer besides its matches.
func fileOverhead(locs []indexer.Location) int {
	n := 256 + 2*len(locs[0].Path) + len(locs[0].Repo)
	for _, l := range locs {
		n += 64 + len(l.Branch)
	}
	return n
}

// file emits one (repo, path, blob) within the limits; sizes holds the
// size of each match, as Options.MaxBytes counts it.
func (r *run) file(locs []indexer.Location, matches []Match, sizes []int) error {
	if err := r.full(); err != nil {
		return err
	}
	cut := ""
	if left := r.opt.MaxMatches - r.stats.Matches; r.opt.MaxMatches > 0 && len(matches) > left {
		matches, cut = matches[:left], LimitMatches
	}
	size := fileOverhead(locs)
	if r.opt.MaxBytes > 0 {
		n := 0
		for n < len(matches) && r.bytes+size+sizes[n] <= r.opt.MaxBytes {
			size += sizes[n]
			n++
		}
		switch {
		case n < len(matches) && n == 0:
			// Not one line fits: the file is left out rather than shown
			// without the lines that made it match.
			return r.limit(LimitBytes)
		case n < len(matches):
			matches, cut = matches[:n], LimitBytes
		case r.bytes+size > r.opt.MaxBytes:
			return r.limit(LimitBytes)
		}
	}
	l := locs[0]
	defaultBranch := r.state(l.Repo, l.Branch).Meta.DefaultBranch
	refs := make([]BranchRef, 0, len(locs))
	for _, loc := range locs {
		b := r.state(loc.Repo, loc.Branch)
		refs = append(refs, BranchRef{Name: b.Name, Commit: b.Commit})
	}
	slices.SortFunc(refs, func(a, b BranchRef) int {
		if (a.Name == defaultBranch) != (b.Name == defaultBranch) {
			if a.Name == defaultBranch {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	f := File{
		Repo:     l.Repo,
		Path:     l.Path,
		Blob:     l.Blob,
		Language: l.Language,
		Branches: refs,
		Matches:  matches,
	}
	line := 0
	if len(matches) > 0 {
		line = matches[0].Line
	}
	f.URL = r.state(l.Repo, refs[0].Name).Meta.Permalink(refs[0].Commit, l.Path, line)
	r.stats.Files++
	r.stats.Matches += len(matches)
	r.bytes += size
	if err := r.emit(f); err != nil {
		r.emitErr = err
		return err
	}
	if cut != "" {
		return r.limit(cut)
	}
	return nil
}

// locationLeaf evaluates the terms for one location; content terms are
// unknown when tm is nil.
func (r *run) locationLeaf(l indexer.Location, tm *textMatch) func(*Term) tri {
	return func(t *Term) tri {
		switch t.Field {
		case FieldRepo:
			return triOf(t.Re.MatchString(l.Repo))
		case FieldBranch:
			return triOf(t.Re.MatchString(l.Branch))
		case FieldPath:
			return triOf(t.Re.MatchString(l.Path))
		case FieldLang:
			return triOf(strings.EqualFold(t.Value, l.Language))
		}
		if tm == nil {
			return unknown
		}
		return triOf(tm.found[t])
	}
}

// contentLeaf evaluates the content terms from tm, every other term
// unknown.
func contentLeaf(tm *textMatch) func(*Term) tri {
	return func(t *Term) tri {
		switch t.Field {
		case FieldRepo, FieldBranch, FieldPath, FieldLang:
			return unknown
		}
		return triOf(tm.found[t])
	}
}

// tri is a three-valued truth: a predicate may not be known yet.
type tri uint8

const (
	no tri = iota
	yes
	unknown
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// eval evaluates n with Kleene's three-valued logic.
func eval(n *Node, leaf func(*Term) tri) tri {
	switch n.op {
	case opTerm:
		return leaf(n.term)
	case opNot:
		switch v := eval(n.subs[0], leaf); v {
		case yes:
			return no
		case no:
			return yes
		default:
			return v
		}
	}
	// AND: any no wins; OR: any yes wins; otherwise unknown beats the rest.
	absorb, ident := no, yes
	if n.op == opOr {
		absorb, ident = yes, no
	}
	out := ident
	for _, s := range n.subs {
		switch eval(s, leaf) {
		case absorb:
			return absorb
		case unknown:
			out = unknown
		}
	}
	return out
}
