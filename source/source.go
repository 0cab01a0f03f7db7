// Package source owns repository discovery: the Source interface every
// forge implements, the git and dir sources, and the git plumbing all of
// them share (bare mirrors of every branch, injective mirror folders,
// credentials kept out of stored remotes and messages), and what every
// forge runs alike: the mirror update against its fetch state
// (FetchMirror) and the topic filter (Topics). The crawler only
// consumes sources; forges live in the packages below this one, and
// source/sources builds the configured ones.
package source

import (
	"context"
	"errors"

	"github.com/go-git/go-git/v5"

	"github.com/trawl-dev/trawl/indexer"
)

// A Source discovers repositories.
type Source interface {
	// Name describes the source in messages (never with credentials).
	Name() string
	// List returns every repository of the source. An error means the
	// listing is incomplete: repositories missing from it are not deleted.
	List(ctx context.Context) ([]Repo, error)
}

// Repo is one discovered repository.
type Repo struct {
	Meta indexer.Repo
	// Open makes the repository's branches readable: it clones or fetches a
	// mirror, or opens a repository in place. It returns ErrEmpty for a
	// repository with no commits.
	Open func(ctx context.Context) (*git.Repository, error)
	// Remotes says to index refs/remotes/*/* as branches too (a clone read
	// in place by a dir source); mirrors hold their branches in refs/heads.
	Remotes bool
}

// ErrEmpty reports a repository without any branch.
var ErrEmpty = errors.New("empty repository")

// A Changer is a source that skips fetches it believes unneeded (a
// forge's pushed_at did not move). MarkChanged makes the next Open of repo
// fetch: a push webhook can arrive before the forge's listing shows it.
type Changer interface {
	MarkChanged(repo string)
}
