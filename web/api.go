package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
)

// textParam returns parameter name, checked: valid UTF-8, no NUL, at most
// max bytes, and present when required.
func textParam(v url.Values, name string, required bool, max int) (string, error) {
	s := v.Get(name)
	switch {
	case s == "" && required:
		return "", badRequest("missing parameter " + name)
	case len(s) > max:
		return "", badRequest(fmt.Sprintf("parameter %s too long: %d bytes, at most %d", name, len(s), max))
	case !utf8.ValidString(s):
		return "", badRequest("parameter " + name + " is not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return "", badRequest("parameter " + name + " contains a NUL byte")
	}
	return s, nil
}

// intParam returns parameter name as an integer in [lo, hi], or def when
// it is absent.
func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(fmt.Sprintf("parameter %s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}

// blobParam returns a git blob id: 40 hex digits, lower-cased.
func blobParam(v url.Values, name string) (string, error) {
	s := strings.ToLower(v.Get(name))
	if len(s) != 40 || strings.Trim(s, "0123456789abcdef") != "" {
		return "", badRequest("parameter " + name + " must be 40 hex digits")
	}
	return s, nil
}

// searchOptions reads the parameters common to both searches.
func (s *Server) searchOptions(v url.Values) (string, search.Options, error) {
	q, err := textParam(v, "q", true, maxQueryBytes)
	if err != nil {
		return "", search.Options{}, err
	}
	if strings.TrimSpace(q) == "" {
		return "", search.Options{}, badRequest("empty query")
	}
	ctxLines, err := intParam(v, "context", 0, 0, maxContext)
	if err != nil {
		return "", search.Options{}, err
	}
	return q, search.Options{Context: ctxLines}, nil
}

// handleSearch answers GET /api/search?q=&limit=&context= with the JSON of
// docs/design.md §6. limit counts files: default 100, and both 0 ("no limit")
// and anything larger mean maxLimit here; the stream is exhaustive.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, opt, err := s.searchOptions(v)
	if err != nil {
		s.fail(w, r, "search", err)
		return
	}
	limit, err := intParam(v, "limit", defaultLimit, 0, math.MaxInt)
	if err != nil {
		s.fail(w, r, "search", err)
		return
	}
	if limit == 0 || limit > maxLimit {
		limit = maxLimit
	}
	if v.Get("group") == "path" || v.Has("cursor") {
		s.handleRanked(w, r, q, opt, limit) // results.go
		return
	}
	opt.MaxFiles = limit
	opt.MaxMatches = maxMatches
	opt.MaxBytes = s.limits.MaxAnswerBytes
	// Stop a little before the request's deadline so the answer so far
	// comes back with limit_hit rather than as a 504.
	opt.Timeout = s.searchTime(r)
	res, err := s.searcher.Search(r.Context(), q, opt)
	if err != nil {
		s.fail(w, r, "search", err)
		return
	}
	if res.Stats.LimitReason == search.LimitTimeout || res.Stats.LimitReason == search.LimitBytes {
		// The query is left out: people search for secrets.
		s.log.Info("search stopped by a limit", "reason", res.Stats.LimitReason, "query_bytes", len(q),
			"files", res.Stats.Files, "duration_ms", res.Stats.DurationMS)
	}
	if res.Files == nil {
		res.Files = []search.File{}
	}
	writeJSON(w, http.StatusOK, res)
}

// handleStream answers GET /api/search/stream?q=&context= with NDJSON: one
// search.File per line as it is verified, then {"stats": ...}. An error
// after the first line is reported as a last {"error": ...} line.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	q, opt, err := s.searchOptions(r.URL.Query())
	if err != nil {
		s.fail(w, r, "search", err)
		return
	}
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	started := false
	start := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.WriteHeader(http.StatusOK)
		}
	}
	stats, err := s.searcher.Stream(r.Context(), q, opt, func(f search.File) error {
		start()
		s.extendWrite(rc)
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
		rc.Flush()
		return nil
	})
	if err != nil {
		if !started {
			s.fail(w, r, "search", err)
			return
		}
		s.log.Warn("stream search failed", "query", q, "err", err)
		s.extendWrite(rc)
		enc.Encode(errorBody{Error: "search: " + streamErrorText(err)})
		return
	}
	start()
	s.extendWrite(rc)
	enc.Encode(struct {
		Stats search.Stats `json:"stats"`
	}{stats})
}

func streamErrorText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "internal error"
}

// fileBranch is one branch of the repository where the viewed path exists.
type fileBranch struct {
	Name   string `json:"name"`
	Commit string `json:"commit"`
	Blob   string `json:"blob"`
	Skip   string `json:"skip,omitempty"`
}

// fileResponse is the answer of GET /api/file.
type fileResponse struct {
	Repo      string             `json:"repo,omitempty"`
	Branch    string             `json:"branch,omitempty"`
	Path      string             `json:"path,omitempty"`
	Commit    string             `json:"commit,omitempty"`
	URL       string             `json:"url,omitempty"`      // permalink at Commit; empty when the host is unknown
	LineURL   string             `json:"line_url,omitempty"` // permalink of a line at Commit, with "{line}" for its number
	Blob      string             `json:"blob"`
	Language  string             `json:"language"`
	Size      int64              `json:"size"`
	Lines     int                `json:"lines"`
	Skip      string             `json:"skip,omitempty"` // why the file was not indexed; Text is then empty
	Text      string             `json:"text"`
	Branches  []fileBranch       `json:"branches,omitempty"`  // ?repo=: every branch holding Path, default first
	Locations []indexer.Location `json:"locations,omitempty"` // ?blob=: every location of the blob
	Matches   []search.Match     `json:"matches"`             // of q; empty without q
	// LimitHit says that highlighting stopped at its deadline: Matches
	// holds the lines found until then; LimitReason says why.
	LimitHit    bool   `json:"limit_hit,omitempty"`
	LimitReason string `json:"limit_reason,omitempty"`
}

// handleFile answers GET /api/file?repo=&branch=&path=&q= and
// GET /api/file?blob=&q=: the text of a file, where else it exists, and the
// lines q matches.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := textParam(v, "q", false, maxQueryBytes)
	if err != nil {
		s.fail(w, r, "file", err)
		return
	}
	var resp *fileResponse
	if v.Has("blob") {
		resp, err = s.fileByBlob(r, v)
	} else {
		resp, err = s.fileByPath(r, v)
	}
	if err != nil {
		s.fail(w, r, "file", err)
		return
	}
	resp.Matches = []search.Match{}
	if strings.TrimSpace(q) != "" && resp.Skip == "" {
		if !s.highlight(w, r, q, resp) {
			return
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) fileByBlob(r *http.Request, v url.Values) (*fileResponse, error) {
	id, err := blobParam(v, "blob")
	if err != nil {
		return nil, err
	}
	text, err := s.idx.BlobText(r.Context(), id)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", id, err)
	}
	resp := &fileResponse{Blob: id, Size: int64(len(text)), Text: string(text), Lines: indexer.CountLines(text)}
	err = s.idx.Locations(r.Context(), indexer.LocationQuery{Blobs: []string{id}}, func(l indexer.Location) error {
		resp.Locations = append(resp.Locations, l)
		if resp.Language == "" {
			resp.Language = l.Language
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list locations of blob %s: %w", id, err)
	}
	return resp, nil
}

func (s *Server) fileByPath(r *http.Request, v url.Values) (*fileResponse, error) {
	var key indexer.LocationKey
	var err error
	for _, p := range []struct {
		name string
		dst  *string
	}{{"repo", &key.Repo}, {"branch", &key.Branch}, {"path", &key.Path}} {
		if *p.dst, err = textParam(v, p.name, true, maxParamBytes); err != nil {
			return nil, err
		}
	}
	ctx := r.Context()
	all, err := s.idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	var (
		keys     []indexer.BranchKey
		heads    = map[string]indexer.Branch{}
		found    bool
		defaultB string
	)
	for _, b := range all {
		if b.Repo != key.Repo {
			continue
		}
		keys = append(keys, b.Key())
		heads[b.Name] = b
		found = found || b.Name == key.Branch
		defaultB = b.Meta.DefaultBranch
	}
	if !found {
		return nil, &httpError{http.StatusNotFound, fmt.Sprintf("branch %s of %s not found", key.Branch, key.Repo)}
	}
	// One query for the path on the repository's branches finds both the
	// file and the other branches holding it, for the branch switcher.
	resp := &fileResponse{Repo: key.Repo, Branch: key.Branch, Path: key.Path}
	var loc *indexer.Location
	q := indexer.LocationQuery{Branches: keys, Paths: []string{key.Path}, Skipped: indexer.AnySkipped}
	err = s.idx.Locations(ctx, q, func(l indexer.Location) error {
		if l.Path != key.Path {
			return nil
		}
		resp.Branches = append(resp.Branches, fileBranch{Name: l.Branch, Commit: heads[l.Branch].Commit, Blob: l.Blob, Skip: l.Skip})
		if l.Branch == key.Branch {
			loc = &l
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list locations of %s: %w", key.Repo, err)
	}
	if loc == nil {
		return nil, &httpError{http.StatusNotFound, fmt.Sprintf("%s not found on branch %s of %s", key.Path, key.Branch, key.Repo)}
	}
	slices.SortFunc(resp.Branches, func(a, b fileBranch) int {
		if (a.Name == defaultB) != (b.Name == defaultB) {
			if a.Name == defaultB {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	head := heads[key.Branch]
	resp.Commit = head.Commit
	resp.URL = head.Meta.Permalink(head.Commit, key.Path, 0)
	resp.LineURL = head.Meta.LinePermalink(head.Commit, key.Path)
	resp.Blob, resp.Language, resp.Size, resp.Skip = loc.Blob, loc.Language, loc.Size, loc.Skip
	if loc.Skip != "" {
		return resp, nil
	}
	text, err := s.idx.BlobText(ctx, loc.Blob)
	if err != nil {
		return nil, fmt.Errorf("read blob %s of %s@%s:%s: %w", loc.Blob, key.Repo, key.Branch, key.Path, err)
	}
	resp.Text, resp.Lines = string(text), indexer.CountLines(text)
	return resp, nil
}

// skippedFile is one skipped (repo, path, blob) with the branches where it
// was skipped: the same file is usually skipped on every branch.
type skippedFile struct {
	Repo     string   `json:"repo"`
	Path     string   `json:"path"`
	Blob     string   `json:"blob"`
	Language string   `json:"language,omitempty"`
	Size     int64    `json:"size"`
	Skip     string   `json:"skip"`
	Branches []string `json:"branches"`
}

// handleSkipped answers GET /api/skipped?repo=&limit=: files that matched
// the patterns but were not indexed, and why. limit counts files (default
// 1,000; 0 and anything larger mean maxSkipped).
func (s *Server) handleSkipped(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	repo, err := textParam(v, "repo", false, maxParamBytes)
	if err != nil {
		s.fail(w, r, "list skipped files", err)
		return
	}
	limit, err := intParam(v, "limit", defaultSkipped, 0, math.MaxInt)
	if err != nil {
		s.fail(w, r, "list skipped files", err)
		return
	}
	if limit == 0 || limit > maxSkipped {
		limit = maxSkipped
	}
	q := indexer.LocationQuery{Skipped: indexer.SkippedOnly}
	if repo != "" {
		branches, err := s.idx.Branches(r.Context())
		if err != nil {
			s.fail(w, r, "list skipped files", err)
			return
		}
		q.Branches = []indexer.BranchKey{} // a repository without branches selects nothing
		for _, b := range branches {
			if b.Repo == repo {
				q.Branches = append(q.Branches, b.Key())
			}
		}
		if len(q.Branches) == 0 {
			s.fail(w, r, "list skipped files", &httpError{http.StatusNotFound, "repository " + repo + " not found"})
			return
		}
	}
	type groupKey struct{ repo, path, blob, skip string }
	groups := map[groupKey]*skippedFile{}
	locations := 0
	limitHit := false
	err = s.idx.Locations(r.Context(), q, func(l indexer.Location) error {
		locations++
		k := groupKey{l.Repo, l.Path, l.Blob, l.Skip}
		g := groups[k]
		if g == nil {
			if len(groups) >= limit {
				limitHit = true
				return nil
			}
			g = &skippedFile{Repo: l.Repo, Path: l.Path, Blob: l.Blob, Language: l.Language, Size: l.Size, Skip: l.Skip}
			groups[k] = g
		}
		g.Branches = append(g.Branches, l.Branch)
		return nil
	})
	if err != nil {
		s.fail(w, r, "list skipped files", err)
		return
	}
	files := make([]*skippedFile, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.Branches)
		files = append(files, g)
	}
	slices.SortFunc(files, func(a, b *skippedFile) int {
		return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Blob, b.Blob))
	})
	writeJSON(w, http.StatusOK, struct {
		Skipped   []*skippedFile `json:"skipped"`
		Locations int            `json:"locations"` // skipped locations seen, over every branch
		LimitHit  bool           `json:"limit_hit"`
	}{files, locations, limitHit})
}
