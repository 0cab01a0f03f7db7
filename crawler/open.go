package crawler

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// largeObject is the size above which go-git streams an object from disk
// instead of inflating it into memory, which keeps a crawl's memory bounded
// however large the files it meets.
const largeObject = 1 << 20

// openRepository opens the bare repository or the work tree at dir for
// reading objects and refs.
func openRepository(dir string) (*git.Repository, error) {
	gitDir := dir
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		if !fi.IsDir() {
			// A .git file (linked work tree or submodule): let go-git
			// follow it; large objects are then read into memory.
			return git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		}
		gitDir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "objects")); err != nil {
		return nil, fmt.Errorf("not a git repository: %w", err)
	}
	st := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(),
		filesystem.Options{LargeObjectThreshold: largeObject})
	return git.Open(st, nil)
}
