package demo

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"
)

// bareRepo writes objects straight into a bare repository. The demo builds
// its history this way rather than through a work tree and the git CLI: no
// checkout, no index file, no dependence on the user's git configuration,
// and the same commit ids on every machine.
type bareRepo struct {
	dir string
	r   *git.Repository
	st  storage.Storer
}

func initBare(dir, defaultBranch string) (*bareRepo, error) {
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(defaultBranch)},
	})
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	return &bareRepo{dir: dir, r: r, st: r.Storer}, nil
}

func (b *bareRepo) put(o interface {
	Encode(plumbing.EncodedObject) error
}, t plumbing.ObjectType) (plumbing.Hash, error) {
	obj := b.st.NewEncodedObject()
	obj.SetType(t)
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return b.st.SetEncodedObject(obj)
}

func (b *bareRepo) blob(content string) (plumbing.Hash, error) {
	obj := b.st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write([]byte(content)); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return b.st.SetEncodedObject(obj)
}

// tree stores files (path -> content) as nested trees and returns the root.
func (b *bareRepo) tree(files map[string]string) (plumbing.Hash, error) {
	type dir struct {
		files map[string]string
		dirs  map[string]map[string]string
	}
	d := dir{files: map[string]string{}, dirs: map[string]map[string]string{}}
	for p, content := range files {
		head, rest, nested := strings.Cut(p, "/")
		if !nested {
			d.files[head] = content
			continue
		}
		if d.dirs[head] == nil {
			d.dirs[head] = map[string]string{}
		}
		d.dirs[head][rest] = content
	}
	var t object.Tree
	for name, content := range d.files {
		h, err := b.blob(content)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", name, err)
		}
		mode := filemode.Regular
		if path.Ext(name) == ".sh" {
			mode = filemode.Executable
		}
		t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: mode, Hash: h})
	}
	for name, sub := range d.dirs {
		h, err := b.tree(sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries by name, a folder's name compared as if it ended in '/'.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(t.Entries, func(i, j int) bool { return key(t.Entries[i]) < key(t.Entries[j]) })
	return b.put(&t, plumbing.TreeObject)
}

// commit stores a commit of files on top of parent (zero: a root commit).
func (b *bareRepo) commit(files map[string]string, parent plumbing.Hash, who object.Signature, msg string) (plumbing.Hash, error) {
	tree, err := b.tree(files)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c := &object.Commit{Author: who, Committer: who, Message: msg, TreeHash: tree}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	return b.put(c, plumbing.CommitObject)
}

func (b *bareRepo) setBranch(name string, h plumbing.Hash) error {
	return b.st.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(name), h))
}

// signature is a fixed author: the demo's commit ids never change.
func signature(name string, when time.Time) object.Signature {
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@acme.example"
	return object.Signature{Name: name, Email: email, When: when}
}
