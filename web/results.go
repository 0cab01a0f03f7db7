package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/search"
)

// Ranked results: GET /api/search?q=&group=path answers with the shape of
// DESIGN.md §6 plus totals and facets over the whole answer, the page's
// files grouped by path, and a cursor that continues the same answer where
// the page stopped: the next page is cut from the answer kept here, so it
// is neither searched again nor reordered.

// rankedResponse is DESIGN.md §6's result with more fields.
type rankedResponse struct {
	Query  string        `json:"query"`
	Stats  rankedStats   `json:"stats"`
	Files  []search.File `json:"files"` // this page's files, in rank order
	Groups []pageGroup   `json:"groups"`
	Facets search.Facets `json:"facets"`
	// Cursor continues the answer after this page; empty on its last page.
	Cursor string `json:"cursor,omitempty"`
}

// limitPage is the limit_reason of a page that the cursor continues.
const limitPage = "page"

// rankedStats holds §6's stats for this page and the totals of the whole
// answer. limit_hit says the answer goes on past this page or a limit
// stopped the search; total_exact says which.
type rankedStats struct {
	search.Stats
	TotalFiles   int  `json:"total_files"`
	TotalPaths   int  `json:"total_paths"`
	TotalMatches int  `json:"total_matches"`
	TotalExact   bool `json:"total_exact"` // false: a limit stopped the search; the totals are lower bounds
	Offset       int  `json:"offset"`      // paths on the pages before this one
}

// pageGroup is one path of the page: Files indexes the page's files, the
// version on the default branch first.
type pageGroup struct {
	Repo      string `json:"repo"`
	Path      string `json:"path"`
	Files     []int  `json:"files"`
	Branches  int    `json:"branches"`
	Default   bool   `json:"default"`
	Generated bool   `json:"generated,omitempty"`
	Vendored  bool   `json:"vendored,omitempty"`
}

// Kept answers: a few, for a while; only those longer than a page. An
// answer holds at most maxMatches lines, so the bound on their number
// bounds the memory.
const (
	maxKeptAnswers = 16
	keptAnswerTTL  = 10 * time.Minute
)

type keptAnswer struct {
	id      string
	query   string
	context int
	ranked  *search.Ranked
	at      time.Time
}

// answers keeps the ranked answers cursors point into.
type answers struct {
	mu   sync.Mutex
	list []*keptAnswer // oldest first
}

func (a *answers) put(k *keptAnswer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire()
	if len(a.list) >= maxKeptAnswers {
		a.list = a.list[1:]
	}
	a.list = append(a.list, k)
}

func (a *answers) get(id string) *keptAnswer {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire()
	for _, k := range a.list {
		if k.id == id {
			return k
		}
	}
	return nil
}

func (a *answers) expire() {
	for len(a.list) > 0 && time.Since(a.list[0].at) > keptAnswerTTL {
		a.list = a.list[1:]
	}
}

// cursor names a kept answer and the first group of the next page:
// "ID.OFFSET", ID 16 hex digits.
type cursor struct {
	id     string
	offset int
}

func (c cursor) String() string { return c.id + "." + strconv.Itoa(c.offset) }

func parseCursor(s string) (cursor, error) {
	id, off, ok := strings.Cut(s, ".")
	if !ok || len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		return cursor{}, fmt.Errorf("cursor %q is not one this server gave", s)
	}
	n, err := strconv.Atoi(off)
	if err != nil || n < 0 || strconv.Itoa(n) != off {
		return cursor{}, fmt.Errorf("cursor %q has a bad offset", s)
	}
	return cursor{id, n}, nil
}

func newAnswerID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// handleRanked answers a search with group=path or a cursor; limit counts
// the files of a page, which ends after the group that reaches it.
func (s *Server) handleRanked(w http.ResponseWriter, r *http.Request, q string, opt search.Options, limit int) {
	var kept *keptAnswer
	offset := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		cur, err := parseCursor(c)
		if err != nil {
			s.fail(w, r, "search", badRequest(err.Error()))
			return
		}
		if kept = s.answers.get(cur.id); kept == nil {
			writeError(w, http.StatusGone, "search: this result has expired; search again")
			return
		}
		if kept.query != q || kept.context != opt.Context {
			s.fail(w, r, "search", badRequest("cursor belongs to another query or context"))
			return
		}
		offset = min(cur.offset, len(kept.ranked.Groups))
	} else {
		opt.MaxFiles = maxLimit
		opt.MaxMatches = maxMatches
		opt.MaxBytes = s.limits.MaxAnswerBytes // of the whole answer kept, not of a page
		opt.Timeout = s.searchTime(r)
		ranked, err := s.searcher.Rank(r.Context(), q, opt)
		if err != nil {
			s.fail(w, r, "search", err)
			return
		}
		kept = &keptAnswer{id: newAnswerID(), query: q, context: opt.Context, ranked: ranked, at: time.Now()}
	}
	resp := page(kept, offset, limit)
	if offset == 0 && resp.Cursor != "" {
		s.answers.put(kept) // only an answer that goes on needs keeping
	}
	writeJSON(w, http.StatusOK, resp)
}

// page cuts the page starting at group offset from a kept answer.
func page(k *keptAnswer, offset, limit int) *rankedResponse {
	rk := k.ranked
	resp := &rankedResponse{Query: rk.Query, Files: []search.File{}, Groups: []pageGroup{}, Facets: rk.Facets}
	resp.Stats.Candidates = rk.Stats.Candidates
	resp.Stats.DurationMS = rk.Stats.DurationMS
	resp.Stats.TotalFiles, resp.Stats.TotalPaths, resp.Stats.TotalMatches = rk.Totals.Files, rk.Totals.Paths, rk.Totals.Matches
	resp.Stats.TotalExact, resp.Stats.Offset = rk.Totals.Exact, offset
	i := offset
	for ; i < len(rk.Groups) && (len(resp.Files) < limit || i == offset); i++ {
		g := rk.Groups[i]
		pg := pageGroup{Repo: g.Repo, Path: g.Path, Branches: g.Branches, Default: g.Default, Generated: g.Generated, Vendored: g.Vendored}
		for _, f := range g.Versions {
			pg.Files = append(pg.Files, len(resp.Files))
			resp.Files = append(resp.Files, f)
			resp.Stats.Matches += len(f.Matches)
		}
		resp.Groups = append(resp.Groups, pg)
	}
	resp.Stats.Files = len(resp.Files)
	if i < len(rk.Groups) {
		resp.Cursor = cursor{k.id, i}.String()
	}
	resp.Stats.LimitHit = resp.Cursor != "" || !rk.Totals.Exact
	switch {
	case !rk.Totals.Exact:
		resp.Stats.LimitReason = rk.Stats.LimitReason
	case resp.Cursor != "":
		resp.Stats.LimitReason = limitPage
	}
	return resp
}
