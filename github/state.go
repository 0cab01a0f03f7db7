package github

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// state is what a source remembers between crawls, in one small JSON file
// under the mirrors folder: the last answer to each listing page with its
// ETag (so that an unchanged page costs a 304 and no quota), and each
// repository's pushed_at when it was last fetched (so that an unchanged
// repository costs no fetch).
type state struct {
	path string

	mu      sync.Mutex
	Pages   map[string]page      `json:"pages"`   // by request URL
	Fetched map[string]time.Time `json:"fetched"` // full name -> pushed_at at the last successful fetch
	dirty   bool
}

// page is one cached API answer.
type page struct {
	ETag string          `json:"etag"`
	Link string          `json:"link,omitempty"`
	Body json.RawMessage `json:"body"`
}

// loadState reads the state file; a missing or unreadable one is an empty
// state, which only costs full answers and fetches once.
func loadState(path string) *state {
	s := &state{path: path, Pages: map[string]page{}, Fetched: map[string]time.Time{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return s
	}
	var saved state
	if json.Unmarshal(data, &saved) == nil {
		if saved.Pages != nil {
			s.Pages = saved.Pages
		}
		if saved.Fetched != nil {
			s.Fetched = saved.Fetched
		}
	}
	return s
}

func (s *state) page(key string) (page, bool) {
	if key == "" {
		return page{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.Pages[key]
	return p, ok
}

func (s *state) setPage(key string, p page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Pages[key] = p
	s.dirty = true
}

// fetched reports whether name was fetched when GitHub said it was last
// pushed at pushedAt.
func (s *state) fetched(name string, pushedAt time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.Fetched[name]
	return ok && !pushedAt.IsZero() && t.Equal(pushedAt)
}

func (s *state) setFetched(name string, pushedAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pushedAt.IsZero() {
		delete(s.Fetched, name)
	} else {
		s.Fetched[name] = pushedAt
	}
	s.dirty = true
}

func (s *state) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.Fetched[name]; ok {
		delete(s.Fetched, name)
		s.dirty = true
	}
}

// save writes the state if it changed, through a temporary file so that a
// crash leaves the old state or the new one.
func (s *state) save() error {
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
