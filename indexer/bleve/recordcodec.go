package bleve

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// The record's own binary format. Gob took 0.87 ms to decode the bench
// org's 1,000 states (6,900 allocations, and more in a fresh process,
// which compiles its decoders first); this format takes a fraction of
// that because every string is a slice of one copy of the record.
//
//	magic, schema, repos: n × repo, states: n × (repo index, state)
//
// with strings and slices as a uvarint length and their elements,
// integers as varints, times in time.Time's binary form with its length
// before it, and Skipped's entries sorted by reason. Each repository's
// metadata is kept once while it is the same for its branches, and the
// states are in Branches' order. The codec must list every field of
// indexer.Branch and indexer.Repo: TestFullStateSetsEveryField makes the
// tests' fullState set each, and the record tests compare what comes
// back with it field by field.
const recordMagic = "trawl-states\x01"

var errRecord = errors.New("damaged branch record")

// The fewest bytes a repository's metadata and a state take: one per
// string, bool, topic count and time length; a state adds its
// repository's index and its Counts flag.
const (
	minRepo  = 6 + 2 + 1 + 3
	minState = 1 + 4 + 1 + 1
)

type recordWriter struct{ b []byte }

func (w *recordWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recordWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *recordWriter) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }

func (w *recordWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
		return
	}
	w.b = append(w.b, 0)
}

func (w *recordWriter) time(t time.Time) error {
	v, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	w.str(string(v))
	return nil
}

func (w *recordWriter) repo(r *indexer.Repo) error {
	for _, s := range []string{r.Name, r.URL, r.Link, r.LineLink, r.DefaultBranch, r.Visibility} {
		w.str(s)
	}
	w.bool(r.Archived)
	w.bool(r.Fork)
	w.uvarint(uint64(len(r.Topics)))
	for _, t := range r.Topics {
		w.str(t)
	}
	for _, t := range []time.Time{r.PushedAt, r.CreatedAt, r.UpdatedAt} {
		if err := w.time(t); err != nil {
			return err
		}
	}
	return nil
}

func (w *recordWriter) state(b *indexer.Branch) error {
	for _, s := range []string{b.Repo, b.Name, b.Commit, b.Settings} {
		w.str(s)
	}
	if err := w.time(b.CrawledAt); err != nil {
		return err
	}
	w.bool(b.Counts != nil)
	if c := b.Counts; c != nil {
		w.varint(int64(c.Files))
		w.varint(c.Bytes)
		w.uvarint(uint64(len(c.Skipped)))
		for _, k := range slices.Sorted(maps.Keys(c.Skipped)) {
			w.str(k)
			w.varint(int64(c.Skipped[k]))
		}
	}
	return nil
}

// recordReader reads a record; the first error sticks, and every length
// is checked against what is left, so a damaged record costs no more
// than its own size.
type recordReader struct {
	s   string // the record, copied once: strings are slices of it
	err error
}

func (r *recordReader) fail() { r.err, r.s = errRecord, "" }

func (r *recordReader) uvarint() uint64 {
	var v uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // overflows 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.s = r.s[i+1:]
			return v
		}
	}
	r.fail()
	return 0
}

func (r *recordReader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *recordReader) int() int {
	v := r.varint()
	if v < math.MinInt || v > math.MaxInt {
		r.fail()
		return 0
	}
	return int(v)
}

// count is a number of elements, each at least size bytes long, so that
// a damaged count cannot ask for more memory than the record could fill.
func (r *recordReader) count(size int) int {
	n := r.uvarint()
	if n > uint64(len(r.s)/size) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *recordReader) str() string {
	n := r.count(1)
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *recordReader) bool() bool {
	if len(r.s) == 0 || r.s[0] > 1 {
		r.fail()
		return false
	}
	v := r.s[0] == 1
	r.s = r.s[1:]
	return v
}

func (r *recordReader) time() time.Time {
	var t time.Time
	if err := t.UnmarshalBinary([]byte(r.str())); err != nil {
		r.fail()
	}
	return t
}

func (r *recordReader) repo() indexer.Repo {
	var m indexer.Repo
	for _, p := range []*string{&m.Name, &m.URL, &m.Link, &m.LineLink, &m.DefaultBranch, &m.Visibility} {
		*p = r.str()
	}
	m.Archived, m.Fork = r.bool(), r.bool()
	if n := r.count(1); n > 0 {
		m.Topics = make([]string, n)
		for i := range m.Topics {
			m.Topics[i] = r.str()
		}
	}
	m.PushedAt, m.CreatedAt, m.UpdatedAt = r.time(), r.time(), r.time()
	return m
}

func (r *recordReader) state(b *indexer.Branch) {
	for _, p := range []*string{&b.Repo, &b.Name, &b.Commit, &b.Settings} {
		*p = r.str()
	}
	b.CrawledAt = r.time()
	if r.bool() {
		c := &indexer.BranchCounts{Files: r.int(), Bytes: r.varint()}
		if n := r.count(2); n > 0 {
			c.Skipped = make(map[string]int, n)
			for range n {
				k := r.str()
				c.Skipped[k] = r.int()
			}
		}
		b.Counts = c
	}
}

// encodeStates writes sorted (in Branches' order) in the binary format.
func encodeStates(sorted []indexer.Branch) ([]byte, error) {
	w := recordWriter{b: []byte(recordMagic)}
	w.str(branchSchema)
	var repos []*indexer.Repo
	of := make([]int, len(sorted))
	for i := range sorted {
		m := &sorted[i].Meta
		if j := len(repos) - 1; j < 0 || sorted[i].Repo != sorted[i-1].Repo || !reflect.DeepEqual(*repos[j], *m) {
			repos = append(repos, m)
		}
		of[i] = len(repos) - 1
	}
	w.uvarint(uint64(len(repos)))
	for _, m := range repos {
		if err := w.repo(m); err != nil {
			return nil, err
		}
	}
	w.uvarint(uint64(len(sorted)))
	for i := range sorted {
		w.uvarint(uint64(of[i]))
		if err := w.state(&sorted[i]); err != nil {
			return nil, err
		}
	}
	return w.b, nil
}

// decodeStates reads a record in the binary format; ok is false when v
// is not one (an earlier trawl's gob), and err when it is damaged or of
// another schema.
func decodeStates(v []byte) (sorted []indexer.Branch, ok bool, err error) {
	if len(v) < len(recordMagic) || string(v[:len(recordMagic)]) != recordMagic {
		return nil, false, nil
	}
	r := recordReader{s: string(v[len(recordMagic):])}
	if r.str() != branchSchema {
		return nil, true, errRecord
	}
	repos := make([]indexer.Repo, r.count(minRepo))
	for i := range repos {
		repos[i] = r.repo()
	}
	sorted = make([]indexer.Branch, r.count(minState))
	for i := range sorted {
		j := r.uvarint()
		if j >= uint64(len(repos)) {
			r.fail()
			break
		}
		sorted[i].Meta = repos[j]
		r.state(&sorted[i])
	}
	if r.err == nil && len(r.s) != 0 {
		r.fail()
	}
	if r.err != nil {
		return nil, true, r.err
	}
	return sorted, true, nil
}
