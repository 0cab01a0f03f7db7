package change

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// buildCommit writes, into st, a commit whose parent is base and whose tree
// is base's tree with files applied; unchanged subtrees are shared.
func buildCommit(st storer.EncodedObjectStorer, base *object.Commit, files []*FileChange, sig object.Signature, msg string) (plumbing.Hash, error) {
	tree, err := base.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	edits := map[string]*FileChange{}
	for _, f := range files {
		edits[f.Path] = f
	}
	root, err := editTree(st, tree, "", edits)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c := &object.Commit{
		Author: sig, Committer: sig, Message: msg,
		TreeHash: root, ParentHashes: []plumbing.Hash{base.Hash},
	}
	obj := st.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

// editTree returns the hash of tree (at prefix, nil when absent) with the
// edits under prefix applied; ZeroHash when the result is empty, since git
// does not keep empty folders.
func editTree(st storer.EncodedObjectStorer, tree *object.Tree, prefix string, edits map[string]*FileChange) (plumbing.Hash, error) {
	entries := map[string]object.TreeEntry{}
	if tree != nil {
		for _, e := range tree.Entries {
			entries[e.Name] = e
		}
	}
	subdirs := map[string]bool{}
	for p, f := range edits {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		rest := p[len(prefix):]
		if dir, _, ok := strings.Cut(rest, "/"); ok {
			subdirs[dir] = true
			continue
		}
		if f.Delete {
			delete(entries, rest)
			continue
		}
		h, err := writeBlob(st, []byte(f.Content))
		if err != nil {
			return plumbing.ZeroHash, err
		}
		mode := filemode.Regular
		if old, ok := entries[rest]; ok && old.Mode == filemode.Executable {
			mode = old.Mode // keep an edited script executable
		}
		entries[rest] = object.TreeEntry{Name: rest, Mode: mode, Hash: h}
	}
	for dir := range subdirs {
		var sub *object.Tree
		if e, ok := entries[dir]; ok {
			if e.Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s%s is a file, not a folder", prefix, dir)
			}
			t, err := object.GetTree(st, e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			sub = t
		}
		h, err := editTree(st, sub, prefix+dir+"/", edits)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h.IsZero() {
			delete(entries, dir)
		} else {
			entries[dir] = object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h}
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	out := &object.Tree{}
	for _, e := range entries {
		out.Entries = append(out.Entries, e)
	}
	// git orders entries by name, a folder's name as if it ended in '/'.
	slices.SortFunc(out.Entries, func(a, b object.TreeEntry) int {
		return strings.Compare(sortName(a), sortName(b))
	})
	obj := st.NewEncodedObject()
	if err := out.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

func sortName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

func writeBlob(st storer.EncodedObjectStorer, b []byte) (plumbing.Hash, error) {
	obj := st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(b)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(b); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}
