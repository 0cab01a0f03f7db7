package crawler

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/trawl-dev/trawl/deps"
)

// Branches of one repository share most of their subtrees, so the survey
// (files counted against limits.max_files_per_branch, manifests found)
// remembers what it found below each subtree it walked, for the other
// branches of the same crawl: a branch then costs its own subtrees only.
// The answer for a subtree depends on where it sits (the file patterns
// and the bad-name rule see whole paths), so the key holds the path too.

// maxSurveyNodes and maxSurveyRefs bound a surveyCache: past either, it
// forgets everything and starts again, so a crawl's memory does not grow
// with the repository (a tree bomb has a distinct path for every node).
const (
	maxSurveyNodes = 1 << 16
	maxSurveyRefs  = 1 << 20
)

type surveyKey struct {
	tree plumbing.Hash
	base string
	bad  bool
}

// subtreeSurvey is what one subtree holds: the files the patterns select
// and the manifests among them (stored paths).
type subtreeSurvey struct {
	files     int
	manifests []manifestRef
}

type manifestRef struct {
	path string
	hash plumbing.Hash
}

// surveyCache is used by one goroutine: a repository is crawled by one.
type surveyCache struct {
	m    map[surveyKey]*subtreeSurvey
	refs int // manifest refs held by m
}

func newSurveyCache() *surveyCache { return &surveyCache{m: map[surveyKey]*subtreeSurvey{}} }

func (c *surveyCache) put(k surveyKey, s *subtreeSurvey) {
	if len(c.m) >= maxSurveyNodes || c.refs+len(s.manifests) > maxSurveyRefs {
		clear(c.m)
		c.refs = 0
	}
	c.m[k] = s
	c.refs += len(s.manifests)
}

// survey counts the files of the head the patterns select, refusing a
// branch over limits.max_files_per_branch before anything of it is
// written, and returns the manifests (path -> blob) for dependency
// extraction.
func (b *branchCrawl) survey(ctx context.Context, root plumbing.Hash) (map[string]plumbing.Hash, error) {
	sv := &surveyor{b: b, cache: b.surveys}
	if sv.cache == nil {
		sv.cache = newSurveyCache()
	}
	s, err := sv.tree(ctx, root, "", false, 0)
	if err != nil {
		return nil, err
	}
	manifests := make(map[string]plumbing.Hash, len(s.manifests))
	for _, m := range s.manifests {
		manifests[m.path] = m.hash
	}
	return manifests, nil
}

type surveyor struct {
	b     *branchCrawl
	cache *surveyCache
	n     int // files counted so far in this branch
}

// count adds k files and refuses the branch once it is over the limit.
func (sv *surveyor) count(k int) error {
	sv.n += k
	if limit := sv.b.c.cfg.Limits.MaxFilesPerBranch; limit > 0 && sv.n > limit {
		return &LimitError{Limit: LimitFiles, Repo: sv.b.state.Repo, Branch: sv.b.state.Name,
			Detail: fmt.Sprintf("more than %d files (limits.max_files_per_branch)", limit)}
	}
	return nil
}

func (sv *surveyor) tree(ctx context.Context, h plumbing.Hash, base string, bad bool, depth int) (*subtreeSurvey, error) {
	key := surveyKey{tree: h, base: base, bad: bad}
	if s, ok := sv.cache.m[key]; ok {
		return s, sv.count(s.files)
	}
	if depth > maxTreeDepth {
		return nil, fmt.Errorf("tree %s at %q: nested deeper than %d", h, base, maxTreeDepth)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tr, err := sv.b.trees.get(h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s at %q: %w", h, base, err)
	}
	// The entries are kept, not the tree: reading a subtree may evict it
	// from the tree cache.
	entries := tr.Entries
	s := &subtreeSurvey{}
	files := sv.b.c.cfg.Files
	for i := range entries {
		e := &entries[i]
		path := joinPath(base, escapeName(e.Name))
		ebad := bad || badName(e.Name)
		switch {
		case e.Mode == filemode.Dir:
			sub, err := sv.tree(ctx, e.Hash, path, ebad, depth+1)
			if err != nil {
				return nil, err
			}
			s.files += sub.files
			s.manifests = append(s.manifests, sub.manifests...)
		case isFile(e.Mode):
			if !files.Match(path) {
				continue
			}
			if err := sv.count(1); err != nil {
				return nil, err
			}
			s.files++
			if !ebad && deps.Kind(path) != "" {
				s.manifests = append(s.manifests, manifestRef{path: path, hash: e.Hash})
			}
		}
	}
	sv.cache.put(key, s)
	return s, nil
}
