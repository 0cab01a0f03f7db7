package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	format "github.com/go-git/go-git/v5/plumbing/format/config"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

var errSHA256 = errors.New("repository uses the sha256 object format, which this build of trawl cannot read (go-git v5 reads SHA-1 repositories)")

// OpenRepository opens the bare repository or the work tree at dir for
// reading objects and refs.
//
// It does not set go-git's LargeObjectThreshold: go-git v5.19.3 streams
// objects above it and returned wrong bytes (same length) for
// delta-compressed ones. Memory stays bounded because the crawler never
// inflates an object above files.max_size: it reads sizes from object
// headers (blobSize) first.
func OpenRepository(dir string) (*git.Repository, error) {
	// go-git v5 reads SHA-1 object ids only, and refuses a repository in
	// the sha256 object format with "unknown extension: objectformat" (or
	// would read it as garbage): say so plainly. The hash check itself,
	// objectHash, knows both formats.
	r, err := openGit(dir)
	if err != nil && strings.Contains(err.Error(), "objectformat") {
		return nil, fmt.Errorf("%w: %w", errSHA256, err)
	}
	if err != nil {
		return nil, err
	}
	if cfg, err := r.Config(); err == nil && cfg.Extensions.ObjectFormat == format.SHA256 {
		return nil, errSHA256
	}
	return r, nil
}

func openGit(dir string) (*git.Repository, error) {
	gitDir := dir
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		if !fi.IsDir() {
			// A .git file (linked work tree or submodule): let go-git
			// follow it.
			return git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		}
		gitDir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "objects")); err != nil {
		return nil, fmt.Errorf("not a git repository: %w", err)
	}
	return git.Open(filesystem.NewStorage(osfs.New(gitDir), cache.NewObjectLRUDefault()), nil)
}
