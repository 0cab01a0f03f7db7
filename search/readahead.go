package search

import (
	"context"
	"runtime"
	"sync"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// maxReaders bounds the goroutines one search reads texts on. Reading a
// candidate is mostly decompressing its text and matching it, CPU work
// that spreads over cores; more readers than cores only hold more texts.
const maxReaders = 8

// textReads reads and matches candidate texts on several goroutines while
// its caller takes the results in the order it submitted the candidates, so
// that the answer, and where a limit cuts it, does not depend on which
// reader finishes first. At most window candidates are read ahead.
type textReads struct {
	cancel context.CancelFunc
	jobs   chan *textRead
	window []*textRead // submitted and not yet taken, oldest first
	size   int         // the window's bound
	wg     sync.WaitGroup
	closed bool
}

// textRead is one candidate: its text and what the terms found in it, or
// why it could not be read or matched.
type textRead struct {
	id       string
	locs     []indexer.Location // the caller's, kept with the read
	read     textFunc           // nil: read by id
	text     []byte
	tm       *textMatch
	readErr  error // indexer.ErrNotFound: collected since it was listed
	matchErr error
	done     chan struct{}
}

// partialTexter is a local index that can leave out the parts of a large
// text that cannot hold a match (indexer/bleve stores texts over 64 KiB in
// parts with trigram masks).
type partialTexter interface {
	PartialText(ctx context.Context, id string, admit func(trigram.Mask) bool, context int) ([]byte, error)
}

// partAdmit is the test a part's mask must pass for the part to be read:
// may it hold a line one of terms matches? A term that is absent from a
// part is absent from its lines, so leaving the part out changes neither
// which terms the file holds nor any matching line. It is nil, read
// everything, when some term can match without any trigram (/^$/).
func partAdmit(terms []*Term) func(trigram.Mask) bool {
	plans := make([]*trigram.Query, len(terms))
	for i, t := range terms {
		if plans[i] = planRegexp(t.syn); plans[i].Op == trigram.OpAll {
			return nil
		}
	}
	return func(m trigram.Mask) bool {
		for _, p := range plans {
			if p.Eval(m.Has) {
				return true
			}
		}
		return false
	}
}

// textFunc reads one candidate's text, leaving out the parts admit
// rejects that lie beyond context lines of one it accepts (the
// candidateReader's reads).
type textFunc = func(admit func(trigram.Mask) bool, context int) ([]byte, error)

// candidateReader is a local index that streams candidates each with a
// read of its text from the snapshot they come from, which saves looking
// each id up again (indexer/bleve). The snapshot lives until end, called
// once with the error that stopped the stream or nil, has returned: no
// read may run after that.
type candidateReader interface {
	MatchCandidates(ctx context.Context, q *trigram.Query, fn func(id string, read textFunc) error, end func(error) error) error
}

// admitAll reads every part.
func admitAll(trigram.Mask) bool { return true }

// newTextReads starts readers on idx that match with terms, for answers
// with context lines around each match. Close stops them.
func newTextReads(ctx context.Context, idx indexer.Index, terms []*Term, contextLines int) *textReads {
	ctx, cancel := context.WithCancel(ctx)
	n := min(runtime.GOMAXPROCS(0), maxReaders)
	t := &textReads{cancel: cancel, size: 4 * n}
	t.jobs = make(chan *textRead, t.size)
	// A read by id takes only the parts that can matter when the index
	// keeps parts, as a candidate's own read does.
	read := idx.BlobText
	admit := partAdmit(terms)
	if p, ok := idx.(partialTexter); ok && admit != nil {
		read = func(ctx context.Context, id string) ([]byte, error) {
			return p.PartialText(ctx, id, admit, contextLines)
		}
	}
	if admit == nil {
		admit = admitAll
	}
	for range n {
		// A verifier keeps scratch space from one text to the next, so
		// each reader has its own.
		v := newVerifier(terms)
		t.wg.Go(func() {
			for j := range t.jobs {
				switch j.readErr = ctx.Err(); {
				case j.readErr != nil:
				case j.read != nil:
					j.text, j.readErr = j.read(admit, contextLines)
				default:
					j.text, j.readErr = read(ctx, j.id)
				}
				if j.readErr == nil {
					j.tm, j.matchErr = v.match(ctx, j.text)
				}
				close(j.done)
			}
		})
	}
	return t
}

// submit queues the candidate id, with locations the caller gets back with
// its read and the read to use (nil: by id). When the window is full it
// first takes the oldest read, waiting for it, and returns it with ok set.
func (t *textReads) submit(id string, locs []indexer.Location, read textFunc) (oldest *textRead, ok bool) {
	if len(t.window) == t.size {
		oldest, ok = t.next()
	}
	j := &textRead{id: id, locs: locs, read: read, done: make(chan struct{})}
	t.window = append(t.window, j)
	t.jobs <- j // never blocks: the channel holds a whole window
	return oldest, ok
}

// next takes the oldest read, waiting for it; ok is false when none is
// left.
func (t *textReads) next() (*textRead, bool) {
	if len(t.window) == 0 {
		return nil, false
	}
	j := t.window[0]
	t.window[0] = nil
	t.window = t.window[1:]
	<-j.done
	return j, true
}

// drain takes every read left, oldest first, handing each to fn until fn
// fails.
func (t *textReads) drain(fn func(*textRead) error) error {
	for {
		j, ok := t.next()
		if !ok {
			return nil
		}
		if err := fn(j); err != nil {
			return err
		}
	}
}

// close stops the readers, abandoning what is queued, and waits for them;
// closing again does nothing.
func (t *textReads) close() {
	if t.closed {
		return
	}
	t.closed = true
	t.cancel()
	close(t.jobs)
	t.wg.Wait()
}
