package source

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"

	"github.com/trawl-dev/trawl/indexer"
)

// dirSource is every git repository below a folder, read in place.
type dirSource struct {
	root string
}

// NewDir is the source for a dir entry: every git repository below root,
// read in place (their remote-tracking branches count as branches).
func NewDir(root string) Source { return &dirSource{root: root} }

func (s *dirSource) Name() string { return "dir " + s.root }

func (s *dirSource) List(ctx context.Context) ([]Repo, error) {
	var repos []Repo
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == s.root {
				return err
			}
			return nil // an unreadable folder below the root holds nothing we can read
		}
		if !d.IsDir() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !isRepository(path) {
			return nil
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.ToSlash(rel), ".git")
		if rel == "." {
			name = strings.TrimSuffix(filepath.Base(s.root), ".git")
		}
		dir := path
		repos = append(repos, Repo{
			Meta:    indexer.Repo{Name: name},
			Remotes: true,
			Open: func(ctx context.Context) (*git.Repository, error) {
				r, err := OpenRepository(dir)
				if err != nil {
					return nil, fmt.Errorf("open %s: %w", dir, err)
				}
				return r, nil
			},
		})
		return filepath.SkipDir // a repository's own folders hold no other repository we index
	})
	if err != nil {
		return repos, fmt.Errorf("list %s: %w", s.root, err)
	}
	return repos, nil
}

// isRepository reports whether dir is a working tree (has .git) or a bare
// repository (HEAD, objects and refs).
func isRepository(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}
