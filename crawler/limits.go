package crawler

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Names of the limits (config.Limits), as reported.
const (
	LimitFiles    = "max_files_per_branch"
	LimitDuration = "max_repo_duration"
)

// LimitError says a repository or branch went over a configured limit and
// was not (or not fully) indexed.
type LimitError struct {
	Limit  string // LimitFiles or LimitDuration
	Repo   string
	Branch string // empty for a repository-wide limit
	Detail string
}

func (e *LimitError) Error() string {
	if e.Branch != "" {
		return fmt.Sprintf("limit %s: branch %s: %s", e.Limit, e.Branch, e.Detail)
	}
	return fmt.Sprintf("limit %s: %s", e.Limit, e.Detail)
}

// LimitHit is one limit a crawl met: in Summary.LimitsHit, in the status
// of trawl serve, and in the limits file trawl skipped lists.
type LimitHit struct {
	Repo   string    `json:"repo"`
	Branch string    `json:"branch,omitempty"`
	Limit  string    `json:"limit"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

func hitOf(err error) (LimitHit, bool) {
	var le *LimitError
	if !errors.As(err, &le) {
		return LimitHit{}, false
	}
	return LimitHit{Repo: le.Repo, Branch: le.Branch, Limit: le.Limit, Detail: le.Detail, At: time.Now().UTC()}, true
}

// limitsFile is where the limits met by the last crawl of each repository
// are kept, below index.path, for trawl skipped.
func limitsFile(dataDir string) string { return filepath.Join(dataDir, "limits.json") }

// ReadLimits returns the limits recorded below the data folder dataDir
// (index.path): for each repository, those its last crawl met.
func ReadLimits(dataDir string) ([]LimitHit, error) {
	data, err := os.ReadFile(limitsFile(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read limits: %w", err)
	}
	var hits []LimitHit
	if err := json.Unmarshal(data, &hits); err != nil {
		return nil, fmt.Errorf("read limits %s: %w", limitsFile(dataDir), err)
	}
	return hits, nil
}

// recordLimits replaces, in the limits file, the entries of the
// repositories crawled (crawled) with the hits of this crawl.
func recordLimits(dataDir string, crawled map[string]bool, hits []LimitHit) error {
	old, err := ReadLimits(dataDir)
	if err != nil {
		old = nil // a damaged file is rewritten
	}
	kept := slices.DeleteFunc(old, func(h LimitHit) bool { return crawled[h.Repo] })
	kept = append(kept, hits...)
	if len(kept) == 0 && len(old) == 0 {
		if _, err := os.Stat(limitsFile(dataDir)); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	slices.SortFunc(kept, func(a, b LimitHit) int {
		if a.Repo != b.Repo {
			if a.Repo < b.Repo {
				return -1
			}
			return 1
		}
		if a.Branch < b.Branch {
			return -1
		}
		if a.Branch > b.Branch {
			return 1
		}
		return 0
	})
	if kept == nil {
		kept = []LimitHit{}
	}
	data, err := json.MarshalIndent(kept, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("record limits: %w", err)
	}
	path := limitsFile(dataDir)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("record limits: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record limits: %w", err)
	}
	return nil
}
