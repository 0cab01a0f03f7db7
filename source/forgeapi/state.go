package forgeapi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// State is what a source remembers between crawls, in one small JSON file
// under the mirrors folder: the last answer to each listing page with its
// ETag (so that an unchanged page costs a 304 and no quota), and each
// repository's version when it was last fetched (its pushed_at or
// last_activity_at: so that an unchanged repository costs no fetch).
type State struct {
	path string

	mu    sync.Mutex
	Pages map[string]page `json:"pages"` // by request URL
	// Versions maps a full name to its version at the last successful
	// fetch. Versions are opaque strings; GitHub's are RFC 3339 times,
	// as the state files of earlier trawl versions hold them.
	Versions map[string]string `json:"fetched"`
	dirty    bool
}

// page is one cached API answer.
type page struct {
	ETag string          `json:"etag"`
	Link string          `json:"link,omitempty"`
	Body json.RawMessage `json:"body"`
	// Paging holds the answer's paging headers besides Link (pagingHeaders):
	// a 304 need not repeat them, and without them a cached page would
	// end a listing early.
	Paging map[string]string `json:"paging,omitempty"`
}

// pagingHeaders are the headers forges page with, kept with a cached page.
// Only these: a state file must never hold cookies or other secrets.
var pagingHeaders = []string{
	"X-Next-Page", "X-Page", "X-Per-Page", "X-Prev-Page", "X-Total", "X-Total-Pages", // GitLab
	"X-Total-Count",          // Gitea
	"X-Ms-Continuationtoken", // Azure DevOps
}

// NewState is an empty state kept in memory only.
func NewState() *State {
	return &State{Pages: map[string]page{}, Versions: map[string]string{}}
}

// LoadState reads the state file at path; a missing or unreadable one is
// an empty state, which only costs full answers and fetches once.
func LoadState(path string) *State {
	s := NewState()
	s.path = path
	data, err := os.ReadFile(path)
	if err != nil {
		return s
	}
	var saved State
	if json.Unmarshal(data, &saved) == nil {
		if saved.Pages != nil {
			s.Pages = saved.Pages
		}
		if saved.Versions != nil {
			s.Versions = saved.Versions
		}
	}
	return s
}

func (s *State) page(key string) (page, bool) {
	if key == "" {
		return page{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.Pages[key]
	return p, ok
}

func (s *State) setPage(key string, p page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Pages[key] = p
	s.dirty = true
}

// Fetched reports whether name was last fetched at version; an empty
// version (the forge did not say) never matches.
func (s *State) Fetched(name, version string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.Versions[name]
	return ok && version != "" && v == version
}

// SetFetched records a successful fetch of name at version.
func (s *State) SetFetched(name, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version == "" {
		delete(s.Versions, name)
	} else {
		s.Versions[name] = version
	}
	s.dirty = true
}

// Forget makes the next Open of name fetch.
func (s *State) Forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.Versions[name]; ok {
		delete(s.Versions, name)
		s.dirty = true
	}
}

// Save writes the state if it changed, through a temporary file so that a
// crash leaves the old state or the new one.
func (s *State) Save() error {
	if s.path == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	s.dirty = false
	return nil
}
