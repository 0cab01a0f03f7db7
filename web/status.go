package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/buildinfo"
)

// Crawler is the crawl service as the Status page sees it.
type Crawler interface {
	// Request queues a crawl of the named repositories.
	Request(repos ...string)
	// RepoErrors returns each failing repository's last error.
	RepoErrors() map[string]string
}

// The Status page's answers come from the branch states and the counts
// the crawl keeps with them (indexer.BranchCounts): never from listing
// locations, which takes longer than a request may on a large index.

// repoBranch is one branch in GET /api/repos.
type repoBranch struct {
	Name      string         `json:"name"`
	Commit    string         `json:"commit"`
	CrawledAt time.Time      `json:"crawled_at"`
	Default   bool           `json:"default,omitempty"`
	Counted   bool           `json:"counted"` // false: crawled before counts were kept; the numbers are unknown
	Files     int            `json:"files"`   // indexed files
	Bytes     int64          `json:"bytes"`   // of the indexed files
	Skipped   int            `json:"skipped"` // files matched by the patterns but not indexed
	Skips     map[string]int `json:"skips,omitempty"`
}

// repoInfo is one repository in GET /api/repos.
type repoInfo struct {
	indexer.Repo
	LastCrawl time.Time    `json:"last_crawl"`
	Error     string       `json:"error,omitempty"` // the last crawl of it failed so
	Files     int          `json:"files"`           // indexed locations over every branch
	Bytes     int64        `json:"bytes"`
	Skipped   int          `json:"skipped"`
	Branches  []repoBranch `json:"branches"`
}

// repoErrors returns the failing repositories' errors without machine
// paths, as the crawl status shows them (scrub.go).
func (s *Server) repoErrors() map[string]string {
	if s.crawler == nil {
		return nil
	}
	out := map[string]string{}
	for repo, e := range s.crawler.RepoErrors() {
		out[repo] = s.scrub.text(e)
	}
	return out
}

// handleRepos answers GET /api/repos: every repository with its branches,
// heads, crawl times and counts; failing repositories first, with their
// error, then by name.
func (s *Server) handleRepos(w http.ResponseWriter, r *http.Request) {
	branches, err := s.idx.Branches(r.Context())
	if err != nil {
		s.fail(w, r, "list repositories", err)
		return
	}
	errs := s.repoErrors()
	byName := map[string]*repoInfo{}
	info := func(name string) *repoInfo {
		ri := byName[name]
		if ri == nil {
			ri = &repoInfo{Error: errs[name], Branches: []repoBranch{}}
			ri.Name = name
			byName[name] = ri
		}
		return ri
	}
	for _, b := range branches {
		ri := info(b.Repo)
		if ri.URL == "" && ri.DefaultBranch == "" {
			ri.Repo = b.Meta
			ri.Name = b.Repo
		}
		rb := repoBranch{Name: b.Name, Commit: b.Commit, CrawledAt: b.CrawledAt, Default: b.Name == b.Meta.DefaultBranch}
		if c := b.Counts; c != nil {
			rb.Counted, rb.Files, rb.Bytes, rb.Skipped, rb.Skips = true, c.Files, c.Bytes, c.SkippedTotal(), c.Skipped
		}
		ri.Branches = append(ri.Branches, rb)
		ri.Files += rb.Files
		ri.Bytes += rb.Bytes
		ri.Skipped += rb.Skipped
		if b.CrawledAt.After(ri.LastCrawl) {
			ri.LastCrawl = b.CrawledAt
		}
	}
	// A repository that never crawled has no branch state, only its error.
	for name := range errs {
		info(name)
	}
	repos := make([]*repoInfo, 0, len(byName))
	for _, ri := range byName {
		slices.SortFunc(ri.Branches, func(a, b repoBranch) int {
			if a.Default != b.Default {
				if a.Default {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.Name, b.Name)
		})
		repos = append(repos, ri)
	}
	slices.SortFunc(repos, func(a, b *repoInfo) int {
		if (a.Error != "") != (b.Error != "") {
			if a.Error != "" {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	writeJSON(w, http.StatusOK, struct {
		Repos []*repoInfo `json:"repos"`
	}{repos})
}

// statusResponse is the answer of GET /api/status.
type statusResponse struct {
	Crawl     any           `json:"crawl,omitempty"` // Options.Status()
	Index     indexer.Stats `json:"index"`
	Repos     int           `json:"repos"`
	LastCrawl time.Time     `json:"last_crawl,omitzero"` // latest branch crawl
	// Totals over the branch counts the crawl keeps.
	Files   int            `json:"files"` // indexed files on every branch
	Bytes   int64          `json:"bytes"`
	Skipped map[string]int `json:"skipped"` // skipped files on every branch, by reason
	// Uncounted branches were crawled before counts were kept: the totals
	// leave them out until their next crawl.
	Uncounted   int  `json:"uncounted_branches"`
	FailedRepos int  `json:"failed_repos"`
	CanRetry    bool `json:"can_retry"` // POST /api/crawl is served

	Version buildinfo.Info `json:"version"` // as trawl version --json
}

// handleStatus answers GET /api/status.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	resp := statusResponse{Skipped: map[string]int{}, CanRetry: s.crawler != nil, Version: buildinfo.Read()}
	var err error
	if resp.Crawl, err = s.crawlStatus(); err != nil {
		s.fail(w, r, "crawl status", err)
		return
	}
	if resp.Index, err = s.idx.Stats(r.Context()); err != nil {
		s.fail(w, r, "index stats", err)
		return
	}
	branches, err := s.idx.Branches(r.Context())
	if err != nil {
		s.fail(w, r, "list branches", err)
		return
	}
	repos := map[string]bool{}
	for _, b := range branches {
		repos[b.Repo] = true
		if b.CrawledAt.After(resp.LastCrawl) {
			resp.LastCrawl = b.CrawledAt
		}
		if b.Counts == nil {
			resp.Uncounted++
			continue
		}
		resp.Files += b.Counts.Files
		resp.Bytes += b.Counts.Bytes
		for k, v := range b.Counts.Skipped {
			resp.Skipped[k] += v
		}
	}
	resp.Repos = len(repos)
	resp.FailedRepos = len(s.repoErrors())
	writeJSON(w, http.StatusOK, resp)
}

// handleCrawl answers POST /api/crawl?repo=NAME: it queues a crawl of one
// repository (the Status page's retry link) and answers 202 at once.
func (s *Server) handleCrawl(w http.ResponseWriter, r *http.Request) {
	// A form on another site can POST here without the token when none is
	// configured; a browser names that site in Origin.
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			writeError(w, http.StatusForbidden, "crawl: cross-origin request from "+o)
			return
		}
	}
	repo, err := textParam(r.URL.Query(), "repo", true, maxParamBytes)
	if err != nil {
		s.fail(w, r, "crawl", err)
		return
	}
	known := s.repoErrors()[repo] != ""
	if !known {
		branches, err := s.idx.Branches(r.Context())
		if err != nil {
			s.fail(w, r, "crawl", err)
			return
		}
		known = slices.ContainsFunc(branches, func(b indexer.Branch) bool { return b.Repo == repo })
	}
	if !known {
		writeError(w, http.StatusNotFound, "crawl: repository "+repo+" not found")
		return
	}
	s.crawler.Request(repo)
	s.log.Info("crawl requested", "repo", repo)
	writeJSON(w, http.StatusAccepted, struct {
		Queued []string `json:"queued"`
	}{[]string{repo}})
}
