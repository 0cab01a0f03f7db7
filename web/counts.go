package web

import (
	"context"
	"fmt"

	"github.com/trawl-dev/trawl/indexer"
)

// countKey identifies what a branch's file count depends on: its head and
// the file settings its locations were computed with.
type countKey struct {
	repo, branch, commit, settings string
}

type branchCount struct {
	files, skipped int
}

func keyOf(b indexer.Branch) countKey {
	return countKey{b.Repo, b.Name, b.Commit, b.Settings}
}

// branchCounts returns the file counts of branches. Counting means listing
// every location, so counts are kept per branch head and only branches
// that moved since the last call are listed again. A crawl writes a
// branch's locations before its new head, so a count taken mid-crawl is
// filed under the old head and dropped once the new head is written.
func (s *Server) branchCounts(ctx context.Context, branches []indexer.Branch) (map[countKey]branchCount, error) {
	s.countsMu.Lock()
	out := make(map[countKey]branchCount, len(branches))
	var missing []indexer.BranchKey
	for _, b := range branches {
		k := keyOf(b)
		if c, ok := s.counts[k]; ok {
			out[k] = c
		} else {
			missing = append(missing, b.Key())
		}
	}
	s.countsMu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}

	fresh := map[indexer.BranchKey]branchCount{}
	err := s.idx.Locations(ctx, indexer.LocationQuery{Branches: missing, Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
		k := indexer.BranchKey{Repo: l.Repo, Name: l.Branch}
		c := fresh[k]
		if l.Skip == "" {
			c.files++
		} else {
			c.skipped++
		}
		fresh[k] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count locations of %d branches: %w", len(missing), err)
	}

	s.countsMu.Lock()
	defer s.countsMu.Unlock()
	// Rebuild the cache from the current heads so that old heads go away.
	next := make(map[countKey]branchCount, len(branches))
	for _, b := range branches {
		k := keyOf(b)
		if c, ok := out[k]; ok {
			next[k] = c
			continue
		}
		c := fresh[b.Key()]
		out[k], next[k] = c, c
	}
	s.counts = next
	return out, nil
}
