package verify

import (
	"context"
	"fmt"
	"slices"

	"github.com/trawl-dev/trawl/indexer"
)

// Recrawl crawls the named repositories again (crawler.Options.Repos),
// reading from git whatever the index does not hold.
type Recrawl func(ctx context.Context, repos []string) error

// Repaired says what Repair did.
type Repaired struct {
	Branches       []indexer.BranchKey `json:"branches_reset"`
	Repos          []string            `json:"repos_recrawled"`
	BlobsCollected int                 `json:"blobs_collected"`
}

// Repair removes what rep found wrong and has recrawl read it again:
//
//  1. it marks the index as being written, so that a repair killed midway
//     leaves the next crawl to sweep and collect what it left;
//  2. it deletes every branch that has a location of a corrupt (or badly
//     named) blob or a dangling location, every bad branch state and every
//     stray branch: state, locations and dependency records, in one write;
//  3. it collects garbage, which deletes the corrupt blobs, since no
//     location points to them any more (a stored blob is never rewritten,
//     so it must be gone before the crawl can write the right text);
//  4. it re-crawls the repositories of the deleted branches that the index
//     knows (those with a branch state), which finds the branches
//     missing and indexes them from git as new.
//
// Until the crawl is done, the deleted branches are missing from searches:
// an answer without them is better than one from wrong bytes.
func Repair(ctx context.Context, idx indexer.Index, rep *Report, recrawl Recrawl) (*Repaired, error) {
	out := &Repaired{Branches: []indexer.BranchKey{}, Repos: []string{}}
	reset := map[indexer.BranchKey]bool{}
	for _, p := range append(slices.Clip(rep.Problems), rep.Notes...) {
		switch p.Kind {
		case KindCorrupt, KindBadID:
			for _, b := range p.Branches {
				reset[b] = true
			}
		case KindDangling, KindStray, KindBadBranch:
			if p.Repo != "" {
				reset[indexer.BranchKey{Repo: p.Repo, Name: p.Branch}] = true
			}
		}
	}
	needGC := rep.Unreferenced > 0
	for _, p := range rep.Problems {
		if p.Kind == KindCorrupt || p.Kind == KindBadID {
			needGC = true
		}
	}
	if len(reset) == 0 && !needGC {
		return out, nil
	}
	for k := range reset {
		out.Branches = append(out.Branches, k)
	}
	slices.SortFunc(out.Branches, compareBranch)

	if err := idx.SetDirty(ctx, true); err != nil {
		return out, fmt.Errorf("repair: %w", err)
	}
	if len(out.Branches) > 0 {
		if err := idx.Commit(ctx, &indexer.Changes{DeleteBranches: out.Branches}); err != nil {
			return out, fmt.Errorf("repair: delete %d branches: %w", len(out.Branches), err)
		}
	}
	n, err := idx.CollectGarbage(ctx)
	out.BlobsCollected = n
	if err != nil {
		return out, fmt.Errorf("repair: %w", err)
	}

	states, err := idx.Branches(ctx)
	if err != nil {
		return out, fmt.Errorf("repair: %w", err)
	}
	known := map[string]bool{}
	for _, b := range states {
		known[b.Repo] = true
	}
	repos := map[string]bool{}
	for _, p := range append(slices.Clip(rep.Problems), rep.Notes...) {
		if p.Kind != KindStray && p.Repo != "" {
			repos[p.Repo] = true
		}
	}
	for _, b := range out.Branches {
		if known[b.Repo] {
			repos[b.Repo] = true // strays of a repository the index still crawls
		}
	}
	for _, p := range rep.Problems {
		if p.Kind == KindCorrupt || p.Kind == KindBadID {
			for _, b := range p.Branches {
				repos[b.Repo] = true
			}
		}
	}
	for r := range repos {
		out.Repos = append(out.Repos, r)
	}
	slices.Sort(out.Repos)
	// The crawl clears the dirty flag when it finishes; with no repository
	// to crawl, clear it here.
	if len(out.Repos) == 0 {
		if err := idx.SetDirty(ctx, false); err != nil {
			return out, fmt.Errorf("repair: %w", err)
		}
		return out, nil
	}
	if err := recrawl(ctx, out.Repos); err != nil {
		return out, fmt.Errorf("repair: re-crawl %d repositories: %w", len(out.Repos), err)
	}
	return out, nil
}
