package crawler

import (
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// keepPacksOpen returns a repository on the same folder as r whose storage
// keeps its pack files open until close is called. go-git's default
// storage opens the pack, builds a new pack reader and closes it again for
// every object it reads: a crawl reads each blob's size and then its
// content, so that was two opens and two reader set-ups per blob, and as
// much again per tree and commit. A repository is crawled by one goroutine
// at a time, so sharing the open pack readers is safe.
//
// A repository not on disk is returned as it is, with a close that does
// nothing.
func keepPacksOpen(r *git.Repository) (*git.Repository, func()) {
	st, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return r, func() {}
	}
	kept := filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	opened, err := git.Open(kept, nil)
	if err != nil {
		kept.Close()
		return r, func() {}
	}
	return opened, func() { kept.Close() }
}
