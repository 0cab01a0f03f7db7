package crawler

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Every blob text the crawler indexes is checked against its id, as git
// and libgit2 check every object they read: go-git once returned wrong
// bytes (same length) for delta-compressed objects it streamed, and a
// reader that does not re-hash is trusting luck.

// errCorrupt says an object's content does not hash to its id.
var errCorrupt = errors.New("content does not hash to its id")

// objectHash is git's object id of content of type typ: SHA-1 for 40-hex
// ids, SHA-256 for 64-hex ids (repositories in the sha256 object format).
func objectHash(id string, typ string, content []byte) (string, error) {
	var h hash.Hash
	switch len(id) {
	case 40:
		h = sha1.New()
	case 64:
		h = sha256.New()
	default:
		return "", fmt.Errorf("object id %q is neither SHA-1 nor SHA-256", id)
	}
	h.Write([]byte(typ + " " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verifyBlob reports whether content is the blob id.
func verifyBlob(id string, content []byte) bool {
	sum, err := objectHash(id, "blob", content)
	return err == nil && sum == id
}

// sizer is the part of go-git's filesystem storage that reads an object's
// size from its header (loose object or pack entry, delta target size)
// without inflating it.
type sizer interface {
	EncodedObjectSize(plumbing.Hash) (int64, error)
}

// blobSize returns the size of blob h without inflating it where the
// storage allows.
func blobSize(r *git.Repository, h plumbing.Hash) (int64, error) {
	if s, ok := r.Storer.(sizer); ok {
		return s.EncodedObjectSize(h)
	}
	obj, err := r.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, err
	}
	return obj.Size(), nil
}

// readBlob inflates blob h (the caller has checked its size) and checks it
// against its id. On a mismatch it reads the object again through fresh
// storage with no cache shared with the first read; errCorrupt if that is
// wrong too. Any other error means the object could not be read.
func readBlob(r *git.Repository, h plumbing.Hash) ([]byte, error) {
	text, err := readFrom(r, h)
	if err != nil {
		return nil, err
	}
	if verifyBlob(h.String(), text) {
		return text, nil
	}
	fresh, ferr := reopen(r)
	if ferr != nil {
		return nil, fmt.Errorf("blob %s: %w (and no second read: %v)", h, errCorrupt, ferr)
	}
	text, err = readFrom(fresh, h)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w (second read: %v)", h, errCorrupt, err)
	}
	if !verifyBlob(h.String(), text) {
		return nil, fmt.Errorf("blob %s: %w, read twice", h, errCorrupt)
	}
	return text, nil
}

func readFrom(r *git.Repository, h plumbing.Hash) ([]byte, error) {
	obj, err := r.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	return readObject(obj)
}

func readObject(obj plumbing.EncodedObject) ([]byte, error) {
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	buf := bytes.NewBuffer(make([]byte, 0, obj.Size()))
	if _, err := io.Copy(buf, rd); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reopen opens the repository of r again, on new storage with its own
// (empty) object cache, so that a second read shares nothing in memory
// with the first.
func reopen(r *git.Repository) (*git.Repository, error) {
	st, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return nil, errors.New("not a repository on disk")
	}
	fresh := filesystem.NewStorage(osfs.New(st.Filesystem().Root()), cache.NewObjectLRU(cache.MiByte))
	return git.Open(fresh, nil)
}
