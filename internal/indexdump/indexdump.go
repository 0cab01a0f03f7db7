// Package indexdump owns the canonical text form of an index's contents
// that tests compare: two crawls that should agree must give equal
// snapshots, whatever order or history produced them.
package indexdump

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/trawl-dev/trawl/indexer"
)

// Snapshot is what an index holds that a crawl decides, without times.
type Snapshot struct {
	Branches  []string
	Locations []string
	Deps      []string
	Blobs     int
}

// Take reads idx. It fails when the index is inconsistent: a location
// pointing to a missing blob, or a blob no location points to.
func Take(ctx context.Context, idx indexer.Index) (Snapshot, error) {
	var s Snapshot
	branches, err := idx.Branches(ctx)
	if err != nil {
		return s, err
	}
	for _, b := range branches {
		s.Branches = append(s.Branches, fmt.Sprintf("%s@%s=%s default=%s settings=%s", b.Repo, b.Name, b.Commit, b.Meta.DefaultBranch, b.Settings))
	}
	referenced := map[string]bool{}
	err = idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
		s.Locations = append(s.Locations, fmt.Sprintf("%s@%s:%s=%s lang=%q size=%d skip=%q", l.Repo, l.Branch, l.Path, l.Blob, l.Language, l.Size, l.Skip))
		if l.Skip == "" {
			referenced[l.Blob] = true
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	err = idx.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		s.Deps = append(s.Deps, fmt.Sprintf("%s@%s:%s:%d %s %s %s version=%q resolved=%q source=%s scope=%q direct=%v commit=%s",
			d.Repo, d.Branch, d.Path, d.Line, d.Ecosystem, d.Name, d.PURL, d.Version, d.ResolvedVersion, d.VersionSource, d.Scope, d.Direct, d.Commit))
		return nil
	})
	if err != nil {
		return s, err
	}
	st, err := idx.Stats(ctx)
	if err != nil {
		return s, err
	}
	s.Blobs = st.Blobs
	for id := range referenced {
		if _, err := idx.BlobText(ctx, id); err != nil {
			return s, fmt.Errorf("a location points to blob %s: %w", id, err)
		}
	}
	if len(referenced) != st.Blobs {
		return s, fmt.Errorf("index holds %d blobs, locations reference %d: unreferenced blobs were not collected", st.Blobs, len(referenced))
	}
	slices.Sort(s.Branches)
	slices.Sort(s.Locations)
	slices.Sort(s.Deps)
	return s, nil
}

// Diff lists what differs, "- " for s only and "+ " for o only; "" when equal.
func (s Snapshot) Diff(o Snapshot) string {
	var b strings.Builder
	diffLists(&b, "branch", s.Branches, o.Branches)
	diffLists(&b, "location", s.Locations, o.Locations)
	diffLists(&b, "dependency", s.Deps, o.Deps)
	if s.Blobs != o.Blobs {
		fmt.Fprintf(&b, "blobs: %d vs %d\n", s.Blobs, o.Blobs)
	}
	return b.String()
}

func diffLists(b *strings.Builder, what string, a, c []string) {
	in := func(l []string, x string) bool { _, ok := slices.BinarySearch(l, x); return ok }
	for _, x := range a {
		if !in(c, x) {
			fmt.Fprintf(b, "- %s %s\n", what, x)
		}
	}
	for _, x := range c {
		if !in(a, x) {
			fmt.Fprintf(b, "+ %s %s\n", what, x)
		}
	}
}
