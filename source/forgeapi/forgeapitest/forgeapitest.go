// Package forgeapitest holds what the forges' test servers
// (githubtest, gitlabtest, bitbuckettest, giteatest, azuretest) share
// beyond internal/gittest's git server: the queue of one-shot answers a
// test injects to make the next call fail in a forge's own way, the count
// of calls by path, the arithmetic of numbered pages, the entity tag of
// an answer, the working repository a fake serves, and the recorder of a
// source's waits that forge tests pass as its Sleep option.
package forgeapitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source"
)

// An Answer is a one-shot answer: it reports whether it answered the
// request; when it did not, the server answers as usual.
type Answer func(w http.ResponseWriter, r *http.Request) bool

// Answers is a queue of one-shot answers, consumed in order, one a
// request. The zero value is an empty queue; it is safe for concurrent
// use.
type Answers struct {
	mu    sync.Mutex
	queue []Answer
}

// Add queues h.
func (q *Answers) Add(h Answer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue = append(q.queue, h)
}

// Next takes the first queued answer, or nil when none is queued.
func (q *Answers) Next() Answer {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return nil
	}
	h := q.queue[0]
	q.queue = q.queue[1:]
	return h
}

// Serve takes the next answer and offers it the request: it reports
// whether the request was answered.
func (q *Answers) Serve(w http.ResponseWriter, r *http.Request) bool {
	h := q.Next()
	return h != nil && h(w, r)
}

// Calls counts a server's requests by path. The zero value counts none
// yet; it is safe for concurrent use.
type Calls struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one request to path.
func (c *Calls) Add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[path]++
}

// Count is the number of requests to path so far.
func (c *Calls) Count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// Total is the number of requests so far, to any path.
func (c *Calls) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, k := range c.n {
		total += k
	}
	return total
}

// Sleeps stands in for a source's Sleep option: it records the waits
// asked for (rate-limit pauses, retry backoffs) instead of waiting. It is
// safe for concurrent use.
type Sleeps struct {
	// After, when set, runs after each wait (outside the lock), e.g. to
	// reset a fake's quota as the real wait would have seen it reset.
	After func()

	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns ctx's error.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	after := s.After
	s.mu.Unlock()
	if after != nil {
		after()
	}
	return ctx.Err()
}

// Waits are the waits recorded so far, in order.
func (s *Sleeps) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// Names are the full names of repos, sorted: what a forge test compares
// a listing with.
func Names(repos []source.Repo) []string {
	var out []string
	for _, r := range repos {
		out = append(out, r.Meta.Name)
	}
	slices.Sort(out)
	return out
}

// Find is the repository of repos named name; the test fails when none is.
func Find(t testing.TB, repos []source.Repo, name string) source.Repo {
	t.Helper()
	i := slices.IndexFunc(repos, func(r source.Repo) bool { return r.Meta.Name == name })
	if i < 0 {
		t.Fatalf("%s not listed: %v", name, Names(repos))
	}
	return repos[i]
}

// A Page is one page of a listing paged by number, as GitHub, GitLab
// (offset pagination), Gitea and Bitbucket Cloud page: page N, counted
// from 1, of Size items; Last is the number of the last page (1 for an
// empty listing), and list[Lo:Hi] the items the page holds (none past
// the last page).
type Page struct {
	N, Size, Last int
	Lo, Hi        int
}

// PageOf is the page a request asks of a listing of total items: its
// number in the query key page (1 when absent or below 1) and its size
// in the key size, limit when absent, not positive or over limit, since
// a forge caps pages whatever the client asks. A size of "" is a server
// whose pages always hold limit items.
func PageOf(q url.Values, page, size string, limit, total int) Page {
	n, _ := strconv.Atoi(q.Get(page))
	n = max(n, 1)
	per := limit
	if size != "" {
		if asked, _ := strconv.Atoi(q.Get(size)); asked > 0 && asked < limit {
			per = asked
		}
	}
	return Page{
		N: n, Size: per, Last: max((total+per-1)/per, 1),
		Lo: min((n-1)*per, total), Hi: min(n*per, total),
	}
}

// ETag is the strong entity tag a fake sends with body (a weak one is
// "W/" and it): the same body, the same tag, so that a client's
// conditional request for an unchanged answer gets a 304.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// NewWork makes a working repository with one commit of files: what a
// test adds to a fake for it to serve.
func NewWork(t testing.TB, files map[string]string) *gittest.Repo {
	t.Helper()
	w := gittest.Init(t, filepath.Join(t.TempDir(), "work"))
	w.Commit("first", files)
	return w
}
