package elastic

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// The writer lease keeps two crawlers from writing one set of indices at
// once, as the Bleve backend's file lock does: their deletes, garbage
// collection and dirty flag would undo each other's work. It is a document
// in {prefix}-lease naming its holder and an expiry, taken with optimistic
// concurrency (create, or a write conditioned on the sequence number and
// primary term that were read), and renewed in the background while the
// holder has the index open. A holder that dies stops renewing; after the
// expiry another writer takes the lease over.
//
// The lease is taken at the first write (Commit, SetDirty, CollectGarbage),
// so read-only users (trawl search, serve --no-crawl, verify without
// --repair) never need it and never wait for it. Crawlers that share the
// indices by shard (trawl crawl --shard i/n) take one lease per shard;
// shards of the same split write side by side, and exclude a whole-index
// writer and shards of another split.
//
// Expiry is judged by the clock of whoever reads the lease: clocks that
// disagree by more than a fraction of leaseTTL can let a lease be taken
// over early.

// leaseTTL is how long a lease lasts unless renewed; it is renewed every
// third of it.
const leaseTTL = 2 * time.Minute

// ErrLocked is returned (wrapped in a *LockedError) by the writes of an
// Index whose indices another writer holds.
var ErrLocked = errors.New("another trawl process is writing these Elasticsearch indices")

// LockedError says who holds the writer lease.
type LockedError struct {
	Index  string    // the lease index
	Holder string    // host, process id and a random tag of the holder
	Scope  string    // what the holder writes: "the whole index" or "shard i/n"
	Until  time.Time // when the lease expires unless renewed
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: %s holds the writer lease in %s for %s until %s (renewed while it runs); "+
		"wait for it to finish, or for the lease to expire if it died",
		ErrLocked, e.Holder, e.Index, e.Scope, e.Until.UTC().Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

const leaseMapping = `{
  "settings": {"index": {"auto_expand_replicas": "0-1"}},
  "mappings": {
    "dynamic": "strict",
    "_meta": {"trawl_schema": 2},
    "properties": {
      "holder":  {"type": "keyword"},
      "shards":  {"type": "integer"},
      "shard":   {"type": "integer"},
      "expires": {"type": "date", "format": "epoch_millis"}
    }
  }
}`

// leaseDoc is the lease document. Shards is 0 for a whole-index writer.
type leaseDoc struct {
	Holder  string `json:"holder"`
	Shards  int    `json:"shards"`
	Shard   int    `json:"shard"`
	Expires int64  `json:"expires"` // Unix milliseconds
}

func (d leaseDoc) scope() string {
	if d.Shards == 0 {
		return "the whole index"
	}
	return fmt.Sprintf("shard %d/%d", d.Shard, d.Shards)
}

// conflicts reports whether writers of a and b may not run together.
func (d leaseDoc) conflicts(o leaseDoc) bool {
	return d.Shards == 0 || o.Shards == 0 || d.Shards != o.Shards || d.Shard == o.Shard
}

// lease is this Index's writer lease.
type lease struct {
	index  string
	ttl    time.Duration
	holder string

	mu            sync.Mutex
	shard, shards int
	held          bool
	seqNo, term   int64
	expires       time.Time
	lost          error         // the lease was taken over while held
	stop          chan struct{} // closes the renewer; nil when none runs
	done          chan struct{}
}

func newLease(index string) *lease {
	host, _ := os.Hostname()
	var tag [4]byte
	rand.Read(tag[:])
	return &lease{
		index:  index,
		ttl:    leaseTTL,
		holder: fmt.Sprintf("%s pid %d (%s)", host, os.Getpid(), hex.EncodeToString(tag[:])),
	}
}

func (l *lease) docID() string {
	if l.shards == 0 {
		return "writer"
	}
	return fmt.Sprintf("writer-shard-%d-of-%d", l.shard, l.shards)
}

func (l *lease) doc(now time.Time) leaseDoc {
	return leaseDoc{Holder: l.holder, Shards: l.shards, Shard: l.shard, Expires: now.Add(l.ttl).UnixMilli()}
}

// SetWriterShard makes this Index write as shard i of n (trawl crawl
// --shard): it then takes a lease of that shard only. It must be called
// before the first write.
func (x *Index) SetWriterShard(i, n int) {
	x.lease.mu.Lock()
	defer x.lease.mu.Unlock()
	if n > 1 {
		x.lease.shard, x.lease.shards = i, n
	}
}

// LockForWrite takes the writer lease now rather than at the first write,
// so that a crawl that may not write fails before it fetches anything.
func (x *Index) LockForWrite(ctx context.Context) error {
	if err := x.lockForWrite(ctx); err != nil {
		return fmt.Errorf("elasticsearch: %w", err)
	}
	return nil
}

// lockForWrite makes sure this Index holds the writer lease, taking it
// if needed.
func (x *Index) lockForWrite(ctx context.Context) error {
	l := x.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	// A renewal that keeps failing (cluster unreachable) lets the lease
	// run out; writing past it could overlap a writer that took it over.
	if l.held && time.Now().Add(l.ttl/6).Before(l.expires) {
		return nil
	}
	if err := x.acquire(ctx); err != nil {
		return fmt.Errorf("take writer lease: %w", err)
	}
	if l.stop == nil {
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go x.renew(l.stop, l.done)
	}
	return nil
}

// acquire takes or renews the lease; l.mu is held.
func (x *Index) acquire(ctx context.Context) error {
	l := x.lease
	now := time.Now()
	cur, seq, term, found, err := x.getLease(ctx, l.docID())
	if err != nil {
		return err
	}
	switch {
	case !found:
		seq, term, err = x.putLease(ctx, l.doc(now), -1, -1)
	case cur.Holder == l.holder || now.UnixMilli() > cur.Expires:
		seq, term, err = x.putLease(ctx, l.doc(now), seq, term)
	default:
		return x.lockedBy(cur)
	}
	if isConflict(err) {
		// Another writer took it between our read and our write.
		if cur, _, _, found, err := x.getLease(ctx, l.docID()); err == nil && found {
			return x.lockedBy(cur)
		}
		return fmt.Errorf("%w: lost the race for the lease in %s", ErrLocked, l.index)
	}
	if err != nil {
		return err
	}
	l.held, l.seqNo, l.term, l.expires = true, seq, term, now.Add(l.ttl)

	// Other live leases: shards of this split may run beside us, nothing
	// else may. Both sides check after writing their own lease, so of two
	// writers starting together at least one sees the other.
	others, err := x.liveLeases(ctx, now)
	if err != nil {
		return err
	}
	mine := l.doc(now)
	for id, o := range others {
		if id != l.docID() && o.Holder != l.holder && mine.conflicts(o) {
			x.releaseLocked(ctx)
			return x.lockedBy(o)
		}
	}
	return nil
}

func (x *Index) lockedBy(d leaseDoc) error {
	return &LockedError{Index: x.lease.index, Holder: d.Holder, Scope: d.scope(), Until: time.UnixMilli(d.Expires)}
}

// renew extends the lease every third of its life until stop closes.
func (x *Index) renew(stop, done chan struct{}) {
	defer close(done)
	l := x.lease
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		l.mu.Lock()
		if l.held {
			now := time.Now()
			seq, term, err := x.putLease(ctx, l.doc(now), l.seqNo, l.term)
			switch {
			case err == nil:
				l.seqNo, l.term, l.expires = seq, term, now.Add(l.ttl)
			case isConflict(err):
				// Taken over: we were too slow to renew. Every later write
				// fails rather than overlap the new holder's.
				l.held = false
				l.lost = fmt.Errorf("%w: the writer lease in %s was taken over while this process held it", ErrLocked, l.index)
				if cur, _, _, found, gerr := x.getLease(ctx, l.docID()); gerr == nil && found {
					l.lost = fmt.Errorf("writer lease taken over: %w", x.lockedBy(cur))
				}
			}
			// Other errors: try again at the next tick; lockForWrite stops
			// writes once the lease has run out.
		}
		l.mu.Unlock()
		cancel()
	}
}

// releaseLease stops renewing and deletes the lease if this Index holds it.
func (x *Index) releaseLease() {
	l := x.lease
	l.mu.Lock()
	stop, done := l.stop, l.done
	l.stop, l.done = nil, nil
	l.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.releaseLocked(ctx)
}

// releaseLocked deletes the lease document if it is still the one this
// Index wrote; l.mu is held.
func (x *Index) releaseLocked(ctx context.Context) {
	l := x.lease
	if !l.held {
		return
	}
	l.held = false
	res, err := x.client.do(ctx, deleteDoc(l.index, l.docID(), url.Values{
		"if_seq_no":       {strconv.FormatInt(l.seqNo, 10)},
		"if_primary_term": {strconv.FormatInt(l.term, 10)},
		"refresh":         {"true"},
	}))
	if err == nil {
		res.Body.Close()
	}
	// A failed release only makes the next writer wait for the expiry.
}

func (x *Index) getLease(ctx context.Context, id string) (d leaseDoc, seq, term int64, found bool, err error) {
	res, err := x.client.do(ctx, getDoc(x.lease.index, id, nil))
	if err == nil && res.StatusCode == http.StatusNotFound {
		res.Body.Close()
		return d, 0, 0, false, nil
	}
	var answer struct {
		SeqNo  int64    `json:"_seq_no"`
		Term   int64    `json:"_primary_term"`
		Source leaseDoc `json:"_source"`
	}
	if err := decode(res, err, &answer); err != nil {
		return d, 0, 0, false, fmt.Errorf("read writer lease in %s: %w", x.lease.index, err)
	}
	return answer.Source, answer.SeqNo, answer.Term, true, nil
}

// putLease writes d, creating it when seq < 0, else only if the stored
// document is still at seq and term. It refreshes, so that liveLeases of
// other writers see it at once.
func (x *Index) putLease(ctx context.Context, d leaseDoc, seq, term int64) (int64, int64, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return 0, 0, err
	}
	query := url.Values{"refresh": {"true"}}
	if seq < 0 {
		query.Set("op_type", "create")
	} else {
		query.Set("if_seq_no", strconv.FormatInt(seq, 10))
		query.Set("if_primary_term", strconv.FormatInt(term, 10))
	}
	res, err := x.client.do(ctx, putDoc(x.lease.index, x.lease.docID(), bytes.NewReader(body), query))
	var answer struct {
		SeqNo int64 `json:"_seq_no"`
		Term  int64 `json:"_primary_term"`
	}
	if err := decode(res, err, &answer); err != nil {
		return 0, 0, fmt.Errorf("write writer lease in %s: %w", x.lease.index, err)
	}
	return answer.SeqNo, answer.Term, nil
}

// liveLeases returns the unexpired leases by document id.
func (x *Index) liveLeases(ctx context.Context, now time.Time) (map[string]leaseDoc, error) {
	body := map[string]any{
		"size":  100,
		"query": map[string]any{"range": map[string]any{"expires": map[string]any{"gt": strconv.FormatInt(now.UnixMilli(), 10)}}},
	}
	res, err := x.client.do(ctx, searchIndex(x.lease.index, jsonBody(body)))
	var answer struct {
		Hits struct {
			Hits []struct {
				ID     string   `json:"_id"`
				Source leaseDoc `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := decode(res, err, &answer); err != nil {
		return nil, fmt.Errorf("list writer leases in %s: %w", x.lease.index, err)
	}
	out := map[string]leaseDoc{}
	for _, h := range answer.Hits.Hits {
		out[h.ID] = h.Source
	}
	return out, nil
}

func isConflict(err error) bool {
	var ee *esError
	return errors.As(err, &ee) && ee.Status == http.StatusConflict
}
